/**
 * Who may have a tx in a block of this chain: the sender's key by its DID document, and the
 * chain's admission policy, each judged against committed state at heights the block names
 * (Block.refs) — the same on every node, unlike each node's latest view (issue #13 item 10).
 */
import { fromHex } from '../../codec/index.ts';
import { didFromPublicKey } from '../../crypto/index.ts';
import type { Tx } from '../../ledger/index.ts';
import { NO_ALLIANCE, freezeKeysOf, frozenError, type AllianceView, type FreezeSubject } from '../../runtime/index.ts';
import { reach, stateAt, type AdmissionRule, type AllianceRule, type ReferenceChain, type Refs, type SenderAuthority, type StateAt, type Verdict } from '../refs.ts';

/** Refs generations whose passed senders are remembered, and senders remembered per generation. */
const PASSED_GENERATIONS = 4;
const PASSED_PER_GENERATION = 50_000;

export class Gate {
  /** Ids of the chains whose state is consulted (the keys a block's refs may name). */
  readonly consulted: ReadonlySet<string>;
  private readonly sources: ReferenceChain[];
  /** Whether a verdict also reads this chain's own head (the identity or governance chain judging itself). */
  private readonly readsSelf: boolean;
  /**
   * (sender, key) pairs that passed at given refs, by refs: a verdict is a function of committed
   * state at the heights it reads, which never changes, so a pass holds for those refs
   * (issue #20: a sender's txs are judged once per refs, not once per batch and again per block).
   */
  private readonly passed = new Map<string, Set<string>>();

  constructor(
    /** The chain being judged: the identity chain judges its own senders at its parent state. */
    private readonly self: ReferenceChain,
    private readonly authority: SenderAuthority | undefined,
    private readonly rule: AdmissionRule | undefined,
    private readonly alliance?: AllianceRule,
  ) {
    const sources = new Map<string, ReferenceChain>();
    if (authority?.source) sources.set(authority.source.id, authority.source);
    if (rule) sources.set(rule.source.id, rule.source);
    if (alliance?.source) sources.set(alliance.source.id, alliance.source);
    if (rule?.identity) sources.set(rule.identity.id, rule.identity);
    this.sources = [...sources.values()];
    this.consulted = new Set(sources.keys());
    this.readsSelf = (authority !== undefined && !authority.source) || (alliance !== undefined && !alliance.source);
  }

  /** Refs a new block names: each consulted chain's latest height here, never below the parent's. */
  latest(parent: Refs): Refs {
    const out: Refs = { ...parent };
    for (const s of this.sources) {
      const h = s.height();
      if (h >= 0 || out[s.id] !== undefined) out[s.id] = Math.max(out[s.id] ?? 0, h);
    }
    return out;
  }

  /** Waits up to `ms` for this node to hold every height `refs` names; false if it does not. */
  async available(refs: Refs, ms: number): Promise<string | undefined> {
    for (const s of this.sources) {
      const h = refs[s.id];
      if (h !== undefined && !(await reach(s, h, ms))) return `height ${h} of chain ${s.id}, which this node has not reached (it is at ${s.height()})`;
    }
    return undefined;
  }

  /**
   * Whether `tx` may be in a block judged at `refs` (the identity chain: at its own head, which
   * is the block's parent). `selfCertified` is known from admission; computed when not.
   * Verdicts are cached per sender and key in `cache` (one per block or batch).
   */
  judge(tx: Tx, selfCertified: boolean | undefined, refs: Refs, cache: Map<string, Verdict>): Verdict {
    const key = `${tx.from}\n${tx.pubkey}`;
    let v = cache.get(key);
    if (!v) {
      const gen = this.generation(refs);
      const passed = gen === undefined ? undefined : this.passed.get(gen);
      if (passed?.has(key)) {
        v = { ok: true };
      } else {
        v = this.judgeSender(tx, selfCertified, refs);
        if (v.ok && this.rule) v = this.judgeAdmission(tx.from, refs, this.rule);
        if (v.ok && this.alliance) v = this.judgeFrozen(tx.from, refs, this.alliance);
        if (v.ok && gen !== undefined) this.remember(gen, key);
      }
      cache.set(key, v);
    }
    return v;
  }

  /**
   * The heights a verdict at `refs` reads, as a key; undefined while this node lacks one of them
   * (a verdict then may read less than it will later, so it is not remembered).
   */
  private generation(refs: Refs): string | undefined {
    let gen = this.readsSelf ? `@${this.self.height()}` : '';
    for (const s of this.sources) {
      const h = refs[s.id];
      if (h === undefined) continue;
      if (h > s.height()) return undefined;
      gen += `|${s.id}:${h}`;
    }
    return gen;
  }

  private remember(gen: string, key: string): void {
    let set = this.passed.get(gen);
    if (!set) {
      if (this.passed.size >= PASSED_GENERATIONS) this.passed.delete(this.passed.keys().next().value!);
      this.passed.set(gen, (set = new Set()));
    }
    if (set.size < PASSED_PER_GENERATION) set.add(key);
  }

