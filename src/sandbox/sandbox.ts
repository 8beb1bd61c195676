/**
 * The simulation sandbox (安全沙箱, white paper §5.2.2; 监管沙箱 §5.1; issue #24): forks of
 * several chains at chosen heights, kept by the node for a while, on which txs and bundles are
 * simulated through the chains' own block execution, with effects and a risk report. Bounded:
 * how many forks, how long they live, how many bytes each holds, how many txs one simulation
 * has and how long it may run (SANDBOX_LIMITS; docs/simulation.md#limits).
 */
import { randomBytes } from 'node:crypto';
import { ShulianError, canonicalize, type JsonValue } from '../codec/index.ts';
import { refsEqual, type NodeView, type Refs } from '../chain/index.ts';
import type { Tx } from '../ledger/index.ts';
import { govStateKey } from '../modules/governance/keys.ts';
import type { Proposal } from '../modules/governance/types.ts';
import { settlementFullKey } from '../modules/settlement/keys.ts';
import type { AccountRecord } from '../modules/settlement/types.ts';
import { observationsOf } from '../rules/index.ts';
import { NONCE_PREFIX, frozenError, freezeKey, type AllianceView, type Executor } from '../runtime/index.ts';
import { RuleEngine, loadRules, type AlertDraft, type Feed } from '../supervision/index.ts';
import type {
  ForkInfo, ForkTarget, SimReceipt, SimRequest, SimTx, SimulateOnceRequest, SimulationResult,
} from '../sdk/index.ts';
import { ChainFork, entryOf, type ForkBlock, type ForkEntry } from './fork.ts';
import { effectsOf } from './effects.ts';
import { didsIn, riskOf, type PartyJudge } from './risk.ts';
import { SIM_RELAY, packetsSent, relayExecutor, relayPackets } from './relay.ts';

export interface SandboxLimits {
  /** Forks (each of up to maxChains chains) the node keeps at once. */
  maxForks: number;
  /** Chains in one fork. */
  maxChains: number;
  /** A fork is dropped this long after its last use. */
  ttlMs: number;
  /** Bytes one chain's fork may hold (its writes and tree nodes). */
  maxForkBytes: number;
  /** Txs in one simulation (the request's; votes added for passProposals not counted). */
  maxTxs: number;
  /** Wall time of one simulation; past it the simulation stops with SIM_TIMEOUT and keeps nothing. */
  timeMs: number;
  /** Blocks one replay (parity check) may run. */
  maxReplayBlocks: number;
  /** One-shot simulations (simulateOnce) and replays running at once; they hold no place among the forks. */
  maxRunning: number;
}

export const SANDBOX_LIMITS: SandboxLimits = {
  maxForks: 32, maxChains: 8, ttlMs: 15 * 60_000, maxForkBytes: 64 * 1024 * 1024, maxTxs: 32, timeMs: 10_000, maxReplayBlocks: 1000, maxRunning: 4,
};

interface ForkGroup {
  id: string;
  forks: Map<string, ChainFork>;
  forkedAt: Map<string, number>;
  createdAt: number;
  expiresAt: number;
  /** Simulations on one fork run one at a time. */
  queue: Promise<unknown>;
}

/** One divergence between a replay on a fork and the chain's committed block. */
export interface Divergence {
  height: number;
  what: 'state root' | 'receipt root' | 'tx root';
  expected: string;
  got: string;
}

export class SimulationSandbox {
  readonly limits: SandboxLimits;
  private readonly groups = new Map<string, ForkGroup>();
  private readonly now: () => number;
  private running = 0;

  constructor(private readonly node: NodeView, opts: { limits?: Partial<SandboxLimits>; now?: () => number } = {}) {
    this.limits = { ...SANDBOX_LIMITS, ...opts.limits };
    this.now = opts.now ?? Date.now;
  }

