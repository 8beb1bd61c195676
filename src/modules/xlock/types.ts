import type { Vote, XtxOp } from '../xtx/types.ts';

/** The coordinator's port: prepares and decisions come from it, inquiries go to it. */
export const XTX_PORT = 'xtx';

/** A transaction as a participant holds it (state key `xlock/tx/<coordinator>/<id>`). */
export interface LockTxRecord {
  coordinator: string;
  id: string;
  /** 'prepared': locks held, waiting for the decision; 'refused': voted no, nothing locked. */
  state: 'prepared' | 'refused' | 'committed' | 'rolled-back';
  initiator?: string;
  digest?: string;
  ops: XtxOp[];
  /** Lock ids, one per op: xtransfer/hold/<lock> or xdoc/lock/<lock>. */
  locks: string[];
  vote?: Vote;
  recoverAfter?: number;
  prepared?: { height: number; time: number; sequence: number };
  decision?: { outcome: 'commit' | 'abort'; via: 'packet' | 'inquiry'; height: number; time: number; sequence: number };
  /** Sequences of inquire packets sent to the coordinator. */
  inquiries?: number[];
}

/** An op owner's consent (state key `xlock/consent/<coordinator>/<id>/<owner>`). */
export interface ConsentRecord {
  digest: string;
  height: number;
}
