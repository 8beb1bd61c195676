import type { JsonValue } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import type { ShulianClient } from '../sdk/index.ts';
import type { ChainEndpoint, ProofBundle } from './relay.ts';
import type { Packet, SendStatus } from '../modules/xchain/types.ts';

const enc = encodeURIComponent;

/** A chain reached through a node's public API, with the gateway's key for its own txs. */
export function httpEndpoint(client: ShulianClient, chain: string, key: KeyPair, opts: { waitMs?: number } = {}): ChainEndpoint {
  return {
    id: chain,
    async height() {
      return (await client.chain(chain)).height;
    },
    proof(height: number, keys: string[]) {
      return client.getJson<ProofBundle>(`/chains/${enc(chain)}/xchain/proof?height=${height}&keys=${keys.map(enc).join(',')}`);
    },
    outbox(dst: string, from: number, limit: number) {
      return client.getJson<{ lastSequence: number; packets: Array<{ packet: Packet; status: SendStatus }> }>(`/chains/${enc(chain)}/xchain/outbox?dst=${enc(dst)}&from=${from}&limit=${limit}`);
    },
    async state(key: string) {
      return (await client.state(chain, key)).value;
    },
    async call(module: string, method: string, args: JsonValue) {
      const hash = await client.send(chain, key, { module, method, args });
      const tx = await client.waitForTx(hash, { timeoutMs: opts.waitMs ?? 30_000, intervalMs: 20 });
      const r = tx.receipt;
      return { status: r.status, ...(r.code ? { code: r.code } : {}), ...(r.message ? { message: r.message } : {}), ...(r.result !== undefined ? { result: r.result } : {}) };
    },
  };
}
