import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureKey } from './helpers/cli.ts';
import { cliPath, repoRoot, startNodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

test('a lex contract drafted, signed by both parties and driven by an event on chain; its evidence package replays offline', async () => {
  const tmp = tempDir();
  let node = await startNodeProcess(join(tmp.dir, 'data'));
  const env = { ...process.env, PW: 'contract-test', SHULIAN_HOME: join(tmp.dir, 'home') };
  const cli = (...args: string[]): { code: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, env, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = <T>(...args: string[]): T => {
    const r = cli(...args, '--json');
    assert.equal(r.code, 0, `shulian ${args.join(' ')}: ${r.err}`);
    return JSON.parse(r.out) as T;
  };
  try {
    const api = ['--api', node.url];
    const keys: Record<string, { did: string; file: string }> = {};
    for (const p of ['seller', 'buyer', 'stranger']) {
      const file = join(tmp.dir, `${p}.json`);
      keys[p] = { did: fixtureKey(file, env.PW).did, file };
    }
    const signer = (p: string) => ['--key', keys[p]!.file, '--password-env', 'PW', ...api];
    const { template } = ok<{ template: string }>('contract', 'deploy', join(repoRoot, 'contracts/late-delivery/contract.lex'), ...signer('seller'));
    const terms = JSON.parse(readFileSync(join(repoRoot, 'contracts/late-delivery/sample.json'), 'utf8')) as Record<string, unknown>;
    delete terms.seller;
    delete terms.buyer;
    const paramsFile = join(tmp.dir, 'terms.json');
    writeFileSync(paramsFile, JSON.stringify(terms));
    const parties = JSON.stringify({ seller: keys.seller!.did, buyer: keys.buyer!.did });
    const { id } = ok<{ id: string }>('contract', 'draft', '--template', template, '--params', paramsFile, '--parties', parties, ...signer('buyer'));

    const refused = cli('contract', 'sign', id, ...signer('stranger'));
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /LEX_NOT_PARTY|not a party/);
    ok('contract', 'sign', id, ...signer('seller'));
    ok('contract', 'sign', id, ...signer('buyer'));
    // Delivery long after the agreed date (block time is now): the capped penalty is paid.
    const delivered = ok<{ settlements: Array<{ kind: string; amount: { minor: number } }> }>('contract', 'submit-event', id, 'Delivered', ...signer('seller'));
    assert.equal(delivered.settlements[0]!.kind, 'pay');
    assert.ok(Number.isInteger(delivered.settlements[0]!.amount.minor));
    const status = ok<{ instance: { status: string }; events: unknown[] }>('contract', 'status', id, ...api);
    assert.equal(status.instance.status, 'active');
    assert.equal(status.events.length, 1);

    const pkg = join(tmp.dir, 'evidence.json');
    const G = ((await (await fetch(`${node.url}/v1/chains/sign`)).json()) as { genesisHash: string }).genesisHash;
    ok('contract', 'evidence', id, '--out', pkg, '--genesis-hash', G, ...api);
    await node.stop();
    // Offline: no node runs now; the trust root is the genesis hash the checker pins.
    const replay = ok<{ ok: boolean; problems: string[] }>('contract', 'replay', pkg, '--genesis-hash', G);
    assert.deepEqual(replay, { ...replay, ok: true, problems: [] });
    // A tampered package is caught: the event's time, in its proven log entry.
    const doc = JSON.parse(readFileSync(pkg, 'utf8')) as { state: { proofs: Array<{ key: string; value: { time: number } }> } };
    doc.state.proofs.find((p) => /\/log\/[0-9a-f]{64}\/0$/.test(p.key))!.value.time += 86_400_000;
    const bad = join(tmp.dir, 'tampered.json');
    writeFileSync(bad, JSON.stringify(doc));
    const r = cli('contract', 'replay', bad, '--genesis-hash', G, '--json');
    assert.equal(r.code, 1);
    assert.match(r.out, /event 0 \(Delivered\)/);
    node = await startNodeProcess(join(tmp.dir, 'data'));
  } finally {
    await node.stop();
    tmp.cleanup();
  }
});
