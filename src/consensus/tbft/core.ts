/**
 * The tbft consensus core: Algorithm 1 of "The latest gossip on BFT consensus" (Buchman, Kwon,
 * Milosevic 2018) as a pure, deterministic state machine. No I/O, no clock, no randomness: every
 * input is a method call (start, receive, timeout, proposalValue, validated) that returns the
 * actions to perform, in order. Signing goes through the injected Signer, checking through the
 * injected VerifyFn, and the WAL is written synchronously before any signed message is returned.
 * Comments "Ln" refer to the lines of Algorithm 1.
 */
import { ShulianError } from '../../codec/index.ts';
import type { ValidatorInfo } from '../../ledger/index.ts';
import { isTbftMessage, signProposal, signVote, verifyCommit, verifyProposalSig, verifyVoteSig } from './messages.ts';
import { ProposerSchedule } from './proposer.ts';
import { walEntryHeight } from './wal.ts';
import type {
  Commit, ConsensusValue, Decision, Evidence, Proposal, Step, TbftAction, TbftMessage, TbftOptions, TbftStatus, TimeoutConfig,
  TimeoutKind, ValidationResult, Vote, VoteType, WalEntry,
} from './types.ts';

/** CometBFT's defaults: propose 3 s, prevote and precommit 1 s, +0.5 s per round; 1 s between heights. */
export const DEFAULT_TIMEOUTS: Readonly<TimeoutConfig> = {
  proposeMs: 3000, proposeDeltaMs: 500,
  prevoteMs: 1000, prevoteDeltaMs: 500,
  precommitMs: 1000, precommitDeltaMs: 500,
  commitMs: 1000,
  rebroadcastMs: 2000,
};

/**
 * Votes of one (height, round, type). A validator's power counts once in the "any value" total
 * (its first vote) and at most once per value: a second, conflicting vote (equivocation) also
 * counts for its own value, as every message in the paper's message log does, but only when it
 * is for nil or a proposed value, so a Byzantine validator cannot fill memory with junk.
 */
class VoteSet {
  /** The first vote of each validator. */
  readonly votes = new Map<string, Vote>();
  private readonly conflicting = new Map<string, Map<string | null, Vote>>();
  private readonly byValue = new Map<string | null, number>();
  /** Voting power of all validators that voted, whatever for. */
  total = 0;

  add(vote: Vote, power: number): void {
    this.votes.set(vote.validator, vote);
    this.byValue.set(vote.value, (this.byValue.get(vote.value) ?? 0) + power);
    this.total += power;
  }

  /** Whether `validator` already counts for `value`. */
  counts(validator: string, value: string | null): boolean {
    return this.votes.get(validator)?.value === value || (this.conflicting.get(validator)?.has(value) ?? false);
  }

  addConflicting(vote: Vote, power: number): void {
    let m = this.conflicting.get(vote.validator);
    if (!m) this.conflicting.set(vote.validator, (m = new Map()));
    m.set(vote.value, vote);
    this.byValue.set(vote.value, (this.byValue.get(vote.value) ?? 0) + power);
  }

  power(value: string | null): number {
    return this.byValue.get(value) ?? 0;
  }

  /** Every counted vote for `value`, one per validator, ordered by validator DID. */
  votesFor(value: string | null): Vote[] {
    const out: Vote[] = [];
    for (const v of this.votes.values()) if (v.value === value) out.push(v);
    for (const m of this.conflicting.values()) {
      const v = m.get(value);
      if (v) out.push(v);
    }
    return out.sort((a, b) => (a.validator < b.validator ? -1 : a.validator > b.validator ? 1 : 0));
  }

  /** The value (a hash, or null for nil) holding more than 2/3 of `of`; undefined if none does. */
  majority(of: number): string | null | undefined {
    for (const [value, p] of this.byValue) if (p * 3 > of * 2) return value;
    return undefined;
  }
}

interface RoundState {
  /** Signed proposals of proposer(h, r), by value hash (several only if it equivocated). */
  proposals: Map<string, Proposal>;
  prevotes: VoteSet;
  precommits: VoteSet;
  /** "for the first time" flags of L34, L47 and L36. */
  prevoteWait: boolean;
  precommitWait: boolean;
  lockDone: boolean;
}

interface ValueEntry {
  value: ConsensusValue;
  status: 'pending' | 'valid' | 'invalid';
}

