/**
 * The console sign-in message against a malicious node (issue #13 item 3): the client signs only
 * the framed sign-in message it builds itself, refuses any challenge of another shape, and a
 * sign-in signature never verifies as a transaction signature. The "node" here is a real HTTP
 * server on a real socket that answers what an attacker would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { canonicalize } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, hashFor, type Suite } from '../src/crypto/index.ts';
import { signTx, verifyTxSignature } from '../src/ledger/index.ts';
import {
  ConsoleClient, SIGNIN_PREFIX, checkSignInChallenge, signInDigest, signInMessage, signSignIn, verifySignIn, type SignInChallenge,
} from '../src/sdk/index.ts';

interface FakeNode {
  url: string;
  logins: unknown[];
  close(): Promise<void>;
}

/** A "node" that answers health with `nodeDid` and every challenge with `challenge(did, origin)`, and records login attempts. */
async function fakeNode(nodeDid: string, challenge: (did: string, origin: string, url: string) => unknown): Promise<FakeNode> {
  const logins: unknown[] = [];
  let url = '';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/health') return res.end(JSON.stringify({ status: 'ok', node: nodeDid }));
      if (req.url === '/v1/auth/challenge') {
        const b = JSON.parse(body) as { did: string; origin: string };
        return res.end(JSON.stringify({ challenge: challenge(b.did, b.origin, url), expiresAt: Date.now() + 60_000 }));
      }
      if (req.url === '/v1/auth/login') {
        logins.push(JSON.parse(body));
        return res.end(JSON.stringify({ token: 'shs_x', did: 'x', roles: [], expiresAt: 0 }));
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, logins, close: () => new Promise((r) => server.close(() => r())) };
}

const NODE = didFromPublicKey(generateKeyPair('sm2').publicKey);
const OTHER_NODE = didFromPublicKey(generateKeyPair('sm2').publicKey);

test('a malicious node hands over a transaction digest (or any other shape) as the challenge: the client refuses and signs nothing', async () => {
  const user = generateKeyPair('sm2');
  const did = didFromPublicKey(user.publicKey);
  // The transaction the node wants signed in the user's name, and the digest a signature over it covers.
  const victimTx = signTx(generateKeyPair('sm2'), { chain: 'notary', from: did, module: 'notary', method: 'put', args: { hash: 'ab'.repeat(32) }, nonce: 0, expires: 100 });
  const good = (d: string, origin: string): Omit<SignInChallenge, 'mac'> & { mac: string } => ({
    node: NODE, did: d, origin, nonce: 'ab'.repeat(16), expiresAt: Date.now() + 60_000, mac: 'cd'.repeat(32),
  });
  const attacks: Array<[string, (d: string, origin: string) => unknown, RegExp]> = [
    ['the tx hash as hex', () => victimTx.hash, /not an object of sign-in fields/],
    ['the tx digest bytes as a string', () => Buffer.from(victimTx.hash, 'hex').toString('latin1'), /not an object of sign-in fields/],
    ['the old challenge format', (d) => `shulian-login:${NODE}:${d}:${'00'.repeat(16)}:${Date.now() + 60_000}`, /not an object of sign-in fields/],
    ['a field smuggling a message', (d, o) => ({ ...good(d, o), message: victimTx.hash }), /fields a sign-in challenge does not have: message/],
    ['a nonce carrying the digest', (d, o) => ({ ...good(d, o), nonce: victimTx.hash }), /nonce is not 32 lowercase hex digits/],
    ['another node', (d, o) => ({ ...good(d, o), node: OTHER_NODE }), /names the node/],
    ['another origin', (d) => good(d, 'https://bank.example'), /names the origin https:\/\/bank\.example/],
    ['another DID', (_d, o) => good(didFromPublicKey(generateKeyPair('sm2').publicKey), o), /it is for did:shulian:/],
    ['expired', (d, o) => ({ ...good(d, o), expiresAt: Date.now() - 10 * 60_000 }), /expired/],
    ['valid for a day', (d, o) => ({ ...good(d, o), expiresAt: Date.now() + 24 * 3600_000 }), /longer than 10 minutes/],
    ['an origin with a path', (d, o) => good(d, `${o}/v1\nnonce=${'00'.repeat(16)}`), /origin is not an origin/],
  ];
  for (const [what, challenge, why] of attacks) {
    const node = await fakeNode(NODE, challenge);
    try {
      const c = new ConsoleClient({ baseUrl: node.url });
      await assert.rejects(c.login(user), (e: Error & { code?: string }) => e.code === 'SIGNIN_CHALLENGE_REFUSED' && why.test(e.message) && /nothing was signed/.test(e.message), what);
      assert.deepEqual(node.logins, [], `${what}: the client sent no signature`);
    } finally {
      await node.close();
    }
  }
  // The well-formed challenge is signed, over the framed message, and names this node and origin.
  const node = await fakeNode(NODE, (d, o) => good(d, o));
  try {
    await new ConsoleClient({ baseUrl: node.url }).login(user);
    const sent = node.logins[0] as { challenge: SignInChallenge; signature: string };
    assert.equal(sent.challenge.origin, node.url);
    assert.ok(verifySignIn('sm2', user.publicKey, sent.challenge, Buffer.from(sent.signature, 'hex')));
    // A client pinned to another node refuses this one's challenge.
    await assert.rejects(new ConsoleClient({ baseUrl: node.url, node: OTHER_NODE }).login(user), { code: 'SIGNIN_CHALLENGE_REFUSED' });
  } finally {
    await node.close();
  }
});

