/**
 * Deterministic simulation of tbft validators: the real TbftCore under a simulated network and
 * clock, all randomness from one seeded PRNG, so a seed replays exactly. Models message delay,
 * loss, duplication and reordering, partitions that heal, crashes (also between a WAL append and
 * the sends that follow it) with restart from the WAL, and Byzantine validators. After a run the
 * checker reports agreement, validity, commit, double-signing, evidence and liveness violations.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalize, fromHex, toHex } from '../../../src/codec/index.ts';
import { didFromPublicKey, publicKeyFromPrivate, sign, verify, type Suite } from '../../../src/crypto/index.ts';
import type { ValidatorInfo } from '../../../src/ledger/index.ts';
import {
  MemoryWal, signBytes, signProposal, signVote, TbftCore, verifyCommit, verifyEvidence, voteBody,
  type Commit, type ConsensusValue, type Evidence, type Proposal, type Signer, type TbftAction, type TbftMessage, type TimeoutConfig,
  type ValidationResult, type VerifyFn, type Vote, type VoteType,
} from '../../../src/consensus/tbft/index.ts';
import { hashString, Prng } from './prng.ts';
import { Scheduler } from './scheduler.ts';

export const SIM_CHAIN = 'sim-chain';
/** A run that needs more events than this is reported (message storms are bugs too). */
const MAX_EVENTS = 2_000_000;

export type Behaviour =
  | 'honest'
  /** Runs consensus but sends nothing. */
  | 'silent'
  /** As proposer, sends one value to half of its peers and another to the rest. */
  | 'equivocate'
  /** Every vote goes out in two versions, each to a part of the peers. */
  | 'double-vote'
  /** Proposes values the application rejects. */
  | 'invalid-proposal'
  /** Also sends votes in honest validators' names, signed with its own key. */
  | 'forger'
  /** Relays others' proposals with the payload replaced (hash and signature kept). */
  | 'payload-swap'
  /** Colludes with the other `coalition` members: split-brain proposals and votes to two halves of the honest nodes. */
  | 'coalition';

export type SignerKind = 'fast' | Suite;

export interface NetConfig {
  minDelay: number;
  maxDelay: number;
  /** Chance a message takes `tailFactor` times longer (reordering). */
  tailProb: number;
  tailFactor: number;
  drop: number;
  dup: number;
}

export interface Partition {
  start: number;
  end: number;
  /** Node indices per side; messages between sides are lost. */
  groups: number[][];
}

export interface Crash {
  node: number;
  at: number;
  restartAt: number;
  /** Crash right after the node's next step, executing only a random prefix of its actions (after the WAL append, before some sends). */
  torn: boolean;
}

export interface SimConfig {
  name: string;
  seed: number;
  n: number;
  powers?: number[];
  /** From this height the validator set has these powers (a governance change). */
  powerChange?: { height: number; powers: number[] };
  behaviours: Behaviour[];
  signer: SignerKind;
  net: NetConfig;
  partitions: Partition[];
  crashes: Crash[];
  timeouts: Partial<TimeoutConfig>;
  /** The app answers requestProposal / validate after 0..appDelayMax ms. */
  appDelayMax: number;
  /** Heights every honest node must decide before the run may stop. */
  heights: number;
  /** Liveness: after the last partition heals and the last crashed node restarts, every honest node decides livenessK more heights within livenessBound ms. */
  livenessK: number;
  livenessBound: number;
  checkLiveness: boolean;
  maxTime: number;
  /** Checker self-test: a crashed node restarts with an empty WAL (amnesia), which must show up as double-signing. */
  loseWalOnCrash?: boolean;
  /** Checker self-test: pretend honest node 1 decided something else at this height. */
  injectConflictAt?: number;
}

export interface SimResult {
  name: string;
  seed: number;
  violations: string[];
  /** Last decided height per honest node. */
  heights: number[];
  /** Heights decided by every honest node. */
  heightsDecided: number;
  time: number;
  gst: number;
  events: number;
  messages: number;
  evidence: number;
  /** Highest round in which an honest node decided, and how many honest decisions came after round 0. */
  maxDecisionRound: number;
  lateDecisions: number;
  trace: string;
}

interface SimPayload {
  height: number;
  round: number;
  proposer: string;
  salt: number;
  valid: boolean;
}

interface Keys {
  did: string;
  publicKey: string;
  sign(message: Uint8Array): Uint8Array;
}

