/**
 * Fuzz of settlement instruction parsing (the `settlement.instruct` arguments, as `shulian settle
 * instruct --instruction` sends them) on a real settlement chain with funded payers, beside
 * test/settlement-property.test.ts's operation sequences: instructions of every form (explicit
 * payments, splits by basis points, units or tiers, tax categories, waiting, service lines) with
 * one thing wrong or not. Each is settled, left waiting, or refused with a typed code; a refused
 * one moves no money; the books always balance; and the decimal amounts people type parse back
 * to what they print.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ShulianError, type JsonValue } from '../../src/codec/index.ts';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { formatMinor, minorDigits, parseDecimal } from '../../src/settlement/index.ts';
import { didOf, openSettleKit, type Kit } from '../helpers/settlement.ts';
import { tempDir } from '../helpers/tmp.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const bank = generateKeyPair('sm2');
const users = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
const U = users.map(didOf);
const TAX = didOf(generateKeyPair('sm2'));

describe('fuzz: settlement instructions on a real settlement chain', () => {
  const tmp = tempDir('shulian-fuzz-settle-');
  let k: Kit;

  before(async () => {
    k = await openSettleKit(tmp.dir);
    await k.block([
      k.tx(k.validator, 'registerIssuer', { issuer: didOf(bank), name: 'Sandbox Bank', currencies: ['CNY', 'JPY'], rail: 'sandbox', sandbox: true }),
      k.tx(k.validator, 'taxPolicy', { authority: TAX, rates: { service: 600, goods: 1300 } }),
    ]);
    const r = await k.block(U.flatMap((d, i) => [
      k.tx(bank, 'mint', { to: d, currency: 'CNY', amount: '5000000', ref: `cny-${i}` }),
      k.tx(bank, 'mint', { to: d, currency: 'JPY', amount: '5000000', ref: `jpy-${i}` }),
    ]));
    assert.ok(r.receipts.every((x) => x.status === 'ok'), JSON.stringify(r.receipts.find((x) => x.status !== 'ok')));
  });

  after(async () => {
    await k?.close();
    tmp.cleanup();
  });

  const who = fc.nat(U.length - 1).map((i) => U[i]!);
  const minor = fc.integer({ min: 1, max: 200_000 }).map(String);
  const shares = (sum: number | undefined): fc.Arbitrary<Array<{ to: string; share: number; category?: string }>> =>
    fc.array(fc.record({ to: who, w: fc.integer({ min: 1, max: 100 }), category: fc.constantFrom('service', 'goods') }, { requiredKeys: ['to', 'w'] }), { minLength: 1, maxLength: 4 })
      .map((xs) => {
        const total = xs.reduce((n, x) => n + x.w, 0);
        let left = sum ?? 0;
        return xs.map(({ w, ...x }, i) => {
          const share = sum === undefined ? w : i === xs.length - 1 ? left : Math.floor((w * sum) / total);
          left -= share;
          return { ...x, share };
        });
      });
  /** A well-formed instruction of one of the forms the module takes. */
  const valid = fc.record({
    idempotencyKey: fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/),
    payer: who,
    currency: fc.constantFrom('CNY', 'JPY'),
    form: fc.oneof(
      fc.record({ payments: fc.array(fc.record({ to: who, amount: minor, category: fc.constantFrom('service', 'goods') }, { requiredKeys: ['to', 'amount'] }), { minLength: 1, maxLength: 3 }) }),
      fc.record({ total: minor, split: shares(10_000).map((xs) => ({ by: 'bp', shares: xs })) }),
      fc.record({ total: minor, split: shares(undefined).map((xs) => ({ by: 'units', shares: xs })) }),
      fc.record({ total: minor, split: fc.tuple(shares(10_000), shares(10_000), minor).map(([x, y, upTo]) => ({ by: 'tiers', tiers: [{ upTo, shares: x }, { shares: y }] })) }),
    ),
    taxCategory: fc.constantFrom('service', 'goods'),
    onInsufficientFunds: fc.constantFrom('wait', 'fail'),
    service: fc.record({ description: fc.constantFrom('Consulting', '咨询服务'), quantity: fc.integer({ min: 1, max: 10 }), unit: fc.constantFrom('C62', 'HUR') }, { requiredKeys: ['description'] }),
    memo: fc.string({ minLength: 1, maxLength: 40 }),
  }, { requiredKeys: ['idempotencyKey', 'payer', 'currency', 'form'] }).map(({ form, ...rest }) => ({ ...rest, ...form }) as unknown as JsonValue);

  /** Every path to a value inside a JSON document. */
  const paths = (v: JsonValue, at: Array<string | number> = []): Array<Array<string | number>> => {
    const out: Array<Array<string | number>> = [at];
    if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
    else if (v !== null && typeof v === 'object') for (const key of Object.keys(v)) out.push(...paths(v[key]!, [...at, key]));
    return out;
  };
  // Without the key "__proto__", which every tx refuses at decoding (TX_MALFORMED) before the
  // module sees it, as in test/fuzz/tx.test.ts.
  const near = fc.oneof(fc.jsonValue({ maxDepth: 1 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')) as fc.Arbitrary<JsonValue>, fc.constantFrom<JsonValue>('0', '-1', '1.5', '00', '1e3', 0, -1, 1.5, 2 ** 53, '9'.repeat(40), '', 'bogus', 'percent', 'later', 'usd', [], {}, null, 10_001, U[0]!));
  /** Instructions as they are typed: well-formed, or with one value wrong, one field added or dropped. */
  const instruction: fc.Arbitrary<JsonValue> = fc.oneof(
    { weight: 2, arbitrary: valid },
    { weight: 2, arbitrary: fc.tuple(valid, fc.nat(), near, fc.constantFrom('replace', 'add', 'drop')).map(([v, i, x, op]) => {
      const all = paths(v);
      const path = all[1 + (i % (all.length - 1))]!;
      const copy = structuredClone(v) as Record<string | number, JsonValue>;
      let cur = copy;
      for (const key of path.slice(0, -1)) cur = cur[key] as Record<string | number, JsonValue>;
      const last = path.at(-1)!;
      if (op === 'replace') cur[last] = x;
      else if (op === 'drop') { if (Array.isArray(cur)) cur.splice(Number(last), 1); else delete cur[last]; }
      else if (!Array.isArray(cur)) cur.extra = x;
      return copy as JsonValue;
    }) },
  );

  const balances = (): string => JSON.stringify(['CNY', 'JPY'].map((c) => [...U, TAX].map((d) => k.t.chain.getState(`settlement/acct/${c}/${d}`).value ?? null)));
  const booksBalance = (): void => {
    for (const c of ['CNY', 'JPY']) {
      const t = k.t.chain.getState(`settlement/tot/${c}`).value as { debits: string; credits: string } | null;
      assert.ok(t, `${c} has totals`);
      assert.equal(t.debits, t.credits, `${c}: the journal's debits and credits differ`);
    }
  };

  test('instructions of any form: settled, waiting or refused with a typed code; a refusal moves no money; the books balance', async () => {
    const b = bounded(120, 6000, { endOnFailure: true });
    const outcomes = new Map<string, number>();
    await fc.assert(fc.asyncProperty(instruction, fc.boolean(), b.guard(async (ins, byPayer) => {
      const payer = (ins as { payer?: string }).payer;
      const signer = byPayer ? users[Math.max(0, U.indexOf(payer ?? ''))]! : users[(U.indexOf(payer ?? '') + 1) % users.length]!;
      const before = balances();
      const r = await k.run(signer, 'instruct', ins);
      outcomes.set(r.status === 'ok' ? 'ok' : r.code!, (outcomes.get(r.status === 'ok' ? 'ok' : r.code!) ?? 0) + 1);
      if (r.status === 'ok') {
        const res = r.result as { id?: string; status?: string };
        assert.match(res.id ?? '', /^[0-9a-f]{64}$/);
      } else {
        assert.notEqual(r.code, 'MODULE_FAULT', `${JSON.stringify(ins)}: ${r.message}`);
        assert.match(r.code ?? '', /^[A-Z][A-Z0-9_]+$/);
        assert.ok((r.message ?? '').length > 5);
        assert.equal(balances(), before, `a refused instruction moved money: ${JSON.stringify(ins)} → ${r.code}`);
      }
      booksBalance();
    })), b.params);
    if (process.env.FUZZ_VERBOSE) console.log([...outcomes].map(([c, n]) => `${n}× ${c}`).join(', '));
    assert.ok((outcomes.get('ok') ?? 0) > 0 || b.runs < 20, 'the generator reaches instructions that settle');
  });

  test('decimal amounts: what parses prints back the same; what does not is a RangeError saying why', () => {
    const b = bounded(3000, 3000);
    fc.assert(fc.property(fc.constantFrom('CNY', 'JPY', 'KWD', 'CLF', 'XYZ'), fc.oneof(
      fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 29n }), fc.nat(4)).map(([n, d]) => (d === 0 ? `${n}` : `${n / 10n ** BigInt(d)}.${String(n % 10n ** BigInt(d)).padStart(d, '0')}`)),
      fc.string({ unit: fc.constantFrom(...'0123456789.-+e, '), maxLength: 14 }),
    ), b.guard((currency, text) => {
      let minor: bigint;
      try {
        minor = parseDecimal(text, currency);
      } catch (err) {
        assert.ok(err instanceof RangeError && !(err instanceof ShulianError), String(err));
        assert.match(err.message, /amount|decimal places/);
        return;
      }
      const printed = formatMinor(minor, currency);
      assert.equal(parseDecimal(printed, currency), minor);
      const d = minorDigits(currency);
      const [whole, frac = ''] = text.trim().split('.');
      assert.equal(printed, formatMinor(BigInt(whole! + frac.padEnd(d, '0')), currency));
    })), b.params);
  });
});
