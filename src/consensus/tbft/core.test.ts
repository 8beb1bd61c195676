import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalize, toHex } from '../../codec/index.ts';
import { publicKeyFromPrivate } from '../../crypto/index.ts';
import type { ValidatorInfo } from '../../ledger/index.ts';
import {
  FileWal, keySigner, MemoryWal, signProposal, signVote, suiteVerifier, TbftCore, verifyCommit, verifyEvidence,
  type Commit, type ConsensusValue, type Evidence, type Signer, type TbftAction, type TbftMessage, type TbftOptions,
  type ValidationResult, type Vote, type Wal,
} from './index.ts';

const CHAIN = 'test-chain';
const verifyFn = suiteVerifier('ed25519');

function keys(i: number): { priv: Uint8Array; pub: Uint8Array } {
  const priv = new Uint8Array(createHash('sha256').update(`validator-${i}`).digest());
  return { priv, pub: publicKeyFromPrivate('ed25519', priv) };
}

function makeSet(n: number, powers?: number[]): { signers: Signer[]; validators: ValidatorInfo[] } {
  const signers: Signer[] = [];
  const validators: ValidatorInfo[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys(i);
    const s = keySigner('ed25519', k.priv);
    signers.push(s);
    validators.push({ did: s.did, publicKey: toHex(k.pub), power: powers?.[i] ?? 1 });
  }
  return { signers, validators };
}

function value(tag: string, height: number): ConsensusValue {
  const payload = { tag, height };
  return { hash: createHash('sha256').update(canonicalize(payload)).digest('hex'), payload };
}

function appCheck(height: number, v: ConsensusValue): ValidationResult {
  const p = v.payload as { tag?: string; height?: number } | undefined;
  if (!p || createHash('sha256').update(canonicalize(p)).digest('hex') !== v.hash) return 'mismatch';
  return p.height === height && p.tag !== 'bad' ? 'valid' : 'invalid';
}

/** Records every signature a validator makes and fails on two different contents for one (height, round, step). */
function recording(s: Signer, log = new Map<string, string>()): Signer & { log: Map<string, string> } {
  return {
    did: s.did, log,
    sign(m) {
      const text = Buffer.from(m).toString('utf8');
      const b = JSON.parse(text.slice(text.indexOf('\n') + 1)) as { type: string; height: number; round: number; value: string | null; validRound?: number };
      const slot = `${b.height}/${b.round}/${b.type}`;
      const content = `${b.value}@${b.validRound ?? ''}`;
      const prev = log.get(slot);
      if (prev !== undefined && prev !== content) throw new Error(`double-sign at ${slot}: ${prev} then ${content}`);
      log.set(slot, content);
      return s.sign(m);
    },
  };
}

const FAST = { proposeMs: 100, proposeDeltaMs: 10, prevoteMs: 50, prevoteDeltaMs: 5, precommitMs: 50, precommitDeltaMs: 5, commitMs: 5, rebroadcastMs: 1000 };

/** A synchronous in-memory network of cores: messages delivered FIFO, the app answers at once, timeouts fired on demand. */
class Net {
  readonly cores: TbftCore[];
  readonly decided: Map<number, { value: ConsensusValue; commit: Commit }>[];
  readonly evidence: Evidence[] = [];
  readonly timers: { node: number; kind: Extract<TbftAction, { type: 'scheduleTimeout' }> }[] = [];
  private readonly queue: (() => void)[] = [];
  drop: (from: number, to: number, m: TbftMessage) => boolean = () => false;
  private readonly dids: string[];

