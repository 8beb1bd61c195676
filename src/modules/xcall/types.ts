import type { JsonValue } from '../../codec/index.ts';

/** A call's outcome as the calling chain keeps it (state key `xcall/result/<dst>/<sequence>`). */
export interface CallResult {
  status: 'pending' | 'answered' | 'failed' | 'timed-out';
  /** The DID that asked. */
  caller?: string;
  result?: JsonValue;
  error?: string;
}