  private judgeSender(tx: Tx, selfCertified: boolean | undefined, refs: Refs): Verdict {
    if (!this.authority) {
      const self = selfCertified ?? didFromPublicKey(fromHex(tx.pubkey)) === tx.from;
      return self ? { ok: true } : { ok: false, code: 'TX_BAD_SENDER', message: `from ${tx.from} is not the DID of the signing key, and this chain checks no DID documents` };
    }
    const source = this.authority.source ?? this.self;
    const height = this.authority.source ? refs[source.id] : this.self.height();
    if (height === undefined || height > source.height()) {
      return { ok: false, code: 'TX_BAD_SENDER', message: `the DID document of ${tx.from} cannot be judged: identity chain ${source.id} is ${height === undefined ? 'not named' : `not at height ${height} yet`} here` };
    }
    return this.authority.judge(stateAt(source, height), tx.from, tx.pubkey);
  }

  /** The governance state a block at `refs` reads (the governance chain itself: its head, the block's parent). */
  private allianceState(refs: Refs, rule: AllianceRule): StateAt | string {
    const source = rule.source ?? this.self;
    const height = rule.source ? refs[source.id] : this.self.height();
    if (height === undefined || height > source.height()) {
      return `governance chain ${source.id} is ${height === undefined ? 'not named' : `not at height ${height} yet`} here`;
    }
    return stateAt(source, height);
  }

  /**
   * The sender checks that do not need a key (a simulation has no signature): the chain's
   * admission policy and the alliance's freezes, at `refs` (src/sandbox risk reports).
   */
  judgeParty(did: string, refs: Refs): Verdict {
    let v: Verdict = { ok: true };
    if (this.rule) v = this.judgeAdmission(did, refs, this.rule);
    if (v.ok && this.alliance) v = this.judgeFrozen(did, refs, this.alliance);
    return v;
  }

  /**
   * The chain's access rules for `tx`'s call at `refs` (docs/permissions.md), checked when a tx is
   * submitted. Not when a block is made or validated: execution judges the call again at the
   * block's refs and fails it with ACCESS_DENIED, so a rule changed while the tx waited applies.
   */
  judgeAccess(tx: Tx, refs: Refs, named: FreezeSubject[] = []): Verdict {
    const view = this.allianceView(refs);
    const why = view.accessRefusal(tx.module, tx.method, tx.from);
    if (why !== undefined) return { ok: false, code: 'TX_ACCESS_DENIED', message: why };
    // Parties the call names (an EVM contract): refused now rather than failed by its block.
    for (const s of named) {
      for (const k of freezeKeysOf(this.self.id, s)) {
        const f = view.frozen(k);
        if (f) return { ok: false, code: 'TX_FROZEN', message: `${frozenError(s, f).message} (governance height ${view.govHeight})` };
      }
    }
    return { ok: true };
  }

  /** Freezes and approvals as a given governance state says (a fork of the governance chain). */
  allianceOver(state: StateAt): AllianceView {
    return this.alliance ? this.alliance.view(state) : NO_ALLIANCE;
  }

  /** Whether this chain reads freezes from another chain (`source`), and which; undefined: itself or none. */
  get allianceSource(): string | undefined {
    return this.alliance?.source?.id;
  }

  private judgeFrozen(did: string, refs: Refs, rule: AllianceRule): Verdict {
    const state = this.allianceState(refs, rule);
    if (typeof state === 'string') return { ok: false, code: 'TX_NOT_ADMITTED', message: `whether ${did} is frozen cannot be judged: ${state}` };
    return rule.judge(state, did);
  }

  /**
   * Freezes and template approvals for executing a block at `refs` (the same heights its
   * senders were judged at). Nothing when the chain follows no governance chain, or before it
   * names one (a chain's first blocks, before governance exists).
   */
  allianceView(refs: Refs): AllianceView {
    if (!this.alliance) return NO_ALLIANCE;
    const state = this.allianceState(refs, this.alliance);
    return typeof state === 'string' ? NO_ALLIANCE : this.alliance.view(state);
  }

  private judgeAdmission(did: string, refs: Refs, rule: AdmissionRule): Verdict {
    const height = refs[rule.source.id];
    if (height === undefined || height > rule.source.height()) {
      return { ok: false, code: 'TX_NOT_ADMITTED', message: `the admission policy cannot be judged: governance chain ${rule.source.id} is ${height === undefined ? 'not named' : `not at height ${height} yet`} here` };
    }
    let identity: StateAt | undefined;
    if (rule.identity) {
      const h = refs[rule.identity.id];
      if (h !== undefined && h <= rule.identity.height()) identity = stateAt(rule.identity, h);
    }
    const v = rule.judge(stateAt(rule.source, height), did, identity);
    return v.ok ? v : { ok: false, code: 'TX_NOT_ADMITTED', message: v.message };
  }
}