  constructor(readonly validators: ValidatorInfo[], signers: (Signer | undefined)[], extra: Partial<TbftOptions> = {}, proposal = (i: number, h: number, r: number) => value(`n${i}h${h}r${r}`, h)) {
    this.decided = signers.map(() => new Map());
    this.dids = signers.map((s, i) => s?.did ?? `peer-${i}`);
    this.cores = signers.map((signer, i) => new TbftCore({
      chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), signer, timeouts: FAST,
      decisionAt: (h) => this.decided[i]!.get(h), ...extra,
    }));
    this.proposal = proposal;
  }

  private readonly proposal: (i: number, h: number, r: number) => ConsensusValue;

  exec(i: number, actions: TbftAction[]): void {
    const core = this.cores[i]!;
    for (const a of actions) {
      switch (a.type) {
        case 'broadcast':
          for (let j = 0; j < this.cores.length; j++) if (j !== i && !this.drop(i, j, a.message)) this.post(j, a.message, i);
          break;
        case 'send': {
          const j = this.dids.indexOf(a.to);
          if (j >= 0 && !this.drop(i, j, a.message)) this.post(j, a.message, i);
          break;
        }
        case 'scheduleTimeout':
          this.timers.push({ node: i, kind: a });
          break;
        case 'requestProposal':
          this.queue.push(() => this.exec(i, core.proposalValue(a.height, a.round, this.proposal(i, a.height, a.round))));
          break;
        case 'validate':
          this.queue.push(() => this.exec(i, core.validated(a.height, a.value.hash, appCheck(a.height, a.value))));
          break;
        case 'decide':
          assert.equal(this.decided[i]!.has(a.height), false, 'decided a height twice');
          this.decided[i]!.set(a.height, { value: a.value, commit: a.commit });
          break;
        case 'recordEvidence':
          this.evidence.push(a.evidence);
          break;
      }
    }
  }

  private post(j: number, m: TbftMessage, from: number): void {
    const copy = JSON.parse(JSON.stringify(m)) as TbftMessage;
    this.queue.push(() => this.exec(j, this.cores[j]!.receive(copy, this.dids[from])));
  }

  start(h = 1): void {
    this.cores.forEach((c, i) => this.exec(i, c.start(h)));
    this.run();
  }

  run(): void {
    for (let k = 0; this.queue.length > 0; k++) {
      assert.ok(k < 1_000_000, 'network did not settle');
      this.queue.shift()!();
    }
  }

  /** Fires all pending timeouts of the given kinds (shortest first), then delivers what follows. */
  fire(kinds: string[] = ['propose', 'prevote', 'precommit', 'commit']): void {
    const due = this.timers.filter((t) => kinds.includes(t.kind.kind)).sort((a, b) => a.kind.ms - b.kind.ms);
    for (const t of due) this.timers.splice(this.timers.indexOf(t), 1);
    for (const t of due) this.exec(t.node, this.cores[t.node]!.timeout(t.kind.kind, t.kind.height, t.kind.round));
    this.run();
  }

  runUntil(height: number, nodes: number[] = this.cores.map((_, i) => i), maxRounds = 50): void {
    for (let k = 0; k < maxRounds && !nodes.every((i) => this.decided[i]!.has(height)); k++) this.fire();
  }
}

test('four validators with Ed25519 decide the same blocks in round 0; every commit verifies', () => {
  const { signers, validators } = makeSet(4);
  const net = new Net(validators, signers);
  net.start();
  net.runUntil(3);
  for (let h = 1; h <= 3; h++) {
    const d0 = net.decided[0]!.get(h)!;
    for (const d of net.decided) assert.equal(d.get(h)!.value.hash, d0.value.hash);
    assert.equal(d0.commit.round, 0);
    const check = verifyCommit(d0.commit, validators, CHAIN, verifyFn);
    assert.ok(check.ok, check.reason ?? '');
    assert.equal((d0.value.payload as { tag: string }).tag, `n${validators.findIndex((v) => v.did === net.cores[0]!.proposer(h, 0))}h${h}r0`);
  }
  assert.equal(net.evidence.length, 0);
});

test('weighted validators: quorum is by power, not by count', () => {
  // powers 5,1,1,1: validator 0 alone has 5/8 < 2/3; with any other it has 6/8 > 2/3.
  const { signers, validators } = makeSet(4, [5, 1, 1, 1]);
  const net = new Net(validators, signers);
  net.drop = (from, to) => from === 2 || from === 3 || to === 2 || to === 3; // only 0 and 1 talk
  net.start();
  net.runUntil(1, [0, 1], 10);
  assert.ok(net.decided[0]!.has(1) && net.decided[1]!.has(1));
  const d = net.decided[0]!.get(1)!;
  assert.equal(verifyCommit(d.commit, validators, CHAIN, verifyFn).power, 6);
  // validator 0 alone cannot decide
  const net2 = new Net(validators, signers);
  net2.drop = (from, to) => from !== to && (from === 0 || to === 0);
  net2.start();
  net2.runUntil(1, [0], 10);
  assert.equal(net2.decided[0]!.has(1), false);
});