interface SetView {
  list: readonly ValidatorInfo[];
  byDid: Map<string, ValidatorInfo>;
  total: number;
  schedule: ProposerSchedule;
}

export class TbftCore {
  readonly chainId: string;
  private readonly t: TimeoutConfig;
  private readonly keepDecisions: number;
  private readonly maxRoundsAhead: number;
  private readonly maxProposals: number;
  private readonly maxBuffered: number;
  private readonly schedules = new Map<string, ProposerSchedule>();
  private out: TbftAction[] = [];
  private started = false;

  // h_p, round_p, step_p, lockedValue_p, lockedRound_p, validValue_p, validRound_p (L2–L9)
  private height = 0;
  private round = 0;
  private step: Step = 'propose';
  private decided = false;
  private lockedValue: ConsensusValue | null = null;
  private lockedRound = -1;
  private validValue: ConsensusValue | null = null;
  private validRound = -1;

  // the message log of the current height
  private set!: SetView;
  private rounds = new Map<number, RoundState>();
  private maxRoundOf = new Map<string, number>();
  private skipTo = 0;
  private values = new Map<string, ValueEntry>();
  /** Hashes proposed at this height by the rightful proposers. */
  private proposed = new Set<string>();
  private ownVotes = new Map<string, Vote>();
  private ownProposals = new Map<number, Proposal>();
  private requested = new Set<number>();
  private external: Commit | null = null;
  private evidenceSeen = new Set<string>();
  private replied = new Set<string>();
  /** (peer, height) answered with a decision without its block (replyDecision); kept across rebroadcast periods. */
  private readonly answeredLight = new Set<string>();

  private buffered: TbftMessage[] = [];
  private readonly decisions = new Map<number, Decision>();
  private readonly walByHeight = new Map<number, WalEntry[]>();

  constructor(private readonly opts: TbftOptions) {
    this.chainId = opts.chainId;
    this.t = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.keepDecisions = opts.keepDecisions ?? 64;
    this.maxRoundsAhead = opts.maxRoundsAhead ?? 8;
    this.maxProposals = opts.maxProposalsPerRound ?? 4;
    this.maxBuffered = opts.maxBuffered ?? 4096;
    for (const e of opts.wal.entries()) {
      const h = walEntryHeight(e);
      let list = this.walByHeight.get(h);
      if (!list) this.walByHeight.set(h, (list = []));
      list.push(e);
    }
  }

  // ---------------------------------------------------------------- inputs

  /** Starts (or, after a restart, resumes from the WAL) at `height`: the first undecided height. */
  start(height: number): TbftAction[] {
    if (this.started) throw new ShulianError('TBFT_STARTED', 'the tbft core is already started');
    if (!Number.isSafeInteger(height) || height < 0) throw new ShulianError('BAD_ARGUMENT', `bad start height ${height}`);
    this.started = true;
    for (const h of [...this.walByHeight.keys()]) if (h < height) this.walByHeight.delete(h);
    this.enterHeight(height); // L10
    return this.flush();
  }

  /** A message from the network. `from` names the peer for replies (default: the message's author). */
  receive(message: TbftMessage, from?: string): TbftAction[] {
    if (!this.started || !isTbftMessage(message) || message.chain !== this.chainId) return [];
    this.handle(message, from);
    return this.flush();
  }

  timeout(kind: TimeoutKind, height: number, round: number): TbftAction[] {
    if (!this.started) return [];
    const now = height === this.height && !this.decided;
    switch (kind) {
      case 'propose': // L57–L60
        if (now && round === this.round && this.step === 'propose') {
          this.castVote('prevote', null);
          this.step = 'prevote';
        }
        break;
      case 'prevote': // L61–L64
        if (now && round === this.round && this.step === 'prevote') {
          this.castVote('precommit', null);
          this.step = 'precommit';
        }
        break;
      case 'precommit': // L65–L67
        if (now && round === this.round) this.startRound(this.round + 1);
        break;
      case 'commit':
        if (height === this.height && this.decided) this.enterHeight(height + 1);
        break;
      case 'rebroadcast':
        if (now) {
          this.rebroadcast();
          this.schedule('rebroadcast', this.round, this.t.rebroadcastMs);
        }
        break;
    }
    return this.flush();
  }

