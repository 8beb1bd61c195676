/**
 * `npm run bench -- psi` (issue #22): two parties as two processes on this machine, the receiver
 * here and the sender in a child (bench/lib/psi-peer.ts), over HTTP with signed messages, driven
 * by the same `driveReceiver` as `shulian privacy serve` (pages pipelined, src/privacy/party.ts).
 * `value` = seconds end to end for PSI-cardinality over PSI_N × PSI_N identifiers (default 10⁶)
 * with a 50% overlap; `limit` = the seconds this machine's cores need for the protocol's 4·N
 * X25519 scalar multiplications alone, with the same primitive the run uses (the addon's batch
 * X25519 when built, measured here on all cores at once); `ratio` = limit ÷ value. `sumSeconds`:
 * PSI-sum with 4 value columns over PSI_SUM_N × PSI_SUM_N (default 10⁵). `psijsRatio`: our
 * per-element speed ÷ @openmined/psi.js's at 10⁵ — null when psi.js is not installed (it is not a
 * dependency; see docs/privacy.md).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { generateKeyPair } from '../src/crypto/index.ts';
import { decrypt, driveReceiver, generatePaillier, groupOf, PartyA, post, psiNative, unpackColumns, type Protocol } from '../src/privacy/index.ts';
import type { BenchResult } from './result.ts';

const N = Number(process.env.PSI_N ?? 1_000_000);
const SUM_N = Number(process.env.PSI_SUM_N ?? 100_000);
const BATCH = 8_192;
const benchDid = (i: number): string => `did:shulian:bench${i}`;

/** X25519 scalar multiplications per second on all cores together, through the run's own batch primitive (fresh points). */
async function x25519PerSecondAllCores(cores: number): Promise<number> {
  const per = psiNative ? 20_000 : 2_000;
  const pts = Array.from({ length: per * cores }, () => { const b = randomBytes(32); b[31]! &= 0x3f; b[0]! |= 2; return b; });
  const mask = groupOf('x25519').newMask();
  const t = performance.now();
  // applyMany splits each batch over the cores itself; `cores` batches keep every core fed.
  await Promise.all(Array.from({ length: cores }, (_, k) => mask.applyMany(pts.slice(k * per, (k + 1) * per), 'bench')));
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
    await driveReceiver(A, opened.count, BATCH, (step, body) => post(key, url, `/psi/v1/${step}`, { run: 1, ...body }, 3_600_000));
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
  const allCores = await x25519PerSecondAllCores(cores);
  const card = await runOnce('psi-cardinality', N, 0);
  if (card.count !== N / 2) throw new Error(`psi-cardinality found ${card.count}, expected ${N / 2}`);
  const sum = await runOnce('psi-sum', SUM_N, 4);
  if (sum.count !== SUM_N / 2) throw new Error(`psi-sum found ${sum.count}, expected ${SUM_N / 2}`);
  const limit = (4 * N) / allCores;
  return {
    bench: 'psi', value: Number(card.seconds.toFixed(2)), unit: 's', n: N,
    limit: Number(limit.toFixed(2)),
    limitWhat: `4·N X25519 scalar multiplications at ${Math.round(allCores)}/s on ${cores} cores together (${psiNative ? 'the addon\'s batch X25519, OpenSSL' : 'Node\'s KeyObject X25519: the addon is not built'})`,
    ratio: Number((limit / card.seconds).toFixed(3)),
    psijsRatio: psijsInstalled() ? 'psi.js is installed but not wired into this bench' : null,
    psijsNote: psijsInstalled() ? undefined : '@openmined/psi.js is not installed (not a dependency of this project)',
    sumSeconds: Number(sum.seconds.toFixed(2)), sumN: SUM_N, sumColumns: 4,
  };
}