test('a late precommit is answered with the commit alone; asked again, or for anything else, with the block; either decides a validator that needs it', () => {
  const { signers, validators } = makeSet(4);
  const net = new Net(validators, signers);
  // No precommit and no decision reaches 3: it prevotes and precommits the value but cannot decide.
  net.drop = (_from, to, m) => to === 3 && (m.type === 'precommit' || m.type === 'decision');
  net.start();
  net.runUntil(2, [0, 1, 2]);
  assert.equal(net.decided[3]!.has(1), false);
  const d1 = net.decided[0]!.get(1)!;
  const core0 = net.cores[0]!;
  const answer = (acts: TbftAction[]) => acts.find((a): a is Extract<TbftAction, { type: 'send' }> => a.type === 'send' && a.message.type === 'decision');

  const late = signVote(signers[3]!, CHAIN, 'precommit', 1, d1.commit.round, d1.value.hash);
  const light = answer(core0.receive(late, 'peer-x'))!;
  assert.equal(light.to, 'peer-x');
  assert.deepEqual(light.message, { type: 'decision', chain: CHAIN, height: 1, value: { hash: d1.value.hash }, commit: d1.commit });
  assert.equal(answer(core0.receive(late, 'peer-x')), undefined, 'once per rebroadcast period');
  // The next rebroadcast period (at a height not yet decided).
  if (core0.status().decided) core0.timeout('commit', core0.status().height, 0);
  const s = core0.status();
  assert.equal(s.decided, false);
  core0.timeout('rebroadcast', s.height, s.round);
  const full = answer(core0.receive(late, 'peer-x'))!;
  assert.deepEqual(full.message, { type: 'decision', chain: CHAIN, height: 1, value: d1.value, commit: d1.commit }, 'asked again: the block too');
  const prevote = signVote(signers[3]!, CHAIN, 'prevote', 1, d1.commit.round, d1.value.hash);
  assert.deepEqual(answer(core0.receive(prevote, 'peer-y'))!.message, full.message, 'a prevote does not show the peer holds the value');

  // Validator 3 precommitted the value: the commit alone decides it.
  net.exec(3, net.cores[3]!.receive(light.message, validators[0]!.did));
  assert.equal(net.decided[3]!.get(1)?.value.hash, d1.value.hash);
  // One that decided from the commit alone (its app held the block: the driver's candidates)
  // answers for that height in turn with the block from its app's store (decisionAt).
  const follower = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), timeouts: FAST, decisionAt: (h) => (h === 1 ? d1 : undefined) });
  follower.start(1);
  follower.receive(light.message, validators[0]!.did);
  assert.ok(follower.validated(1, d1.value.hash, 'valid').some((a) => a.type === 'decide'));
  follower.timeout('commit', 1, d1.commit.round);
  const relayed = answer(follower.receive(signVote(signers[2]!, CHAIN, 'prevote', 1, d1.commit.round, d1.value.hash), 'peer-z'))!;
  assert.deepEqual(relayed.message.type === 'decision' && relayed.message.value, d1.value);

  // A validator that restarted without the block cannot use the commit alone; with the block it decides.
  const fresh = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), signer: signers[3], timeouts: FAST });
  fresh.start(1);
  const check = fresh.receive(light.message, validators[0]!.did).find((a) => a.type === 'validate') as Extract<TbftAction, { type: 'validate' }>;
  assert.equal(check.value.payload, undefined);
  assert.equal(fresh.validated(1, d1.value.hash, 'mismatch').some((a) => a.type === 'decide'), false);
  const recheck = fresh.receive(full.message, validators[0]!.did).find((a) => a.type === 'validate') as Extract<TbftAction, { type: 'validate' }>;
  assert.deepEqual(recheck.value, d1.value);
  const decided = fresh.validated(1, d1.value.hash, appCheck(1, recheck.value)).find((a) => a.type === 'decide');
  assert.equal(decided?.type === 'decide' && decided.value.hash, d1.value.hash);
});

test('timeouts grow linearly with the round', () => {
  const { signers, validators } = makeSet(4);
  const core = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), signer: signers[0], timeouts: FAST });
  const t = (acts: TbftAction[], kind: string) => acts.find((a) => a.type === 'scheduleTimeout' && a.kind === kind) as Extract<TbftAction, { type: 'scheduleTimeout' }> | undefined;
  assert.equal(t(core.start(1), 'propose')!.ms, 100);
  // f+1 validators at round 3 → skip to round 3 (L55)
  const acts: TbftAction[] = [];
  for (const i of [1, 2]) acts.push(...core.receive(signVote(signers[i]!, CHAIN, 'prevote', 1, 3, null)));
  assert.equal(core.status().round, 3);
  assert.equal(t(acts, 'propose')!.ms, 100 + 3 * 10);
  // 2f+1 prevotes of any kind in round 3 → prevote timeout (L34), 2f+1 precommits → precommit timeout (L47)
  const a2 = [...core.timeout('propose', 1, 3), ...core.receive(signVote(signers[3]!, CHAIN, 'prevote', 1, 3, 'ab'.repeat(32)))];
  assert.equal(t(a2, 'prevote')!.ms, 50 + 3 * 5);
  const a3: TbftAction[] = [];
  for (const i of [1, 2, 3]) a3.push(...core.receive(signVote(signers[i]!, CHAIN, 'precommit', 1, 3, null)));
  assert.equal(t(a3, 'precommit')!.ms, 50 + 3 * 5);
  assert.equal(core.timeout('precommit', 1, 3).length > 0, true);
  assert.equal(core.status().round, 4);
});