  /** The app's answer to `requestProposal`: the value this validator proposes (getValue(), L18). */
  proposalValue(height: number, round: number, value: ConsensusValue): TbftAction[] {
    if (this.started && height === this.height && round === this.round && !this.decided && this.step === 'propose'
      && this.canSign() && this.set.schedule.proposer(height, round) === this.opts.signer!.did
      && !this.ownProposals.has(round) && this.validValue === null) {
      this.propose(value, -1);
    }
    return this.flush();
  }

  /** The app's answer to `validate`: valid(v) of the paper. */
  validated(height: number, hash: string, result: ValidationResult): TbftAction[] {
    if (this.started && height === this.height) {
      const e = this.values.get(hash);
      if (e && e.status === 'pending') {
        if (result === 'mismatch') this.values.delete(hash); // that copy lied about its hash; await another
        else e.status = result === 'valid' ? 'valid' : 'invalid';
      }
    }
    return this.flush();
  }

  status(): TbftStatus {
    return {
      height: this.height, round: this.round, step: this.step, decided: this.decided,
      lockedRound: this.lockedRound, lockedHash: this.lockedValue?.hash ?? null,
      validRound: this.validRound, validHash: this.validValue?.hash ?? null,
    };
  }

  /** proposer(h, r) over validatorsAt(h). */
  proposer(height: number, round: number): string {
    return this.viewFor(height).schedule.proposer(height, round);
  }

  // ---------------------------------------------------------------- heights and rounds

  private enterHeight(h: number): void {
    // L52–L53: next height, locks and the message log reset.
    this.height = h;
    this.round = 0;
    this.step = 'propose';
    this.decided = false;
    this.lockedValue = null;
    this.lockedRound = -1;
    this.validValue = null;
    this.validRound = -1;
    this.rounds = new Map();
    this.maxRoundOf = new Map();
    this.skipTo = 0;
    this.values = new Map();
    this.proposed = new Set();
    this.ownVotes = new Map();
    this.ownProposals = new Map();
    this.requested = new Set();
    this.external = null;
    this.evidenceSeen = new Set();
    this.replied = new Set();
    this.set = this.viewFor(h);
    // After a restart: take back what this validator signed at h, and its lock.
    let resume = 0;
    for (const e of this.walByHeight.get(h) ?? []) resume = Math.max(resume, this.restore(e));
    this.schedule('rebroadcast', 0, this.t.rebroadcastMs);
    this.startRound(resume); // L54
    const buffered = this.buffered;
    this.buffered = [];
    for (const m of buffered) this.handle(m, undefined);
  }

  private restore(e: WalEntry): number {
    if (e.kind === 'proposal') {
      const p = e.proposal;
      this.ownProposals.set(p.round, p);
      this.roundState(p.round).proposals.set(p.value.hash, p);
      this.proposed.add(p.value.hash);
      this.values.set(p.value.hash, { value: p.value, status: 'valid' });
      return p.round;
    }
    if (e.kind === 'vote') {
      const v = e.vote;
      this.ownVotes.set(`${v.round}/${v.type}`, v);
      const me = this.set.byDid.get(v.validator);
      const vs = this.voteSet(v.round, v.type);
      if (me && !vs.votes.has(v.validator)) vs.add(v, me.power);
      if (e.lock) {
        this.values.set(e.lock.hash, { value: e.lock, status: 'valid' });
        if (v.round > this.lockedRound) [this.lockedValue, this.lockedRound] = [e.lock, v.round];
        if (v.round > this.validRound) [this.validValue, this.validRound] = [e.lock, v.round];
      }
      return v.round;
    }
    this.values.set(e.value.hash, { value: e.value, status: 'valid' });
    if (e.round > this.validRound) [this.validValue, this.validRound] = [e.value, e.round];
    return e.round;
  }

  /** L11–L21. */
  private startRound(r: number): void {
    this.round = r;
    this.step = 'propose';
    this.roundState(r);
    // L21 schedules this only on the other validators; on the proposer it is harmless (L58 needs step = propose).
    this.schedule('propose', r, this.t.proposeMs + this.t.proposeDeltaMs * r);
    if (this.canSign() && this.set.schedule.proposer(this.height, r) === this.opts.signer!.did) { // L14
      const mine = this.ownProposals.get(r);
      if (mine) this.broadcast(mine); // signed before a restart: the same proposal again, never another
      else if (this.validValue) this.propose(this.validValue, this.validRound); // L15–L16, L19
      else if (!this.requested.has(r)) { // L18: getValue() is asked of the app
        this.requested.add(r);
        this.out.push({ type: 'requestProposal', height: this.height, round: r });
      }
    }
    // After a restart, resume the step this validator had reached in this round.
    const pv = this.ownVotes.get(`${r}/prevote`);
    const pc = this.ownVotes.get(`${r}/precommit`);
    if (pv) {
      this.step = 'prevote';
      this.broadcast(pv);
    }
    if (pc) {
      this.step = 'precommit';
      this.broadcast(pc);
    }
  }

