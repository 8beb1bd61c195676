/**
 * Issue #27 item 1, through the CLI against a real node process: an evidence package binds every
 * byte to what the chain's validators signed, and `contract replay` checks it against a trust
 * root the user gives — never one from inside the package — naming the item that fails and
 * exiting non-zero.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { canonicalize, type JsonValue } from '../src/codec/index.ts';
import { generateKeyPair } from '../src/crypto/index.ts';
import { didFromPublicKey } from '../src/crypto/index.ts';
import { ShulianClient } from '../src/sdk/client.ts';
import { deployContractTemplate, draftContract, signContract, submitContractEvent } from '../src/sdk/contracts.ts';
import { checkEvidence, parseEvidence, serializeEvidence, type EvidencePackage } from '../src/cli/commands/contract-evidence.ts';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

const STATEMENT = 'Typhoon closed Yangshan port';
const LIE = 'No event occurred; Seller admits it shipped late';

interface Report { ok: boolean; problems: string[]; failures: Array<{ item: string; reason: string; code?: string }>; genesisHash: string; events: number }

test('evidence replays only against the genesis the checker pins; an edited force-majeure statement, any changed byte, or another genesis fails', async () => {
  const tmp = tempDir();
  const env = { ...process.env, SHULIAN_HOME: join(tmp.dir, 'home') };
  const cli = (...args: string[]): { code: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, env, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  let node = await startNodeProcess(join(tmp.dir, 'data'));
  const port = Number(new URL(node.url).port);
  try {
    const client = new ShulianClient({ baseUrl: node.url, onFirstUse: () => undefined });
    const seller = generateKeyPair('sm2');
    const buyer = generateKeyPair('sm2');
    const { result: { template } } = await deployContractTemplate(client, seller, readFileSync(join(repoRoot, 'contracts/late-delivery/contract.lex'), 'utf8'));
    const terms = JSON.parse(readFileSync(join(repoRoot, 'contracts/late-delivery/sample.json'), 'utf8')) as Record<string, JsonValue>;
    delete terms.seller;
    delete terms.buyer;
    const parties = { seller: didFromPublicKey(seller.publicKey), buyer: didFromPublicKey(buyer.publicKey) };
    const { result: { id, fingerprint } } = await draftContract(client, buyer, { template, params: terms, parties });
    await signContract(client, seller, id, fingerprint);
    await signContract(client, buyer, id, fingerprint);
    await submitContractEvent(client, seller, id, 'ForceMajeure', { description: STATEMENT });
    const delivered = await submitContractEvent(client, seller, id, 'Delivered');
    assert.deepEqual(delivered.result.response.penalty, { currency: 'CNY', minor: 0 }, 'force majeure excuses the penalty');
    const G = (await client.chain('sign')).genesisHash;
    const otherG = (await client.chain('notary')).genesisHash;

    // Export, checked against the pinned genesis; a wrong pin refuses to export.
    const pkgFile = join(tmp.dir, 'evidence.json');
    const wrongExport = cli('contract', 'evidence', id, '--out', join(tmp.dir, 'never.json'), '--api', node.url, '--genesis-hash', otherG);
    assert.equal(wrongExport.code, 1, wrongExport.err);
    assert.match(wrongExport.err, /not the pinned/);
    assert.equal(existsSync(join(tmp.dir, 'never.json')), false);
    const ev = cli('contract', 'evidence', id, '--out', pkgFile, '--api', node.url, '--genesis-hash', G, '--json');
    assert.equal(ev.code, 0, ev.err);
    assert.equal((JSON.parse(ev.out) as { genesisHash: string; events: number }).events, 2);
    const text = readFileSync(pkgFile, 'utf8');
    assert.equal(text, canonicalize(JSON.parse(text)), 'the package is canonical JSON: every byte counts');
    assert.ok(text.includes(STATEMENT));

    // Trust on first use from a node the user names: a warning, then a stored pin.
    const tofu = cli('contract', 'replay', pkgFile, '--api', node.url, '--json');
    assert.equal(tofu.code, 0, tofu.err);
    assert.match(tofu.err, /warning: trusting chain sign .* on first use/);
    assert.ok(existsSync(join(tmp.dir, 'home', 'known-genesis.json')));
    const again = cli('contract', 'replay', pkgFile, '--api', node.url, '--json');
    assert.equal(again.code, 0, again.err);
    assert.doesNotMatch(again.err, /warning/);
    await node.stop();

    // Offline, against the pinned hash.
    const good = cli('contract', 'replay', pkgFile, '--genesis-hash', G, '--json');
    assert.equal(good.code, 0, good.err);
    const goodReport = JSON.parse(good.out) as Report;
    assert.deepEqual([goodReport.ok, goodReport.problems, goodReport.genesisHash, goodReport.events], [true, [], G, 2]);
    assert.match(cli('contract', 'replay', pkgFile, '--genesis-hash', G).out, /verified and replayed: 5 transactions, 2 events/);

    // The case: the force-majeure statement rewritten wherever it appears.
    const rewritten = join(tmp.dir, 'rewritten.json');
    writeFileSync(rewritten, text.replaceAll(STATEMENT, LIE));
    const r1 = cli('contract', 'replay', rewritten, '--genesis-hash', G);
    assert.equal(r1.code, 1, r1.out);
    assert.match(r1.out, /NOT verified:\n {2}event 0 \(ForceMajeure\): inclusion proof of sign:lexcontract\/log\/[0-9a-f]{64}\/0 does not verify/);
    // Only in the transaction: its hash no longer matches what the block holds.
    const pkg = JSON.parse(text) as EvidencePackage;
    const onlyTx = structuredClone(pkg);
    (onlyTx.txs.find((t) => t.role === 'event:0')!.tx.args as { input: { description: string } }).input.description = LIE;
    writeFileSync(rewritten, serializeEvidence(onlyTx));
    const r2 = cli('contract', 'replay', rewritten, '--genesis-hash', G, '--json');
    assert.equal(r2.code, 1);
    const rep2 = JSON.parse(r2.out) as Report;
    assert.equal(rep2.ok, false);
    assert.deepEqual(rep2.failures.map((f) => [f.item, f.code]), [['event 0 (ForceMajeure) transaction (tx 3)', 'PROOF_TX_MISMATCH']]);

    // The wrong trust root: every item is genuine, but not of the chain the checker pinned.
    const wrong = cli('contract', 'replay', pkgFile, '--genesis-hash', otherG, '--json');
    assert.equal(wrong.code, 1);
    assert.deepEqual((JSON.parse(wrong.out) as Report).failures.map((f) => [f.item, f.code]), [['genesis', 'LIGHT_GENESIS_MISMATCH']]);
    // No trust root at all: the package's own genesis is never enough.
    const none = cli('contract', 'replay', pkgFile);
    assert.equal(none.code, 2);
    assert.match(none.err, /needs a trust root from you/);

    // Any single byte changed: unreadable, or replay fails — never ok. In process (many runs)…
    const bytes = Buffer.from(text, 'utf8');
    const mutate = (pos: number, delta: number): string | undefined => {
      const b = Buffer.from(bytes);
      b[pos] = (b[pos]! + delta) % 256;
      try {
        return canonicalize(JSON.parse(b.toString('utf8')));
      } catch {
        return undefined; // not JSON any more: replay refuses it as unreadable (checked below)
      }
    };
    fc.assert(fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (pos, delta) => {
      const changed = mutate(pos, delta);
      if (changed === undefined) return;
      let ok = false;
      try {
        ok = checkEvidence(parseEvidence(changed), G).ok;
      } catch {
        ok = false;
      }
      assert.equal(ok, false, `byte ${pos} changed by ${delta} still replays`);
    }), { numRuns: 300 });
    // …and through the CLI, a few.
    const mutated = join(tmp.dir, 'mutated.json');
    await fc.assert(fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (pos, delta) => {
      const b = Buffer.from(bytes);
      b[pos] = (b[pos]! + delta) % 256;
      writeFileSync(mutated, mutate(pos, delta) ?? b);
      const r = cli('contract', 'replay', mutated, '--genesis-hash', G, '--json');
      assert.equal(r.code, 1, `byte ${pos} changed by ${delta}: ${r.out}`);
      assert.equal((JSON.parse(r.out) as Report).ok, false);
    }), { numRuns: 6 });
    const unreadable = cli('contract', 'replay', mutated.replace('mutated', 'missing'), '--genesis-hash', G);
    assert.equal(unreadable.code, 1);
    writeFileSync(mutated, text.slice(0, -1));
    const cut = cli('contract', 'replay', mutated, '--genesis-hash', G);
    assert.equal(cut.code, 1);
    assert.match(cut.out, /package: the package is not JSON/);

    // A node that now serves another genesis for the same chain at the same address fails loudly.
    node = await startNodeProcess(join(tmp.dir, 'other-data'), port);
    const swapped = cli('contract', 'replay', pkgFile, '--api', node.url);
    assert.equal(swapped.code, 1);
    assert.match(swapped.err, /now serves chain sign with genesis [0-9a-f]{64}, but [0-9a-f]{64} was pinned when it was first used/);
  } finally {
    await node.stop();
    tmp.cleanup();
  }
});