test('forged and wrong-key votes are dropped; chain id is part of what is signed', () => {
  const { signers, validators } = makeSet(4);
  const core = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), signer: signers[0], timeouts: FAST });
  core.start(1);
  // votes for round 5 from validators 1 and 2 would make it skip (L55) — unless they are not genuine
  const forged: Vote = { ...signVote(signers[3]!, CHAIN, 'prevote', 1, 5, null), validator: signers[1]!.did }; // wrong key
  const otherChain = signVote(signers[2]!, 'other-chain', 'prevote', 1, 5, null);
  const replayed: Vote = { ...otherChain, chain: CHAIN }; // a vote of another chain replayed here
  const garbage: Vote = { ...signVote(signers[2]!, CHAIN, 'prevote', 1, 5, null), sig: 'zz' };
  for (const m of [forged, otherChain, replayed, garbage]) core.receive(m);
  assert.equal(core.status().round, 0);
  core.receive(signVote(signers[1]!, CHAIN, 'prevote', 1, 5, null));
  core.receive(signVote(signers[2]!, CHAIN, 'prevote', 1, 5, null));
  assert.equal(core.status().round, 5);
});

test('equivocation: evidence once, with both votes; the equivocator never counts twice', () => {
  const { signers, validators } = makeSet(4);
  const core = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), signer: signers[0], timeouts: FAST });
  core.start(1);
  core.timeout('propose', 1, 0); // validator 0 prevotes nil
  const a = signVote(signers[1]!, CHAIN, 'prevote', 1, 0, null);
  const b = signVote(signers[1]!, CHAIN, 'prevote', 1, 0, 'cd'.repeat(32));
  const acts = [...core.receive(a), ...core.receive(b), ...core.receive(b), ...core.receive(a)];
  const ev = acts.filter((x) => x.type === 'recordEvidence');
  assert.equal(ev.length, 1);
  const e = (ev[0] as Extract<TbftAction, { type: 'recordEvidence' }>).evidence;
  assert.equal(e.type, 'duplicate-vote');
  assert.equal(e.validator, signers[1]!.did);
  assert.ok(verifyEvidence(e, validators, CHAIN, verifyFn));
  // 0 and 1 only: 2 of 4 — no 2f+1 of any kind, so no prevote timeout and no nil polka
  assert.equal(acts.some((x) => x.type === 'scheduleTimeout' && x.kind === 'prevote'), false);
  assert.equal(core.status().step, 'prevote');
  // a third validator's nil prevote makes 2f+1 nil → precommit nil (L44)
  const more = core.receive(signVote(signers[2]!, CHAIN, 'prevote', 1, 0, null));
  assert.ok(more.some((x) => x.type === 'broadcast' && x.message.type === 'precommit' && x.message.value === null));
});

test('locks: a locked validator prevotes nil for another value, and accepts a re-proposal with validRound (L22–L33)', () => {
  const { signers, validators } = makeSet(4);
  const core = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), signer: signers[0], timeouts: FAST });
  const idx = (did: string) => validators.findIndex((x) => x.did === did);
  core.start(1);
  // find three rounds whose proposer is not validator 0
  const rounds = [0, 1, 2, 3, 4, 5, 6].filter((r) => idx(core.proposer(1, r)) !== 0).slice(0, 3);
  const [r0, r1, r2] = rounds as [number, number, number];
  const proposerAt = (r: number) => signers[idx(core.proposer(1, r))]!;
  const others = [1, 2, 3];
  const A = value('A', 1);
  const B = value('B', 1);
  const answer = (acts: TbftAction[]) => {
    const out: TbftAction[] = [...acts];
    for (const a of acts) if (a.type === 'validate') out.push(...answer(core.validated(1, a.value.hash, appCheck(1, a.value))));
    return out;
  };
  const prevoteOf = (acts: TbftAction[], r: number) => acts.map((a) => (a.type === 'broadcast' ? a.message : null)).find((m) => m?.type === 'prevote' && m.round === r) as Vote | undefined;
  const skipTo = (r: number) => {
    for (const i of [1, 2]) core.receive(signVote(signers[i]!, CHAIN, 'precommit', 1, r, null));
    assert.equal(core.status().round, r);
  };
  // round r0: proposal A, 2f+1 prevotes A → lock A, precommit A
  if (r0 > 0) skipTo(r0);
  let acts = answer(core.receive(signProposal(proposerAt(r0), CHAIN, 1, r0, A, -1)));
  assert.equal(prevoteOf(acts, r0)!.value, A.hash);
  for (const i of others.slice(0, 2)) acts = core.receive(signVote(signers[i]!, CHAIN, 'prevote', 1, r0, A.hash));
  assert.deepEqual([core.status().lockedRound, core.status().lockedHash], [r0, A.hash]);
  // round r1: proposal B without validRound → nil (L23: locked on A)
  skipTo(r1);
  acts = answer(core.receive(signProposal(proposerAt(r1), CHAIN, 1, r1, B, -1)));
  assert.equal(prevoteOf(acts, r1)!.value, null);
  // round r2: B re-proposed with validRound r1, and 2f+1 prevotes for B in r1 → prevote B (L29: lockedRound ≤ vr)
  skipTo(r2);
  acts = answer(core.receive(signProposal(proposerAt(r2), CHAIN, 1, r2, B, r1)));
  assert.equal(prevoteOf(acts, r2), undefined, 'no polka for B in r1 yet: wait');
  for (const i of others) acts = core.receive(signVote(signers[i]!, CHAIN, 'prevote', 1, r1, B.hash));
  assert.equal(prevoteOf(acts, r2)!.value, B.hash);
});