  private propose(value: ConsensusValue, validRound: number): void {
    const p = signProposal(this.opts.signer!, this.chainId, this.height, this.round, value, validRound);
    this.opts.wal.append({ kind: 'proposal', proposal: p }); // durable before it can leave
    this.ownProposals.set(this.round, p);
    this.roundState(this.round).proposals.set(value.hash, p);
    this.proposed.add(value.hash);
    this.values.set(value.hash, { value, status: 'valid' });
    this.broadcast(p); // L19
    if (validRound >= 0) this.relayPolka(validRound, value.hash); // so that L28 holds for every receiver
  }

  /**
   * Signs, logs and broadcasts this validator's vote for (height, round, type) — or, if it already
   * signed one (before a restart), broadcasts that one again: never two different votes.
   */
  private castVote(type: VoteType, value: string | null, lock?: ConsensusValue): Vote | null {
    const key = `${this.round}/${type}`;
    const existing = this.ownVotes.get(key);
    if (existing) {
      this.broadcast(existing);
      return existing;
    }
    if (!this.canSign()) return null;
    const vote = signVote(this.opts.signer!, this.chainId, type, this.height, this.round, value);
    this.opts.wal.append(lock ? { kind: 'vote', vote, lock } : { kind: 'vote', vote }); // durable before it can leave
    this.ownVotes.set(key, vote);
    this.voteSet(this.round, type).add(vote, this.set.byDid.get(vote.validator)!.power);
    this.noteRound(vote.validator, this.round);
    this.broadcast(vote);
    return vote;
  }

  private decide(value: ConsensusValue, commit: Commit): void {
    // L49–L51: decision_p[h_p] = v
    this.decided = true;
    const d: Decision = { type: 'decision', chain: this.chainId, height: this.height, value, commit };
    this.decisions.set(this.height, d);
    while (this.decisions.size > this.keepDecisions) this.decisions.delete(this.decisions.keys().next().value as number);
    this.walByHeight.delete(this.height);
    this.out.push({ type: 'decide', height: this.height, round: commit.round, value, commit });
    if (this.t.commitMs > 0) this.schedule('commit', commit.round, this.t.commitMs);
    else this.enterHeight(this.height + 1); // L52–L54
  }

  // ---------------------------------------------------------------- messages

  private handle(m: TbftMessage, from: string | undefined): void {
    if (m.height > this.height) {
      if (m.height === this.height + 1 && this.buffered.length < this.maxBuffered) this.buffered.push(m);
      return;
    }
    if (m.type === 'decision') return this.onDecision(m);
    if (m.height < this.height) return this.replyDecision(m, from);
    if (this.decided) return;
    if (m.type === 'proposal') this.onProposal(m);
    else this.onVote(m);
  }

  private onProposal(p: Proposal): void {
    const val = this.set.byDid.get(p.proposer);
    if (!val || this.set.schedule.proposer(this.height, p.round) !== p.proposer) return; // only from proposer(h, r)
    if (p.round > this.round + this.maxRoundsAhead) {
      if (verifyProposalSig(p, val.publicKey, this.opts.verify)) this.noteRound(p.proposer, p.round);
      return;
    }
    const rs = this.roundState(p.round);
    const same = rs.proposals.get(p.value.hash);
    if (same && same.validRound === p.validRound) { // a copy: it may bring the payload we still need
      if (p.value.payload !== undefined) this.noteValue(p.value);
      return;
    }
    if (!verifyProposalSig(p, val.publicKey, this.opts.verify)) return;
    const first = rs.proposals.values().next().value;
    if (first) this.evidence('p', p.proposer, p.round, 'proposal', () => ({
      type: 'duplicate-proposal', validator: p.proposer, height: p.height, round: p.round,
      a: { ...first, value: { hash: first.value.hash } }, b: { ...p, value: { hash: p.value.hash } },
    }));
    if (same || rs.proposals.size >= this.maxProposals) return;
    rs.proposals.set(p.value.hash, p);
    this.proposed.add(p.value.hash);
    this.noteRound(p.proposer, p.round);
    if (p.value.payload !== undefined) this.noteValue(p.value); // without one it is a relayed header
  }

