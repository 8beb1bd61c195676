/**
 * The rule engine: published rules (src/rules) applied to the committed txs of each chain in
 * their scope, in block order. Windows and sequences are kept per chain — each chain's stream is
 * ordered, the alliance's as a whole is not — so replaying a chain from a height gives the same
 * alerts with the same ids (docs/supervision.md#exactly-once).
 */
import { createHash } from 'node:crypto';
import { canonicalize, type JsonValue } from '../codec/index.ts';
import { activation, type CompiledRule, type ListMaps, type Observation } from '../rules/index.ts';
import type { Alert, TxRef } from '../sdk/index.ts';
import { PendingSequences } from './sequence.ts';
import { SlidingWindows } from './window.ts';

/** A published rule as the engine runs it: compiled, with the chains and senders it looks at. */
export interface ActiveRule {
  id: string;
  version: number;
  owner: string;
  compiled: CompiledRule;
  /** Chains observed: the rule's scope within its regulator's ("*" = every chain). */
  chains: ReadonlySet<string> | '*';
  modules?: ReadonlySet<string>;
  /** Senders observed (the regulator's organisations); absent = every sender. */
  senders?: ReadonlySet<string>;
  /** With `senders`: chains owned by those organisations, whose every tx is observed. */
  ownedChains?: ReadonlySet<string>;
}

/** Everything the rules read besides the tx: lists and approvals, as of a governance height. */
export interface RuleContext {
  lists: ListMaps;
  /** Approved lex template hashes. */
  templates: ReadonlySet<string>;
  /** Approved EVM init code hashes (sha256 of the code bytes, hex). */
  codes: ReadonlySet<string>;
  govHeight: number;
}

/** An alert as the engine raises it; the service stamps it and keeps it. */
export type AlertDraft = Omit<Alert, 'proofs' | 'raisedAt' | 'status' | 'workOrder' | 'assignee' | 'proposals' | 'history'>;

export interface EngineStats {
  /** Observations looked at. */
  txs: number;
  /** Rule evaluations (a rule applied to a tx in its scope). */
  evaluations: number;
  /** Evaluations whose expression failed on the tx (a missing field, a wrong type): counted, never alerted. */
  errors: number;
  alerts: number;
}

/** Per chain, per rule: windows or pending sequences. */
type RuleState = SlidingWindows | PendingSequences;

export function alertId(parts: JsonValue): string {
  return createHash('sha256').update(canonicalize(parts)).digest('hex');
}

const refOf = (o: Observation): TxRef => ({ chain: o.chain, hash: o.hash, height: o.height, index: o.index });

export class RuleEngine {
  private rules: ActiveRule[] = [];
  private ctx: RuleContext = { lists: {}, templates: new Set(), codes: new Set(), govHeight: 0 };
  /** chain → `${rule}@${version}` → state. */
  private readonly state = new Map<string, Map<string, RuleState>>();
  readonly stats: EngineStats = { txs: 0, evaluations: 0, errors: 0, alerts: 0 };
  /** The last evaluation error per rule (for the API's rule view). */
  readonly lastErrors = new Map<string, string>();

