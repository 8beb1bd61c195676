/**
 * Credentials through the `shulian` binary against a real `shulian up` node, with no extra
 * configuration — what a new user runs: create a status list, issue, verify at the node and
 * with --local (DIDs resolved through the identity chain, state proofs checked here), revoke,
 * verify again and see REVOKED. Before and after the issuer records its DID document (the two
 * verification method forms the CLI writes). The node's own issuer (the operator's DID) through
 * the VC-API, revoked with the operator's key. And offline: `did export`, then
 * `vc verify --local --did-documents` with no node at all.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, fixtureKey, json, jsonError, PW, type CliRun } from './helpers/cli.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

interface Verdict {
  verified: boolean;
  checks: string[];
  problems: Array<{ code: string; message: string }>;
}

const UNDEFINED_TERMS = 'https://www.w3.org/ns/credentials/undefined-terms/v2';

describe('shulian vc … through the binary, against shulian up', () => {
  const tmp = tempDir('shulian-cli-vc-');
  const data = join(tmp.dir, 'node');
  let node: NodeProcess;
  let api: string;
  let issuer: { did: string; file: string };
  let env: Record<string, string>;
  const run = (args: string[], extra: Record<string, string> = {}): Promise<CliRun> => cli([...args, '--api', api], { ...env, ...extra });
  const key = (file: string, pwEnv = 'PW'): string[] => ['--key', file, '--password-env', pwEnv];
  const file = (name: string): string => join(tmp.dir, name);
  const verify = async (f: string, ...extra: string[]): Promise<Verdict & { code: number | null }> => {
    const r = await run(['vc', 'verify', f, '--json', ...extra]);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return { ...(JSON.parse(r.stdout) as Verdict), code: r.code };
  };
  const credential = (name: string, claims: Record<string, unknown>): string => {
    writeFileSync(file(name), JSON.stringify({
      '@context': ['https://www.w3.org/ns/credentials/v2', UNDEFINED_TERMS],
      type: ['VerifiableCredential', 'DrivingLicence'],
      credentialSubject: { id: 'did:example:citizen', ...claims },
    }));
    return file(name);
  };

  before(async () => {
    node = await startNodeProcess(data);
    api = node.url;
    env = { PW, NODE_PW: readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim() };
    issuer = fixtureKey(file('issuer.json'));
  });

  after(async () => {
    try {
      if (node) assert.equal(await node.stop(), 0, `shulian up did not stop cleanly:\n${node.output()}`);
    } finally {
      tmp.cleanup();
    }
  });

  test('a user\'s key: issue → verify (node and --local) → revoke → REVOKED; before and after its DID document exists', async () => {
    json(await run(['vc', 'create-list', '--list', 'licences', ...key(issuer.file), '--json']));
    const cred = credential('licence.json', { licence: 'C1' });

    // No DID document yet: the proof names the key itself (self-certifying).
    const first = json<{ issuer: string; verificationMethod: string }>(await run(['vc', 'issue', cred, ...key(issuer.file), '--status-list', 'licences', '--status-index', '7', '--out', file('first.json'), '--json']));
    assert.equal(first.issuer, issuer.did);
    assert.match(first.verificationMethod, new RegExp(`^${issuer.did}#zEPJ`));
    for (const where of [[], ['--local']]) {
      const v = await verify(file('first.json'), ...where);
      assert.deepEqual([v.verified, v.problems], [true, []], `vc verify ${where.join(' ')}`);
    }

    // The issuer records its DID document; the next credential names key-1 as the document does.
    json(await run(['did', 'create', ...key(issuer.file), '--json']));
    const second = json<{ verificationMethod: string }>(await run(['vc', 'issue', cred, ...key(issuer.file), '--status-list', 'licences', '--status-index', '8', '--out', file('second.json'), '--json']));
    assert.equal(second.verificationMethod, `${issuer.did}#key-1`);
    const atNode = await verify(file('second.json'));
    assert.deepEqual([atNode.verified, atNode.problems], [true, []], 'the node resolves #key-1 through its identity chain');
    assert.deepEqual(atNode.checks, ['structure', 'contexts', 'jsonld', 'proof', 'issuer', 'validity', 'status']);
    const local = await verify(file('second.json'), '--local');
    assert.deepEqual([local.verified, local.problems], [true, []], '--local resolves #key-1 with the state proof checked here');
    // The first credential still verifies: its key is the document's key-1, named by value.
    assert.equal((await verify(file('first.json'), '--local')).verified, true);

    const revoked = json<{ list: string; index: number }>(await run(['vc', 'revoke', file('second.json'), ...key(issuer.file), '--json']));
    assert.deepEqual([revoked.list, revoked.index], ['licences', 8]);
    for (const where of [[], ['--local']]) {
      const v = await verify(file('second.json'), ...where);
      assert.equal(v.code, 1);
      assert.deepEqual(v.problems.map((p) => p.code), ['REVOKED'], `vc verify ${where.join(' ')}`);
    }
    // Its neighbour in the list is untouched.
    assert.equal((await verify(file('first.json'))).verified, true);
  });

  test('the node issues as the operator with no configuration; the operator revokes through the CLI', async () => {
    const operator = ((await (await fetch(`${api}/v1/health`)).json()) as { node: string }).node;
    const nodeKey = join(data, 'node', 'key.json');
    json(await run(['vc', 'create-list', '--list', 'members', ...key(nodeKey, 'NODE_PW'), '--json']));
    const res = await fetch(`${api}/credentials/issue`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        credential: {
          '@context': ['https://www.w3.org/ns/credentials/v2', UNDEFINED_TERMS], type: ['VerifiableCredential', 'MembershipCredential'],
          credentialSubject: { id: issuer.did, memberOf: '浦江数链' },
          credentialStatus: { id: `${api}/v1/status-lists/members#3`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '3', statusListCredential: `${api}/v1/status-lists/members` },
        },
      }),
    });
    const body = (await res.json()) as { verifiableCredential: { issuer: string; proof: { verificationMethod: string } } };
    assert.equal(res.status, 201, JSON.stringify(body));
    assert.equal(body.verifiableCredential.issuer, operator);
    writeFileSync(file('member.json'), JSON.stringify(body.verifiableCredential));
    assert.equal((await verify(file('member.json'))).verified, true);
    json(await run(['vc', 'revoke', file('member.json'), ...key(nodeKey, 'NODE_PW'), '--json']));
    assert.deepEqual((await verify(file('member.json'))).problems.map((p) => p.code), ['REVOKED']);
  });

  test('offline: did export, then vc verify --local --did-documents with no node; what the export lacks is named', async () => {
    const cred = credential('plain.json', { licence: 'B' });
    json(await run(['vc', 'issue', cred, ...key(issuer.file), '--out', file('plain-signed.json'), '--json']));
    const exported = json<{ dids: Array<{ did: string; found: boolean }> }>(await run(['did', 'export', issuer.did, '--out', file('docs.json'), '--json']));
    assert.deepEqual(exported.dids.map((d) => [d.did, d.found]), [[issuer.did, true]]);
    const nowhere = 'http://127.0.0.1:9';
    const offline = await cli(['vc', 'verify', file('plain-signed.json'), '--local', '--did-documents', file('docs.json'), '--api', nowhere, '--json'], env);
    assert.equal(offline.code, 0, `${offline.stdout}\n${offline.stderr}`);
    assert.equal((JSON.parse(offline.stdout) as Verdict).verified, true);

    // Another issuer, not in the export: the verdict says which DID is missing and how to export it.
    const other = fixtureKey(file('other.json'));
    json(await run(['did', 'create', ...key(other.file), '--json']));
    json(await run(['vc', 'issue', cred, ...key(other.file), '--out', file('other-signed.json'), '--json']));
    const missing = await cli(['vc', 'verify', file('other-signed.json'), '--local', '--did-documents', file('docs.json'), '--api', nowhere, '--json'], env);
    assert.equal(missing.code, 1);
    const p = (JSON.parse(missing.stdout) as Verdict).problems[0]!;
    assert.equal(p.code, 'VERIFICATION_METHOD_NOT_FOUND');
    assert.match(p.message, new RegExp(`do not include ${other.did}; export it with \`shulian did export ${other.did}\``));

    // A tampered export resolves nothing: the document no longer matches its proof.
    const docs = JSON.parse(readFileSync(file('docs.json'), 'utf8')) as { resolutions: Array<{ didDocument: { verificationMethod: Array<{ publicKeyMultibase: string }> } }> };
    const otherKey = (await (await fetch(`${api}/1.0/identifiers/${other.did}`)).json()) as { didDocument: { verificationMethod: Array<{ publicKeyMultibase: string }> } };
    docs.resolutions[0]!.didDocument.verificationMethod[0]!.publicKeyMultibase = otherKey.didDocument.verificationMethod[0]!.publicKeyMultibase;
    writeFileSync(file('tampered.json'), JSON.stringify(docs));
    const tampered = await cli(['vc', 'verify', file('plain-signed.json'), '--local', '--did-documents', file('tampered.json'), '--api', nowhere, '--json'], env);
    assert.equal(tampered.code, 1);
    assert.match((JSON.parse(tampered.stdout) as Verdict).problems[0]!.message, /does not verify against the identity chain's genesis validators/);

    // No node and no export: it says what it lacks.
    const lacking = await cli(['vc', 'verify', file('plain-signed.json'), '--local', '--api', nowhere, '--json'], env);
    assert.equal(lacking.code, 1);
    assert.match((JSON.parse(lacking.stdout) as Verdict).problems[0]!.message, /unreachable, and no exported documents were given \(--did-documents FILE/);
    // A single resolution result is not an export: it carries no trust root.
    writeFileSync(file('one.json'), JSON.stringify(otherKey));
    const one = await cli(['vc', 'verify', file('plain-signed.json'), '--local', '--did-documents', file('one.json'), '--api', nowhere, '--json'], env);
    assert.equal(jsonError(one).code, 'DID_EXPORT_INVALID');
  });

  test('shulian up --issuer-key: the node issues as that keystore\'s DID, named as its document names the key', async () => {
    const missing = await cli(['up', '--data-dir', data, '--port', '0', '--issuer-key', file('no-such.json'), '--json'], env);
    assert.equal(jsonError(missing).code, 'KEYSTORE_NOT_FOUND');
    assert.equal(await node.stop(), 0, node.output());
    node = await startNodeProcess(data, undefined, ['--issuer-key', issuer.file, '--issuer-password-env', 'PW'], { env });
    api = node.url;
    assert.match(node.output(), new RegExp(`credentials: issuing as ${issuer.did}`));
    const res = await fetch(`${api}/credentials/issue`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ credential: JSON.parse(readFileSync(credential('by-node.json', { licence: 'A' }), 'utf8')) as unknown }),
    });
    const body = (await res.json()) as { verifiableCredential: { issuer: string; proof: { verificationMethod: string } } };
    assert.equal(res.status, 201, JSON.stringify(body));
    assert.equal(body.verifiableCredential.issuer, issuer.did);
    assert.equal(body.verifiableCredential.proof.verificationMethod, `${issuer.did}#key-1`);
    writeFileSync(file('by-node-signed.json'), JSON.stringify(body.verifiableCredential));
    assert.equal((await verify(file('by-node-signed.json'))).verified, true);
  });
});