  private onVote(v: Vote): void {
    const val = this.set.byDid.get(v.validator);
    if (!val) return;
    if (v.round > this.round + this.maxRoundsAhead) {
      if (verifyVoteSig(v, val.publicKey, this.opts.verify)) this.noteRound(v.validator, v.round);
      return;
    }
    const vs = this.voteSet(v.round, v.type);
    if (vs.counts(v.validator, v.value)) return; // a copy
    if (!verifyVoteSig(v, val.publicKey, this.opts.verify)) return; // forged or wrong key: dropped
    const prev = vs.votes.get(v.validator);
    if (prev) { // equivocation: recorded; counts for its value, never twice in a tally, and only if that value was proposed
      this.evidence('v', v.validator, v.round, v.type, () => ({
        type: 'duplicate-vote', validator: v.validator, height: v.height, round: v.round, voteType: v.type, a: prev, b: v,
      }));
      if (v.value === null || this.proposed.has(v.value)) vs.addConflicting(v, val.power);
      return;
    }
    vs.add(v, val.power);
    this.noteRound(v.validator, v.round);
  }

  private onDecision(d: Decision): void {
    if (d.height < this.height || this.decided) return;
    if (this.external) {
      if (d.value.hash === this.external.blockHash) this.noteValue(d.value);
      return;
    }
    if (d.value.hash !== d.commit.blockHash || d.commit.height !== this.height) return;
    if (!verifyCommit(d.commit, this.set.list, this.chainId, this.opts.verify).ok) return;
    this.external = d.commit;
    this.noteValue(d.value);
  }

  private replyDecision(m: Proposal | Vote, from: string | undefined): void {
    const to = from ?? (m.type === 'proposal' ? m.proposer : m.validator);
    const key = `${to}\n${m.height}`;
    if (this.replied.has(key)) return; // at most once per peer and height per rebroadcast period
    if (this.replied.size >= 4096) this.replied.clear();
    let d = this.decisions.get(m.height) ?? this.storedDecision(m.height);
    if (!d) return;
    this.replied.add(key);
    // The usual reason to answer is a precommit that came after the quorum, from a peer that is
    // deciding too. Having precommitted the value, the peer validated it and holds the block, so
    // the first answer is the commit alone (a block of a few hundred txs is tens of KB on a lossy
    // link, queued ahead of the next height's votes). Should the peer send again (it restarted
    // without the block: its validate finds no payload), the answer carries the block.
    if (m.type === 'precommit' && m.value === d.value.hash && !this.answeredLight.has(key)) {
      if (this.answeredLight.size >= 4096) this.answeredLight.clear();
      this.answeredLight.add(key);
      this.out.push({ type: 'send', to, message: { ...d, value: { hash: d.value.hash } } });
      return;
    }
    // This node may have decided from a commit alone: the block is then in the app's store.
    if (d.value.payload === undefined) d = this.storedDecision(m.height) ?? d;
    this.out.push({ type: 'send', to, message: d });
  }

  /** A decided height as the app stored it (decisionAt), when it does. */
  private storedDecision(height: number): Decision | undefined {
    const stored = this.opts.decisionAt?.(height);
    return stored && { type: 'decision', chain: this.chainId, height, value: stored.value, commit: stored.commit };
  }

  private noteValue(value: ConsensusValue): void {
    if (this.values.has(value.hash)) return;
    this.values.set(value.hash, { value, status: 'pending' });
    this.out.push({ type: 'validate', height: this.height, value });
  }

  /** Tracks the highest round each validator has shown at this height, for L55. */
  private noteRound(did: string, r: number): void {
    if ((this.maxRoundOf.get(did) ?? -1) >= r) return;
    this.maxRoundOf.set(did, r);
    // The highest r such that validators with more than 1/3 of the power are at round r or later.
    const rounds = [...this.maxRoundOf].map(([d, mr]) => [mr, this.set.byDid.get(d)?.power ?? 0] as const).sort((a, b) => b[0] - a[0]);
    let acc = 0;
    for (const [mr, p] of rounds) {
      acc += p;
      if (acc * 3 > this.set.total) {
        this.skipTo = Math.max(this.skipTo, mr);
        break;
      }
    }
  }

