/**
 * The rules in force at a height of the governance chain: the `supervision` module's rules,
 * lists and approvals, each rule limited to its regulator's scope as the governance registry
 * holds it then (a rule of a regulator no longer registered is not applied).
 */
import type { JsonValue } from '../codec/index.ts';
import type { Regulator } from '../modules/governance/types.ts';
import { govStateKey } from '../modules/governance/keys.ts';
import { supStateKey } from '../modules/supervision/keys.ts';
import type { ApprovalRecord, ListRecord, RuleRecord } from '../modules/supervision/types.ts';
import { checkRule, type ListMaps } from '../rules/index.ts';
import type { ActiveRule, RuleContext } from './engine.ts';
import type { Feed } from './feed.ts';

export interface LoadedRules {
  rules: ActiveRule[];
  ctx: RuleContext;
  records: RuleRecord[];
  regulators: Regulator[];
  /** Member organisations (statistics per organisation count their txs). */
  members: ReadonlySet<string>;
  /** Chain owners from the registry (a regulator's organisations include the chains they own). */
  owners: ReadonlyMap<string, string>;
  /** Rules that could not be compiled by this build (never expected: the module checked them). */
  skipped: Array<{ id: string; reason: string }>;
}

type Read = (key: string) => Promise<JsonValue | null>;

/** Reads what the rule engine needs from the governance chain at `height`. */
export async function loadRules(feed: Feed, govChain: string, height: number): Promise<LoadedRules> {
  const read: Read = (key) => feed.state(govChain, key, height);
  const list = async <T>(indexKey: string, itemKey: (id: string) => string): Promise<T[]> => {
    const ids = ((await read(indexKey)) as string[] | null) ?? [];
    const out = await Promise.all(ids.map(async (id) => (await read(itemKey(id))) as T | null));
    return out.filter((x): x is Awaited<T> & {} => x !== null) as T[];
  };
  const [records, lists, templates, codes, regulators, members, chains] = await Promise.all([
    list<RuleRecord>(supStateKey.rules(), supStateKey.rule),
    list<ListRecord>(supStateKey.lists(), supStateKey.list),
    list<ApprovalRecord>(supStateKey.approvals('lex-template'), (h) => supStateKey.approval('lex-template', h)),
    list<ApprovalRecord>(supStateKey.approvals('evm-code'), (h) => supStateKey.approval('evm-code', h)),
    list<Regulator>(govStateKey.regulators(), govStateKey.regulator),
    (async () => ((await read(govStateKey.members())) as string[] | null) ?? [])(),
    list<{ id: string; owner: string }>(govStateKey.chains(), govStateKey.chain),
  ]);
  const owners = new Map(chains.map((c) => [c.id, c.owner]));
  const byDid = new Map(regulators.map((r) => [r.did, r]));
  const listMaps: ListMaps = {};
  for (const l of lists) listMaps[l.name] = Object.fromEntries(l.items.map((i) => [i, true as const]));
  const rules: ActiveRule[] = [];
  const skipped: LoadedRules['skipped'] = [];
  for (const rec of records) {
    if (rec.status !== 'active') continue;
    const reg = byDid.get(rec.owner);
    if (!reg) {
      skipped.push({ id: rec.id, reason: `its regulator ${rec.owner} is no longer registered` });
      continue;
    }
    try {
      rules.push(activeRule(rec, reg, owners));
    } catch (err) {
      skipped.push({ id: rec.id, reason: (err as Error).message });
    }
  }
  return {
    rules, records, regulators, members: new Set(members), owners, skipped,
    ctx: {
      lists: listMaps,
      templates: new Set(templates.filter((a) => a.revokedAt === undefined).map((a) => a.hash)),
      codes: new Set(codes.filter((a) => a.revokedAt === undefined).map((a) => a.hash)),
      govHeight: height,
    },
  };
}

/** A rule limited to its regulator's scope: chains, modules, organisations. */
export function activeRule(rec: RuleRecord, reg: Regulator, owners: ReadonlyMap<string, string>): ActiveRule {
  const compiled = checkRule(rec.spec);
  const scope = rec.spec.scope;
  const regAll = reg.chains.includes('*');
  const ruleAll = scope.chains.includes('*');
  let chains: Set<string> | '*';
  if (regAll && ruleAll) chains = '*';
  else if (ruleAll) chains = new Set(reg.chains);
  else chains = new Set(scope.chains.filter((c) => regAll || reg.chains.includes(c)));
  const modules = scope.modules || reg.modules
    ? new Set((scope.modules ?? reg.modules)!.filter((m) => !reg.modules || reg.modules.includes(m)))
    : undefined;
  return {
    id: rec.id, version: rec.version, owner: rec.owner, compiled, chains,
    ...(modules ? { modules } : {}),
    // Organisations: their txs anywhere in scope, and every tx on the chains they own.
    ...(reg.orgs ? { senders: new Set(reg.orgs), ownedChains: new Set([...owners].filter(([, o]) => reg.orgs!.includes(o)).map(([c]) => c)) } : {}),
  };
}
