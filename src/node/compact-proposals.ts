/**
 * Compact proposals (docs/consensus.md#compact-proposals): a tbft proposal travels without its
 * block's txs and receipts. The validators already hold the txs in their mempools (clients' txs
 * are gossiped to every validator as they are admitted) and make the receipts themselves when
 * they execute the block. The proposal names each tx by a short id, the first SHORT_ID_HEX hex
 * digits of its hash, as Bitcoin's compact blocks do (BIP 152); a receiving node rebuilds the
 * block from its mempool and asks the sender only for the txs it lacks or cannot tell apart.
 * On a lossy WAN the bytes per link bound the commit rate: with the receipts, a 1,000-tx
 * proposal was about 375 KB of JSON and took seconds to cross a 100 ms, 5 %-loss link; its short
 * ids are 16 KB.
 *
 * Nothing here is trusted. The proposal's signature covers `value.hash`, not the payload; a
 * rebuilt block must hash to it and its txs must make the header's tx root, or the proposal is
 * dropped (as a lost message is), never judged invalid. Two pooled txs may share a short id (a
 * sender can grind one): such an id counts as missing, and a rebuilt block whose tx root is not
 * the header's (a pooled tx shared an id with one this node never saw) is fetched whole once.
 * The driver then validates it by re-execution, as it does a full one.
 */
import { fromHex, isJsonObject, toHex, type JsonValue } from '../codec/index.ts';
import type { Chain } from '../chain/index.ts';
import { hashFor } from '../crypto/index.ts';
import { headerHashOf, isProposal, merkleRoot, txHashOf, type Block, type BlockHeader, type Proposal, type Tx } from '../ledger/index.ts';
import type { TbftTrace } from '../consensus/index.ts';
import type { PeerNetwork } from '../net/index.ts';

/** The topic compact proposals and requests for their missing txs travel on. */
export const COMPACT_TOPIC = 'proposal';
/** Hex digits of a tx hash that name it in a compact proposal (8 bytes). */
export const SHORT_ID_HEX = 16;
/** Proposals this node sent whose txs it serves to peers that lack some: the last few heights' rounds. */
const SENT_KEPT = 16;
/** How long a receiver waits for its running admissions before it asks the sender for the txs it lacks. */
const ADMISSION_WAIT_MS = 150;
/** How long a receiver waits for the txs it lacks before it drops the proposal. */
const FETCH_TIMEOUT_MS = 3_000;
const HEX_RE = /^[0-9a-f]*$/;

type ProposalWithBlock = Proposal & { value: { hash: string; payload: Block } };

function hasTxs(p: Proposal): p is ProposalWithBlock {
  const b = p.value.payload as Partial<Block> | undefined;
  return isJsonObject(b) && Array.isArray(b.txs) && b.txs.length > 0;
}

export class CompactProposals {
  /** Blocks of proposals sent (with their short ids), by block hash, oldest first. */
  private readonly sent = new Map<string, { block: Block; ids: string }>();

  private readonly idHex: number;
  private readonly trace: TbftTrace | undefined;

  /** `idHex`: hex digits per short id, SHORT_ID_HEX on the wire; tests use fewer to make two txs share one. `trace`: the chain's tbft trace. */
  constructor(private readonly net: PeerNetwork, private readonly chain: Chain, opts: { idHex?: number; trace?: TbftTrace } = {}) {
    this.idHex = opts.idHex ?? SHORT_ID_HEX;
    this.trace = opts.trace;
  }

  /**
   * The form of `message` to send: a proposal whose block has txs goes compact on COMPACT_TOPIC
   * (its block remembered, to serve the txs a peer lacks); anything else unchanged.
   */
  outgoing(message: Proposal): { topic: string; body: JsonValue } | undefined {
    if (!hasTxs(message)) return undefined;
    const block = message.value.payload;
    // Hashed here rather than read from the receipts: a valid value re-proposed may be another
    // proposer's block, whose receipts were never checked (validation makes its own). Once per
    // block, not once per peer it goes to.
    const known = this.sent.get(block.hash);
    const ids = known?.block === block ? known.ids : block.txs.map((tx) => txHashOf(this.chain.suite, tx).slice(0, this.idHex)).join('');
    this.sent.delete(block.hash);
    this.sent.set(block.hash, { block, ids });
    while (this.sent.size > SENT_KEPT) this.sent.delete(this.sent.keys().next().value!);
    return { topic: COMPACT_TOPIC, body: { ...message, value: { hash: message.value.hash, payload: { ...block, txs: [], receipts: [], ids } } } as unknown as JsonValue };
  }

