/**
 * The supervision module beside governance, through the real Executor on an in-memory governance
 * chain: only registered regulators publish, within their scope; rules are versioned; a rule
 * that does not parse or could run unbounded is refused when published, and changes nothing;
 * lists and approvals; governance.regulator answers the supervision module only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../../src/codec/index.ts';
import type { Receipt } from '../../src/ledger/index.ts';
import { supervisionModule, type ListRecord, type RuleRecord } from '../../src/modules/supervision/index.ts';
import { method, type ModuleDef } from '../../src/runtime/index.ts';
import { z } from 'zod';
import { MemGov, alliance, newOrg, validatorOf, type Org } from '../helpers/governance.ts';

const ok = (r: Receipt): Receipt => {
  assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
  return r;
};

/** A module that tries to read the regulator registry the way supervision does. */
const nosy: ModuleDef = {
  name: 'nosy', description: 'test', methods: {
    peek: method({ doc: 'x', args: z.strictObject({ did: z.string() }), gas: 100, run: (ctx, a) => ctx.call('governance', 'regulator', { did: a.did }) ?? null }),
  },
};

const rule = (over: Record<string, JsonValue> = {}): Record<string, JsonValue> => ({
  id: 'burst', title: 'Transfer burst', severity: 'high', scope: { chains: ['settle'] }, kind: 'window',
  when: 'tx.module == "settlement" && tx.method == "transfer" && ok', by: 'tx.from', sum: 'int(tx.args.amount)', over: '5000000', windowMs: 3_600_000, ...over,
});

async function setup() {
  const op = newOrg();
  const a = newOrg();
  const g = new MemGov(MemGov.config(op.did), 'gov', [supervisionModule, nosy]);
  await alliance(g, op, [a]);
  const c = ok(await g.call(a.did, 'propose', {
    kind: 'create-chain',
    genesis: { chain: 'trade', name: 'Trade chain', suite: 'ed25519', consensus: { type: 'solo' }, validators: [validatorOf(newOrg())] as unknown as JsonValue, modules: ['notary'] },
  }));
  await g.block([op, a].map((v) => ({ from: v.did, method: 'vote', args: { id: (c.result as { id: number }).id, choice: 'yes' } })));
  const regs: Org[] = [];
  for (const chains of [['*'], ['trade']]) {
    const r = newOrg();
    const p = ok(await g.call(op.did, 'propose', { kind: 'register-regulator', regulator: { did: r.did, name: 'R', chains } }));
    const id = (p.result as { id: number }).id;
    await g.block([op, a].map((v) => ({ from: v.did, method: 'vote', args: { id, choice: 'yes' } })));
    regs.push(r);
  }
  return { g, op, a, wide: regs[0]!, narrow: regs[1]! };
}