test('the proposer re-proposes its validValue with validRound (L15–L16)', () => {
  const { signers, validators } = makeSet(4);
  const idx = (did: string) => validators.findIndex((x) => x.did === did);
  const probe = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), timeouts: FAST });
  // a validator that is not proposer in round 0 but is in some later round
  const me = idx(probe.proposer(1, 1)) !== idx(probe.proposer(1, 0)) ? idx(probe.proposer(1, 1)) : idx(probe.proposer(1, 2));
  const meRound = idx(probe.proposer(1, 1)) === me ? 1 : 2;
  const core = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), signer: signers[me], timeouts: FAST });
  core.start(1);
  const A = value('A', 1);
  const p0 = signers[idx(core.proposer(1, 0))]!;
  for (const a of core.receive(signProposal(p0, CHAIN, 1, 0, A, -1))) if (a.type === 'validate') core.validated(1, A.hash, 'valid');
  const voters = [0, 1, 2, 3].filter((i) => i !== me);
  for (const i of voters) core.receive(signVote(signers[i]!, CHAIN, 'prevote', 1, 0, A.hash));
  assert.equal(core.status().validRound, 0);
  let acts: TbftAction[] = [];
  for (const i of voters) acts.push(...core.receive(signVote(signers[i]!, CHAIN, 'precommit', 1, meRound, null)));
  const prop = acts.map((a) => (a.type === 'broadcast' ? a.message : null)).find((m) => m?.type === 'proposal');
  assert.ok(prop && prop.type === 'proposal');
  assert.equal(prop.value.hash, A.hash);
  assert.equal(prop.validRound, 0);
  assert.equal(acts.some((a) => a.type === 'requestProposal'), false);
});

test('crash between WAL append and broadcast: the restarted validator re-sends the same vote and signs nothing different', () => {
  const { signers, validators } = makeSet(4);
  const wal = new MemoryWal();
  const me = recording(signers[0]!);
  const opts = { chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal, signer: me, timeouts: FAST };
  let core = new TbftCore(opts);
  core.start(1);
  const idx = (did: string) => validators.findIndex((x) => x.did === did);
  const r = [0, 1, 2].find((x) => idx(core.proposer(1, x)) !== 0)!;
  if (r > 0) for (const i of [1, 2]) core.receive(signVote(signers[i]!, CHAIN, 'precommit', 1, r, null));
  const A = value('A', 1);
  core.receive(signProposal(signers[idx(core.proposer(1, r))]!, CHAIN, 1, r, A, -1));
  const acts = core.validated(1, A.hash, 'valid'); // prevote A: in the WAL, then "crash" before these actions run
  assert.ok(acts.some((a) => a.type === 'broadcast' && a.message.type === 'prevote' && a.message.value === A.hash));
  assert.equal(wal.entries().length, 1);
  core = new TbftCore(opts); // restart: same WAL, nothing else
  const after = core.start(1);
  const resent = after.map((a) => (a.type === 'broadcast' ? a.message : null)).filter((m) => m?.type === 'prevote');
  assert.equal(resent.length, 1);
  assert.equal((resent[0] as Vote).value, A.hash);
  assert.equal(core.status().round, r);
  // the propose timeout would prevote nil — but the prevote for this round is already signed
  const t = core.timeout('propose', 1, r);
  assert.ok(t.every((a) => !(a.type === 'broadcast' && a.message.type === 'prevote' && a.message.value === null)));
  // a nil polka then a precommit nil: signed once, in the WAL
  for (const i of [1, 2, 3]) core.receive(signVote(signers[i]!, CHAIN, 'prevote', 1, r, null));
  assert.equal(me.log.get(`1/${r}/precommit`), 'null@');
});

