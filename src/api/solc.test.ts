/**
 * The node's Solidity compiler (api/solc.ts, issue #25 item 3): compiles the project's Counter to
 * the same ABI and init code scripts/build-solidity.mjs makes, reports diagnostics at their line
 * and column, and keeps its bounds: source size, one compile at a time with a bounded queue, and
 * a time limit that ends the worker (the next compile gets a fresh one).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { SolcCompiler } from './solc.ts';

const COUNTER = readFileSync(new URL('../../contracts/solidity/Counter.sol', import.meta.url), 'utf8');
const solc = new SolcCompiler();
after(() => solc.close());

test('Counter compiles to its ABI and init code', async () => {
  const r = await solc.compile(COUNTER);
  assert.equal(r.ok, true);
  assert.equal(r.evmVersion, 'shanghai');
  assert.match(r.compiler, /^solc 0\.8\./);
  const c = r.contracts.find((x) => x.name === 'Counter');
  assert.ok(c, 'the Counter contract');
  assert.match(c.bytecode, /^0x[0-9a-f]{200,}$/);
  assert.deepEqual(c.abi.filter((f) => f.type === 'function').map((f) => f.name).sort(), ['byCaller', 'count', 'env', 'fill', 'increment', 'owner']);
});

test('an error is reported at its line and column, with no contract', async () => {
  const src = 'pragma solidity ^0.8.20;\ncontract A {\n  function f() public { uint x = ; }\n}\n';
  const r = await solc.compile(src);
  assert.equal(r.ok, false);
  const e = r.diagnostics.find((d) => d.severity === 'error');
  assert.ok(e, JSON.stringify(r.diagnostics));
  assert.equal(e.line, 3);
  assert.equal(e.column, src.split('\n')[2]!.indexOf(';') + 1, e.formatted);
  assert.deepEqual(r.contracts, []);
});

test('columns count characters, not UTF-8 bytes, after non-ASCII text', async () => {
  const src = 'pragma solidity ^0.8.20;\n// 合同\ncontract B { function g() public { 数 = 1; } }\n';
  const r = await solc.compile(src);
  const e = r.diagnostics.find((d) => d.severity === 'error');
  assert.ok(e);
  assert.equal(e.line, 3);
  assert.equal(e.column, src.split('\n')[2]!.indexOf('数') + 1, e.formatted);
});

test('bounds: empty and oversized sources are refused; past the queue, BUSY; past the time, SOLC_TIMEOUT and a fresh worker after', async () => {
  const small = new SolcCompiler({ maxSourceBytes: 1000, queue: 1, timeoutMs: 1 });
  try {
    await assert.rejects(small.compile(''), { code: 'BAD_ARGUMENT' });
    await assert.rejects(small.compile('x'.repeat(1001)), { code: 'BODY_TOO_LARGE', message: /1001 bytes, more than the 1000/ });
    // One runs, one waits, the third is refused at once. (No compile, loading soljson included, ends within 1 ms.)
    const a = small.compile('contract A {}');
    const b = small.compile('contract B {}');
    await assert.rejects(small.compile('contract C {}'), { code: 'BUSY' });
    await assert.rejects(a, { code: 'SOLC_TIMEOUT' });
    await assert.rejects(b, { code: 'SOLC_TIMEOUT' });
  } finally {
    await small.close();
  }
  // The main compiler is unaffected, and answers again after its own earlier compiles.
  assert.equal((await solc.compile('pragma solidity ^0.8.20;\ncontract D {}\n')).ok, true);
});
