/**
 * Compact proposals (docs/consensus.md#compact-proposals): a tbft proposal travels without its
 * block's txs, which the validators already hold in their mempools (clients' txs are gossiped to
 * every validator as they are admitted). A receiving node rebuilds the block from its mempool by
 * the tx hashes the receipts name, in order, and asks the sender only for the txs it lacks.
 * Before, each tx crossed every link twice (gossip, then the proposal); on a lossy WAN the bytes
 * per link bound the commit rate.
 *
 * Nothing here is trusted: the proposal's signature covers the value's hash, not the payload, and
 * the driver validates the rebuilt block by re-executing it, as it does a full one. A fetched tx
 * must hash to the hash asked for, so a peer answering with other txs makes the proposal be
 * dropped (as a lost message is), never judged invalid.
 */
import { isJsonObject, type JsonValue } from '../codec/index.ts';
import type { Chain } from '../chain/index.ts';
import { isProposal, txHashOf, type Block, type Proposal, type Tx } from '../ledger/index.ts';
import type { PeerNetwork } from '../net/index.ts';

/** The topic compact proposals and requests for their missing txs travel on. */
export const COMPACT_TOPIC = 'proposal';
/** Proposals this node sent whose txs it serves to peers that lack some: the last few heights' rounds. */
const SENT_KEPT = 16;
/** How long a receiver waits for the txs it lacks before it drops the proposal. */
const FETCH_TIMEOUT_MS = 3_000;
const HASH_RE = /^[0-9a-f]{64}$/;

type ProposalWithBlock = Proposal & { value: { hash: string; payload: Block } };

function hasTxs(p: Proposal): p is ProposalWithBlock {
  const b = p.value.payload as Partial<Block> | undefined;
  return isJsonObject(b) && Array.isArray(b.txs) && b.txs.length > 0 && Array.isArray(b.receipts) && b.receipts.length === b.txs.length;
}

export class CompactProposals {
  /** Blocks of proposals sent, by block hash, oldest first. */
  private readonly sent = new Map<string, Block>();

  constructor(private readonly net: PeerNetwork, private readonly chain: Chain) {}

  /**
   * The form of `message` to send: a proposal whose block has txs goes compact on COMPACT_TOPIC
   * (its block remembered, to serve the txs a peer lacks); anything else unchanged.
   */
  outgoing(message: Proposal): { topic: string; body: JsonValue } | undefined {
    if (!hasTxs(message)) return undefined;
    const block = message.value.payload;
    this.sent.delete(block.hash);
    this.sent.set(block.hash, block);
    while (this.sent.size > SENT_KEPT) this.sent.delete(this.sent.keys().next().value!);
    return { topic: COMPACT_TOPIC, body: { ...message, value: { hash: message.value.hash, payload: { ...block, txs: [] } } } as unknown as JsonValue };
  }

  /**
   * The full proposal a compact one stands for, or undefined when it is malformed or the txs it
   * lacks could not be fetched from its sender with their right hashes.
   */
  async rebuild(body: JsonValue, from: string): Promise<Proposal | undefined> {
    if (!isProposal(body) || body.chain !== this.chain.id) return undefined;
    const proposal: Proposal = body;
    const payload: unknown = proposal.value.payload;
    if (!isJsonObject(payload)) return undefined;
    const block: Record<string, JsonValue> = payload;
    if ( !Array.isArray(block.txs) || block.txs.length !== 0 || !Array.isArray(block.receipts)) return undefined;
    if (block.receipts.length === 0 || block.receipts.length > this.chain.genesis.params.maxBlockTxs) return undefined;
    const hashes: string[] = [];
    for (const r of block.receipts) {
      if (!isJsonObject(r) || typeof r.tx !== 'string' || !HASH_RE.test(r.tx)) return undefined;
      hashes.push(r.tx);
    }
    const txs: Array<Tx | undefined> = hashes.map((h) => this.chain.pendingTx(h));
    const missing = txs.flatMap((t, i) => (t ? [] : [i]));
    if (missing.length > 0) {
      let answer: JsonValue;
      try {
        answer = await this.net.request(from, this.chain.id, COMPACT_TOPIC, { block: proposal.value.hash, txs: missing }, { timeoutMs: FETCH_TIMEOUT_MS });
      } catch {
        return undefined;
      }
      const got = isJsonObject(answer) && Array.isArray(answer.txs) ? answer.txs : [];
      if (got.length !== missing.length) return undefined;
      for (let k = 0; k < missing.length; k++) {
        const tx = got[k] as unknown as Tx;
        const i = missing[k]!;
        if (!isJsonObject(tx) || safeHash(this.chain, tx) !== hashes[i]) return undefined;
        txs[i] = tx;
      }
    }
    return { ...proposal, value: { hash: proposal.value.hash, payload: { ...block, txs: txs as unknown as JsonValue[] } } };
  }

  /** Serves the txs a peer lacks of a proposal this node sent. */
  serve(): () => void {
    return this.net.onRequest(this.chain.id, COMPACT_TOPIC, (body) => {
      const block = isJsonObject(body) && typeof body.block === 'string' ? this.sent.get(body.block) : undefined;
      if (!block) return { txs: [] };
      const want = isJsonObject(body) && Array.isArray(body.txs) ? body.txs : [];
      if (want.length > block.txs.length) return { txs: [] };
      const out: JsonValue[] = [];
      for (const i of want) {
        if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0 || i >= block.txs.length) return { txs: [] };
        out.push(block.txs[i] as unknown as JsonValue);
      }
      return { txs: out };
    });
  }
}

/** The hash of a tx from a peer, or undefined for a shape that has none. */
function safeHash(chain: Chain, tx: Tx): string | undefined {
  try {
    return txHashOf(chain.suite, tx);
  } catch {
    return undefined;
  }
}