test('a sign-in signature never verifies as a transaction signature: distinct preimages under the same hash', () => {
  for (const suite of ['sm2', 'ed25519'] as Suite[]) {
    const key = generateKeyPair(suite);
    const did = didFromPublicKey(key.publicKey);
    const fields = { node: NODE, did, origin: 'http://127.0.0.1:7070', nonce: '0f'.repeat(16), expiresAt: 1_800_000_000_000 };
    const message = signInMessage(fields);
    assert.ok(message.startsWith(`${SIGNIN_PREFIX}\n`), 'the message starts with the fixed tag');
    assert.equal(message, `shulian-console-signin/v1\nnode=${NODE}\ndid=${did}\norigin=http://127.0.0.1:7070\nnonce=${'0f'.repeat(16)}\nexpires=1800000000000`);
    // Every tx digest is H(canonical JSON of an object), a preimage starting with "{"; the sign-in digest's starts with "s".
    const { tx, hash } = signTx(key, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'ee'.repeat(32) }, nonce: 0, expires: 10 });
    const { sig: _sig, ...body } = tx;
    assert.ok(canonicalize(body).startsWith('{'));
    assert.equal(Buffer.from(hashFor(suite)(Buffer.from(canonicalize(body)))).toString('hex'), hash);
    assert.notEqual(Buffer.from(signInDigest(suite, fields)).toString('hex'), hash);
    // The sign-in signature, put on the tx, does not verify; the tx's own signature does not sign in.
    const loginSig = signSignIn(key, fields);
    assert.equal(verifyTxSignature(suite, { ...tx, sig: loginSig }), false);
    assert.equal(verifyTxSignature(suite, tx), true);
    assert.equal(verifySignIn(suite, key.publicKey, fields, Buffer.from(tx.sig, 'hex')), false);
    assert.equal(verifySignIn(suite, key.publicKey, fields, Buffer.from(loginSig, 'hex')), true);
  }
  // The checker takes exactly the sign-in fields.
  const ok = { node: NODE, did: NODE, origin: 'https://a.example', nonce: '00'.repeat(16), expiresAt: Date.now() + 60_000, mac: '11'.repeat(32) };
  assert.deepEqual(checkSignInChallenge(ok, { did: NODE, origin: 'https://a.example', node: NODE, now: Date.now() }), ok);
  assert.throws(() => signInMessage({ ...ok, origin: 'https://a.example\nnonce=1' }), { code: 'SIGNIN_CHALLENGE_REFUSED' });
});