const sup = (from: Org, method: string, args: JsonValue) => ({ from: from.did, module: 'supervision', method, args });
const strip = (s: string) => s.replace(/"sys\/nonce[^,]*,/g, '');

test('a regulator publishes a rule; a new version keeps the old one readable; only its owner changes it', async () => {
  const { g, wide, narrow, op } = await setup();
  const [r1] = await g.block([sup(wide, 'publish', { rule: rule() })]);
  assert.deepEqual(ok(r1!).result, { id: 'burst', version: 1 });
  const [r2] = await g.block([sup(wide, 'publish', { rule: rule({ over: '9000000' }) })]);
  assert.deepEqual(ok(r2!).result, { id: 'burst', version: 2 });
  const sget = <T>(k: string) => JSON.parse(g.state.get(`supervision/${k}`)!) as T;
  assert.equal(sget<RuleRecord>('rule/burst').spec.kind, 'window');
  assert.equal((sget<RuleRecord>('rule/burst/v/1').spec as { over: string }).over, '5000000');
  assert.equal((sget<RuleRecord>('rule/burst/v/2').spec as { over: string }).over, '9000000');
  assert.equal(sget<RuleRecord>('rule/burst/v/2').publishedAt, g.height);
  const before = strip(g.snapshot());
  const refused = await g.block([
    sup(narrow, 'publish', { rule: rule({ scope: { chains: ['trade'] } }) }),
    sup(op, 'publish', { rule: rule({ id: 'other' }) }),
    sup(wide, 'publish', { rule: rule({ over: '9000000' }) }),
    sup(narrow, 'retire', { id: 'burst' }),
  ]);
  assert.deepEqual(refused.map((r) => r.code), ['SUP_NOT_OWNER', 'SUP_NOT_REGULATOR', 'SUP_UNCHANGED', 'SUP_NOT_OWNER']);
  assert.equal(strip(g.snapshot()), before);
  const [ret] = await g.block([sup(wide, 'retire', { id: 'burst' })]);
  assert.deepEqual(ok(ret!).result, { id: 'burst', version: 3 });
  assert.equal(sget<RuleRecord>('rule/burst').status, 'retired');
});

test('rules that do not parse, could run unbounded or reach outside the scope are refused at publish; nothing written', async () => {
  const { g, narrow } = await setup();
  const before = strip(g.snapshot());
  const rs = await g.block([
    sup(narrow, 'publish', { rule: rule({ id: 'x1' }) }),
    sup(narrow, 'publish', { rule: rule({ id: 'x2', scope: { chains: ['trade'] }, when: 'tx.amount >' }) }),
    sup(narrow, 'publish', { rule: rule({ id: 'x3', scope: { chains: ['trade'] }, when: 'tx.from.matches("(a+)+$")' }) }),
    sup(narrow, 'publish', { rule: rule({ id: 'x4', scope: { chains: ['trade'] }, when: 'events.all(e, events.exists(f, f == e))' }) }),
    sup(narrow, 'publish', { rule: { id: 'x5' } }),
    sup(narrow, 'publish', { rule: rule({ id: 'x6', scope: { chains: ['trade'] }, windowMs: 10 ** 12 }) }),
  ]);
  assert.deepEqual(rs.map((r) => r.code), ['SUP_OUT_OF_SCOPE', 'RULE_EXPR_INVALID', 'RULE_UNBOUNDED', 'RULE_UNBOUNDED', 'RULE_INVALID', 'RULE_INVALID']);
  assert.match(rs[2]!.message!, /matches\(\) is not allowed/);
  assert.equal(strip(g.snapshot()), before);
  ok((await g.block([sup(narrow, 'publish', { rule: rule({ id: 'ok', scope: { chains: ['trade'] } }) })]))[0]!);
});

test('lists and approvals; governance.regulator answers the supervision module only', async () => {
  const { g, wide, narrow, op } = await setup();
  const bad = newOrg().did;
  ok((await g.block([sup(wide, 'setList', { name: 'sanctioned', items: [bad, bad] })]))[0]!);
  const list = JSON.parse(g.state.get('supervision/list/sanctioned')!) as ListRecord;
  assert.deepEqual(list.items, [bad]);
  assert.equal((await g.block([sup(narrow, 'setList', { name: 'sanctioned', items: [] })]))[0]!.code, 'SUP_NOT_OWNER');
  const h = 'cd'.repeat(32);
  ok((await g.block([sup(narrow, 'approve', { kind: 'lex-template', hash: h, name: 'Sale of goods v1' })]))[0]!);
  assert.equal((await g.block([sup(wide, 'approve', { kind: 'lex-template', hash: h, name: 'again' })]))[0]!.code, 'SUP_APPROVAL_EXISTS');
  ok((await g.block([sup(wide, 'revokeApproval', { kind: 'lex-template', hash: h })]))[0]!);
  assert.deepEqual(JSON.parse(g.state.get('supervision/approvals/lex-template')!), []);
  const peek = (await g.block([{ from: op.did, module: 'nosy', method: 'peek', args: { did: wide.did } }]))[0]!;
  assert.equal(peek.code, 'FORBIDDEN');
  assert.match(peek.message!, /called by module supervision only, not by module nosy/);
});
