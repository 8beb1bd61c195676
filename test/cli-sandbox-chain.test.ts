/**
 * A sandbox business chain through the `shulian` binary against a real `shulian up` node (issue #24
 * item 4, docs/governance.md#sandbox-chains): `chain propose --sandbox` and a vote create it, the
 * node starts it and it runs txs; the API, `chain list`, `chain status` and `gov chains` label it
 * SANDBOX; a route joining it with a production chain is refused at registration
 * (GOV_SANDBOX_ROUTE) while its own route is approved labelled sandbox on the routing chain;
 * `chain promote` and a vote lift the label (registry, API, routing chain) and the same route is
 * then approved. Packet handling across the line is covered in test/sandbox-chains-xchain.test.ts.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ShulianClient } from '../src/sdk/index.ts';
import { cli, json, jsonError, PW, type CliRun } from './helpers/cli.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

interface Proposed { id: number; kind: string }
interface Voted { status: string }
interface ChainRow { id: string; status: string; sandbox?: boolean; promoted?: { proposal: number } }
type Route = Record<string, unknown> & { chain: string; inbound: Array<{ srcChain: string; dstPort: string; senders: string[] }>; sandbox?: boolean; version?: number };

describe('a sandbox business chain: created by vote, labelled, kept apart from production chains, promoted by vote', () => {
  const tmp = tempDir('shulian-cli-sandbox-chain-');
  let node: NodeProcess;
  let api: string;
  let c: ShulianClient;
  const env = { PW, SHULIAN_NODE_PASSWORD: PW };
  const data = join(tmp.dir, 'node');
  const keyFile = join(data, 'node', 'key.json');
  const op = { did: '', publicKey: '' };
  const run = (args: string[]): Promise<CliRun> => cli([...args, '--api', api], env);
  const asOp = ['--key', keyFile, '--password-env', 'SHULIAN_NODE_PASSWORD'];
  /** The operator holds the alliance's one member seat, so its yes decides. */
  const proposeAndPass = async (args: string[]): Promise<number> => {
    const p = json<Proposed>(await run([...args, ...asOp, '--json']));
    const v = json<Voted>(await run(['gov', 'vote', String(p.id), 'yes', ...asOp, '--json']));
    assert.equal(v.status, 'approved', `proposal #${p.id} (${p.kind})`);
    return p.id;
  };
  const routeArgs = (route: Route): string[] => ['gov', 'propose', '--kind', 'register-route', '--args', JSON.stringify({ route })];
  const routingRecord = async (chain: string): Promise<Route | null> => (await c.state('xroute', `xroute/routes/${chain}`)).value as Route | null;
  const registry = async (): Promise<ChainRow[]> => json<{ chains: ChainRow[] }>(await run(['gov', 'chains', '--json'])).chains;
  let trialRoute: Route;
  let notaryWithTrial: Route;

  before(async () => {
    node = await startNodeProcess(data, undefined, [], { env: { SHULIAN_NODE_PASSWORD: PW } });
    api = node.url;
    c = new ShulianClient({ baseUrl: api });
    await waitFor(async () => (await c.state('gov', 'governance/meta')).value !== null, 'governance.init', 60_000);
    await waitFor(async () => (await routingRecord('notary')) !== null, 'the notary route on the routing chain', 60_000);
    const show = json<{ did: string; publicKey: string }>(await cli(['keys', 'show', ...asOp, '--json'], env));
    Object.assign(op, show);
    const { version: _v, proposal: _p, height: _h, ...notary } = (await routingRecord('notary'))!;
    notaryWithTrial = { ...(notary as Route), inbound: [{ srcChain: 'trial', dstPort: 'xchain', senders: ['*'] }] };
    trialRoute = {
      chain: 'trial', engine: 'shulian', suite: 'sm2', consensus: 'solo', validators: [{ did: op.did, publicKey: op.publicKey, power: 1 }],
      tracksValidators: false, gateways: [], inbound: [{ srcChain: '*', dstPort: '*', senders: ['*'] }], status: 'active',
    };
  });

  after(async () => {
    try {
      if (node) assert.equal(await node.stop(), 0, `shulian up did not stop cleanly:\n${node.output()}`);
    } finally {
      tmp.cleanup();
    }
  });

  test('chain propose --sandbox and a vote create the chain; the node starts it; every surface labels it SANDBOX; it runs txs', async () => {
    const genesis = join(tmp.dir, 'trial.json');
    writeFileSync(genesis, JSON.stringify({
      chain: 'trial', name: 'Trial chain', nameZh: '试运行链', suite: 'sm2', consensus: { type: 'solo' }, modules: ['notary'],
      validators: [{ did: op.did, publicKey: op.publicKey, power: 1 }],
    }));
    const prop = await run(['chain', 'propose', '--genesis', genesis, '--sandbox', ...asOp]);
    assert.equal(prop.code, 0, prop.stderr);
    assert.match(prop.stdout, /^chain\s+trial — SANDBOX: sandbox money only, no cross-chain path to production chains until promoted$/m);
    const id = Number(/^proposal\s+#(\d+) \(create-chain\)$/m.exec(prop.stdout)?.[1]);
    assert.equal(json<Voted>(await run(['gov', 'vote', String(id), 'yes', ...asOp, '--json'])).status, 'approved');

    const rec = (await registry()).find((r) => r.id === 'trial');
    assert.equal(rec?.sandbox, true);
    assert.match((await run(['gov', 'chains'])).stdout, /^trial\s+Trial chain \(试运行链\)\s+\S+\s+SANDBOX\s+/m);
    assert.match((await run(['gov', 'chains'])).stdout, /^notary\s+.*\s+production\s+/m);

    await waitFor(async () => (await c.chains()).some((x) => x.id === 'trial'), 'the node to start trial', 60_000);
    const info = (await c.chains()).find((x) => x.id === 'trial')!;
    assert.equal(info.sandbox, true);
    assert.equal((await c.chains()).find((x) => x.id === 'notary')?.sandbox, false);
    assert.match((await run(['chain', 'list'])).stdout, /^trial\s+Trial chain \(试运行链\)\s+business \[SANDBOX\]\s+/m);
    const status = await run(['chain', 'status', 'trial']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^mode\s+SANDBOX: sandbox money only/m);

    // It runs transactions like any chain.
    const file = join(tmp.dir, 'bill.txt');
    writeFileSync(file, 'bill of lading 42');
    const put = await run(['notary', 'put', file, '--chain', 'trial', ...asOp, '--json']);
    assert.equal(put.code, 0, put.stderr);
    assert.ok((await c.chains()).find((x) => x.id === 'trial')!.height >= 1);
  });

  test('a route joining the sandbox chain with a production chain is refused at registration; its own route is approved, labelled sandbox', async () => {
    const intoProd = await run([...routeArgs(notaryWithTrial), ...asOp, '--json']);
    const e1 = jsonError(intoProd);
    assert.equal(e1.code, 'GOV_SANDBOX_ROUTE');
    assert.match(e1.message, /route\.inbound\[0\]\.srcChain: "trial" is a sandbox chain and "notary" a production chain/);
    const fromProd = await run([...routeArgs({ ...trialRoute, inbound: [{ srcChain: 'sign', dstPort: '*', senders: ['*'] }] }), ...asOp, '--json']);
    assert.equal(jsonError(fromProd).code, 'GOV_SANDBOX_ROUTE');
    // A proposer cannot label a production chain sandbox either (governance sets the label).
    assert.equal(jsonError(await run([...routeArgs({ ...notaryWithTrial, inbound: [], sandbox: true }), ...asOp, '--json'])).code, 'GOV_SANDBOX_ROUTE');
    assert.equal((await routingRecord('notary'))?.version, 1, 'no registration of notary was approved');

    await proposeAndPass(routeArgs(trialRoute));
    await waitFor(async () => (await routingRecord('trial')) !== null, 'the routing chain to apply trial\'s route', 60_000);
    assert.equal((await routingRecord('trial'))?.sandbox, true, 'governance labelled the route though the proposal did not');
  });

  test('chain promote and a vote lift the label everywhere; the refused route is then approved', async () => {
    const prop = await run(['chain', 'promote', 'trial', ...asOp]);
    assert.equal(prop.code, 0, prop.stderr);
    const id = Number(/^proposal\s+#(\d+) \(promote-chain\)$/m.exec(prop.stdout)?.[1]);
    assert.ok(id > 0, prop.stdout);
    assert.equal(json<Voted>(await run(['gov', 'vote', String(id), 'yes', ...asOp, '--json'])).status, 'approved');
    const rec = (await registry()).find((r) => r.id === 'trial');
    assert.deepEqual([rec?.sandbox, rec?.promoted?.proposal], [undefined, id]);
    assert.equal((await c.chains()).find((x) => x.id === 'trial')?.sandbox, false);
    assert.match((await run(['gov', 'chains'])).stdout, /^trial\s+.*\s+production\s+/m);
    assert.doesNotMatch((await run(['chain', 'list'])).stdout, /SANDBOX/);
    // The promotion re-issued trial's route without the label.
    await waitFor(async () => (await routingRecord('trial'))?.version === 2, 'the routing chain to apply the promotion', 60_000);
    assert.equal((await routingRecord('trial'))?.sandbox, undefined);
    // A second promotion is refused: it is no longer a sandbox chain.
    assert.equal(jsonError(await run(['gov', 'propose', '--kind', 'promote-chain', '--args', '{"chain":"trial"}', ...asOp, '--json'])).code, 'GOV_NOT_SANDBOX');

    await proposeAndPass(routeArgs(notaryWithTrial));
    await waitFor(async () => (await routingRecord('notary'))?.version === 2, 'the routing chain to apply notary\'s new route', 60_000);
    assert.deepEqual((await routingRecord('notary'))?.inbound, notaryWithTrial.inbound);
  });
});