test('FileWal: a restarted validator recovers its votes and lock from disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tbft-wal-'));
  try {
    const path = join(dir, 'wal');
    const { signers, validators } = makeSet(4);
    const me = recording(signers[0]!);
    const idx = (did: string) => validators.findIndex((x) => x.did === did);
    let wal = new FileWal(path);
    let core = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal, signer: me, timeouts: FAST });
    core.start(1);
    const r = [0, 1, 2].find((x) => idx(core.proposer(1, x)) !== 0)!;
    if (r > 0) for (const i of [1, 2]) core.receive(signVote(signers[i]!, CHAIN, 'precommit', 1, r, null));
    const A = value('A', 1);
    core.receive(signProposal(signers[idx(core.proposer(1, r))]!, CHAIN, 1, r, A, -1));
    core.validated(1, A.hash, 'valid');
    for (const i of [1, 2]) core.receive(signVote(signers[i]!, CHAIN, 'prevote', 1, r, A.hash)); // → lock A, precommit A
    assert.equal(core.status().lockedHash, A.hash);
    wal.close();
    wal = new FileWal(path);
    assert.deepEqual(wal.recovery, { records: 2, truncatedBytes: 0 });
    core = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal, signer: me, timeouts: FAST });
    const acts = core.start(1);
    assert.deepEqual([core.status().lockedRound, core.status().lockedHash, core.status().step], [r, A.hash, 'precommit']);
    assert.equal(acts.filter((a) => a.type === 'broadcast').length, 2); // the same prevote and precommit again
    wal.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An ideal (MAC-based) signature scheme for fast property runs: only this verifier knows the keys. */
function fastSet(n: number): { signers: Signer[]; validators: ValidatorInfo[]; verify: (pk: string, m: Uint8Array, sig: Uint8Array) => boolean } {
  const secrets = new Map<string, Buffer>();
  const signers: Signer[] = [];
  const validators: ValidatorInfo[] = [];
  for (let i = 0; i < n; i++) {
    const secret = createHash('sha256').update(`secret-${i}`).digest();
    const pk = createHash('sha256').update(secret).digest('hex');
    secrets.set(pk, secret);
    const did = `did:shulian:test${i}`;
    signers.push({ did, sign: (m) => new Uint8Array(createHmac('sha256', secret).update(m).digest()) });
    validators.push({ did, publicKey: pk, power: 1 });
  }
  const verify = (pk: string, m: Uint8Array, sig: Uint8Array) => {
    const s = secrets.get(pk);
    return s !== undefined && Buffer.compare(createHmac('sha256', s).update(m).digest(), Buffer.from(sig)) === 0;
  };
  return { signers, validators, verify };
}