class SimNode {
  core: TbftCore | null = null;
  up = false;
  epoch = 0;
  lastDecided = 0;
  crashPending = false;
  wal = new MemoryWal();
  /** The app's block store: decided values with their commits (survives crashes). */
  readonly store = new Map<number, { value: ConsensusValue; commit: Commit }>();
  /** Byzantine bookkeeping: the split chosen for each own message, so resends stay consistent. */
  readonly splits = new Map<string, { alt: TbftMessage; first: Set<number> }>();
  readonly seenProposals = new Map<string, string>();
  readonly swapped = new Set<string>();
  constructor(readonly index: number, readonly keys: Keys, readonly behaviour: Behaviour, readonly signer: Signer) {}
  get did(): string {
    return this.keys.did;
  }
}

function sha256hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function valueHash(payload: SimPayload): string {
  return sha256hex(canonicalize(payload));
}

/** The application's valid(v): the payload must hash to the value's hash and be a well-formed block for the height. */
export function appValidate(height: number, value: ConsensusValue): ValidationResult {
  const p = value.payload as Partial<SimPayload> | undefined;
  if (!p || typeof p !== 'object') return 'mismatch';
  let hash: string;
  try {
    hash = valueHash(p as SimPayload);
  } catch {
    return 'mismatch';
  }
  if (hash !== value.hash) return 'mismatch';
  return p.height === height && p.valid === true ? 'valid' : 'invalid';
}

/** Parses what a signer was asked to sign: the slot and content, for the double-sign check. */
function parseSigned(bytes: Uint8Array): { slot: string; content: string } {
  const s = Buffer.from(bytes).toString('utf8');
  const body = JSON.parse(s.slice(s.indexOf('\n') + 1)) as { type: string; height: number; round: number; value: string | null; validRound?: number };
  const slot = `${body.height}/${body.round}/${body.type}`;
  return { slot, content: body.type === 'proposal' ? `${body.value}@${body.validRound}` : String(body.value) };
}

export class Simulation {
  private readonly rng: Prng;
  private readonly q = new Scheduler();
  private readonly nodes: SimNode[] = [];
  private readonly didIndex = new Map<string, number>();
  private readonly fastSecrets = new Map<string, Buffer>();
  private readonly verifyFn: VerifyFn;
  private readonly setA: ValidatorInfo[];
  private readonly setB: ValidatorInfo[] | null;
  // checker state
  private readonly violations: string[] = [];
  private readonly decisions = new Map<number, { hash: string; node: number }>();
  private readonly proposed = new Map<string, SimPayload>();
  private readonly signedBy = new Map<number, Map<string, string>>();
  private readonly trace: string[] = [];
  private evidenceCount = 0;
  private maxDecisionRound = 0;
  private lateDecisions = 0;
  private messages = 0;
  private gstHeights: number[] | null = null;
  private readonly gst: number;
  private readonly coalition: { members: Set<number>; g1: Set<number>; g2: Set<number>; splits: Map<string, [ConsensusValue, ConsensusValue]> };

  constructor(readonly cfg: SimConfig) {
    this.rng = new Prng((cfg.seed ^ hashString(cfg.name)) >>> 0);
    this.verifyFn = cfg.signer === 'fast' ? this.fastVerify.bind(this) : (pk, m, sig) => verify(cfg.signer as Suite, fromHex(pk), m, sig);
    for (let i = 0; i < cfg.n; i++) {
      const keys = this.makeKeys(cfg.signer);
      const behaviour = cfg.behaviours[i] ?? 'honest';
      const signer: Signer = behaviour === 'honest' ? this.recordingSigner(i, keys) : { did: keys.did, sign: (m) => keys.sign(m) };
      this.nodes.push(new SimNode(i, keys, behaviour, signer));
      this.didIndex.set(keys.did, i);
    }
    const mk = (powers: number[] | undefined): ValidatorInfo[] => this.nodes.map((nd, i) => ({ did: nd.did, publicKey: nd.keys.publicKey, power: powers?.[i] ?? 1 }));
    this.setA = mk(cfg.powers);
    this.setB = cfg.powerChange ? mk(cfg.powerChange.powers) : null;
    const honest = this.honest().map((nd) => nd.index);
    const shuffled = this.rng.shuffle(honest);
    const half = Math.ceil(shuffled.length / 2);
    this.coalition = {
      members: new Set(this.nodes.filter((nd) => nd.behaviour === 'coalition').map((nd) => nd.index)),
      g1: new Set(shuffled.slice(0, half)), g2: new Set(shuffled.slice(half)), splits: new Map(),
    };
    this.gst = Math.max(0, ...cfg.partitions.map((p) => p.end), ...cfg.crashes.map((c) => c.restartAt));
  }

