/**
 * DIDs through the `shulian` binary, as docs/cli.md and docs/did-method.md tell a user to run
 * them, against a real `shulian up` node: `keys new`, `did create`, `did update` (add a key,
 * rotate), `did resolve --verify`, `did deactivate`. Every step checks the output and reads the
 * state back (the document, its version, which key signs); refusals check the exit code and
 * that the document did not change.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, json, jsonError, oneLineError, PW, type CliRun } from './helpers/cli.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

interface KeyInfo {
  did: string;
  suite: string;
  publicKey: string;
  file: string;
}

interface Resolution {
  didDocument: {
    id: string;
    verificationMethod: Array<{ id: string; publicKeyMultibase: string }>;
    authentication?: string[];
    assertionMethod?: string[];
    service?: Array<{ id: string; type: string; serviceEndpoint: string }>;
  };
  didDocumentMetadata: { versionId: string; deactivated?: boolean };
  didResolutionMetadata: { height: number };
  proofVerified?: boolean;
}

describe('shulian did … through the binary, against shulian up', () => {
  const tmp = tempDir('shulian-cli-did-');
  let node: NodeProcess;
  let api: string;
  let alice: KeyInfo;
  let rotated: KeyInfo;
  let signer: KeyInfo;
  const env = { PW };
  const run = (args: string[]): Promise<CliRun> => cli([...args, '--api', api], env);
  const signing = (key: KeyInfo): string[] => ['--key', key.file, '--password-env', 'PW'];
  const resolve = async (did: string, ...extra: string[]): Promise<Resolution> => json<Resolution>(await run(['did', 'resolve', did, '--json', ...extra]));
  /** Reads the document back over the DID Resolution HTTP binding (cheaper than a CLI run). */
  const doc = async (did: string): Promise<Resolution> => (await (await fetch(`${api}/1.0/identifiers/${did}`, { headers: { accept: 'application/did-resolution+json' } })).json()) as Resolution;

  before(async () => {
    node = await startNodeProcess(join(tmp.dir, 'node'));
    api = node.url;
    const keysNew = async (name: string, suite: string): Promise<KeyInfo> =>
      json<KeyInfo>(await cli(['keys', 'new', '--out', join(tmp.dir, name), '--suite', suite, '--password-env', 'PW', '--json'], env));
    alice = await keysNew('alice.json', 'sm2');
    rotated = await keysNew('alice-next.json', 'sm2');
    signer = await keysNew('assertion.json', 'ed25519');
  });

  after(async () => {
    try {
      if (node) assert.equal(await node.stop(), 0, `shulian up did not stop cleanly:\n${node.output()}`);
    } finally {
      tmp.cleanup();
    }
  });

  test('did create records the key\'s own DID with a service; did resolve --verify checks the proof locally', async () => {
    const created = json<{ did: string; tx: string; height: number } & Resolution>(
      await run(['did', 'create', ...signing(alice), '--service', 'home=LinkedDomains=https://alice.example/?a=b', '--json']),
    );
    assert.equal(created.did, alice.did, 'the DID keys new printed is the one created');
    assert.match(created.tx, /^[0-9a-f]{64}$/);
    assert.ok(created.height >= 1);
    assert.equal(created.didDocument.id, alice.did);
    assert.deepEqual(created.didDocument.service, [{ id: `${alice.did}#home`, type: 'LinkedDomains', serviceEndpoint: 'https://alice.example/?a=b' }]);
    assert.deepEqual(created.didDocument.authentication, [`${alice.did}#key-1`]);

    const verified = await resolve(alice.did, '--verify');
    assert.equal(verified.proofVerified, true);
    assert.equal(verified.didDocumentMetadata.versionId, '1');
    assert.deepEqual(verified.didDocument, created.didDocument);
    const human = await run(['did', 'resolve', alice.did, '--verify']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^did\\s+${alice.did}$`, 'm'));
    assert.match(human.stdout, /^key\s+#key-1 sm2 z\S+ \[authentication, assertionMethod/m);
    assert.match(human.stdout, /verified locally/);

    // The same document through the DID Resolution HTTP binding the README shows.
    const res = await fetch(`${api}/1.0/identifiers/${alice.did}`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as Resolution).didDocument.id, alice.did);

    // Creating it again is refused by the module and changes nothing.
    const again = await run(['did', 'create', ...signing(alice), '--json']);
    assert.equal(jsonError(again).code, 'DID_EXISTS');
    assert.equal((await doc(alice.did)).didDocumentMetadata.versionId, '1');
  });

  test('did update --add-key adds an assertion key; malformed changes are usage errors that send nothing', async () => {
    const before = await doc(alice.did);
    const added = await run(['did', 'update', alice.did, '--add-key', signer.publicKey, '--relationship', 'assertionMethod', ...signing(alice)]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^addKey\s+ok, tx [0-9a-f]{64} \(height \d+, signed as did:shulian:/m);
    assert.match(added.stdout, /^key\s+#key-2 ed25519 z6Mk\S+ \[assertionMethod\]$/m);
    const after = await doc(alice.did);
    assert.equal(after.didDocumentMetadata.versionId, String(Number(before.didDocumentMetadata.versionId) + 1));
    assert.ok(after.didDocument.assertionMethod?.includes(`${alice.did}#key-2`));
    assert.ok(!after.didDocument.authentication?.includes(`${alice.did}#key-2`), 'an assertion key does not authenticate');

    // Usage errors (exit 2): two changes at once, a key that is no key, an unknown relationship.
    for (const [args, re] of [
      [['--add-key', signer.publicKey, '--remove-key', 'key-2'], /exactly one change/],
      [['--add-key', 'zNotAKey'], /not a usable public key/],
      [['--add-key', signer.publicKey, '--relationship', 'friendship'], /--relationship friendship is not one of/],
    ] as Array<[string[], RegExp]>) {
      const r = await run(['did', 'update', alice.did, ...args, ...signing(alice)]);
      assert.match(oneLineError(r, 2), re, `did update ${args.join(' ')}`);
    }
    // Refused by the module (exit 1): the last authentication key cannot go.
    const last = await run(['did', 'update', alice.did, '--remove-key', 'key-1', ...signing(alice), '--json']);
    const err = jsonError(last);
    assert.equal(err.code, 'DID_LAST_AUTH_KEY');
    assert.match(err.message, /authentication key/);
    assert.equal((await doc(alice.did)).didDocumentMetadata.versionId, after.didDocumentMetadata.versionId, 'refusals change nothing');
  });

  test('did update --rotate: the new key signs for the DID, the rotated-out key no longer does', async () => {
    const before = await doc(alice.did);
    const rot = json<{ method: string; signer: string } & Resolution>(await run(['did', 'update', alice.did, '--rotate', rotated.publicKey, ...signing(alice), '--json']));
    assert.equal(rot.method, 'rotate');
    assert.equal(rot.signer, alice.did);
    const auth = rot.didDocument.authentication ?? [];
    assert.equal(auth.length, 1);
    assert.notEqual(auth[0], `${alice.did}#key-1`, 'key-1 was replaced');
    const vm = rot.didDocument.verificationMethod.find((m) => m.id === auth[0]);
    assert.ok(vm, 'the authentication key is listed');

    // The old key: every chain of the node now refuses it as a signer for the DID.
    const old = await run(['did', 'update', alice.did, '--add-service', 'blog=LinkedDomains=https://blog.alice.example', ...signing(alice), '--json']);
    const oldErr = jsonError(old);
    assert.equal(oldErr.code, 'TX_BAD_SENDER');
    assert.equal((await doc(alice.did)).didDocumentMetadata.versionId, rot.didDocumentMetadata.versionId);

    // The new key (whose own DID is another) signs as alice's DID, found from the document.
    const svc = json<{ signer: string } & Resolution>(await run(['did', 'update', alice.did, '--add-service', 'blog=LinkedDomains=https://blog.alice.example', ...signing(rotated), '--json']));
    assert.equal(svc.signer, alice.did);
    assert.ok(svc.didDocument.service?.some((s) => s.id === `${alice.did}#blog`));
    assert.equal(Number(svc.didDocumentMetadata.versionId), Number(before.didDocumentMetadata.versionId) + 2);

    // The proof still verifies at the new version, and the first version is still there.
    const verified = await resolve(alice.did, '--verify');
    assert.equal(verified.proofVerified, true);
    assert.equal(verified.didDocumentMetadata.versionId, svc.didDocumentMetadata.versionId);
    const v1 = await run(['did', 'resolve', alice.did, '--version-id', '1']);
    assert.equal(v1.code, 0, v1.stderr);
    assert.match(v1.stdout, /^version\s+1 /m);
    assert.match(v1.stdout, /#key-1 sm2/);
  });

  test('did resolve: an unknown DID and a malformed one', async () => {
    const unknownDid = json<KeyInfo>(await cli(['keys', 'new', '--out', join(tmp.dir, 'nobody.json'), '--password-env', 'PW', '--json'], env)).did;
    const missing = await run(['did', 'resolve', unknownDid, '--json']);
    assert.equal(missing.code, 1);
    assert.equal((JSON.parse(missing.stderr) as { error: { code: string } }).error.code, 'DID_NOT_FOUND');
    const bad = await run(['did', 'resolve', 'did:web:example.com']);
    assert.equal(bad.code, 2);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });

  test('did deactivate asks for --yes, then is final: resolve shows it, no key signs for it again', async () => {
    const noYes = await run(['did', 'deactivate', alice.did, ...signing(rotated)]);
    assert.match(oneLineError(noYes, 2), /cannot be undone.*--yes/);
    assert.notEqual((await doc(alice.did)).didDocumentMetadata.deactivated, true, 'nothing was sent without --yes');

    const done = await run(['did', 'deactivate', alice.did, ...signing(rotated), '--yes']);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^deactivate\s+ok/m);
    assert.match(done.stdout, /DEACTIVATED/);
    const r = await run(['did', 'resolve', alice.did, '--verify', '--json']);
    const rj = json<Resolution>(r);
    assert.equal(rj.didDocumentMetadata.deactivated, true);
    assert.equal(rj.proofVerified, true);

    // A deactivated DID signs nothing: the node refuses a tx from it, whichever key signs.
    const hash = createHash('sm3').update(`after deactivation ${Math.random()}`).digest('hex');
    const tx = await run(['tx', 'send', '--chain', 'notary', '--module', 'notary', '--method', 'put', '--args', JSON.stringify({ hash }), ...signing(alice), '--json']);
    // alice's key is alice's self-certifying key: refused because the document is deactivated.
    assert.equal(jsonError(tx).code, 'TX_BAD_SENDER');
    const upd = await run(['did', 'update', alice.did, '--remove-service', 'blog', ...signing(rotated), '--json']);
    assert.equal(upd.code, 1);
    assert.equal((await doc(alice.did)).didDocumentMetadata.versionId, rj.didDocumentMetadata.versionId);
  });
});