  /** The governance chain this node hosts, if any (supervision rules and freezes live there). */
  private govChain(): string | undefined {
    return this.node.chains().find((c) => c.genesis.modules.includes('governance'))?.id;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, g] of this.groups) if (g.expiresAt <= now) this.groups.delete(id);
  }

  /** Forks chains at heights (absent: their heads). Nothing is copied. */
  fork(targets: ForkTarget[]): ForkInfo {
    this.sweep();
    const g = this.makeGroup(targets);
    if (this.groups.size >= this.limits.maxForks) {
      throw new ShulianError('SIM_FORK_LIMIT', `this node keeps at most ${this.limits.maxForks} simulation forks at once; drop one (POST /v1/simulation/forks/<id>/drop) or wait for one to expire (${Math.ceil(this.limits.ttlMs / 1000)} s after its last use)`);
    }
    this.groups.set(g.id, g);
    return this.infoOf(g);
  }

  private makeGroup(targets: ForkTarget[]): ForkGroup {
    if (targets.length === 0) throw new ShulianError('SIM_BAD_REQUEST', 'name at least one chain to fork');
    if (targets.length > this.limits.maxChains) throw new ShulianError('SIM_BAD_REQUEST', `a fork holds at most ${this.limits.maxChains} chains; ${targets.length} were named`);
    const forks = new Map<string, ChainFork>();
    const forkedAt = new Map<string, number>();
    for (const t of targets) {
      if (forks.has(t.chain)) throw new ShulianError('SIM_BAD_REQUEST', `chain ${t.chain} is named twice`);
      const view = this.node.chain(t.chain);
      if (!view) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no chain "${t.chain}"`);
      const base = view.forkAt(t.height ?? view.height());
      forks.set(t.chain, new ChainFork(base, this.limits.maxForkBytes));
      forkedAt.set(t.chain, base.height);
    }
    const now = this.now();
    return { id: randomBytes(16).toString('hex'), forks, forkedAt, createdAt: now, expiresAt: now + this.limits.ttlMs, queue: Promise.resolve() };
  }

  /** Runs a one-shot job within maxRunning; BUSY past it. */
  private async bounded<T>(what: string, job: () => Promise<T>): Promise<T> {
    if (this.running >= this.limits.maxRunning) {
      throw new ShulianError('BUSY', `this node runs at most ${this.limits.maxRunning} ${what} at once; retry in a moment`, { retryAfterS: 1 });
    }
    this.running++;
    try {
      return await job();
    } finally {
      this.running--;
    }
  }

  info(id: string): ForkInfo {
    return this.infoOf(this.group(id));
  }

  drop(id: string): void {
    this.group(id);
    this.groups.delete(id);
  }

  get size(): number {
    this.sweep();
    return this.groups.size;
  }

  private group(id: string): ForkGroup {
    this.sweep();
    const g = this.groups.get(id);
    if (!g) throw new ShulianError('SIM_FORK_NOT_FOUND', `no simulation fork "${String(id).slice(0, 80)}" (forks expire ${Math.ceil(this.limits.ttlMs / 1000)} s after their last use); fork again with POST /v1/simulation/forks`);
    g.expiresAt = this.now() + this.limits.ttlMs;
    return g;
  }

  private infoOf(g: ForkGroup): ForkInfo {
    return {
      id: g.id, createdAt: g.createdAt, expiresAt: g.expiresAt,
      chains: [...g.forks.values()].map((f) => ({ chain: f.chain, forkedAt: g.forkedAt.get(f.chain)!, height: f.height, stateRoot: f.stateRoot, bytes: f.bytes })),
    };
  }

  /** Forks the chains the txs name (or `at`), simulates, and drops the fork. */
  async simulateOnce(req: SimulateOnceRequest): Promise<SimulationResult> {
    const named = new Set(req.txs.map((t) => ('signed' in t ? t.signed.chain : t.chain)));
    const gov = this.govChain();
    // The governance chain is forked too, so freezes and rules the bundle changes apply to its other txs.
    if (gov && this.node.chain(gov)) named.add(gov);
    const at = new Map((req.at ?? []).map((t) => [t.chain, t]));
    for (const c of named) if (!at.has(c)) at.set(c, { chain: c });
    if (req.txs.length > this.limits.maxTxs) throw tooMany(req.txs.length, this.limits.maxTxs);
    // Its fork is its own: it takes no place among the kept forks (one-shot runs are bounded by maxRunning).
    return this.bounded('one-shot simulations', () => this.simulateOn(this.makeGroup([...at.values()]), { ...req, keep: false }));
  }

  /** Simulates a request on a fork; only with `keep` do its blocks stay on the fork. */
  async simulate(id: string, req: SimRequest): Promise<SimulationResult> {
    return this.simulateOn(this.group(id), req);
  }

  private async simulateOn(g: ForkGroup, req: SimRequest): Promise<SimulationResult> {
    if (req.txs.length === 0) throw new ShulianError('SIM_BAD_REQUEST', 'a simulation needs at least one tx');
    if (req.txs.length > this.limits.maxTxs) throw tooMany(req.txs.length, this.limits.maxTxs);
    let timedOut = false;
    // The timer below fires only when the event loop turns; a simulation whose steps never yield
    // to it would outrun it. So each step also reads the clock against the deadline (set when the
    // simulation starts, after those queued before it).
    let deadline = Infinity;
    const past = (): boolean => timedOut || performance.now() >= deadline;
    const work = g.queue.then(() => {
      if (timedOut) return undefined;
      deadline = performance.now() + this.limits.timeMs;
      return this.run(g, req, past);
    });
    g.queue = work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new ShulianError('SIM_TIMEOUT', `the simulation ran past ${this.limits.timeMs} ms and was stopped; nothing of it was kept. Simulate fewer or cheaper txs`));
      }, this.limits.timeMs);
    });
    return Promise.race([work as Promise<SimulationResult>, limit]).finally(() => clearTimeout(timer));
  }

  private async run(g: ForkGroup, req: SimRequest, timedOut: () => boolean): Promise<SimulationResult> {
    const started = performance.now();
    const gov = this.govChain();
    const children = new Map([...g.forks].map(([c, f]) => [c, f.child()]));
    const txsOf = new Map<string, SimTx[]>();
    for (const t of req.txs) {
      const chain = 'signed' in t ? t.signed.chain : t.chain;
      if (!children.has(chain)) throw new ShulianError('SIM_CHAIN_NOT_FORKED', `a tx names chain ${chain}, which fork ${g.id} does not hold (it holds ${[...children.keys()].join(', ')})`);
      txsOf.set(chain, [...(txsOf.get(chain) ?? []), t]);
    }
    // Overrides: balances, then the blocks' time and height.
    const o = req.overrides ?? {};
    for (const b of o.balances ?? []) {
      const f = children.get(b.chain);
      if (!f) throw new ShulianError('SIM_CHAIN_NOT_FORKED', `overrides.balances names chain ${b.chain}, which the fork does not hold`);
      const key = settlementFullKey.account(b.currency, b.did);
      const cur = f.get(key);
      const rec: AccountRecord = cur ? { ...(JSON.parse(cur) as AccountRecord), balance: b.amount } : { account: b.did, currency: b.currency, balance: b.amount, entries: 0 };
      f.override(key, canonicalize(rec as unknown as JsonValue));
    }
    // Rules in force before the bundle: the governance fork's, else the governance chain's head.
    const ruleFeed: Feed = {
      chains: async () => [],
      chain: () => { throw new ShulianError('SIM_BAD_REQUEST', 'the sandbox reads rules only'); },
      state: async (chain, key) => {
        const f = children.get(chain);
        if (f) {
          const v = f.get(key);
          return v === undefined ? null : (JSON.parse(v) as JsonValue);
        }
        return this.node.chain(chain)?.getState(key).value ?? null;
      },
    };
    const loaded = gov ? await loadRules(ruleFeed, gov, children.get(gov)?.height ?? this.node.chain(gov)!.height()) : undefined;

    // Governance first: the other chains read its freezes as the bundle left them.
    const order = [...txsOf.keys()].sort((a, b) => (a === gov ? -1 : b === gov ? 1 : 0));
    const blocks: Array<{ chain: string; block: ForkBlock; synthetic: Set<string>; args: Map<string, JsonValue> }> = [];
    const judges = new Map<string, PartyJudge>();
    const allianceFor = (f: ChainFork, refs: Refs): AllianceView => {
      const source = f.base.allianceSource;
      if (source === undefined && f.chain === gov) return f.base.allianceOver(f.stateAt());
      const sf = source === undefined ? undefined : children.get(source);
      return sf ? f.base.allianceOver(sf.stateAt()) : f.base.allianceView(refs);
    };
    const runOn = async (f: ChainFork, entries: ForkEntry[], synthetic: Set<string>, args: Map<string, JsonValue>, height?: number, executor?: Executor) => {
      const refs = f.nextRefs();
      const alliance = allianceFor(f, refs);
      const h = height ?? f.height + 1;
      if (h <= f.height) throw new ShulianError('SIM_BAD_REQUEST', `overrides.height ${h} is not above the fork of ${f.chain} (at ${f.height})`);
      const time = Math.max(o.time ?? this.now(), f.time + 1);
      // Parties as the block reads them: memoised before it runs, so a freeze this very block votes
      // (a freeze proposal taken as passed) is not held against the proposal that makes it.
      const memo = new Map<string, ReturnType<AllianceView['frozen']>>();
      const frozen = (did: string) => {
        if (!memo.has(did)) memo.set(did, alliance.frozen(freezeKey.did(did)));
        return memo.get(did);
      };
      for (const e of entries) {
        frozen(e.tx.from);
        for (const d of didsIn(e.tx.args)) frozen(d);
      }
      const block = await f.execute(entries, { height: h, time, refs, alliance, keep: true, ...(refsEqual(refs, f.refs) ? {} : { named: refs }), ...(executor ? { executor } : {}) });
      blocks.push({ chain: f.chain, block, synthetic, args });
      const previous = judges.get(f.chain);
      judges.set(f.chain, previous ?? {
        frozen,
        refuse: (did) => {
          const fr = frozen(did);
          if (fr) return { code: 'TX_FROZEN', message: frozenError({ type: 'did', did }, fr).message };
          const v = f.base.judgeParty(did, refs);
          return v.ok ? undefined : { code: v.code, message: v.message };
        },
      });
      return block;
    };
    for (const chain of order) {
      if (timedOut()) throw new ShulianError('SIM_TIMEOUT', 'the simulation ran past its time limit');
      const f = children.get(chain)!;
      const next = new Map<string, number>();
      const args = new Map<string, JsonValue>();
      const entries = txsOf.get(chain)!.map((t, i) => {
        const e = this.entry(f, t, next, `txs of chain ${chain}[${i}]`, (o.height ?? f.height + 1));
        args.set(e.hash, e.tx.args);
        return e;
      });
      const block = await runOn(f, entries, new Set(), args, o.height);
      if (req.passProposals && chain === gov) {
        // Proposals the bundle opened are taken as passed: each voter votes yes, in the next block.
        const votes: ForkEntry[] = [];
        const synthetic = new Set<string>();
        const vnext = new Map<string, number>();
        block.run.receipts.forEach((r, i) => {
          const tx = entries[i]!.tx;
          if (r.status !== 'ok' || tx.module !== 'governance' || tx.method !== 'propose') return;
          const id = (r.result as { id?: unknown } | undefined)?.id;
          if (typeof id !== 'number') return;
          const p = JSON.parse(f.get(govStateKey.proposal(id)) ?? 'null') as Proposal | null;
          for (const voter of p?.status === 'voting' ? p.electorate : []) {
            const e = this.entry(f, { chain, from: voter, module: 'governance', method: 'vote', args: { id, choice: 'yes' } }, vnext, 'a vote', f.height + 1);
            synthetic.add(e.hash);
            votes.push(e);
          }
        });
        if (votes.length > 0) await runOn(f, votes.slice(0, f.base.maxBlockTxs), synthetic, new Map());
      }
    }
    if (timedOut()) throw new ShulianError('SIM_TIMEOUT', 'the simulation ran past its time limit');

    // Packets to chains of this fork are delivered and acknowledged there (relay.ts), in rounds.
    const delivered = await relayPackets({
      holds: (c) => children.get(c)?.base.genesis.modules.includes('xchain') === true,
      timedOut,
      run: async (chain, m, a) => {
        const f = children.get(chain)!;
        const e = this.entry(f, { chain, from: SIM_RELAY, module: 'xchain', method: m, args: a }, new Map(), 'a relay tx', f.height + 1);
        const block = await runOn(f, [e], new Set([e.hash]), new Map(), undefined, relayExecutor(f.base.executor));
        const r = block.run.receipts[0]!;
        return {
          height: block.height, status: r.status, writes: block.run.writes, before: block.before,
          ...(r.status === 'failed' ? { error: `${r.code}: ${r.message}` } : {}),
        };
      },
    }, blocks.flatMap(({ block }) => packetsSent(block.run.writes, block.before)));
    if (timedOut()) throw new ShulianError('SIM_TIMEOUT', 'the simulation ran past its time limit');

    const receipts: SimReceipt[] = [];
    const events: SimulationResult['events'] = [];
    const alerts: Array<{ chain: string; tx: string; alert: AlertDraft }> = [];
    const engine = new RuleEngine();
    if (loaded) engine.setRules(loaded.rules, loaded.ctx);
    const allArgs = new Map<string, JsonValue>();
    let gasUsed = 0;
    for (const { chain, block, synthetic, args } of blocks) {
      for (const [h, a] of args) allArgs.set(h, a);
      block.run.receipts.forEach((r, index) => {
        const e = block.entries[index]!;
        // Votes after a proposal already passed are refused; they are the simulator's, not the caller's.
        if (synthetic.has(r.tx) && r.status === 'failed') return;
        gasUsed += r.gasUsed;
        receipts.push({ ...r, chain, height: block.height, index, from: e.tx.from, module: e.tx.module, method: e.tx.method, ...(synthetic.has(r.tx) ? { synthetic: true } : {}) });
        for (const ev of r.events) events.push({ ...ev, chain, tx: r.tx });
      });
      const obs = observationsOf({
        header: { chain, height: block.height, prev: '', time: block.time, txCount: block.entries.length, txRoot: block.run.txRoot, receiptRoot: block.run.receiptRoot, stateRoot: block.run.stateRoot, proposer: 'simulation' },
        hash: '', sig: '', txs: block.entries.map((e) => e.tx), receipts: block.run.receipts,
      });
      for (const ob of obs) {
        if (synthetic.has(ob.hash)) continue;
        for (const alert of engine.observe(ob)) alerts.push({ chain, tx: ob.hash, alert });
      }
    }
    const effects = effectsOf(blocks.map(({ chain, block }) => ({ chain, writes: block.run.writes, before: block.before })));
    const risk = riskOf({
      receipts, args: allArgs, balances: effects.balances, packets: effects.packets, delivered, judges, alerts,
      overridden: o.time !== undefined || o.height !== undefined || (o.balances?.length ?? 0) > 0,
    });
    const keep = req.keep === true && !timedOut();
    if (keep) for (const c of children.values()) c.mergeIntoParent();
    return {
      fork: g.id, receipts, events, gasUsed, ...effects, delivered,
      blocks: blocks.map(({ chain, block }) => ({ chain, height: block.height, time: block.time, stateRoot: block.run.stateRoot })),
      risk: { ...risk, rules: { applied: loaded?.rules.length ?? 0, govHeight: loaded?.ctx.govHeight ?? -1 } },
      kept: keep, ms: Math.round(performance.now() - started),
    };
  }

  /** A tx of a simulation as a block entry: signed as it is, unsigned with the sender's next nonce. */
  private entry(f: ChainFork, t: SimTx, next: Map<string, number>, where: string, height: number): ForkEntry {
    if ('signed' in t) {
      const e = entryOf(f.base.suite, t.signed);
      const expected = next.get(t.signed.from) ?? Number(f.get(NONCE_PREFIX + t.signed.from) ?? 0);
      if (t.signed.nonce !== expected) throw new ShulianError('SIM_BAD_REQUEST', `${where}: the signed tx has nonce ${t.signed.nonce}; ${t.signed.from} is at nonce ${expected} on the fork`);
      if (t.signed.expires < height) throw new ShulianError('SIM_BAD_REQUEST', `${where}: the signed tx expired at height ${t.signed.expires}; the simulated block is ${height}`);
      next.set(t.signed.from, expected + 1);
      return e;
    }
    const expected = next.get(t.from) ?? Number(f.get(NONCE_PREFIX + t.from) ?? 0);
    const nonce = t.nonce ?? expected;
    if (nonce !== expected) throw new ShulianError('SIM_BAD_REQUEST', `${where}: nonce ${nonce} is not ${t.from}'s next on the fork (${expected}); leave it out to take the next`);
    next.set(t.from, expected + 1);
    // No signature: a placeholder of a signature's length, so the gas of the tx bytes is as signed.
    const tx: Tx = { chain: t.chain, from: t.from, pubkey: t.pubkey ?? '', nonce, module: t.module, method: t.method, args: t.args, expires: height, sig: '0'.repeat(128) };
    return entryOf(f.base.suite, tx);
  }

  /**
   * Parity (issue #24 item 3): forks `chain` at `from` and replays its committed blocks up to
   * `to` on the fork, through the same execution; every state, receipt and tx root is compared.
   */
  replay(chain: string, from: number, to: number): Promise<{ blocks: number; txs: number; divergences: Divergence[]; ms: number }> {
    return this.bounded('replays and one-shot simulations', () => this.replayNow(chain, from, to));
  }

  private async replayNow(chain: string, from: number, to: number): Promise<{ blocks: number; txs: number; divergences: Divergence[]; ms: number }> {
    const view = this.node.chain(chain);
    if (!view) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no chain "${chain}"`);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to <= from || to > view.height()) {
      throw new ShulianError('SIM_BAD_REQUEST', `replay needs 0 <= from < to <= ${view.height()} (the chain's height); got from ${from}, to ${to}`);
    }
    if (to - from > this.limits.maxReplayBlocks) throw new ShulianError('SIM_BAD_REQUEST', `a replay runs at most ${this.limits.maxReplayBlocks} blocks; ${to - from} were asked`);
    const started = performance.now();
    const fork = new ChainFork(view.forkAt(from), this.limits.maxForkBytes);
    const divergences: Divergence[] = [];
    let txs = 0;
    for (let h = from + 1; h <= to; h++) {
      const { block, run } = await fork.replay(h);
      txs += block.txs.length;
      const hd = block.header;
      if (run.stateRoot !== hd.stateRoot) divergences.push({ height: h, what: 'state root', expected: hd.stateRoot, got: run.stateRoot });
      if (run.receiptRoot !== hd.receiptRoot) divergences.push({ height: h, what: 'receipt root', expected: hd.receiptRoot, got: run.receiptRoot });
      if (run.txRoot !== hd.txRoot) divergences.push({ height: h, what: 'tx root', expected: hd.txRoot, got: run.txRoot });
    }
    return { blocks: to - from, txs, divergences, ms: Math.round(performance.now() - started) };
  }
}

function tooMany(n: number, max: number): ShulianError {
  return new ShulianError('SIM_TOO_MANY_TXS', `a simulation has at most ${max} txs; this one has ${n}. Split the bundle, or keep the first part on a fork (keep: true) and simulate the rest after it`);
}