  // ---------------------------------------------------------------- keys

  private makeKeys(kind: SignerKind): Keys {
    if (kind === 'fast') {
      // An ideal signature scheme for speed: a MAC whose key only the simulator's verifier knows.
      const secret = Buffer.from(this.rng.bytes(32));
      const pk = createHash('sha256').update('sim-pk').update(secret).digest();
      const publicKey = toHex(pk);
      this.fastSecrets.set(publicKey, secret);
      return { did: didFromPublicKey(new Uint8Array(pk)), publicKey, sign: (m) => new Uint8Array(createHmac('sha256', secret).update(m).digest()) };
    }
    const priv = this.rng.bytes(32);
    priv[0] &= 0x7f;
    priv[31] |= 1;
    const pub = publicKeyFromPrivate(kind, priv);
    return { did: didFromPublicKey(pub), publicKey: toHex(pub), sign: (m) => sign(kind, priv, m) };
  }

  private fastVerify(pk: string, m: Uint8Array, sig: Uint8Array): boolean {
    const secret = this.fastSecrets.get(pk);
    if (!secret || sig.length !== 32) return false;
    return timingSafeEqual(createHmac('sha256', secret).update(m).digest(), sig);
  }

  /** Honest nodes' signers record every (height, round, step) they sign, across restarts. */
  private recordingSigner(i: number, keys: Keys): Signer {
    const log = new Map<string, string>();
    this.signedBy.set(i, log);
    return {
      did: keys.did,
      sign: (m) => {
        const { slot, content } = parseSigned(m);
        const prev = log.get(slot);
        if (prev !== undefined && prev !== content) this.violate(`double-sign: honest node ${i} signed ${slot} for ${prev} and for ${content}`);
        log.set(slot, content);
        return keys.sign(m);
      },
    };
  }

  // ---------------------------------------------------------------- run