  private evidence(kind: string, validator: string, round: number, type: string, make: () => Evidence): void {
    const key = `${kind}\n${validator}\n${round}\n${type}`;
    if (this.evidenceSeen.has(key)) return;
    this.evidenceSeen.add(key);
    this.out.push({ type: 'recordEvidence', evidence: make() });
  }

  // ---------------------------------------------------------------- upon rules

  private process(): void {
    for (let i = 0; i < 100_000; i++) {
      if (this.decided) return;
      if (!(this.ruleDecide() || this.ruleSkipRound() || this.ruleProposal() || this.rulePrevoteWait()
        || this.ruleLock() || this.ruleNilPolka() || this.rulePrecommitWait())) return;
    }
    throw new ShulianError('TBFT_LOOP', 'tbft rules did not settle');
  }

  /**
   * L49: 2f+1 precommits for id(v) in some round r, v known and valid → decide. The paper also
   * asks for round r's proposal; knowing v from any proposal (or from a verified commit sent by a
   * peer) is enough, since only one value can gather 2f+1 precommits at a height.
   */
  private ruleDecide(): boolean {
    if (this.external) {
      const e = this.values.get(this.external.blockHash);
      if (e?.status === 'valid') {
        this.decide(e.value, this.external);
        return true;
      }
    }
    for (const [r, rs] of this.rounds) {
      const hash = rs.precommits.majority(this.set.total);
      if (typeof hash !== 'string') continue;
      const e = this.values.get(hash);
      if (e?.status !== 'valid') continue; // L50: valid(v)
      const signatures = rs.precommits.votesFor(hash).map((v) => ({ validator: v.validator, sig: v.sig }));
      this.decide(e.value, { chain: this.chainId, height: this.height, round: r, blockHash: hash, signatures });
      return true;
    }
    return false;
  }

  /** L55–L56: f+1 messages of a higher round → skip to it (any round ≥ r from each of them counts). */
  private ruleSkipRound(): boolean {
    if (this.skipTo <= this.round) return false;
    this.startRound(this.skipTo);
    return true;
  }

  /** L22–L27 and L28–L33, on the proposals of the current round. */
  private ruleProposal(): boolean {
    if (this.step !== 'propose') return false;
    const rs = this.rounds.get(this.round);
    if (!rs) return false;
    for (const p of rs.proposals.values()) {
      const hash = p.value.hash;
      const e = this.values.get(hash);
      if (!e || e.status === 'pending') continue; // valid(v) not known yet
      const valid = e.status === 'valid';
      let accept: boolean;
      if (p.validRound === -1) { // L22
        accept = valid && (this.lockedRound === -1 || this.lockedValue?.hash === hash); // L23
      } else if (p.validRound < this.round) { // L28: needs 2f+1 prevotes for id(v) in round vr
        const vr = this.rounds.get(p.validRound);
        if (!vr || vr.prevotes.power(hash) * 3 <= this.set.total * 2) continue;
        accept = valid && (this.lockedRound <= p.validRound || this.lockedValue?.hash === hash); // L29
      } else continue;
      this.castVote('prevote', accept ? hash : null); // L24/L26, L30/L32
      this.step = 'prevote'; // L27, L33
      return true;
    }
    return false;
  }

  /** L34–L35: 2f+1 prevotes of any kind in step prevote, for the first time. */
  private rulePrevoteWait(): boolean {
    const rs = this.rounds.get(this.round);
    if (this.step !== 'prevote' || !rs || rs.prevoteWait || rs.prevotes.total * 3 <= this.set.total * 2) return false;
    rs.prevoteWait = true;
    this.schedule('prevote', this.round, this.t.prevoteMs + this.t.prevoteDeltaMs * this.round);
    return true;
  }

