/**
 * Privacy computing through the SDK (docs/privacy.md): ask for a PSI run on the data chain, read
 * runs, and the parties' reports. The computation itself runs between the parties' processes
 * (src/privacy, `shulian privacy serve`).
 */
import { canonicalBytes, toHex, type JsonValue } from '../codec/index.ts';
import { sm3, type KeyPair } from '../crypto/index.ts';
import { privacyStateKey } from '../modules/privacy/keys.ts';
import type { RequestArgs, RunRecord } from '../modules/privacy/types.ts';
import type { ShulianClient } from './client.ts';
import { DEFAULT_DATA_CHAIN, sendData, type DataSendOptions } from './data.ts';

export type { RunRecord };
/** What privacy.request takes; `group`, `columns` and `consents` may be left out. */
export type PrivacyRequest = Omit<RequestArgs, 'group' | 'columns' | 'consents'> & Partial<Pick<RequestArgs, 'group' | 'columns' | 'consents'>>;

export const requestPrivacyRun = (c: ShulianClient, key: KeyPair, r: PrivacyRequest, o: DataSendOptions = {}) =>
  sendData<{ run: number; consentRoot: string; uses: number[] }>(c, key, 'privacy', 'request', r, o);
export const reportPrivacyRun = (c: ShulianClient, key: KeyPair, r: { run: number; inputCommitment: string; records: number; durationMs: number }, o: DataSendOptions = {}) =>
  sendData<{ run: number; role: string }>(c, key, 'privacy', 'report', r, o);
export const completePrivacyRun = (c: ShulianClient, key: KeyPair, r: { run: number; resultDigest: string; durationMs: number }, o: DataSendOptions = {}) =>
  sendData<{ run: number; status: string; fee: JsonValue }>(c, key, 'privacy', 'complete', r, o);
export const failPrivacyRun = (c: ShulianClient, key: KeyPair, r: { run: number; reason: string }, o: DataSendOptions = {}) =>
  sendData<{ run: number; status: 'failed' }>(c, key, 'privacy', 'fail', r, o);

/** A run as the chain keeps it, its state proof checked against the chain's light client. */
export async function getPrivacyRun(c: ShulianClient, run: number, o: { chain?: string } = {}): Promise<RunRecord | undefined> {
  const s = await c.verifiedState(o.chain ?? DEFAULT_DATA_CHAIN, privacyStateKey.run(run));
  return (s.value ?? undefined) as RunRecord | undefined;
}

/** The runs a requester asked for, newest first (at most `limit`). */
export async function listPrivacyRuns(c: ShulianClient, requester: string, o: { chain?: string; limit?: number } = {}): Promise<RunRecord[]> {
  const chain = o.chain ?? DEFAULT_DATA_CHAIN;
  const n = ((await c.state(chain, privacyStateKey.requesterCount(requester))).value ?? 0) as number;
  const out: RunRecord[] = [];
  for (let i = n; i >= 1 && out.length < (o.limit ?? 20); i--) {
    const id = (await c.state(chain, privacyStateKey.byRequester(requester, i))).value as number;
    const r = await getPrivacyRun(c, id, { chain });
    if (r) out.push(r);
  }
  return out;
}

/** SM3 of the result's canonical JSON: what the requester records on chain. */
export const resultDigest = (result: JsonValue): string => toHex(sm3(canonicalBytes(result)));