  run(): SimResult {
    const cfg = this.cfg;
    for (const nd of this.nodes) this.q.at(this.rng.int(20), () => this.restart(nd));
    for (const c of cfg.crashes) {
      const nd = this.nodes[c.node]!;
      this.q.at(c.at, () => {
        if (!nd.up) return;
        if (!c.torn) return this.crash(nd);
        nd.crashPending = true;
        this.q.after(200, () => {
          if (nd.crashPending && nd.up) {
            nd.crashPending = false;
            this.crash(nd);
          }
        });
      });
      this.q.at(c.restartAt, () => {
        if (!nd.up) this.restart(nd);
      });
    }
    this.q.at(this.gst, () => {
      this.gstHeights = this.nodes.map((nd) => nd.lastDecided);
    });
    const honest = this.honest();
    const target = (nd: SimNode): number => Math.max(cfg.heights, (this.gstHeights?.[nd.index] ?? Infinity) + cfg.livenessK);
    const done = (): boolean => this.gstHeights !== null && honest.every((nd) => nd.lastDecided >= target(nd));
    const until = cfg.checkLiveness ? Math.min(cfg.maxTime, this.gst + cfg.livenessBound) : cfg.maxTime;
    try {
      this.q.run(until, () => done() || this.q.executed >= MAX_EVENTS || (this.violations.length > 0 && !cfg.checkLiveness && this.q.now > this.gst));
      if (this.q.executed >= MAX_EVENTS) this.violate(`runaway: ${MAX_EVENTS} events by t=${this.q.now.toFixed(0)}ms`);
    } catch (err) {
      this.violate(`exception: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
    if (cfg.checkLiveness && !done()) {
      for (const nd of honest) {
        if (nd.lastDecided < target(nd)) {
          this.violate(`liveness: honest node ${nd.index} decided up to height ${nd.lastDecided} (at GST ${this.gstHeights?.[nd.index]}), `
            + `needed ${target(nd)} by t=${until}ms (GST ${this.gst}ms)`);
        }
      }
    }
    const heights = honest.map((nd) => nd.lastDecided);
    return {
      name: cfg.name, seed: cfg.seed, violations: this.violations, heights, heightsDecided: Math.min(...heights),
      time: this.q.now, gst: this.gst, events: this.q.executed, messages: this.messages, evidence: this.evidenceCount,
      maxDecisionRound: this.maxDecisionRound, lateDecisions: this.lateDecisions,
      trace: sha256hex(this.trace.join('\n')),
    };
  }

  /** Core status of every node (debugging). */
  statuses(): string[] {
    return this.nodes.map((nd) => `${nd.index} ${nd.behaviour} up=${nd.up} decided=${nd.lastDecided} ${JSON.stringify(nd.core?.status())}`);
  }

  private honest(): SimNode[] {
    return this.nodes.filter((nd) => nd.behaviour === 'honest');
  }

  private violate(msg: string): void {
    if (this.violations.length < 20) this.violations.push(`t=${this.q.now.toFixed(1)}ms ${msg}`);
  }

  validatorsAt(h: number): ValidatorInfo[] {
    return this.setB && h >= this.cfg.powerChange!.height ? this.setB : this.setA;
  }

  // ---------------------------------------------------------------- nodes

  private restart(nd: SimNode): void {
    nd.core = new TbftCore({
      chainId: SIM_CHAIN, validatorsAt: (h) => this.validatorsAt(h), verify: this.verifyFn, wal: nd.wal, signer: nd.signer,
      timeouts: this.cfg.timeouts, decisionAt: (h) => nd.store.get(h),
    });
    nd.up = true;
    nd.crashPending = false;
    this.trace.push(`${this.q.now} start ${nd.index} ${nd.lastDecided + 1}`);
    this.execute(nd, nd.core.start(nd.lastDecided + 1));
  }

  private crash(nd: SimNode): void {
    nd.up = false;
    nd.core = null;
    nd.epoch++;
    if (this.cfg.loseWalOnCrash) nd.wal = new MemoryWal();
    this.trace.push(`${this.q.now} crash ${nd.index}`);
  }

  /** One input to a node's core; a pending torn crash executes only a prefix of the resulting actions. */
  private deliver(i: number, input: (core: TbftCore) => TbftAction[]): void {
    const nd = this.nodes[i]!;
    if (!nd.up || !nd.core) return;
    const actions = input(nd.core);
    if (nd.crashPending) {
      nd.crashPending = false;
      this.execute(nd, actions.slice(0, this.rng.int(actions.length + 1)));
      this.crash(nd);
      return;
    }
    this.execute(nd, actions);
  }

  private later(nd: SimNode, ms: number, input: (core: TbftCore) => TbftAction[]): void {
    const epoch = nd.epoch;
    this.q.after(ms, () => {
      if (nd.epoch === epoch) this.deliver(nd.index, input);
    });
  }

  private execute(nd: SimNode, actions: TbftAction[]): void {
    for (const a of actions) {
      if (!nd.up) return;
      switch (a.type) {
        case 'broadcast':
          this.outgoing(nd, a.message, null);
          break;
        case 'send': {
          const j = this.didIndex.get(a.to);
          if (j !== undefined) this.outgoing(nd, a.message, j);
          break;
        }
        case 'scheduleTimeout':
          this.later(nd, a.ms, (c) => c.timeout(a.kind, a.height, a.round));
          break;
        case 'requestProposal': {
          const value = this.makeValue(a.height, a.round, nd.did, nd.behaviour !== 'invalid-proposal');
          this.later(nd, this.rng.int(this.cfg.appDelayMax + 1), (c) => c.proposalValue(a.height, a.round, value));
          break;
        }
        case 'validate': {
          const result = appValidate(a.height, a.value);
          this.later(nd, this.rng.int(this.cfg.appDelayMax + 1), (c) => c.validated(a.height, a.value.hash, result));
          break;
        }
        case 'decide':
          this.onDecide(nd, a);
          break;
        case 'recordEvidence':
          this.onEvidence(nd, a.evidence);
          break;
      }
    }
  }

  private makeValue(height: number, round: number, proposer: string, valid: boolean): ConsensusValue {
    const payload: SimPayload = { height, round, proposer, salt: this.rng.int(1 << 30), valid };
    const hash = valueHash(payload);
    this.proposed.set(hash, payload);
    return { hash, payload };
  }

  // ---------------------------------------------------------------- checks

  private onDecide(nd: SimNode, a: Extract<TbftAction, { type: 'decide' }>): void {
    const { height, value, commit } = a;
    if (height !== nd.lastDecided + 1) this.violate(`order: node ${nd.index} decided height ${height} after ${nd.lastDecided}`);
    nd.lastDecided = height;
    nd.store.set(height, { value, commit });
    this.trace.push(`${this.q.now} decide ${nd.index} ${height} ${value.hash}`);
    if (nd.behaviour !== 'honest') return;
    this.recordDecision(nd.index, height, value.hash);
    this.maxDecisionRound = Math.max(this.maxDecisionRound, commit.round);
    if (commit.round > 0) this.lateDecisions++;
    // validity: proposed by someone, and valid for the application
    if (!this.proposed.has(value.hash)) this.violate(`validity: node ${nd.index} decided ${value.hash} at ${height}, which nobody proposed`);
    if (appValidate(height, value) !== 'valid') this.violate(`validity: node ${nd.index} decided an invalid value at ${height}`);
    const check = verifyCommit(commit, this.validatorsAt(height), SIM_CHAIN, this.verifyFn);
    if (!check.ok || commit.blockHash !== value.hash || commit.height !== height) {
      this.violate(`commit: node ${nd.index} decided ${height} with a bad commit: ${check.reason ?? 'hash/height mismatch'}`);
    }
    if (this.cfg.injectConflictAt === height && nd.index === 0) this.recordDecision(1, height, sha256hex('injected'));
  }

  private recordDecision(node: number, height: number, hash: string): void {
    const first = this.decisions.get(height);
    if (!first) this.decisions.set(height, { hash, node });
    else if (first.hash !== hash) this.violate(`agreement: height ${height}: node ${first.node} decided ${first.hash.slice(0, 12)}, node ${node} decided ${hash.slice(0, 12)}`);
  }

  private onEvidence(nd: SimNode, ev: Evidence): void {
    this.evidenceCount++;
    const accused = this.didIndex.get(ev.validator);
    if (accused === undefined || this.nodes[accused]!.behaviour === 'honest') {
      this.violate(`evidence: node ${nd.index} recorded ${ev.type} against honest validator ${accused}`);
    }
    if (!verifyEvidence(ev, this.validatorsAt(ev.height), SIM_CHAIN, this.verifyFn)) this.violate(`evidence: node ${nd.index} recorded evidence that does not verify`);
  }

  // ---------------------------------------------------------------- Byzantine behaviour and the network

  private others(i: number): number[] {
    return this.nodes.map((nd) => nd.index).filter((j) => j !== i);
  }

  private outgoing(nd: SimNode, msg: TbftMessage, to: number | null): void {
    const targets = to === null ? this.others(nd.index) : [to];
    const own = (msg.type === 'proposal' && msg.proposer === nd.did) || ((msg.type === 'prevote' || msg.type === 'precommit') && msg.validator === nd.did);
    switch (nd.behaviour) {
      case 'silent':
        return;
      case 'equivocate':
        if (own && msg.type === 'proposal') return this.split(nd, msg, targets, () => this.altProposal(nd, msg));
        break;
      case 'double-vote':
        if (own && msg.type !== 'proposal') return this.split(nd, msg, targets, () => this.altVote(nd, msg));
        break;
      case 'forger':
        if (own && msg.type !== 'proposal') this.forge(nd, msg);
        break;
      case 'coalition':
        if (own) return this.coalitionSend(nd, msg, targets);
        break;
      default:
        break;
    }
    for (const j of targets) this.netSend(nd.index, j, msg);
  }

  /** Sends `msg` to a fixed random half of the targets and an alternative to the rest (the same split on every resend). */
  private split(nd: SimNode, msg: Proposal | Vote, targets: number[], makeAlt: () => TbftMessage): void {
    const key = `${msg.type}/${msg.height}/${msg.round}`;
    let s = nd.splits.get(key);
    if (!s) {
      const order = this.rng.shuffle(this.others(nd.index));
      s = { alt: makeAlt(), first: new Set(order.slice(0, Math.ceil(order.length / 2))) };
      nd.splits.set(key, s);
    }
    for (const j of targets) this.netSend(nd.index, j, s.first.has(j) ? msg : s.alt);
  }

  private altProposal(nd: SimNode, p: Proposal): Proposal {
    return signProposal(nd.signer, SIM_CHAIN, p.height, p.round, this.makeValue(p.height, p.round, nd.did, true), p.validRound);
  }

  private altVote(nd: SimNode, v: Vote): Vote {
    const other = v.value !== null ? null : this.seenOr(nd, v.height, v.round);
    return signVote(nd.signer, SIM_CHAIN, v.type, v.height, v.round, other);
  }

  private seenOr(nd: SimNode, h: number, r: number): string {
    return nd.seenProposals.get(`${h}/${r}`) ?? sha256hex(`fake/${h}/${r}/${nd.index}`);
  }

  /** A vote in an honest validator's name, signed with the forger's own key: must be dropped. */
  private forge(nd: SimNode, v: Vote): void {
    const victims = this.honest();
    if (victims.length === 0) return;
    const victim = this.rng.pick(victims);
    const body = { type: v.type, chain: SIM_CHAIN, height: v.height, round: v.round, value: sha256hex(`forged/${this.rng.int(1e9)}`), validator: victim.did };
    const forged: Vote = { ...body, sig: toHex(nd.keys.sign(signBytes(SIM_CHAIN, voteBody(body)))) };
    for (const j of this.others(nd.index)) this.netSend(nd.index, j, forged);
  }

  private coalitionSend(nd: SimNode, msg: Proposal | Vote, targets: number[]): void {
    const co = this.coalition;
    const key = `${msg.height}/${msg.round}`;
    let pair = co.splits.get(key);
    if (msg.type === 'proposal' && !pair) {
      pair = [msg.value, this.makeValue(msg.height, msg.round, nd.did, true)];
      co.splits.set(key, pair);
    }
    if (!pair) {
      // An honest proposer's round: withhold the precommit from one half, so that only some
      // honest validators can decide and the rest move on, locked (what lock bugs need).
      if (msg.type === 'precommit' && msg.value !== null) {
        const nil = signVote(nd.signer, SIM_CHAIN, 'precommit', msg.height, msg.round, null);
        for (const j of targets) this.netSend(nd.index, j, co.g2.has(j) ? nil : msg);
        return;
      }
      for (const j of targets) this.netSend(nd.index, j, msg);
      return;
    }
    const version = (side: 0 | 1): TbftMessage => {
      const v = pair![side];
      if (msg.type === 'proposal') return side === 0 && msg.value.hash === v.hash ? msg : signProposal(nd.signer, SIM_CHAIN, msg.height, msg.round, v, msg.validRound);
      return signVote(nd.signer, SIM_CHAIN, msg.type as VoteType, msg.height, msg.round, v.hash);
    };
    const cache = new Map<0 | 1, TbftMessage>();
    for (const j of targets) {
      const side: 0 | 1 = co.g2.has(j) ? 1 : 0;
      if (!cache.has(side)) cache.set(side, version(side));
      this.netSend(nd.index, j, cache.get(side)!);
    }
  }

  private cut(a: number, b: number): boolean {
    const now = this.q.now;
    for (const p of this.cfg.partitions) {
      if (now < p.start || now >= p.end) continue;
      const ga = p.groups.findIndex((g) => g.includes(a));
      const gb = p.groups.findIndex((g) => g.includes(b));
      if (ga !== gb) return true;
    }
    return false;
  }

  private netSend(from: number, to: number, msg: TbftMessage): void {
    if (from === to) return;
    this.messages++;
    if (this.cut(from, to)) return;
    const net = this.cfg.net;
    if (this.rng.chance(net.drop)) return;
    const copies = this.rng.chance(net.dup) ? 2 : 1;
    const wire = JSON.stringify(msg);
    const fromDid = this.nodes[from]!.did;
    for (let c = 0; c < copies; c++) {
      let d = net.minDelay + this.rng.next() * (net.maxDelay - net.minDelay);
      if (this.rng.chance(net.tailProb)) d *= net.tailFactor;
      this.q.after(d, () => {
        if (!this.cut(from, to)) this.netDeliver(to, JSON.parse(wire) as TbftMessage, fromDid);
      });
    }
  }

  private netDeliver(to: number, msg: TbftMessage, fromDid: string): void {
    const nd = this.nodes[to]!;
    if (!nd.up) return;
    if (nd.behaviour !== 'honest' && msg.type === 'proposal') {
      nd.seenProposals.set(`${msg.height}/${msg.round}`, msg.value.hash);
      const key = `${msg.height}/${msg.round}/${msg.value.hash}`;
      if (nd.behaviour === 'payload-swap' && !nd.swapped.has(key)) {
        nd.swapped.add(key); // once per proposal: two swappers must not echo each other forever
        const swapped: Proposal = { ...msg, value: { hash: msg.value.hash, payload: { height: msg.height, round: msg.round, proposer: msg.proposer, salt: -1, valid: true } } };
        for (const j of this.others(to)) if (this.nodes[j]!.did !== msg.proposer) this.netSend(to, j, swapped);
      }
    }
    this.deliver(to, (c) => c.receive(msg, fromDid));
  }
}

export function simulate(cfg: SimConfig): SimResult {
  return new Simulation(cfg).run();
}
