import { ShulianError, stateValue, type JsonValue } from '../codec/index.ts';
import type { ChainView } from '../chain/index.ts';
import type { Packet, SendStatus } from '../modules/xchain/types.ts';
import { xchainStateKey as xk } from '../modules/xchain/keys.ts';
import type { ProofBundle } from './relay.ts';

/** What a chain sent to `dst`, from sequence `from` on: packets with their status. */
export function readOutbox(chain: Pick<ChainView, 'getState'>, dst: string, from: number, limit: number): { lastSequence: number; packets: Array<{ packet: Packet; status: SendStatus }> } {
  const state = (k: string): JsonValue | null => chain.getState(k).value;
  const last = (state(`xchain/seq/${dst}`) as number | null) ?? 0;
  const packets: Array<{ packet: Packet; status: SendStatus }> = [];
  for (let s = from; s <= last && packets.length < limit; s++) {
    const packet = stateValue(xk.out(dst, s), state(xk.out(dst, s)));
    const status = stateValue(xk.st(dst, s), state(xk.st(dst, s)));
    if (packet && status) packets.push({ packet, status });
  }
  return { lastSequence: last, packets };
}

/** A committed header with its signature, commit and state proofs of `keys` at its height. */
export function readProofBundle(chain: Pick<ChainView, 'id' | 'getBlock' | 'getCommit' | 'getState'>, height: number, keys: string[]): ProofBundle {
  const block = chain.getBlock(height);
  if (!block) throw new ShulianError('HEIGHT_NOT_FOUND', `chain ${chain.id} has no block ${height}`);
  const commit = chain.getCommit(height);
  return {
    chain: chain.id, height, header: block.header, hash: block.hash, sig: block.sig, ...(commit === undefined ? {} : { commit }),
    proofs: keys.map((key) => {
      const s = chain.getState(key, { height, proof: true });
      return { key, value: s.value, proof: s.proof! };
    }),
  };
}
