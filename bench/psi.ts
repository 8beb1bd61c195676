/**
 * `npm run bench -- psi` (issue #22): two parties as two processes on this machine, the receiver
 * here and the sender in a child (bench/lib/psi-peer.ts), over HTTP with signed messages.
 * `value` = seconds end to end for PSI-cardinality over PSI_N × PSI_N identifiers (default 10⁶)
 * with a 50% overlap; `limit` = the seconds this machine's cores need for the protocol's 4·N
 * X25519 scalar multiplications alone (X25519 operations/s measured here on one core, times the
 * cores); `ratio` = limit ÷ value. `sumSeconds`: PSI-sum with 4 value columns over PSI_SUM_N ×
 * PSI_SUM_N (default 10⁵). `psijsRatio`: our per-element speed ÷ @openmined/psi.js's at 10⁵ — null
 * when psi.js is not installed (it is not a dependency; see docs/privacy.md).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { generateKeyPair } from '../src/crypto/index.ts';
import { decodeCiphertexts, decodeElements, decrypt, encodeElements, generatePaillier, PartyA, post, unpackColumns, type Protocol } from '../src/privacy/index.ts';
import type { BenchResult } from './result.ts';

const N = Number(process.env.PSI_N ?? 1_000_000);
const SUM_N = Number(process.env.PSI_SUM_N ?? 100_000);
const BATCH = 8_192;
const benchDid = (i: number): string => `did:shulian:bench${i}`;

/** X25519 scalar multiplications per second on one core, as the protocol does them (a new point each time). */
function x25519PerSecond(): number {
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), randomBytes(32)]), format: 'der', type: 'pkcs8' });
  const pts = Array.from({ length: 4000 }, () => { const b = randomBytes(32); b[31]! &= 0x7f; return b; });
  const t = performance.now();
  for (const p of pts) {
    try { diffieHellman({ privateKey: key, publicKey: createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), p]), format: 'der', type: 'spki' }) }); } catch { /* a low-order point: counted all the same */ }
  }
  return pts.length / ((performance.now() - t) / 1000);
}

async function runOnce(protocol: Protocol, n: number, columns: number): Promise<{ seconds: number; count: number; sums?: bigint[] }> {
  const key = generateKeyPair('ed25519');
  const pk = protocol === 'psi-sum' ? generatePaillier() : undefined;
  const peer = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./lib/psi-peer.ts', import.meta.url)), String(n), String(n / 2), protocol, String(columns), ...(pk ? [pk.n.toString(16), pk.h.toString(16)] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((ok, fail) => { peer.stdout!.once('data', (d: Buffer) => ok(Number(d.toString().trim()))); peer.once('exit', () => fail(new Error('the peer exited'))); });
    const url = `http://127.0.0.1:${port}`;
    const t0 = performance.now();
    const A = new PartyA({ run: 'bench:1', protocol, group: 'x25519', columns }, Array.from({ length: n }, (_, i) => benchDid(i)), pk);
    const opened = await post<{ count: number }>(key, url, '/psi/v1/open', { run: 1, count: n }, 3_600_000);
    for (let i = 0; i < n; i += BATCH) await post(key, url, '/psi/v1/mask', { run: 1, from: i, elements: encodeElements(A.masked(i, i + BATCH)) }, 3_600_000);
    for (let i = 0; i < n; i += BATCH) {
      const got = await post<{ elements: string }>(key, url, '/psi/v1/answers', { run: 1, from: i, to: Math.min(i + BATCH, n) }, 3_600_000);
      A.acceptDoubled(decodeElements(got.elements, A.group, 'answers'), i);
    }
    const own = pk ? 1_024 : BATCH;
    for (let i = 0; i < opened.count; i += own) {
      const got = await post<{ elements: string; ciphertexts?: string }>(key, url, '/psi/v1/own', { run: 1, from: i, to: Math.min(i + own, opened.count) }, 3_600_000);
      A.acceptPeer(decodeElements(got.elements, A.group, 'own'), got.ciphertexts ? decodeCiphertexts(got.ciphertexts, 'own') : undefined);
    }
    const sums = pk ? unpackColumns(decrypt(pk, A.encryptedSum()), columns) : undefined;
    return { seconds: (performance.now() - t0) / 1000, count: A.cardinality(), ...(sums ? { sums } : {}) };
  } finally {
    peer.kill();
  }
}

function psijsInstalled(): boolean {
  try { createRequire(import.meta.url).resolve('@openmined/psi.js'); return true; } catch { return false; }
}

export default async function bench(): Promise<BenchResult> {
  const cores = availableParallelism();
  const perCore = x25519PerSecond();
  const card = await runOnce('psi-cardinality', N, 0);
  if (card.count !== N / 2) throw new Error(`psi-cardinality found ${card.count}, expected ${N / 2}`);
  const sum = await runOnce('psi-sum', SUM_N, 4);
  if (sum.count !== SUM_N / 2) throw new Error(`psi-sum found ${sum.count}, expected ${SUM_N / 2}`);
  const limit = (4 * N) / (perCore * cores);
  return {
    bench: 'psi', value: Number(card.seconds.toFixed(2)), unit: 's', n: N,
    limit: Number(limit.toFixed(2)), limitWhat: `4·N X25519 scalar multiplications on ${cores} cores at ${Math.round(perCore)}/s each (Node's OpenSSL)`,
    ratio: Number((limit / card.seconds).toFixed(3)),
    psijsRatio: psijsInstalled() ? 'psi.js is installed but not wired into this bench' : null,
    psijsNote: psijsInstalled() ? undefined : '@openmined/psi.js is not installed (not a dependency of this project)',
    sumSeconds: Number(sum.seconds.toFixed(2)), sumN: SUM_N, sumColumns: 4,
  };
}