  /** Replaces the rules; state of a rule whose version is unchanged is kept, the rest dropped. */
  setRules(rules: ActiveRule[], ctx: RuleContext): void {
    this.rules = rules;
    this.ctx = ctx;
    const live = new Set(rules.map((r) => `${r.id}@${r.version}`));
    for (const perChain of this.state.values()) for (const k of perChain.keys()) if (!live.has(k)) perChain.delete(k);
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  /** Drops a chain's windows and sequences (before replaying it from an earlier height). */
  resetChain(chain: string): void {
    this.state.delete(chain);
  }

  /** Applies every rule in scope to one committed tx; returns the alerts it raises. */
  observe(o: Observation): AlertDraft[] {
    this.stats.txs++;
    let vars: Record<string, unknown> | undefined;
    const out: AlertDraft[] = [];
    for (const r of this.rules) {
      if (r.chains !== '*' && !r.chains.has(o.chain)) continue;
      if (r.modules && !r.modules.has(o.module)) continue;
      if (r.senders && !r.senders.has(o.from) && !r.ownedChains?.has(o.chain)) continue;
      this.stats.evaluations++;
      vars ??= activation(o, this.ctx.lists);
      try {
        const a = this.apply(r, o, vars);
        if (a) out.push(a);
      } catch (err) {
        this.stats.errors++;
        this.lastErrors.set(r.id, `${o.chain}:${o.height}:${o.index} ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`.slice(0, 300));
      }
    }
    this.stats.alerts += out.length;
    return out;
  }

  private apply(r: ActiveRule, o: Observation, vars: Record<string, unknown>): AlertDraft | undefined {
    const c = r.compiled;
    const base = (detail: string, txs: TxRef[], idParts: JsonValue, extra: { key?: string; value?: string } = {}): AlertDraft => ({
      id: alertId({ rule: r.id, version: r.version, chain: o.chain, ...(idParts as Record<string, JsonValue>) }),
      rule: r.id, version: r.version, severity: c.spec.severity, title: c.spec.title, owner: r.owner,
      chain: o.chain, height: o.height, time: o.time, detail, txs, govHeight: this.ctx.govHeight, ...extra,
    });
    switch (c.kind) {
      case 'match':
        return truth(c.when.evaluate(vars)) ? base(`${o.module}.${o.method} by ${o.from} matched`, [refOf(o)], { tx: o.hash }) : undefined;
      case 'window': {
        if (!truth(c.when.evaluate(vars))) return undefined;
        const key = keyOf(c.by.evaluate(vars));
        const value = c.sum ? amountOf(c.sum.evaluate(vars)) : 1n;
        const windows = this.stateFor(o.chain, r, () => new SlidingWindows(c.windowMs)) as SlidingWindows;
        const step = windows.add(key, o.time, value, refOf(o));
        if (!(step.before <= c.over && step.after > c.over)) return undefined;
        const what = c.sum ? 'sum' : 'count';
        return base(`${what} ${step.after} > ${c.over} within ${c.windowMs} ms for ${key} (${step.count} txs)`, step.evidence, { key, tx: o.hash }, { key, value: step.after.toString() });
      }
      case 'sequence': {
        const seqs = this.stateFor(o.chain, r, () => new PendingSequences(c.withinBlocks)) as PendingSequences;
        let alert: AlertDraft | undefined;
        if (truth(c.then.evaluate(vars))) {
          const key = keyOf(c.by.evaluate(vars));
          const first = seqs.take(key, o.height);
          if (first) alert = base(`${key}: ${first.hash.slice(0, 12)}… at ${first.height}, then ${o.hash.slice(0, 12)}… at ${o.height} (within ${c.withinBlocks} blocks)`, [first, refOf(o)], { first: first.hash, then: o.hash }, { key });
        }
        if (truth(c.first.evaluate(vars))) seqs.add(keyOf(c.by.evaluate(vars)), refOf(o));
        return alert;
      }
      case 'deploy': {
        if (!o.ok || o.module !== 'evm' || o.method !== 'deploy') return undefined;
        const code = (o.args as { code?: unknown }).code;
        if (typeof code !== 'string') return undefined;
        const hash = createHash('sha256').update(Buffer.from(code.replace(/^0x/, ''), 'hex')).digest('hex');
        if (this.ctx.codes.has(hash)) return undefined;
        return base(`EVM contract deployed by ${o.from} from init code ${hash} that no regulator approved`, [refOf(o)], { tx: o.hash }, { key: hash });
      }
      case 'template': {
        if (!o.ok || o.module !== 'lexcontract' || o.method !== 'draft') return undefined;
        const template = (o.args as { template?: unknown }).template;
        if (typeof template !== 'string' || this.ctx.templates.has(template)) return undefined;
        return base(`lex contract drafted by ${o.from} from template ${template} that no regulator approved`, [refOf(o)], { tx: o.hash }, { key: template });
      }
    }
  }

  private stateFor(chain: string, r: ActiveRule, make: () => RuleState): RuleState {
    let perChain = this.state.get(chain);
    if (!perChain) this.state.set(chain, (perChain = new Map()));
    const k = `${r.id}@${r.version}`;
    let s = perChain.get(k);
    if (!s) perChain.set(k, (s = make()));
    return s;
  }
}

function truth(v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Error(`the condition gave ${typeof v === 'bigint' ? 'an int' : typeof v}, not a bool`);
  return v;
}

/** A key as text: strings as they are, ints in decimal; anything else is an evaluation error. */
function keyOf(v: unknown): string {
  if (typeof v === 'string') return v.slice(0, 200);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw new Error(`the key gave ${v === null ? 'null' : typeof v}, not a string or int`);
}

/** An amount: a CEL int or a decimal string, never negative. */
function amountOf(v: unknown): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'string' && /^[0-9]{1,38}$/.test(v)) n = BigInt(v);
  else throw new Error(`the amount gave ${typeof v === 'string' ? `"${v.slice(0, 40)}"` : typeof v}, not a whole number`);
  if (n < 0n) throw new Error(`the amount ${n} is negative`);
  return n;
}
