/**
 * SM2 verification throughput through VerifyPool on all cores, against the machine limit of
 * the native single-core rate × cores. Also reports the native and pure-JS single-core rates
 * (DESIGN §4 expects native ≈ 10× JS), the native single-core signing rate with one key (as a
 * validator signs its votes) and Ed25519 for comparison. Signatures come from 512
 * distinct signers, ~200-byte messages, default ID.
 */
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, sign, sm2Backend, sm2js, sm2native, verify, VerifyPool, type VerifyItem } from '../src/crypto/index.ts';
import type { BenchResult } from './result.ts';

const SIGNERS = 512;
const BATCH = 4096;

function makeItems(suite: 'sm2' | 'ed25519', count: number): VerifyItem[] {
  const items: VerifyItem[] = [];
  for (let i = 0; i < count; i++) {
    const kp = generateKeyPair(suite);
    const message = new Uint8Array(randomBytes(200));
    items.push({ suite, publicKey: kp.publicKey, message, signature: sign(suite, kp.privateKey, message) });
  }
  return items;
}

const cached = new Map<'sm2' | 'ed25519', VerifyItem[]>();
function itemsOf(suite: 'sm2' | 'ed25519'): VerifyItem[] {
  let items = cached.get(suite);
  if (!items) cached.set(suite, (items = makeItems(suite, SIGNERS)));
  return items;
}
const sm2Items = (): VerifyItem[] => itemsOf('sm2');

/** Calls per second of check(item) over the items, for about `ms` milliseconds on this thread. */
function rate(items: VerifyItem[], ms: number, check: (it: VerifyItem) => boolean): number {
  let n = 0;
  let ok = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 16; i++) ok += check(items[(n + i) % items.length]!) ? 1 : 0;
    n += 16;
    t = performance.now();
  }
  if (ok !== n) throw new Error(`bench: ${n - ok} of ${n} valid signatures failed to verify`);
  return (n * 1000) / (t - t0);
}

/** Verifications/s of `suite` through a VerifyPool using every core (two batches kept in flight). */
export async function measureVerifyAllCores(suite: 'sm2' | 'ed25519', seconds: number): Promise<number> {
  const items = itemsOf(suite);
  const batch: VerifyItem[] = [];
  for (let i = 0; i < BATCH; i++) batch.push(items[i % items.length]!);
  const pool = new VerifyPool({ threads: availableParallelism() });
  try {
    await pool.verifyBatch(batch); // start workers, fill their key caches
    let done = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    const lane = async (): Promise<void> => {
      while (performance.now() < end) {
        const res = await pool.verifyBatch(batch);
        if (!res.every(Boolean)) throw new Error('bench: a valid signature failed in the pool');
        done += res.length;
      }
    };
    await Promise.all([lane(), lane()]);
    return (done * 1000) / (performance.now() - t0);
  } finally {
    await pool.close();
  }
}

/** SM2 verifications/s through a VerifyPool using every core. */
export const measureSm2VerifyAllCores = (seconds: number): Promise<number> => measureVerifyAllCores('sm2', seconds);

export default async function run(): Promise<BenchResult> {
  const cores = availableParallelism();
  const items = sm2Items();
  const nativeSingleCore = sm2native ? rate(items, 700, (it) => sm2native!.verify(it.publicKey, it.message, it.signature)) : null;
  const jsSingleCore = rate(items, 500, (it) => sm2js.verify(it.publicKey, it.message, it.signature));
  // Signing with one key over and over, as a validator signs its votes.
  const signer = items[0]!;
  const signKey = generateKeyPair('sm2').privateKey;
  const nativeSignSingleCore = sm2native ? rate([signer], 500, (it) => sm2native!.sign(signKey, it.message).length === 64) : null;
  const edItems = itemsOf('ed25519');
  const ed25519SingleCore = rate(edItems, 500, (it) => verify('ed25519', it.publicKey, it.message, it.signature));
  const value = await measureSm2VerifyAllCores(2);
  const limit = (nativeSingleCore ?? jsSingleCore) * cores;
  return {
    bench: 'sm2-verify',
    value: Math.round(value),
    unit: 'verifications/s',
    limit: Math.round(limit),
    limitWhat: nativeSingleCore !== null
      ? 'native single-core verify rate × cores'
      : 'pure-JS single-core verify rate × cores (native addon not built)',
    ratio: Number((value / limit).toFixed(3)),
    cores,
    backend: sm2Backend,
    nativeSingleCore: nativeSingleCore === null ? null : Math.round(nativeSingleCore),
    jsSingleCore: Math.round(jsSingleCore),
    nativeOverJs: nativeSingleCore === null ? null : Number((nativeSingleCore / jsSingleCore).toFixed(1)),
    nativeSignSingleCore: nativeSignSingleCore === null ? null : Math.round(nativeSignSingleCore),
    // What one signature costs, in verifications (signing a vote is on a validator's critical path).
    signCostInVerifies: nativeSingleCore === null || nativeSignSingleCore === null ? null : Number((nativeSingleCore / nativeSignSingleCore).toFixed(2)),
    ed25519SingleCore: Math.round(ed25519SingleCore),
    signers: SIGNERS,
    batch: BATCH,
  };
}