  /** L36–L43: the proposal and 2f+1 prevotes for id(v), valid(v), step ≥ prevote, for the first time. */
  private ruleLock(): boolean {
    if (this.step === 'propose') return false;
    const rs = this.rounds.get(this.round);
    if (!rs || rs.lockDone) return false;
    const hash = rs.prevotes.majority(this.set.total);
    if (typeof hash !== 'string' || !rs.proposals.has(hash)) return false;
    const e = this.values.get(hash);
    if (e?.status !== 'valid') return false;
    rs.lockDone = true;
    let logged = false;
    if (this.step === 'prevote') { // L37
      const fresh = !this.ownVotes.has(`${this.round}/precommit`);
      const v = this.castVote('precommit', hash, e.value); // L40 (the WAL record carries the lock)
      if (!v || v.value === hash) [this.lockedValue, this.lockedRound] = [e.value, this.round]; // L38–L39
      logged = fresh && v !== null;
      this.step = 'precommit'; // L41
    }
    [this.validValue, this.validRound] = [e.value, this.round]; // L42–L43
    if (!logged && this.canSign()) this.opts.wal.append({ kind: 'valid', height: this.height, round: this.round, value: e.value });
    return true;
  }

  /** L44–L46: 2f+1 prevotes for nil in step prevote. */
  private ruleNilPolka(): boolean {
    const rs = this.rounds.get(this.round);
    if (this.step !== 'prevote' || !rs || rs.prevotes.power(null) * 3 <= this.set.total * 2) return false;
    this.castVote('precommit', null);
    this.step = 'precommit';
    return true;
  }

  /** L47–L48: 2f+1 precommits of any kind, for the first time. */
  private rulePrecommitWait(): boolean {
    const rs = this.rounds.get(this.round);
    if (!rs || rs.precommitWait || rs.precommits.total * 3 <= this.set.total * 2) return false;
    rs.precommitWait = true;
    this.schedule('precommit', this.round, this.t.precommitMs + this.t.precommitDeltaMs * this.round);
    return true;
  }

  // ---------------------------------------------------------------- helpers

  private rebroadcast(): void {
    this.replied.clear();
    const mine = this.ownProposals.get(this.round);
    if (mine) this.broadcast(mine);
    // Relay others' signed proposals of this round as headers (no payload): cheap, and a proposer
    // that sent different proposals to different peers is then caught (duplicate-proposal evidence).
    for (const p of this.rounds.get(this.round)?.proposals.values() ?? []) {
      if (p !== mine) this.broadcast({ ...p, value: { hash: p.value.hash } });
    }
    for (const v of this.ownVotes.values()) this.broadcast(v);
    // Relay the polka behind validValue: a proposer of it with validRound needs every correct
    // validator to hold these prevotes (L28), and Byzantine voters may have shown them to few.
    if (this.validValue && this.validRound >= 0) this.relayPolka(this.validRound, this.validValue.hash);
  }

  /** The 2f+1 prevotes for `hash` in round `r` that this validator holds (others' too: gossip). */
  private relayPolka(r: number, hash: string): void {
    const me = this.opts.signer?.did;
    for (const v of this.rounds.get(r)?.prevotes.votesFor(hash) ?? []) if (v.validator !== me) this.broadcast(v);
  }

  private canSign(): boolean {
    const s = this.opts.signer;
    return s !== undefined && this.set.byDid.has(s.did);
  }

  private roundState(r: number): RoundState {
    let rs = this.rounds.get(r);
    if (!rs) {
      rs = { proposals: new Map(), prevotes: new VoteSet(), precommits: new VoteSet(), prevoteWait: false, precommitWait: false, lockDone: false };
      this.rounds.set(r, rs);
    }
    return rs;
  }

  private voteSet(r: number, type: VoteType): VoteSet {
    const rs = this.roundState(r);
    return type === 'prevote' ? rs.prevotes : rs.precommits;
  }

  private viewFor(h: number): SetView {
    const list = this.opts.validatorsAt(h).filter((v) => v.power > 0);
    const key = list.map((v) => `${v.did}:${v.power}`).sort().join(',');
    let schedule = this.schedules.get(key);
    if (!schedule) {
      schedule = new ProposerSchedule(list);
      if (this.schedules.size >= 16) this.schedules.clear();
      this.schedules.set(key, schedule);
    }
    const byDid = new Map(list.map((v) => [v.did, v] as const));
    return { list, byDid, total: list.reduce((a, v) => a + v.power, 0), schedule };
  }

  private schedule(kind: TimeoutKind, round: number, ms: number): void {
    this.out.push({ type: 'scheduleTimeout', kind, height: this.height, round, ms });
  }

  private broadcast(message: TbftMessage): void {
    this.out.push({ type: 'broadcast', message });
  }

  private flush(): TbftAction[] {
    this.process();
    const out = this.out;
    this.out = [];
    return out;
  }
}
