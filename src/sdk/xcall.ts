/**
 * Cross-chain calls through the SDK (docs/crosschain.md, `xcall`): ask a module on another chain
 * a question (its `xquery` export). The question travels as an xchain packet, the destination
 * answers it after checking the packet's proof, and the answer comes back in the proven
 * acknowledgement, kept on the asking chain under `xcall/result/<dst>/<sequence>` — so what a
 * chain learned from another is itself on chain, with a state proof.
 */
import { ShulianError, type JsonValue } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import { xcallStateKey } from '../modules/xcall/keys.ts';
import type { CallResult } from '../modules/xcall/types.ts';
import type { ShulianClient } from './client.ts';
import type { ShulianHttp } from './http.ts';
import { readToken, sendToken, type TokenSendOptions, type TokenTx } from './tokens.ts';

export type { CallResult };

export interface CrossChainQuery {
  dstChain: string;
  module: string;
  query: string;
  args: JsonValue;
  /** Block time (ms) after which the call times out unanswered. */
  timeoutTime?: number;
}

/** Sends the question from `opts.chain`; the answer arrives once a gateway relays it both ways. */
export const xcallSend = (c: ShulianClient, key: KeyPair, q: CrossChainQuery, opts: TokenSendOptions) =>
  sendToken<{ sequence: number }>(c, key, 'xcall', 'call', q, opts);

/** The answer to call `sequence` from `chain` to `dst` as the asking chain keeps it (or undefined). */
export const xcallResult = (c: ShulianHttp, chain: string, dst: string, sequence: number) => readToken(c, chain, xcallStateKey.result(dst, sequence));

/**
 * Asks and waits for the answer (polling the asking chain's state until it is answered, failed or
 * timed out). Throws XCALL_FAILED with the destination's error when the call was not answered.
 */
export async function xcallAsk(c: ShulianClient, key: KeyPair, q: CrossChainQuery, opts: TokenSendOptions & { answerTimeoutMs?: number }): Promise<{ sent: TokenTx<{ sequence: number }>; result: JsonValue; stateKey: string }> {
  const sent = await xcallSend(c, key, q, opts);
  const seq = sent.result.sequence;
  const deadline = Date.now() + (opts.answerTimeoutMs ?? 60_000);
  for (;;) {
    const r = await xcallResult(c, opts.chain, q.dstChain, seq);
    if (r && r.status === 'answered') return { sent, result: r.result ?? null, stateKey: xcallStateKey.result(q.dstChain, seq) };
    if (r && r.status !== 'pending') throw new ShulianError('XCALL_FAILED', `the call ${opts.chain} → ${q.dstChain} #${seq} (${q.module}.${q.query}) ${r.status}${r.error ? `: ${r.error}` : ''}`, { tx: sent.tx.hash });
    if (Date.now() > deadline) {
      throw new ShulianError('XCALL_UNANSWERED', `the call ${opts.chain} → ${q.dstChain} #${seq} (${q.module}.${q.query}) was not answered within ${(opts.answerTimeoutMs ?? 60_000) / 1000} s: is a gateway relaying between the two chains?`, { tx: sent.tx.hash });
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}
