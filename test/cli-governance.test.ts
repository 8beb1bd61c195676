/**
 * Governance (以链治链) through the `shulian` binary, as docs/governance.md's CLI section tells a
 * user to run it, against a real `shulian up` node: the operator (the node's own key, password
 * from SHULIAN_NODE_PASSWORD) admits three member organisations by `org propose` and `gov vote`,
 * a member proposes a business chain with `chain propose`, two of three approve it, the node
 * starts it by itself, and a `gov propose --kind suspend-chain` vote stops it. Refusals (a
 * non-member's vote, a second vote, closing too early, a bad choice) check the exit code, the
 * error code and that the tally did not move.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, fixtureKey, json, jsonError, oneLineError, PW, type CliRun } from './helpers/cli.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

interface KeyInfo {
  did: string;
  publicKey: string;
  file: string;
}
interface Voted {
  id: number;
  choice: string;
  status: string;
  tally: { yes: number; no: number; abstain: number };
  tx: string;
}
interface Proposed {
  id: number;
  kind: string;
  electorate: number;
  endHeight: number;
  tx: string;
}
interface ProposalView {
  id: number;
  kind: string;
  status: string;
  title?: string;
  tally: { yes: number; no: number; abstain: number };
  electorate: string[];
}

describe('shulian org / gov / chain propose through the binary, against shulian up', () => {
  const tmp = tempDir('shulian-cli-gov-');
  let node: NodeProcess;
  let api: string;
  // The operator's key is the node's key: <data>/node/key.json, its password in SHULIAN_NODE_PASSWORD.
  const env = { PW, SHULIAN_NODE_PASSWORD: PW };
  const data = join(tmp.dir, 'node');
  const op = { file: join(data, 'node', 'key.json') } as KeyInfo;
  const orgs: Array<KeyInfo & { name: string }> = [];
  let outsider: KeyInfo;
  let tradeProposal = 0;

  const run = (args: string[]): Promise<CliRun> => cli([...args, '--api', api], env);
  const signing = (k: { file: string }, pwEnv = 'PW'): string[] => ['--key', k.file, '--password-env', pwEnv];
  const asOp = (): string[] => signing(op, 'SHULIAN_NODE_PASSWORD');
  const vote = async (id: number, k: { file: string }, pwEnv = 'PW'): Promise<Voted> =>
    json<Voted>(await run(['gov', 'vote', String(id), 'yes', ...signing(k, pwEnv), '--json']));
  const proposal = async (id: number): Promise<ProposalView> => (await (await fetch(`${api}/v1/gov/proposals/${id}`)).json()) as ProposalView;

  before(async () => {
    node = await startNodeProcess(data, undefined, [], { env: { SHULIAN_NODE_PASSWORD: PW } });
    api = node.url;
    // The node initialises governance with its own key on first start.
    await waitFor(async () => ((await (await fetch(`${api}/v1/gov/members`)).json()) as { members: unknown[] }).members.length > 0, 'governance.init', 60_000);
    const show = json<KeyInfo>(await cli(['keys', 'show', ...asOp(), '--json'], env));
    Object.assign(op, { did: show.did, publicKey: show.publicKey });
    for (const name of ['Port Authority', 'Shipping Bank', 'Customs Broker']) {
      const k = fixtureKey(join(tmp.dir, `${name.split(' ')[0]!.toLowerCase()}.json`));
      orgs.push({ ...k, name });
    }
    outsider = fixtureKey(join(tmp.dir, 'outsider.json'));
  });

  after(async () => {
    try {
      if (node) assert.equal(await node.stop(), 0, `shulian up did not stop cleanly:\n${node.output()}`);
    } finally {
      tmp.cleanup();
    }
  });

  test('org list shows the founding operator with its member seat; gov init a second time is refused', async () => {
    const list = json<{ members: Array<{ did: string; roles: string[]; proposal: number }> }>(await run(['org', 'list', '--verify', '--json']));
    // The embedded alliance's operator is also a member organisation, so it can propose and approve business chains (#15).
    assert.deepEqual(list.members.map((m) => [m.did, m.roles, m.proposal]), [[op.did, ['operator', 'member'], 0]]);
    const again = await run(['gov', 'init', '--name', 'Another operator', ...asOp(), '--json']);
    assert.equal(jsonError(again).code, 'GOV_ALREADY_INITIALIZED');
  });

  test('org propose + gov vote admit three member organisations, each vote by the members so far', async () => {
    const voters: Array<{ file: string; pwEnv: string }> = [{ file: op.file, pwEnv: 'SHULIAN_NODE_PASSWORD' }];
    for (const org of orgs) {
      const p = json<Proposed>(await run(['org', 'propose', '--did', org.did, '--name', org.name, '--roles', 'member', '--title', `Admit ${org.name}`, ...asOp(), '--json']));
      assert.equal(p.kind, 'admit-member');
      assert.equal(p.electorate, voters.length, 'the electorate is the members with a voter role when it is proposed');
      let last: Voted | undefined;
      for (const v of voters) {
        last = await vote(p.id, v, v.pwEnv);
        assert.equal(last.id, p.id);
        if (last.status === 'approved') break;
      }
      assert.equal(last!.status, 'approved', `${org.name} admitted`);
      voters.push({ file: org.file, pwEnv: 'PW' });
    }
    const human = await run(['org', 'list', '--verify']);
    assert.equal(human.code, 0, human.stderr);
    for (const org of orgs) assert.match(human.stdout, new RegExp(`^${org.did}\\s+${org.name}\\s+member\\s+#\\d+, height \\d+`, 'm'));
    assert.match(human.stdout, new RegExp(`^${op.did}\\s+.*\\s+operator,\\s?member\\s+founder`, 'm'));
  });

  test('chain propose: a member proposes a business chain; refusals change no tally; three of four (the operator holds a member seat) approve it', async () => {
    const [a, b] = orgs;
    const genesis = join(tmp.dir, 'trade.json');
    // The business chain names this node as its one validator, so the node starts it by itself.
    writeFileSync(genesis, JSON.stringify({
      chain: 'trade', name: 'Trade chain', nameZh: '航贸链', suite: 'sm2', consensus: { type: 'solo' }, modules: ['notary'],
      validators: [{ did: op.did, publicKey: op.publicKey, power: 1 }],
    }));
    const prop = await run(['chain', 'propose', '--genesis', genesis, '--admission', '{"type":"members"}', '--title', 'Trade chain', ...signing(a!)]);
    assert.equal(prop.code, 0, prop.stderr);
    const id = Number(/^proposal\s+#(\d+) \(create-chain\)$/m.exec(prop.stdout)?.[1]);
    assert.ok(id > 0, prop.stdout);
    assert.match(prop.stdout, /^chain\s+trade$/m);
    assert.match(prop.stdout, /^genesis\s+[0-9a-f]{64} \(the hash the named nodes will start\)$/m);
    assert.match(prop.stdout, new RegExp(`^next\\s+members vote with: shulian gov vote ${id} yes`, 'm'));
    tradeProposal = id;

    assert.equal((await vote(id, a!)).status, 'voting');
    // Refused: a non-member, a second vote, closing while the vote is open, a choice that is not one.
    assert.equal(jsonError(await run(['gov', 'vote', String(id), 'yes', ...signing(outsider), '--json'])).code, 'GOV_NOT_MEMBER');
    const dup = await run(['gov', 'vote', String(id), 'no', ...signing(a!)]);
    assert.match(oneLineError(dup, 1), /GOV_ALREADY_VOTED|already voted yes/);
    assert.equal(jsonError(await run(['gov', 'close', String(id), ...signing(b!), '--json'])).code, 'GOV_VOTING_OPEN');
    assert.match(oneLineError(await run(['gov', 'vote', String(id), 'maybe', ...signing(a!)]), 2), /maybe/);
    const mid = await proposal(id);
    assert.deepEqual([mid.status, mid.tally], ['voting', { yes: 1, no: 0, abstain: 0 }], 'the refusals changed no tally');

    assert.equal((await vote(id, b!)).status, 'voting', 'two of four cannot settle it yet');
    const done = await vote(id, op, 'SHULIAN_NODE_PASSWORD');
    assert.deepEqual([done.status, done.tally], ['approved', { yes: 3, no: 0, abstain: 0 }]);

    const shown = json<{ proposal: ProposalView; votes: Array<{ voter: string; choice: string }> }>(await run(['gov', 'show', String(id), '--verify', '--json']));
    assert.equal(shown.proposal.status, 'approved');
    assert.equal(shown.proposal.title, 'Trade chain');
    assert.deepEqual(shown.votes.map((v) => [v.voter, v.choice]).sort(), [[a!.did, 'yes'], [b!.did, 'yes'], [op.did, 'yes']].sort());
    const human = await run(['gov', 'show', String(id)]);
    assert.match(human.stdout, /^status\s+approved at height \d+ — 3 yes, 0 no, 0 abstain of 4: approved/m);
    const missing = await run(['gov', 'show', '9999', '--json']);
    assert.equal(jsonError(missing).code, 'GOV_PROPOSAL_NOT_FOUND');
  });

  test('the node starts the approved chain by itself; gov chains, gov list and gov policy show it', async () => {
    await waitFor(async () => ((await (await fetch(`${api}/v1/chains`)).json()) as { chains: Array<{ id: string }> }).chains.some((c) => c.id === 'trade'), 'the trade chain to start', 60_000);
    const chains = json<{ chains: Array<{ id: string }> }>(await run(['chain', 'list', '--json']));
    assert.ok(chains.chains.some((c) => c.id === 'trade'), 'chain list shows trade');
    await waitFor(async () => ((await (await fetch(`${api}/v1/gov/chains/trade`)).json()) as { status: string }).status === 'active', 'trade reported active', 60_000);
    const registry = json<{ chains: Array<{ id: string; status: string; owner: string; admission: { type: string } }> }>(await run(['gov', 'chains', '--verify', '--json']));
    const trade = registry.chains.find((c) => c.id === 'trade');
    assert.deepEqual([trade?.status, trade?.owner, trade?.admission.type], ['active', orgs[0]!.did, 'members']);
    const human = await run(['gov', 'chains']);
    assert.match(human.stdout, /^trade\s+Trade chain \(航贸链\)\s+active\s+/m);

    const list = await run(['gov', 'list', '--status', 'approved', '--kind', 'create-chain']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^#${tradeProposal}\\s+create-chain\\s+trade "Trade chain" \\(solo, 1 validators\\)`, 'm'));
    assert.doesNotMatch(list.stdout, /admit-member/, '--kind filters');
    const policy = await run(['gov', 'policy']);
    assert.match(policy.stdout, /^create-chain\s+operator,member\s+member\s+50\.00%\s+> 50\.00%\s+1000 blocks$/m);
  });

  test('gov propose --kind suspend-chain: approved by vote, the node stops the chain', async () => {
    const [a, b] = orgs;
    const bad = await run(['gov', 'propose', '--kind', 'suspend-chain', '--args', '{"chain":', ...signing(a!)]);
    assert.match(oneLineError(bad, 2), /--args is not valid JSON/);
    const p = json<Proposed>(await run(['gov', 'propose', '--kind', 'suspend-chain', '--args', '{"chain":"trade"}', ...signing(a!), '--json']));
    assert.equal(p.kind, 'suspend-chain');
    assert.equal((await vote(p.id, a!)).status, 'voting');
    assert.equal((await vote(p.id, b!)).status, 'voting');
    assert.equal((await vote(p.id, op, 'SHULIAN_NODE_PASSWORD')).status, 'approved');
    await waitFor(async () => !((await (await fetch(`${api}/v1/chains`)).json()) as { chains: Array<{ id: string }> }).chains.some((c) => c.id === 'trade'), 'the suspended chain to stop', 60_000);
    const registry = json<{ chains: Array<{ id: string; status: string }> }>(await run(['gov', 'chains', '--json']));
    assert.equal(registry.chains.find((c) => c.id === 'trade')?.status, 'suspended');
  });
});
