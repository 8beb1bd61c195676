/**
 * A validator-set change on a BFT cluster of real node processes, and what clients verify across
 * it (issue #27 item 2): verified reads through the SDK and the CLI follow the change from the
 * pinned genesis; a header signed by one validator of four, or by the removed validator, fails
 * every verified read. Then a sixth node joins by state sync: its light client follows the
 * change from the genesis set through the header the snapshot offer carries (issue #21 item 4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, writeKeystore, type KeyPair } from '../src/crypto/index.ts';
import { verifyProposerSignature, type BlockHeader } from '../src/ledger/index.ts';
import { prepareCluster, type NodeConfig } from '../src/node/index.ts';
import {
  ShulianClient, ShulianError, deployContractTemplate, draftContract, govPropose, govVote, notaryPut, notaryVerify, sm3File, signContract, submitContractEvent,
} from '../src/sdk/index.ts';
import { cliPath, freePort, repoRoot, track, waitHealthy } from './helpers/node-process.ts';
import { forgeFailedTx, forgeState, lyingNode } from './helpers/lying-node.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';
import { goTo, launchBrowser, signInWithHex } from './helpers/browser.ts';

interface Run { code: number | null; out: string; err: string }
/** The CLI as a child process, without blocking this process (the lying node answers from here). */
function cliRun(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

const checkOf = (e: unknown): string | undefined => (e instanceof ShulianError ? (e.details?.check as string | undefined) : undefined);

interface Proc { proc: ChildProcess; exited: Promise<unknown>; out: () => string; done: () => boolean }
function start(configPath: string): Proc {
  const proc = spawn(process.execPath, [cliPath, 'node', '--config', configPath], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  // Killed with this process if the runner stops the file (its finally would not run).
  track(proc);
  let out = '';
  let done = false;
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, exited: new Promise((r) => proc.on('exit', (code) => { done = true; r(code); })), out: () => out, done: () => done };
}

/**
 * How long the cluster may take to start and send governance.init: five node processes starting
 * at once on two cores shared with the rest of the suite can take minutes (a fixed 120 s once ran
 * out under load). The waits below end as soon as their condition holds, or at once when a node
 * exits, so a generous deadline costs nothing when all is well.
 */
const STARTUP_MS = 360_000;

const json = async <T>(url: string): Promise<T | undefined> => {
  try {
    const r = await fetch(url);
    return r.ok ? ((await r.json()) as T) : undefined;
  } catch {
    return undefined;
  }
};

test('governance replaces a validator: the chain switches sets at the decided height and runs on the new set; verified reads follow it, and one validator alone cannot forge them', { timeout: 900_000 }, async () => {
  const tmp = tempDir();
  const base = await freePort();
  // Node 6 starts only at the end, by state sync across the change.
  const layout = prepareCluster(tmp.dir, 6, base, base + 1000, 'sm2', { validators: 4 });
  const apis = layout.nodes.map((n) => `http://127.0.0.1:${n.apiPort}`);
  const procs: Array<Proc | undefined> = layout.nodes.slice(0, 5).map((n) => start(n.configPath));
  const keyOf = (i: number): KeyPair => readKeystore(join(layout.nodes[i]!.dir, 'node', 'key.json'), readFileSync(join(layout.nodes[i]!.dir, 'node', 'key.pass'), 'utf8').trim());
  try {
    const client = new ShulianClient({ baseUrl: apis[1]! });
    const started = Date.now();
    for (const [i, p] of procs.entries()) await waitHealthy(apis[i]!, p!.proc, p!.out, Math.max(STARTUP_MS - (Date.now() - started), 1));
    await waitFor(async () => {
      const gone = procs.findIndex((p) => p?.done());
      if (gone >= 0) throw new Error(`node ${gone + 1} exited before governance.init was committed`);
      return (await client.state('gov', 'governance/meta').catch(() => ({ value: null }))).value !== null;
    }, 'governance.init on the cluster', Math.max(STARTUP_MS - (Date.now() - started), 1));
    const operatorIndex = [0, 1, 2, 3].sort((a, b) => (layout.nodes[a]!.did < layout.nodes[b]!.did ? -1 : 1))[0]!;
    const operator = keyOf(operatorIndex);
    const orgs = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
    const voters: KeyPair[] = [operator];
    const pass = async (proposer: KeyPair, input: Record<string, unknown>, electors: KeyPair[]) => {
      const { id } = await govPropose(client, proposer, input as never, { timeoutMs: 60_000 } as never);
      for (const v of electors) {
        const r = await govVote(client, v, id, 'yes', { timeoutMs: 60_000 } as never).catch(() => undefined);
        if (r?.status === 'approved') return id;
      }
      throw new Error(`proposal ${id} was not approved`);
    };
    for (const [i, org] of orgs.entries()) {
      await pass(operator, { kind: 'admit-member', member: { did: didFromPublicKey(org.publicKey), name: `Org ${i + 1}`, roles: ['member'] } }, voters);
      voters.push(org);
    }

    // Before the change: a notarised file, a DID, and a contract signed by both parties with its force-majeure notice.
    const env = { SHULIAN_HOME: join(tmp.dir, 'home'), PW: 'pw' };
    const cli = (...args: string[]): Promise<Run> => cliRun(args, env);
    const owner = generateKeyPair('sm2');
    const beforeFile = join(tmp.dir, 'before.txt');
    writeFileSync(beforeFile, `before the change ${Math.random()}`);
    const hBefore = (await sm3File(beforeFile)).hash;
    const incBefore = await notaryPut(client, owner, { hash: hBefore }, { timeoutMs: 60_000 });
    const didKey = generateKeyPair('sm2');
    const didFile = join(tmp.dir, 'did.json');
    writeKeystore(didFile, didKey, 'pw', { scryptN: 1 << 10 });
    const created = await cli('did', 'create', '--key', didFile, '--password-env', 'PW', '--api', apis[1]!, '--timeout', '60000', '--json');
    assert.equal(created.code, 0, created.err);
    const seller = generateKeyPair('sm2');
    const buyer = generateKeyPair('sm2');
    const wait = { wait: { timeoutMs: 60_000 } };
    const { result: { template } } = await deployContractTemplate(client, seller, readFileSync(join(repoRoot, 'contracts/late-delivery/contract.lex'), 'utf8'), wait);
    const terms = JSON.parse(readFileSync(join(repoRoot, 'contracts/late-delivery/sample.json'), 'utf8')) as Record<string, JsonValue>;
    delete terms.seller;
    delete terms.buyer;
    const { result: { id, fingerprint } } = await draftContract(client, buyer, { template, params: terms, parties: { seller: didFromPublicKey(seller.publicKey), buyer: didFromPublicKey(buyer.publicKey) } }, wait);
    await signContract(client, seller, id, fingerprint, wait);
    await signContract(client, buyer, id, fingerprint, wait);
    await submitContractEvent(client, seller, id, 'ForceMajeure', { description: 'Typhoon closed Yangshan port' }, wait);

    // Nodes 5 and 6 replace nodes 1 and 4 on the notary and signing chains, some blocks ahead; node 6
    // is not running yet (3 of the 4 are), it joins at the end by state sync.
    const next = [1, 2, 4, 5].map((i) => ({ did: layout.nodes[i]!.did, publicKey: toHex(keyOf(i).publicKey), power: 1 }));
    const H = (await client.chain('notary')).height + 25;
    const HS = (await client.chain('sign')).height + 25;
    await pass(orgs[0]!, { kind: 'change-validators', chain: 'notary', validators: next, effectiveHeight: H }, [...orgs, operator]);
    await pass(orgs[0]!, { kind: 'change-validators', chain: 'sign', validators: next, effectiveHeight: HS }, [...orgs, operator]);

    // The current validators approve it on each chain; it is scheduled there for height H (HS).
    for (const [chain, at] of [['notary', H], ['sign', HS]] as const) {
      await waitFor(async () => {
        const s = await json<{ value: Array<{ height: number }> | null }>(`${apis[1]}/v1/chains/${chain}/state?key=validators/schedule`);
        return s?.value?.some((e) => e.height === at);
      }, `the change to be scheduled on the ${chain} chain`, 90_000);
    }
    for (const [chain, at] of [['notary', H], ['sign', HS]] as const) {
      await waitFor(async () => ((await json<{ height: number }>(`${apis[1]}/v1/chains/${chain}`))?.height ?? 0) >= at + 1, `${chain} to pass height ${at}`, 120_000);
    }
    const status = await json<{ validators: Array<{ did: string }> }>(`${apis[1]}/v1/chains/notary/consensus`);
    assert.deepEqual(status!.validators.map((v) => v.did), next.map((v) => v.did));

    // Without nodes 1 and 4 the old set would have no quorum; the new one (2, 3, 5 of 2, 3, 5, 6) does.
    for (const i of [0, 3]) {
      procs[i]!.proc.kill('SIGKILL');
      await procs[i]!.exited;
      procs[i] = undefined;
    }
    const h1 = (await json<{ height: number }>(`${apis[1]}/v1/chains/notary`))!.height;
    await waitFor(async () => ((await json<{ height: number }>(`${apis[4]}/v1/chains/notary`))?.height ?? 0) >= h1 + 3, 'the new set, with node 5, to keep committing', 120_000);
    for (let h = H - 2; h <= h1 + 2; h++) {
      const hashes = await Promise.all([1, 2, 4].map((i) => json<{ hash: string }>(`${apis[i]}/v1/chains/notary/blocks/${h}`)));
      assert.equal(new Set(hashes.map((b) => b?.hash)).size, 1, `nodes disagree at height ${h}`);
    }

    // After the change: another notarised file, and the delivery.
    const afterFile = join(tmp.dir, 'after.txt');
    writeFileSync(afterFile, `after the change ${Math.random()}`);
    const hAfter = (await sm3File(afterFile)).hash;
    const incAfter = await notaryPut(client, owner, { hash: hAfter }, { timeoutMs: 60_000 });
    assert.ok(incBefore.height < H && incAfter.height > H, `${incBefore.height} < ${H} < ${incAfter.height}`);
    const delivered = await submitContractEvent(client, seller, id, 'Delivered', {}, wait);
    assert.ok(delivered.height > HS);

    // ---- Verified reads across the change, from the pinned genesis: the SDK ----
    const G = { notary: (await client.chain('notary')).genesisHash, sign: (await client.chain('sign')).genesisHash, identity: (await client.chain('identity')).genesisHash };
    for (const api of [apis[1]!, apis[4]!]) {
      const verifier = new ShulianClient({ baseUrl: api, genesisHashes: G });
      assert.equal((await notaryVerify(verifier, hBefore)).record.height, incBefore.height);
      assert.equal((await notaryVerify(verifier, hAfter)).record.height, incAfter.height);
      assert.equal((await verifier.verifiedTx(incBefore.hash)).proofVerified, true);
    }
    const at = await client.validatorsAt('notary', incAfter.height);
    assert.deepEqual(at.validators.map((v) => v.did), next.map((v) => v.did));
    assert.ok(at.headers.some((h) => h.header.height === H - 1), 'the header just before the change proves it');

    // ---- … and the CLI, each against its pinned genesis ----
    const txGet = await cli('tx', 'get', incAfter.hash, '--verify', '--api', apis[1]!, '--genesis-hash', G.notary, '--json');
    assert.equal(txGet.code, 0, txGet.err);
    assert.equal((JSON.parse(txGet.out) as { proofVerified: boolean }).proofVerified, true);
    for (const f of [beforeFile, afterFile]) {
      const v = await cli('notary', 'verify', f, '--api', apis[1]!, '--genesis-hash', G.notary);
      assert.equal(v.code, 0, v.err);
      assert.match(v.out, /final by the validators of its height/);
    }
    const did = didFromPublicKey(didKey.publicKey);
    const resolved = await cli('did', 'resolve', did, '--verify', '--api', apis[1]!, '--genesis-hash', G.identity, '--json');
    assert.equal(resolved.code, 0, resolved.err);
    assert.equal((JSON.parse(resolved.out) as { proofVerified: boolean }).proofVerified, true);

    // ---- … and the console's explorer, in a real browser: its light client follows the change too ----
    const browser = await launchBrowser();
    try {
      const { page } = await browser.open(`${apis[1]}/console/`);
      await signInWithHex(page, toHex(generateKeyPair('sm2').privateKey));
      await goTo(page, 'explorer');
      await page.getByTestId('explorer-search').fill(incAfter.hash);
      await page.getByTestId('explorer-search-go').click();
      await page.getByTestId('verify-tx').click();
      const verdict = page.getByTestId('proof-ok').or(page.getByTestId('proof-bad'));
      await verdict.waitFor({ timeout: 60_000 });
      assert.equal(await page.getByTestId('proof-ok').count(), 1, `the explorer refused the tx after the change: ${await verdict.textContent()}`);
    } finally {
      await browser.close();
    }
    const pkg = join(tmp.dir, 'evidence.json');
    const ev = await cli('contract', 'evidence', id, '--out', pkg, '--api', apis[1]!, '--genesis-hash', G.sign, '--json');
    assert.equal(ev.code, 0, ev.err);
    const doc = JSON.parse(readFileSync(pkg, 'utf8')) as { validators: Array<{ header: BlockHeader }>; state: { height: number; commit: { signatures: unknown[] } } };
    assert.ok(doc.validators.some((h) => h.header.height === HS - 1), 'the package carries the header that proves the change');
    const replay = await cli('contract', 'replay', pkg, '--genesis-hash', G.sign, '--json');
    assert.equal(replay.code, 0, replay.out + replay.err);
    assert.equal((JSON.parse(replay.out) as { ok: boolean }).ok, true);

    // ---- One validator of four lies: the file was never recorded, the tx failed, the DID does not exist ----
    const liar = await lyingNode(apis[1]!);
    try {
      const genesisSet = (await client.chain('notary')).genesis.validators;
      const forgeries: Array<Record<string, unknown>> = [];
      const lieWith = (signers: KeyPair[]) => (path: string, body: Record<string, unknown>): Record<string, unknown> | undefined => {
        let forged: Record<string, unknown> | undefined;
        if (path.startsWith('/v1/chains/notary/state?') && path.includes(hAfter)) forged = forgeState(body, null, signers);
        else if (path.startsWith('/v1/chains/identity/state?') && path.includes('proof=true')) forged = forgeState(body, null, signers);
        else if (path === `/v1/txs/${incAfter.hash}`) forged = forgeFailedTx(body, signers);
        if (forged) forgeries.push(forged);
        return forged;
      };
      const lied = new ShulianClient({ baseUrl: liar.url, genesisHashes: G });
      for (const [who, signers, check, words] of [
        ['one validator of four', [keyOf(2)], 'LIGHT_NOT_ENOUGH_POWER', /not more than 2\/3/],
        ['the removed validator', [keyOf(0)], 'LIGHT_COMMIT_UNKNOWN_SIGNER', /is not a validator at height/],
      ] as const) {
        liar.forger = lieWith([...signers]);
        forgeries.length = 0;
        await assert.rejects(notaryVerify(lied, hAfter), (e) => checkOf(e) === check, `${who}: notary verify`);
        await assert.rejects(lied.verifiedTx(incAfter.hash), (e) => checkOf(e) === check, `${who}: verifiedTx`);
        // Each forgery is well made: the old check (the proposer's signature under the genesis set) accepted it.
        assert.ok(forgeries.length >= 2);
        for (const f of forgeries) {
          assert.deepEqual(verifyProposerSignature('sm2', f.header as BlockHeader, f.blockHash as string, f.blockSig as string, genesisSet), { ok: true });
        }
        const t = await cli('tx', 'get', incAfter.hash, '--verify', '--api', liar.url, '--genesis-hash', G.notary);
        assert.equal(t.code, 1, `${who}: tx get --verify`);
        assert.match(t.err, words);
        const n = await cli('notary', 'verify', afterFile, '--api', liar.url, '--genesis-hash', G.notary);
        assert.equal(n.code, 1, `${who}: notary verify`);
        assert.match(n.err, words);
      }
      liar.forger = lieWith([keyOf(2)]);
      const r = await cli('did', 'resolve', did, '--verify', '--api', liar.url, '--genesis-hash', G.identity);
      assert.equal(r.code, 1, 'did resolve --verify');
      assert.match(r.err, /not more than 2\/3/);
      // The evidence package with its snapshot header committed by one validator only.
      const one = structuredClone(doc);
      one.state.commit.signatures = one.state.commit.signatures.slice(0, 1);
      const onePkg = join(tmp.dir, 'one-validator.json');
      writeFileSync(onePkg, JSON.stringify(one));
      const rr = await cli('contract', 'replay', onePkg, '--genesis-hash', G.sign, '--json');
      assert.equal(rr.code, 1);
      assert.deepEqual((JSON.parse(rr.out) as { failures: Array<{ item: string; code?: string }> }).failures.map((f) => [f.item, f.code]), [[`state header ${doc.state.height}`, 'LIGHT_NOT_ENOUGH_POWER']]);
    } finally {
      await liar.close();
    }

    // ---- A node joins after the change by state sync: the offer carries the header before the
    // change, its light client follows it from the genesis set (before, it refused with
    // SNAPSHOT_BAD_HEADER and had to replay every block) ----
    const config6 = JSON.parse(readFileSync(layout.nodes[5]!.configPath, 'utf8')) as NodeConfig;
    // It validates only those two chains of the alliance, so it may only connect for them (and follow identity and governance).
    config6.stateSync = { timeoutMs: 120_000, chains: ['notary', 'sign'] };
    writeFileSync(layout.nodes[5]!.configPath, JSON.stringify(config6, null, 2) + '\n');
    const joiner = start(layout.nodes[5]!.configPath);
    procs[5] = joiner;
    const synced = (chain: string): RegExpExecArray | null => new RegExp(`chain ${chain}: started by state sync at height (\\d+)`).exec(joiner.out());
    await waitFor(() => (synced('notary') && synced('sign')) || joiner.done(), 'node 6 to state-sync notary and sign', 240_000);
    assert.ok(!joiner.done(), `node 6 exited:\n${joiner.out().slice(-4000)}`);
    assert.ok(Number(synced('notary')![1]) > H && Number(synced('sign')![1]) > HS, `snapshots above the changes: ${synced('notary')![1]} > ${H}, ${synced('sign')![1]} > ${HS}`);
    const head = (await json<{ height: number }>(`${apis[1]}/v1/chains/notary`))!.height + 2;
    await waitFor(async () => ((await json<{ height: number }>(`${apis[5]}/v1/chains/notary`))?.height ?? 0) >= head, `node 6 at notary height ${head}`, 180_000);
    const [theirs, ours] = await Promise.all([1, 5].map((i) => json<{ hash: string; header: { stateRoot: string } }>(`${apis[i]}/v1/chains/notary/blocks/${head}`)));
    assert.equal(ours?.hash, theirs?.hash, `block ${head} agrees`);
    assert.equal(ours?.header.stateRoot, theirs?.header.stateRoot, `state root at ${head} agrees`);
    // Without the blocks below its snapshot; the records of both sides of the change came with it.
    assert.equal(await json(`${apis[5]}/v1/chains/notary/blocks/${H - 1}`), undefined);
    const joined = new ShulianClient({ baseUrl: apis[5]! });
    assert.equal((await joined.state('notary', `notary/rec/${hBefore}`)).value !== null, true);
    assert.equal((await joined.state('notary', `notary/rec/${hAfter}`)).value !== null, true);
  } catch (err) {
    for (const [i, p] of procs.entries()) if (p) process.stderr.write(`--- node ${i + 1} ---\n${p.out().slice(-2500)}\n`);
    throw err;
  } finally {
    for (const p of procs) p?.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => p?.exited));
    tmp.cleanup();
  }
});
