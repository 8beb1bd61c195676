/**
 * Reliability of the settlement books under any sequence of valid and invalid operations:
 * Σ debits = Σ credits (per entry and in the running totals), balances sum to zero, no balance
 * below zero except issuance accounts, every instruction and every deposit pays at most once,
 * and replaying the same transactions on a fresh chain reproduces the same state root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generateKeyPair, type KeyPair } from '../src/crypto/index.ts';
import type { JsonValue } from '../src/codec/index.ts';
import type { Tx } from '../src/ledger/index.ts';
import { instructionIdOf } from '../src/modules/settlement/index.ts';
import { readAccount, readEntry, readInstructionByKey, readTotals } from '../src/settlement/index.ts';
import { didOf, openSettleKit, type Kit } from './helpers/settlement.ts';
import { tempDir } from './helpers/tmp.ts';
import { bounded } from './helpers/fuzz-budget.ts';

const keys = Array.from({ length: 5 }, () => generateKeyPair('sm2'));
const bank = keys[0]!;
const users = keys.slice(1, 4);
const taxman = keys[4]!;
const U = users.map(didOf);
const TAX = didOf(taxman);

type Op =
  | { op: 'mint'; to: number; amount: number; ref: number }
  | { op: 'transfer'; from: number; to: number; amount: number }
  | { op: 'instruct'; forge: number; payer: number; key: number; total: number; shares: number[]; cat: 'service' | 'goods' | 'bogus' | null; wait: boolean }
  | { op: 'withdraw'; from: number; amount: number }
  | { op: 'hold'; from: number; to: number; amount: number; id: number }
  | { op: 'capture'; from: number; id: number }
  | { op: 'release'; from: number; owner: number; id: number }
  | { op: 'retry'; payer: number }
  | { op: 'cancel'; from: number; payer: number; key: number };

const who = fc.integer({ min: 0, max: 2 });
const amt = fc.integer({ min: 0, max: 5_000 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('mint' as const), to: who, amount: fc.integer({ min: 0, max: 20_000 }), ref: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ op: fc.constant('transfer' as const), from: who, to: who, amount: amt }),
  fc.record({
    op: fc.constant('instruct' as const), forge: fc.integer({ min: 0, max: 4 }), payer: who, key: fc.integer({ min: 0, max: 4 }), total: amt,
    shares: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }),
    cat: fc.constantFrom('service' as const, 'goods' as const, 'bogus' as const, null), wait: fc.boolean(),
  }),
  fc.record({ op: fc.constant('withdraw' as const), from: who, amount: amt }),
  fc.record({ op: fc.constant('hold' as const), from: who, to: who, amount: amt, id: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant('capture' as const), from: who, id: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant('release' as const), from: who, owner: who, id: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant('retry' as const), payer: who }),
  fc.record({ op: fc.constant('cancel' as const), from: who, payer: who, key: fc.integer({ min: 0, max: 4 }) }),
);

function toTx(k: Kit, o: Op): Tx {
  switch (o.op) {
    case 'mint': return k.tx(bank, 'mint', { to: U[o.to]!, currency: 'CNY', amount: String(o.amount), ref: `dep-${o.ref}` });
    case 'transfer': return k.tx(users[o.from]!, 'transfer', { to: U[o.to]!, currency: 'CNY', amount: String(o.amount) });
    case 'instruct': {
      // Payees: the other users and the tax authority's neighbour roles; shares as integer units.
      const payees = o.shares.map((s, i) => ({ to: U[(o.payer + 1 + i) % 3]!, share: s }));
      const args: Record<string, JsonValue> = {
        idempotencyKey: `k${o.key}`, payer: U[o.payer]!, currency: 'CNY', total: String(o.total), split: { by: 'units', shares: payees },
        onInsufficientFunds: o.wait ? 'wait' : 'fail',
      };
      if (o.cat) args.taxCategory = o.cat;
      // Mostly the payer itself; sometimes someone else trying to pay from the payer's account.
      return k.tx(users[o.forge === 0 ? (o.payer + 1) % 3 : o.payer]!, 'instruct', args);
    }
    case 'withdraw': return k.tx(users[o.from]!, 'withdraw', { issuer: didOf(bank), currency: 'CNY', amount: String(o.amount), ref: 'w' });
    case 'hold': return k.tx(users[o.from]!, 'hold', { id: `h${o.id}`, payee: U[o.to]!, currency: 'CNY', amount: String(o.amount) });
    case 'capture': return k.tx(users[o.from]!, 'capture', { id: `h${o.id}` });
    case 'release': return k.tx(users[o.from]!, 'release', { owner: U[o.owner]!, id: `h${o.id}` });
    case 'retry': return k.tx(bank, 'retry', { payer: U[o.payer]!, currency: 'CNY' });
    case 'cancel': return k.tx(users[o.from]!, 'cancel', { id: instructionIdOf(undefined, U[o.payer]!, `k${o.key}`) });
  }
}

async function checkBooks(k: Kit): Promise<number> {
  const src = k.t.chain;
  const totals = await readTotals(src);
  assert.equal(totals.balanced, true, 'running totals: debits = credits');
  const t = totals.totals.find((x) => x.currency === 'CNY');
  const accounts = [...U, TAX, ...U.map((d) => `escrow:${d}`), `issue:${didOf(bank)}`];
  let sum = 0n;
  for (const a of accounts) {
    const acc = await readAccount(src, 'CNY', a);
    const b = BigInt(acc.balance);
    if (!a.startsWith('issue:')) assert.ok(b >= 0n, `${a} is negative: ${b}`);
    else assert.ok(b <= 0n, 'an issuer holds more than it issued');
    sum += b;
  }
  assert.equal(sum, 0n, 'balances sum to zero');
  // Every entry balances; each instruction is paid by at most one entry; each deposit minted once.
  const paid = new Map<string, number>();
  const minted = new Map<string, number>();
  let debits = 0n;
  for (let n = 1; n <= (t?.entries ?? 0); n++) {
    const e = (await readEntry(src, n))!;
    let d = 0n;
    let c = 0n;
    for (const l of e.lines) (l.side === 'debit' ? (d += BigInt(l.amount)) : (c += BigInt(l.amount)));
    assert.equal(d, c, `entry ${n} balances`);
    debits += d;
    if (e.kind === 'instruction') paid.set(e.ref!, (paid.get(e.ref!) ?? 0) + 1);
    if (e.kind === 'mint') minted.set(e.ref!, (minted.get(e.ref!) ?? 0) + 1);
  }
  assert.equal(debits.toString(), t?.debits ?? '0');
  for (const [id, c] of paid) assert.equal(c, 1, `instruction ${id} paid ${c} times`);
  for (const [ref, c] of minted) assert.equal(c, 1, `deposit ${ref} minted ${c} times`);
  // Each settled instruction has exactly its one entry.
  for (const p of U) {
    for (let key = 0; key < 5; key++) {
      const rec = await readInstructionByKey(src, p, `k${key}`);
      if (rec?.status === 'settled') assert.equal(paid.get(rec.id), 1);
      else if (rec) assert.equal(paid.get(rec.id), undefined);
    }
  }
  return paid.size;
}

async function setup(k: Kit): Promise<Array<{ time: number; txs: Tx[] }>> {
  const b1 = [
    k.tx(k.validator, 'registerIssuer', { issuer: didOf(bank), name: 'Sandbox Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true }),
    k.tx(k.validator, 'taxPolicy', { authority: TAX, rates: { service: 600, goods: 1300 } }),
  ];
  await k.block(b1);
  const t1 = k.time;
  // Some money to start with, so a good share of the generated instructions can settle.
  const b2 = U.map((d, i) => k.tx(bank, 'mint', { to: d, currency: 'CNY', amount: '20000', ref: `base-${i}` }));
  const r = await k.block(b2);
  assert.ok(r.receipts.every((x) => x.status === 'ok'));
  return [{ time: t1, txs: b1 }, { time: k.time, txs: b2 }];
}

test('property: any operations keep the books balanced, pay each instruction once, and replay to the same state root', async () => {
  // Up to 25 runs in 60 s (FUZZ_RUNS / FUZZ_TIME_MS for a longer run: docs/testing.md).
  const b = bounded(25, 30_000);
  let settled = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }), b.guard(async (blocks) => {
      const tmp = tempDir();
      const validator: KeyPair = keys[0]!; // any fixed key: the replay chain needs the same genesis
      const k = await openSettleKit(tmp.dir + '/a', { validator });
      const played: Array<{ time: number; txs: Tx[] }> = [];
      try {
        played.push(...(await setup(k)));
        for (const ops of blocks) {
          const txs = ops.map((o) => toTx(k, o));
          const blk = await k.block(txs);
          if (process.env.SETTLE_DEBUG) console.error(blk.receipts.map((r) => r.code ?? 'ok').join(' '));
          played.push({ time: k.time, txs });
          settled = Math.max(settled, await checkBooks(k));
        }
        const root = k.t.chain.info().stateRoot;
        const r = await openSettleKit(tmp.dir + '/b', { validator });
        try {
          for (const b of played) await r.block(b.txs, b.time);
          assert.equal(r.t.chain.info().stateRoot, root, 'replay reproduces the books');
        } finally {
          await r.close();
        }
      } finally {
        await k.close();
        tmp.cleanup();
      }
    })),
    // The first run (always executed, however loaded the machine) pays one instruction for sure.
    { ...b.params, examples: [[[[{ op: 'instruct', forge: 1, payer: 0, key: 0, total: 1000, shares: [1, 2], cat: 'service', wait: false }]]]] },
  );
  assert.ok(b.runs >= 1);
  assert.ok(settled > 0, 'some generated instructions settled');
});

test('property: duplicated and reordered instructions pay exactly once, with the same outcome in any order', async () => {
  const b = bounded(15, 20_000);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ key: fc.integer({ min: 0, max: 9 }), payee: fc.integer({ min: 1, max: 2 }), total: fc.integer({ min: 1, max: 900 }) }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 0, max: 1_000 }),
      b.guard(async (list: Array<{ key: number; payee: number; total: number }>, seed: number) => {
        // The same key always means the same instruction (a duplicate is a resend of it).
        const byKey = new Map<number, { payee: number; total: number }>();
        for (const x of list) if (!byKey.has(x.key)) byKey.set(x.key, { payee: x.payee, total: x.total });
        const sends = list.map((x) => ({ key: x.key, ...byKey.get(x.key)! }));
        const shuffled = [...sends].sort((a, b) => ((a.key * 7919 + seed) % 13) - ((b.key * 7919 + seed) % 13));
        const outcome = async (order: typeof sends, dir: string): Promise<string[]> => {
          const k = await openSettleKit(dir);
          try {
            await setup(k);
            await k.block([k.tx(bank, 'mint', { to: U[0]!, currency: 'CNY', amount: '100000', ref: 'fund' })]);
            const ins = (s: (typeof sends)[number]) => k.tx(users[0]!, 'instruct', {
              idempotencyKey: `k${s.key}`, payer: U[0]!, currency: 'CNY', payments: [{ to: U[s.payee]!, amount: String(s.total) }], taxCategory: 'service',
            });
            // Half in one block, the rest (and the whole list again: a replay) in the next.
            const half = Math.ceil(order.length / 2);
            await k.block(order.slice(0, half).map(ins));
            await k.block([...order.slice(half), ...order].map(ins));
            await checkBooks(k);
            const bal = await Promise.all([...U, TAX].map(async (d) => (await readAccount(k.t.chain, 'CNY', d)).balance));
            const expected = [...byKey.values()].reduce((a, v) => a + v.total, 0);
            assert.equal(BigInt(bal[0]!), 120000n - BigInt(expected), 'each distinct instruction paid once (20000 from setup + 100000)');
            return bal;
          } finally {
            await k.close();
          }
        };
        const tmp = tempDir();
        try {
          assert.deepEqual(await outcome(sends, tmp.dir + '/x'), await outcome(shuffled, tmp.dir + '/y'));
        } finally {
          tmp.cleanup();
        }
      }),
    ),
    b.params,
  );
});
