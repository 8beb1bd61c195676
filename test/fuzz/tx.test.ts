/**
 * Fuzz of transaction decoding and verification (src/ledger/tx.ts) on the wire form: JSON text.
 * Beside src/ledger/tx.test.ts's property over arbitrary values, this one signs real transactions
 * with arbitrary arguments on both suites and then corrupts their JSON text (a character changed,
 * inserted or deleted, a field's value replaced by a near-valid one):
 *   - an intact tx round-trips: parsed, decoded, hashed and verified as it was signed;
 *   - a corrupted tx either fails to parse, is refused with TX_MALFORMED / TX_TOO_LARGE naming a
 *     field, or decodes — and then its signature verifies only if it is the same signed tx
 *     (no malleability); verification never throws.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalize, ShulianError, type JsonValue } from '../../src/codec/index.ts';
import { generateKeyPair, type Suite } from '../../src/crypto/index.ts';
import { checkPubkeySuite, prepareTx, signTx, verifyTxSignature, type Tx } from '../../src/ledger/index.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const keys = { sm2: generateKeyPair('sm2'), ed25519: generateKeyPair('ed25519') };
const argsArb = fc.jsonValue({ maxDepth: 5 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')) as fc.Arbitrary<JsonValue>;
const txArb = fc.record({
  suite: fc.constantFrom<Suite>('sm2', 'ed25519'),
  chain: fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/),
  module: fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,31}$/),
  method: fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,31}$/),
  args: argsArb,
  nonce: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  expires: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
}).map(({ suite, ...draft }) => ({ suite, ...signTx(keys[suite], draft) }));

/** Decodes the wire text as a node does; the typed error, or the tx with its hash. */
function decodeWire(suite: Suite, text: string): { tx: Tx; hash: string } | { error: ShulianError } | { unparsable: true } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { unparsable: true };
  }
  try {
    const p = prepareTx(suite, json);
    return { tx: p.tx, hash: p.hash };
  } catch (err) {
    assert.ok(err instanceof ShulianError, `prepareTx threw ${String(err)} for ${text.slice(0, 200)}`);
    return { error: err };
  }
}

test('signed txs with arbitrary args round-trip through their JSON text on both suites', () => {
  const b = bounded(400, 5000);
  fc.assert(fc.property(txArb, b.guard(({ suite, tx, hash }) => {
    const r = decodeWire(suite, JSON.stringify(tx));
    assert.ok('tx' in r, `a signed tx did not decode: ${JSON.stringify(r)}`);
    assert.equal(r.hash, hash);
    assert.equal(canonicalize(r.tx), canonicalize(tx));
    assert.equal(verifyTxSignature(suite, r.tx), true);
  })), b.params);
});

test('corrupted wire text never verifies unless it is the same signed tx, and never throws an untyped error', () => {
  const edit = fc.oneof(
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), ch: fc.constantFrom(...'0123456789abcdefABCDEF"{}[],:\\ -.eE+zx\u0000é') }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), ch: fc.constantFrom(...'0 "\\,{}[]-') }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  );
  const b = bounded(1500, 6000);
  fc.assert(fc.property(txArb, fc.array(edit, { minLength: 1, maxLength: 3 }), b.guard(({ suite, tx, hash }, edits) => {
    let text = JSON.stringify(tx);
    for (const e of edits) {
      const at = e.at % (text.length + (e.op === 'insert' ? 1 : 0));
      text = e.op === 'delete' ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + e.ch + text.slice(e.op === 'set' ? at + 1 : at);
    }
    const r = decodeWire(suite, text);
    if ('unparsable' in r) return;
    if ('error' in r) {
      assert.match(r.error.code, /^TX_(MALFORMED|TOO_LARGE)$/);
      assert.ok(r.error.message.length > 5);
      return;
    }
    let suiteOk = true;
    try {
      checkPubkeySuite(suite, r.tx.pubkey);
    } catch (err) {
      assert.ok(err instanceof ShulianError && err.code === 'TX_BAD_KEY');
      suiteOk = false;
    }
    if (!suiteOk) return;
    const same = r.hash === hash && r.tx.sig === tx.sig;
    assert.equal(verifyTxSignature(suite, r.tx), same, `${text} ${same ? 'is the signed tx but does not verify' : 'verifies but is not the signed tx'}`);
  })), b.params);
});

test('near-valid field values are refused naming the field', () => {
  const { tx } = signTx(keys.sm2, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'ab'.repeat(32) }, nonce: 1, expires: 9 });
  const near: Record<keyof Tx, JsonValue[]> = {
    chain: ['', 'A', '1a', 'a'.repeat(33), 'notary ', 'nötary'],
    from: ['', 'did:shulian:', 'did:shulian:0OIl' + 'a'.repeat(20), `${tx.from}x`.padEnd(60, 'z'), 'did:key:z6Mk'],
    pubkey: ['', '0', 'AB', 'g0', tx.pubkey.toUpperCase()],
    nonce: [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, '1', 1e21, null],
    module: ['', 'Notary', '_x', 'a'.repeat(33), 'no-tary'],
    method: ['', 'Put', 'p'.repeat(33), 'put()'],
    args: [],
    expires: [-1, 0.5, 2 ** 53, '9', true],
    sig: ['', tx.sig.slice(2), tx.sig + '00', tx.sig.toUpperCase(), 'zz'.repeat(64)],
  };
  const b = bounded(300, 3000);
  const field = fc.constantFrom(...(Object.keys(near) as Array<keyof Tx>).filter((k) => near[k].length));
  fc.assert(fc.property(field.chain((f) => fc.tuple(fc.constant(f), fc.constantFrom(...near[f]))), b.guard(([f, value]) => {
    const r = decodeWire('sm2', JSON.stringify({ ...tx, [f]: value }));
    assert.ok('error' in r, `${f} = ${JSON.stringify(value)} decoded`);
    assert.equal(r.error.code, 'TX_MALFORMED');
    assert.match(r.error.message, new RegExp(`^${f}\\b`), `the message names ${f}: ${r.error.message}`);
  })), b.params);
});