  /**
   * The full proposal a compact one stands for (its block without receipts), or undefined when
   * it is malformed, or the txs it lacks could not be fetched from its sender, or the block
   * rebuilt is not the one its hash names.
   */
  async rebuild(body: JsonValue, from: string): Promise<Proposal | undefined> {
    if (!isProposal(body) || body.chain !== this.chain.id) return undefined;
    const proposal: Proposal = body;
    const payload: unknown = proposal.value.payload;
    if (!isJsonObject(payload)) return undefined;
    const { ids, ...block } = payload;
    const header = block.header as unknown as BlockHeader;
    if (!Array.isArray(block.txs) || block.txs.length !== 0 || !Array.isArray(block.receipts) || block.receipts.length !== 0) return undefined;
    if (!isJsonObject(header) || typeof ids !== 'string' || !HEX_RE.test(ids)) return undefined;
    const n = ids.length / this.idHex;
    if (!Number.isInteger(n) || n === 0 || n > this.chain.genesis.params.maxBlockTxs || header.txCount !== n) return undefined;
    let headerHash: string;
    try {
      headerHash = headerHashOf(this.chain.suite, header);
    } catch {
      return undefined;
    }
    if (headerHash !== proposal.value.hash || block.hash !== headerHash) return undefined;
    const shortIds = Array.from({ length: n }, (_, i) => ids.slice(i * this.idHex, (i + 1) * this.idHex));
    let found = this.chain.pendingByShortIds(shortIds, this.idHex);
    const lacking = found.filter((f) => !f).length;
    this.trace?.('proposal-in', proposal.height, { round: proposal.round, txs: n, lacking, from });
    if (lacking > 0) {
      // A proposer gossips a client's txs as soon as they are admitted and may propose them right
      // after, so the proposal often arrives while this node is still checking those txs'
      // signatures: a few ms of waiting here saves a round trip to the proposer (about 190 ms at
      // p50 over a 100 ms, 5 %-loss link, measured).
      await this.chain.admissionsSettled(ADMISSION_WAIT_MS);
      found = this.chain.pendingByShortIds(shortIds, this.idHex);
    }
    const fetched = found.filter((f) => !f).length;
    const rooted = (txs: Array<{ tx: Tx; hash: string }> | undefined) => (txs && this.txRoot(txs.map((t) => t.hash)) === header.txRoot ? txs : undefined);
    const first = await this.fillMissing(proposal, from, shortIds, found);
    let txs = rooted(first);
    // A pooled tx that shares its short id with the block's (and was the only one this node
    // held) makes the tx root differ: ask for every tx once.
    const whole = first !== undefined && txs === undefined;
    if (whole) txs = rooted(await this.fillMissing(proposal, from, shortIds, shortIds.map(() => undefined)));
    this.trace?.('proposal-rebuilt', proposal.height, { round: proposal.round, ok: txs !== undefined, whole, fetched });
    if (!txs) return undefined;
    return { ...proposal, value: { hash: proposal.value.hash, payload: { ...block, txs: txs.map((t) => t.tx) as unknown as JsonValue[] } } };
  }

  /** `have`, with the txs it lacks fetched from the sender (each must bear its short id); undefined if they could not be. */
  private async fillMissing(proposal: Proposal, from: string, shortIds: string[], have: Array<{ tx: Tx; hash: string } | undefined>): Promise<Array<{ tx: Tx; hash: string }> | undefined> {
    const missing = have.flatMap((t, i) => (t ? [] : [i]));
    if (missing.length === 0) return have as Array<{ tx: Tx; hash: string }>;
    let answer: JsonValue;
    try {
      answer = await this.net.request(from, this.chain.id, COMPACT_TOPIC, { block: proposal.value.hash, txs: missing }, { timeoutMs: FETCH_TIMEOUT_MS });
    } catch {
      return undefined;
    }
    const got = isJsonObject(answer) && Array.isArray(answer.txs) ? answer.txs : [];
    if (got.length !== missing.length) return undefined;
    const out = have.slice();
    for (let k = 0; k < missing.length; k++) {
      const tx = got[k] as unknown as Tx;
      const i = missing[k]!;
      const hash = isJsonObject(tx) ? safeHash(this.chain, tx) : undefined;
      if (hash === undefined || hash.slice(0, this.idHex) !== shortIds[i]) return undefined;
      out[i] = { tx, hash };
    }
    return out as Array<{ tx: Tx; hash: string }>;
  }

  /** The tx root of a block with these tx hashes, as execution computes it (src/chain/execute.ts). */
  private txRoot(hashes: string[]): string {
    return toHex(merkleRoot(hashes.map((h) => fromHex(h)), hashFor(this.chain.suite)));
  }

  /** Serves the txs a peer lacks of a proposal this node sent. */
  serve(): () => void {
    return this.net.onRequest(this.chain.id, COMPACT_TOPIC, (body) => {
      const block = isJsonObject(body) && typeof body.block === 'string' ? this.sent.get(body.block)?.block : undefined;
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
