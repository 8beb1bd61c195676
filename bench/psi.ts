/**
 * `npm run bench -- psi` (issue #22): two parties as two processes on this machine, the receiver
 * here and the sender in a child (bench/lib/psi-peer.ts), over HTTP with signed messages, driven
 * by the same `driveReceiver` as `shulian privacy serve` (pages pipelined, src/privacy/party.ts).
 * `value` = seconds end to end for PSI-cardinality over PSI_N × PSI_N identifiers (default 10⁶)
 * with a 50% overlap; `limit` = the seconds this machine's cores need for the protocol's 4·N
 * X25519 scalar multiplications alone, with the same primitive the run uses (the addon's batch
 * X25519 when built, measured here on all cores at once); `ratio` = limit ÷ value. `sumSeconds`:
 * PSI-sum with 4 value columns over PSI_SUM_N × PSI_SUM_N (default 10⁵). `psijsRatio`: our
 * per-element speed ÷ @openmined/psi.js's (OpenMined's ECDH-PSI on P-256, WebAssembly, one
 * thread: what it offers) on PSIJS_N × PSIJS_N (default 10⁵) with the same 50 % overlap, both in
 * this run; an element is one identifier of either party, so speed = 2·N ÷ seconds.
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

const PSIJS_N = Number(process.env.PSIJS_N ?? 100_000);

interface PsiJs {
  server: { createWithNewKey(reveal: boolean): { createSetupMessage(fpr: number, n: number, inputs: string[], ds: unknown): unknown; processRequest(req: unknown): unknown; delete(): void } };
  client: { createWithNewKey(reveal: boolean): { createRequest(inputs: string[]): unknown; getIntersectionSize(setup: unknown, resp: unknown): number; delete(): void } };
  dataStructure: { Raw: unknown };
}

/** Seconds @openmined/psi.js takes for PSI-cardinality over n × n with n/2 in common (setup, request, response, count). */
async function psijsSeconds(n: number): Promise<number> {
  const load = createRequire(import.meta.url)('@openmined/psi.js') as () => Promise<PsiJs>;
  const psi = await load();
  const server = psi.server.createWithNewKey(false);
  const client = psi.client.createWithNewKey(false);
  try {
    const theirs = Array.from({ length: n }, (_, i) => benchDid(i));
    const ours = Array.from({ length: n }, (_, i) => (i < n / 2 ? benchDid(i) : `did:shulian:other${i}`));
    const t = performance.now();
    // Raw: the exact set, as ours (GCS/Bloom filters trade false positives for size).
    const setup = server.createSetupMessage(1e-9, n, theirs, psi.dataStructure.Raw);
    const response = server.processRequest(client.createRequest(ours));
    const size = client.getIntersectionSize(setup, response);
    const seconds = (performance.now() - t) / 1000;
    if (size !== n / 2) throw new Error(`psi.js found ${size}, expected ${n / 2}`);
    return seconds;
  } finally {
    server.delete();
    client.delete();
  }
}

export default async function bench(): Promise<BenchResult> {
  const cores = availableParallelism();
  const allCores = await x25519PerSecondAllCores(cores);
  const card = await runOnce('psi-cardinality', N, 0);
  if (card.count !== N / 2) throw new Error(`psi-cardinality found ${card.count}, expected ${N / 2}`);
  const sum = await runOnce('psi-sum', SUM_N, 4);
  if (sum.count !== SUM_N / 2) throw new Error(`psi-sum found ${sum.count}, expected ${SUM_N / 2}`);
  const psijs = await psijsSeconds(PSIJS_N);
  const limit = (4 * N) / allCores;
  return {
    bench: 'psi', value: Number(card.seconds.toFixed(2)), unit: 's', n: N,
    limit: Number(limit.toFixed(2)),
    limitWhat: `4·N X25519 scalar multiplications at ${Math.round(allCores)}/s on ${cores} cores together (${psiNative ? 'the addon\'s batch X25519, OpenSSL' : 'Node\'s KeyObject X25519: the addon is not built'})`,
    ratio: Number((limit / card.seconds).toFixed(3)),
    psijsRatio: Number(((2 * N) / card.seconds / ((2 * PSIJS_N) / psijs)).toFixed(2)),
    psijsSeconds: Number(psijs.toFixed(2)), psijsN: PSIJS_N,
    sumSeconds: Number(sum.seconds.toFixed(2)), sumN: SUM_N, sumColumns: 4,
  };
}