test('property: across random inputs and crashes at any point, a validator never signs two different messages for one (height, round, step)', () => {
  const { signers, validators, verify } = fastSet(4);
  const pool = (h: number) => [value('A', h), value('B', h), value('bad', h)];
  // Rounds are relative to the core's current round (mostly 0: the present), so inputs meet.
  const dr = fc.constantFrom(0, 0, 0, 0, 1, 2, -1);
  const ev = fc.oneof(
    { weight: 3, arbitrary: fc.record({ k: fc.constant('vote' as const), from: fc.integer({ min: 1, max: 3 }), pre: fc.boolean(), dr, v: fc.integer({ min: -1, max: 2 }) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('quorum' as const), pre: fc.boolean(), dr, v: fc.integer({ min: -1, max: 2 }), skip: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('proposal' as const), dr, v: fc.integer({ min: 0, max: 2 }), vr: fc.integer({ min: -1, max: 2 }) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('timeout' as const), kind: fc.constantFrom('propose', 'prevote', 'precommit', 'precommit', 'commit', 'rebroadcast' as const), dr }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('mine' as const), v: fc.integer({ min: 0, max: 2 }) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('crash' as const) }) },
  );
  let signed = 0;
  let decided = 0;
  let restarts = 0;
  fc.assert(fc.property(fc.array(ev, { minLength: 10, maxLength: 150, size: 'max' }), (events) => {
    const wal = new MemoryWal();
    const me = recording(signers[0]!);
    let stored = 0;
    const make = () => new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify, wal, signer: me, timeouts: FAST });
    let core = make();
    const pending: TbftAction[] = [];
    const run = (acts: TbftAction[]) => {
      for (const a of acts) {
        if (a.type === 'decide' && a.height === stored + 1) stored = a.height;
        if (a.type === 'validate') pending.push(a);
      }
    };
    run(core.start(1));
    for (const e of events) {
      const { height: h, round } = core.status();
      const r = 'dr' in e ? Math.max(0, round + e.dr) : round;
      const val = (v: number) => (v < 0 ? null : pool(h)[v]!.hash);
      switch (e.k) {
        case 'vote':
          run(core.receive(signVote(signers[e.from]!, CHAIN, e.pre ? 'precommit' : 'prevote', h, r, val(e.v))));
          break;
        case 'quorum': // the three others vote alike (one of them may be skipped)
          for (const i of [1, 2, 3]) if (i !== e.skip) run(core.receive(signVote(signers[i]!, CHAIN, e.pre ? 'precommit' : 'prevote', h, r, val(e.v))));
          break;
        case 'proposal': {
          const p = validators.findIndex((x) => x.did === core.proposer(h, r));
          if (p !== 0) run(core.receive(signProposal(signers[p]!, CHAIN, h, r, pool(h)[e.v]!, e.vr < r ? e.vr : -1)));
          break;
        }
        case 'timeout':
          run(core.timeout(e.kind, h, r));
          break;
        case 'mine':
          run(core.proposalValue(h, round, pool(h)[e.v]!));
          break;
        case 'crash':
          core = make(); // the actions of the last step were lost; the WAL was not
          pending.length = 0;
          run(core.start(stored + 1));
          restarts++;
          break;
      }
      while (pending.length > 0) {
        const a = pending.shift() as Extract<TbftAction, { type: 'validate' }>;
        run(core.validated(a.height, a.value.hash, appCheck(a.height, a.value)));
      }
    }
    signed += me.log.size;
    decided += stored;
  }), { numRuns: 500 });
  console.log(`property: ${signed} slots signed, ${decided} heights decided, ${restarts} restarts`);
  // the inputs do reach signing, deciding and restarting
  assert.ok(signed > 1500 && decided > 100 && restarts > 2000, `signed ${signed}, decided ${decided}, restarts ${restarts}`);
});

test('a validator without a key (or outside the set) follows and decides, but never signs', () => {
  const { signers, validators } = makeSet(4);
  const extra = keySigner('ed25519', new Uint8Array(createHash('sha256').update('outsider').digest()));
  const net = new Net(validators, [...signers, extra]);
  // the fifth core is not in the set: it receives everything but must not vote
  const sent: TbftMessage[] = [];
  const orig = net.drop;
  net.drop = (from, to, m) => {
    if (from === 4) sent.push(m);
    return orig(from, to, m);
  };
  net.start();
  net.runUntil(2, [0, 1, 2, 3, 4]);
  assert.equal(net.decided[4]!.get(2)!.value.hash, net.decided[0]!.get(2)!.value.hash);
  assert.equal(sent.filter((m) => m.type !== 'decision').length, 0);
});

test('a lagging validator catches up from a peer decision with a valid commit; a bad commit is ignored', () => {
  const { signers, validators } = makeSet(4);
  const net = new Net(validators, signers);
  net.drop = (from, to) => from === 3 || to === 3;
  net.start();
  net.runUntil(2, [0, 1, 2]);
  const lag = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), signer: signers[3], timeouts: FAST });
  lag.start(1);
  const d = net.decided[0]!.get(1)!;
  const bad: Commit = { ...d.commit, signatures: d.commit.signatures.slice(0, 2) };
  assert.equal(lag.receive({ type: 'decision', chain: CHAIN, height: 1, value: d.value, commit: bad }).some((a) => a.type === 'validate'), false);
  const forged: Commit = { ...d.commit, blockHash: value('X', 1).hash };
  lag.receive({ type: 'decision', chain: CHAIN, height: 1, value: value('X', 1), commit: forged });
  const acts = lag.receive({ type: 'decision', chain: CHAIN, height: 1, value: d.value, commit: d.commit });
  const val = acts.find((a) => a.type === 'validate');
  assert.ok(val);
  const out = lag.validated(1, d.value.hash, 'valid');
  const dec = out.find((a) => a.type === 'decide');
  assert.ok(dec && dec.type === 'decide' && dec.value.hash === d.value.hash);
  assert.equal(lag.status().decided, true);
  lag.timeout('commit', 1, d.commit.round);
  assert.equal(lag.status().height, 2);
  // and a peer at height 1 that sends a message to a node at height 2 gets the decision back
  const reply = net.cores[0]!.receive(signVote(signers[3]!, CHAIN, 'prevote', 1, 0, null), validators[3]!.did);
  assert.ok(reply.some((a) => a.type === 'send' && a.to === validators[3]!.did && a.message.type === 'decision' && a.message.height === 1));
});

