/**
 * The `shulian` CLI, run as child processes the way a user runs it (`node bin/shulian.mjs …`),
 * against a real node started with `shulian up` in another child process.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { cli, json, PW } from './helpers/cli.ts';
import { freePort, repoRoot, startNodeProcess, type NodeProcess } from './helpers/node-process.ts';

const tmp = mkdtempSync(join(tmpdir(), 'shulian-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('cli without a node', () => {
  test('--help lists the commands and exits 0', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const c of ['up', 'keys', 'chain', 'tx', 'notary']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
  });

  test('subcommand help shows --api and --json', async () => {
    const r = await cli(['notary', 'verify', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--api <url>/);
    assert.match(r.stdout, /--json/);
    assert.match(r.stdout, /--chain <id>/);
  });

  test('usage errors exit 2 without a stack trace', async () => {
    const r = await cli(['keys', 'new']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--out/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const bad = await cli(['tx', 'get', 'nothex']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a transaction hash/);
    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2);
  });

  test('an unreachable node says which URL and to run shulian up', async () => {
    const port = await freePort();
    const r = await cli(['chain', 'list', '--api', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`http://127\\.0\\.0\\.1:${port}`));
    assert.match(r.stderr, /shulian up/);
    const viaEnv = await cli(['chain', 'list', '--json'], { SHULIAN_API: `http://127.0.0.1:${port}` });
    assert.equal(viaEnv.code, 1);
    const err = JSON.parse(viaEnv.stderr) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'NODE_UNREACHABLE');
    assert.match(err.error.message, new RegExp(`:${port}`));
  });

  test('SHULIAN_DEBUG=1 adds the stack', async () => {
    const port = await freePort();
    const r = await cli(['chain', 'list', '--api', `http://127.0.0.1:${port}`], { SHULIAN_DEBUG: '1' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\n\s+at /);
  });

  describe('keys', () => {
    const key = join(tmp, 'alice.json');

    test('keys new writes a 0600 keystore and prints the DID, never the private key', async () => {
      const r = await cli(['keys', 'new', '--out', key, '--password-env', 'PW', '--json'], { PW });
      const out = json<{ did: string; suite: string; publicKey: string; file: string }>(r);
      assert.match(out.did, /^did:shulian:[1-9A-HJ-NP-Za-km-z]+$/);
      assert.equal(out.suite, 'sm2');
      assert.match(out.publicKey, /^04[0-9a-f]{128}$/);
      assert.equal(out.file, key);
      assert.equal(Object.keys(out).sort().join(','), 'did,file,publicKey,suite');
      assert.equal(statSync(key).mode & 0o777, 0o600);
      const human = await cli(['keys', 'show', '--key', key, '--password-env', 'PW'], { PW });
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(out.did));
    });

    test('keys new uses OWASP\'s scrypt cost (N = 2^17), and the light 2^12 only under SHULIAN_LIGHT_KDF=1', async () => {
      const full = join(tmp, 'full-kdf.json');
      const light = join(tmp, 'light-kdf.json');
      assert.equal((await cli(['keys', 'new', '--out', full, '--password-env', 'PW'], { PW, SHULIAN_LIGHT_KDF: undefined })).code, 0);
      assert.equal((await cli(['keys', 'new', '--out', light, '--password-env', 'PW'], { PW, SHULIAN_LIGHT_KDF: '1' })).code, 0);
      const n = (f: string): number => (JSON.parse(readFileSync(f, 'utf8')) as { crypto: { n: number } }).crypto.n;
      assert.equal(n(full), 1 << 17);
      assert.equal(n(light), 1 << 12);
      const shown = await cli(['keys', 'show', '--key', light, '--password-env', 'PW', '--json'], { PW, SHULIAN_LIGHT_KDF: undefined });
      assert.equal(shown.code, 0, 'a light keystore opens without the variable: its file records its cost');
    });

    test('keys show prints the same DID and public key', async () => {
      const a = json<{ did: string; publicKey: string }>(await cli(['keys', 'show', '--key', key, '--password-env', 'PW', '--json'], { PW }));
      assert.doesNotMatch(JSON.stringify(a), /private/i);
      const b = json<{ did: string; publicKey: string }>(await cli(['keys', 'show', '--key', key, '--password-env', 'PW', '--json'], { PW }));
      assert.deepEqual(a, b);
    });

    test('keys new refuses to overwrite', async () => {
      const before = readFileSync(key);
      const r = await cli(['keys', 'new', '--out', key, '--password-env', 'PW'], { PW });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /already exists/);
      assert.deepEqual(readFileSync(key), before);
    });

    test('ed25519 keys', async () => {
      const out = json<{ suite: string; publicKey: string }>(
        await cli(['keys', 'new', '--out', join(tmp, 'ed.json'), '--suite', 'ed25519', '--password-env', 'PW', '--json'], { PW }),
      );
      assert.equal(out.suite, 'ed25519');
      assert.match(out.publicKey, /^[0-9a-f]{64}$/);
    });

    test('a wrong password says exactly that, exit 2', async () => {
      const r = await cli(['keys', 'show', '--key', key, '--password-env', 'PW'], { PW: 'wrong' });
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'error: wrong password\n');
    });

    test('no terminal and no --password-env is a clear usage error', async () => {
      const r = await cli(['keys', 'show', '--key', key]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--password-env/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    });

    test('--password-env naming an unset variable', async () => {
      const r = await cli(['keys', 'show', '--key', key, '--password-env', 'NOPE_NOT_SET']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /NOPE_NOT_SET is not set/);
    });

    test('a missing keystore says how to make one', async () => {
      const r = await cli(['keys', 'show', '--key', join(tmp, 'none.json'), '--password-env', 'PW'], { PW });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /shulian keys new/);
    });
    // Issue #15: keys made by name live in $SHULIAN_HOME/keys, never where the command runs.
    test('keys new NAME keeps it in $SHULIAN_HOME/keys; --key NAME and keys list find it', async () => {
      const home = join(tmp, 'home-named');
      const env = { PW, SHULIAN_HOME: home };
      const name = `tour-key-${process.pid}`;
      const out = json<{ did: string; file: string; name: string }>(await cli(['keys', 'new', name, '--password-env', 'PW', '--json'], env));
      assert.equal(out.file, join(home, 'keys', `${name}.json`));
      assert.equal(out.name, name);
      assert.equal(statSync(out.file).mode & 0o777, 0o600);
      assert.equal(statSync(join(home, 'keys')).mode & 0o777, 0o700);
      assert.equal(existsSync(join(repoRoot, `${name}.json`)), false, 'nothing in the folder the command ran in (the checkout)');
      const shown = json<{ did: string }>(await cli(['keys', 'show', '--key', name, '--password-env', 'PW', '--json'], env));
      assert.equal(shown.did, out.did);
      const listed = json<{ dir: string; keys: Array<{ name: string; did: string }> }>(await cli(['keys', 'list', '--json'], env));
      assert.equal(listed.dir, join(home, 'keys'));
      assert.deepEqual(listed.keys.map((k) => [k.name, k.did]), [[name, out.did]]);
      const human = await cli(['keys', 'list'], env);
      assert.match(human.stdout, new RegExp(`^  ${name}\\s+${out.did}$`, 'm'));
      // The same name again is refused and changes nothing.
      const before = readFileSync(out.file);
      const again = await cli(['keys', 'new', name, '--password-env', 'PW'], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists/);
      assert.deepEqual(readFileSync(out.file), before);
    });

    test('keys new: a name that is a path, or a name and --out, are usage errors; an unknown key name says where it looked', async () => {
      const home = join(tmp, 'home-bad');
      const env = { PW, SHULIAN_HOME: home };
      const slash = await cli(['keys', 'new', 'a/b', '--password-env', 'PW'], env);
      assert.equal(slash.code, 2);
      assert.match(slash.stderr, /not a key name.*--out/);
      const both = await cli(['keys', 'new', 'x', '--out', join(tmp, 'x.json'), '--password-env', 'PW'], env);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /not both/);
      assert.equal(existsSync(join(tmp, 'x.json')) || existsSync(join(home, 'keys', 'x.json')), false);
      const missing = await cli(['keys', 'show', '--key', 'nobody', '--password-env', 'PW'], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`no key "nobody".*${join(home, 'keys', 'nobody.json').replace(/[.]/g, '\\.')}.*shulian keys new nobody`));
    });
  });
});

describe('password prompt', () => {
  /** A fake TTY: a stream with isTTY and setRawMode, fed keystrokes. */
  function fakeTty(): { input: NodeJS.ReadStream; output: PassThrough; raw: boolean[] } {
    const s = new PassThrough() as unknown as NodeJS.ReadStream & { isRaw: boolean };
    const raw: boolean[] = [];
    Object.assign(s, { isTTY: true, isRaw: false, setRawMode: (m: boolean) => { raw.push(m); (s as { isRaw: boolean }).isRaw = m; return s; } });
    return { input: s, output: new PassThrough(), raw };
  }

  test('asks without echo, handles backspace, restores the terminal', async () => {
    const { getPassword } = await import('../src/cli/password.ts');
    const t = fakeTty();
    const p = getPassword({ input: t.input, output: t.output }, 'Password');
    (t.input as unknown as PassThrough).write('sekrx\u007ft\r');
    assert.equal(await p, 'sekrt');
    const shown = t.output.read()?.toString() ?? '';
    assert.equal(shown, 'Password: \n');
    assert.deepEqual(t.raw, [true, false]);
  });

  test('confirmation must match', async () => {
    const { getPassword } = await import('../src/cli/password.ts');
    const t = fakeTty();
    const p = getPassword({ input: t.input, output: t.output }, 'Password', true);
    (t.input as unknown as PassThrough).write('abc\r');
    await new Promise((r) => setImmediate(r));
    (t.input as unknown as PassThrough).write('abd\r');
    await assert.rejects(p, { code: 'PASSWORD_MISMATCH' });
  });

  test('env var, unset var, bad var name, no tty', async () => {
    const { getPassword } = await import('../src/cli/password.ts');
    assert.equal(await getPassword({ passwordEnv: 'X', env: { X: 'pw' } }, 'p'), 'pw');
    await assert.rejects(getPassword({ passwordEnv: 'X', env: {} }, 'p'), { code: 'PASSWORD_REQUIRED' });
    await assert.rejects(getPassword({ passwordEnv: 'X', env: { X: '' } }, 'p', true), { code: 'PASSWORD_REQUIRED' });
    await assert.rejects(getPassword({ passwordEnv: 'not a name', env: {} }, 'p'), { code: 'USAGE' });
    const notTty = new PassThrough() as unknown as NodeJS.ReadStream;
    await assert.rejects(getPassword({ input: notTty, env: {} }, 'p'), { code: 'PASSWORD_REQUIRED', message: /--password-env/ });
  });

  test('Ctrl-C aborts', async () => {
    const { getPassword } = await import('../src/cli/password.ts');
    const t = fakeTty();
    const p = getPassword({ input: t.input, output: t.output }, 'Password');
    (t.input as unknown as PassThrough).write('ab\u0003');
    await assert.rejects(p, { code: 'INTERRUPTED' });
  });
});