test('a payload that does not match its hash is dropped; the genuine copy is then accepted', () => {
  const { signers, validators } = makeSet(4);
  const core = new TbftCore({ chainId: CHAIN, validatorsAt: () => validators, verify: verifyFn, wal: new MemoryWal(), signer: signers[0], timeouts: FAST });
  core.start(1);
  const idx = (did: string) => validators.findIndex((x) => x.did === did);
  const r = [0, 1].find((x) => idx(core.proposer(1, x)) !== 0)!;
  if (r > 0) for (const i of [1, 2]) core.receive(signVote(signers[i]!, CHAIN, 'precommit', 1, r, null));
  const A = value('A', 1);
  const genuine = signProposal(signers[idx(core.proposer(1, r))]!, CHAIN, 1, r, A, -1);
  const swapped = { ...genuine, value: { hash: A.hash, payload: { tag: 'evil', height: 1 } } };
  const a1 = core.receive(swapped); // signature still verifies: it covers only the hash
  const v1 = a1.find((a) => a.type === 'validate')!;
  assert.ok(v1 && v1.type === 'validate');
  assert.equal(appCheck(1, v1.value), 'mismatch');
  core.validated(1, A.hash, 'mismatch');
  const a2 = core.receive(genuine);
  const v2 = a2.find((a) => a.type === 'validate');
  assert.ok(v2 && v2.type === 'validate' && appCheck(1, v2.value) === 'valid');
  const a3 = core.validated(1, A.hash, 'valid');
  assert.ok(a3.some((a) => a.type === 'broadcast' && a.message.type === 'prevote' && a.message.value === A.hash));
});

test('validator set changes at a future height: proposer and quorum follow validatorsAt', () => {
  const { signers, validators } = makeSet(5);
  const first = validators.slice(0, 4);
  const second = validators.slice(1, 5); // validator 0 leaves, validator 4 joins at height 3
  const at = (h: number) => (h >= 3 ? second : first);
  const net = new Net(validators, signers, { validatorsAt: at });
  net.start();
  net.runUntil(4, [1, 2, 3, 4]);
  for (let h = 1; h <= 4; h++) {
    const d = net.decided[1]!.get(h)!;
    assert.ok(verifyCommit(d.commit, at(h), CHAIN, verifyFn).ok, `height ${h}`);
    assert.ok(d.commit.signatures.every((s) => at(h).some((v) => v.did === s.validator)));
  }
  assert.ok(net.decided[1]!.get(3)!.commit.signatures.every((s) => s.validator !== validators[0]!.did));
  assert.equal(verifyCommit(net.decided[1]!.get(3)!.commit, first, CHAIN, verifyFn).ok, false);
});

test('FileWal: torn tail is cut and reported; corruption in the middle refuses to open; compact keeps later heights', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tbft-wal-'));
  try {
    const path = join(dir, 'wal');
    const { signers } = makeSet(1);
    const wal: Wal & { close(): void } = new FileWal(path);
    const votes = [1, 2, 3].map((h) => signVote(signers[0]!, CHAIN, 'prevote', h, 0, null));
    for (const v of votes) wal.append({ kind: 'vote', vote: v });
    wal.close();
    const size = statSync(path).size;
    truncateSync(path, size - 5); // the last append was torn
    const w2 = new FileWal(path);
    assert.equal(w2.recovery.records, 2);
    assert.ok(w2.recovery.truncatedBytes > 0 && /torn/.test(w2.recovery.reason ?? ''));
    w2.append({ kind: 'vote', vote: votes[2]! });
    w2.close();
    const w3 = new FileWal(path);
    assert.deepEqual(w3.entries().map((e) => (e.kind === 'vote' ? e.vote.height : -1)), [1, 2, 3]);
    assert.equal(w3.recovery.truncatedBytes, 0);
    w3.compact(2);
    assert.deepEqual(w3.entries().map((e) => (e.kind === 'vote' ? e.vote.height : -1)), [2, 3]);
    w3.close();
    assert.equal(new FileWal(path).entries().length, 2);
    // flip a byte inside the first record: not a torn write
    const buf = readFileSync(path);
    buf[12] = buf[12]! ^ 0xff;
    writeFileSync(path, buf);
    assert.throws(() => new FileWal(path), /WAL_CORRUPT|checksum/);
    const repaired = new FileWal(path, { repair: true });
    assert.equal(repaired.entries().length, 0);
    assert.ok(repaired.recovery.truncatedBytes > 0);
    repaired.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