describe('file hashing', () => {
  test('sm3File streams SM3 (GB/T 32905 vector) and reports the size', async () => {
    const { sm3File } = await import('../src/sdk/notary.ts');
    const f = join(tmp, 'abc.txt');
    writeFileSync(f, 'abc');
    assert.deepEqual(await sm3File(f), { hash: '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0', size: 3 });
    const big = join(tmp, 'big.bin');
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    writeFileSync(big, data);
    const r = await sm3File(big);
    assert.equal(r.size, data.length);
    assert.equal(r.hash, createHash('sm3').update(data).digest('hex'));
    await assert.rejects(sm3File(join(tmp, 'missing')), { code: 'FILE_NOT_FOUND' });
    await assert.rejects(sm3File(tmp), { code: 'FILE_NOT_FOUND' });
  });

  test('agrees with the crypto module\'s sm3', async () => {
    const { sm3 } = await import('../src/crypto/index.ts');
    const { sm3File } = await import('../src/sdk/notary.ts');
    const f = join(tmp, 'x.bin');
    const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff));
    writeFileSync(f, data);
    assert.equal((await sm3File(f)).hash, Buffer.from(sm3(data)).toString('hex'));
  });
});

describe('cli against a node started with shulian up', () => {
  let node: NodeProcess;
  let api = '';
  const key = join(tmp, 'notary-key.json');
  const env = { PW };

  before(async () => {
    node = await startNodeProcess(join(tmp, 'node'));
    api = node.url;
    json(await cli(['keys', 'new', '--out', key, '--password-env', 'PW', '--json'], env));
  });

  after(async () => {
    if (!node) return;
    const code = await Promise.race([node.stop('SIGINT'), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
    if (code === 'hung') await node.kill9();
    assert.equal(code, 0, `shulian up did not stop cleanly on SIGINT:\n${node.output()}`);
  });

  test('up printed where the API and the data are', () => {
    assert.match(node.output(), new RegExp(api.replace(/[.:/]/g, '\\$&')));
    assert.match(node.output(), new RegExp(join(tmp, 'node').replace(/[.:/\\]/g, '\\$&')));
  });

  test('a second up on the same API port stops with PORT_IN_USE, not a crash', async () => {
    const port = new URL(api).port;
    const r = await cli(['up', '--data-dir', join(tmp, 'second'), '--port', port, '--json']);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const err = (JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'PORT_IN_USE');
    assert.match(err.message, new RegExp(`API ${port}`));
    assert.doesNotMatch(r.stderr, /closed database|Unhandled|\n\s+at /);
  });

  test('chain list shows the seven chains', async () => {
    const out = json<{ chains: Array<{ id: string; height: number }> }>(await cli(['chain', 'list', '--api', api, '--json']));
    assert.deepEqual(out.chains.map((c) => c.id).sort(), ['data', 'gov', 'identity', 'notary', 'settle', 'sign', 'xroute']);
    const human = await cli(['chain', 'list'], { SHULIAN_API: api });
    assert.equal(human.code, 0, human.stderr);
    for (const id of ['gov', 'identity', 'sign', 'settle', 'xroute', 'data', 'notary']) assert.match(human.stdout, new RegExp(`^${id}\\s`, 'm'));
  });

  test('notary put then verify, both proofs checked locally', async () => {
    const doc = join(tmp, 'contract.pdf');
    writeFileSync(doc, `a contract ${Date.now()} ${Math.random()}`);
    const sm3 = createHash('sm3').update(readFileSync(doc)).digest('hex');
    const put = json<{ hash: string; tx: string; height: number; owner: string }>(
      await cli(['notary', 'put', doc, '--key', key, '--password-env', 'PW', '--name', 'contract.pdf', '--api', api, '--json'], env),
    );
    assert.equal(put.hash, sm3);
    assert.match(put.tx, /^[0-9a-f]{64}$/);
    assert.ok(put.height >= 1);

    const v = json<{ hash: string; proofVerified: boolean; record: { hash: string; owner: string; name: string; size: number; height: number; tx: string } }>(
      await cli(['notary', 'verify', doc, '--api', api, '--json']),
    );
    assert.equal(v.proofVerified, true);
    assert.equal(v.hash, sm3);
    assert.equal(v.record.hash, sm3);
    assert.equal(v.record.owner, put.owner);
    assert.equal(v.record.name, 'contract.pdf');
    assert.equal(v.record.size, statSync(doc).size);
    assert.equal(v.record.height, put.height);
    assert.equal(v.record.tx, put.tx);

    const human = await cli(['notary', 'verify', doc, '--api', api]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /verified locally/);

    const again = await cli(['notary', 'put', doc, '--key', key, '--password-env', 'PW', '--api', api], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already recorded/);
  });

  test('verify of a file never recorded fails with "not recorded"', async () => {
    const doc = join(tmp, 'never.txt');
    writeFileSync(doc, `never recorded ${Math.random()}`);
    const r = await cli(['notary', 'verify', doc, '--api', api]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not recorded/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const j = await cli(['notary', 'verify', doc, '--api', api, '--json']);
    assert.equal(j.code, 1);
    assert.equal((JSON.parse(j.stderr) as { error: { code: string } }).error.code, 'NOTARY_NOT_RECORDED');
  });

  test('verify with a wrong pinned genesis hash fails', async () => {
    const doc = join(tmp, 'pinned.txt');
    writeFileSync(doc, `pinned ${Math.random()}`);
    const r = await cli(['notary', 'verify', doc, '--api', api, '--genesis-hash', '0'.repeat(64)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pinned/);
  });

  test('tx send --wait, then tx get and tx get --verify', async () => {
    const hash = createHash('sm3').update(`tx-send ${Math.random()}`).digest('hex');
    const sent = json<{ hash: string; height: number; receipt: { status: string } }>(await cli([
      'tx', 'send', '--chain', 'data', '--module', 'notary', '--method', 'put', '--args', JSON.stringify({ hash }),
      '--key', key, '--password-env', 'PW', '--wait', '--api', api, '--json',
    ], env));
    assert.match(sent.hash, /^[0-9a-f]{64}$/);
    assert.equal(sent.receipt.status, 'ok');

    const got = json<{ status: string; chain: string; hash: string; height: number }>(await cli(['tx', 'get', sent.hash, '--api', api, '--json']));
    assert.equal(got.status, 'committed');
    assert.equal(got.chain, 'data');
    assert.equal(got.height, sent.height);

    const verified = json<{ proofVerified: boolean; hash: string }>(await cli(['tx', 'get', sent.hash, '--verify', '--api', api, '--json']));
    assert.equal(verified.proofVerified, true);
    assert.equal(verified.hash, sent.hash);

    const human = await cli(['tx', 'get', sent.hash, '--verify', '--api', api]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /verified locally/);
  });

  test('gov and settle --verify reads pin the genesis on first use, in the pin file', async () => {
    const home = join(tmp, 'home-gov-settle');
    const pins = join(home, 'known-genesis.json');
    const { chains } = (await (await fetch(`${api}/v1/chains`)).json()) as { chains: Array<{ id: string; genesisHash: string }> };
    const genesisOf = (id: string): string => chains.find((c) => c.id === id)!.genesisHash;
    const members = await cli(['gov', 'list', '--verify', '--api', api, '--json'], { SHULIAN_HOME: home });
    assert.equal(members.code, 0, members.stderr);
    assert.match(members.stderr, /warning: trusting chain gov .* on first use/);
    const did = json<{ did: string }>(await cli(['keys', 'show', '--key', key, '--password-env', 'PW', '--json'], env)).did;
    const balance = await cli(['settle', 'balance', did, '--verify', '--api', api, '--json'], { SHULIAN_HOME: home });
    assert.equal(balance.code, 0, balance.stderr);
    assert.match(balance.stderr, /warning: trusting chain settle .* on first use/);
    const stored = readFileSync(pins, 'utf8');
    assert.ok(stored.includes(genesisOf('gov')) && stored.includes(genesisOf('settle')), stored);
    // Pinned now: no second warning.
    const again = await cli(['gov', 'list', '--verify', '--api', api, '--json'], { SHULIAN_HOME: home });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /first use/);
  });

  test('tx send without --wait returns the hash; a failing tx with --wait exits 1', async () => {
    const hash = createHash('sm3').update(`nowait ${Math.random()}`).digest('hex');
    const args = ['tx', 'send', '--chain', 'notary', '--module', 'notary', '--method', 'put', '--args', JSON.stringify({ hash }), '--key', key, '--password-env', 'PW', '--api', api];
    const sent = json<{ hash: string; status: string }>(await cli([...args, '--json'], env));
    assert.match(sent.hash, /^[0-9a-f]{64}$/);
    // Same hash again: the module rejects it with NOTARY_EXISTS once the first is in a block.
    const dup = await cli([...args, '--wait'], env);
    assert.equal(dup.code, 1, dup.stdout + dup.stderr);
    assert.match(dup.stderr, /NOTARY_EXISTS|already recorded/);
  });

  test('tx send with bad --args JSON is a usage error; unknown tx is a clear error', async () => {
    const bad = await cli(['tx', 'send', '--chain', 'notary', '--module', 'notary', '--method', 'put', '--args', '{oops', '--key', key, '--password-env', 'PW', '--api', api], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--args is not valid JSON/);
    const unknown = await cli(['tx', 'get', 'ab'.repeat(32), '--api', api]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /abab/);
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
  });

  test('signing with a wrong password exits 2 before touching the node', async () => {
    const doc = join(tmp, 'wrongpw.txt');
    writeFileSync(doc, 'x');
    const r = await cli(['notary', 'put', doc, '--key', key, '--password-env', 'PW', '--api', api], { PW: 'nope' });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: wrong password\n');
  });
});
