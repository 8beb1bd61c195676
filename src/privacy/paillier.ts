/**
 * Paillier encryption (Paillier 1999), additively homomorphic: Enc(a)·Enc(b) = Enc(a+b) mod n².
 * g = n + 1, so g^m = 1 + m·n. The randomiser r^n mod n² uses the Damgård–Jurik–Nielsen
 * variant (DJN 2010, §4): r^n = h^α with h = (−x²)^n mod n² public and α a fresh 256-bit
 * exponent, computed from a fixed-base table (Brickell et al.'s windowing) so one encryption is
 * 32 multiplications mod n² instead of a 2048-bit exponentiation.
 *
 * Several value columns are packed into one plaintext, each in its own 64-bit slot
 * (`packColumns`): a sum over up to 2^23 records of values below 2^40 cannot carry into the next.
 */
import { generatePrimeSync, randomBytes } from 'node:crypto';
import { ShulianError } from '../codec/index.ts';
import { psiNative } from './native.ts';

export const PAILLIER_BITS = 2048;
export const SLOT_BITS = 64n;
export const MAX_VALUE = (1n << 40n) - 1n;
export const MAX_COLUMNS = 16;
const ALPHA_BITS = 256;
const WINDOW = 8;

export interface PaillierPublic { n: bigint; h: bigint }
export interface PaillierKey extends PaillierPublic { lambda: bigint; mu: bigint }

const badKey = (why: string): ShulianError => new ShulianError('PRIVACY_BAD_KEY', why);

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw badKey('a Paillier value has no inverse: the key is not a valid modulus');
  return ((s0 % m) + m) % m;
}
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
const randBelow = (m: bigint): bigint => {
  const bytes = Math.ceil(m.toString(16).length / 2) + 16;
  return BigInt('0x' + randomBytes(bytes).toString('hex')) % m;
};

/** A fresh key: two 1024-bit primes (Node's OpenSSL), λ = lcm(p−1, q−1), μ = λ⁻¹ mod n. */
export function generatePaillier(bits = PAILLIER_BITS): PaillierKey {
  for (;;) {
    const p = generatePrimeSync(bits / 2, { bigint: true });
    const q = generatePrimeSync(bits / 2, { bigint: true });
    if (p === q) continue;
    const n = p * q;
    if (gcd(n, (p - 1n) * (q - 1n)) !== 1n) continue;
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const n2 = n * n;
    const x = randBelow(n);
    const h = modPow((n2 - ((x * x) % n2)) % n2, n, n2);
    return { n, h, lambda, mu: modInv(lambda, n) };
  }
}

/** Checks a public key a peer or the chain gave: a 2048-bit odd n and h in Z*_{n²}. */
export function checkPublic(k: PaillierPublic): void {
  if (k.n.toString(2).length !== PAILLIER_BITS || (k.n & 1n) === 0n) throw badKey(`a Paillier modulus must be an odd ${PAILLIER_BITS}-bit number`);
  if (k.h <= 1n || k.h >= k.n * k.n || gcd(k.h, k.n) !== 1n) throw badKey('a Paillier randomiser base h must be a unit mod n² other than 1');
}

/** Encrypts with one public key; builds its fixed-base table once. */
export class PaillierEncryptor {
  readonly n2: bigint;
  private readonly table: bigint[][];
  constructor(readonly key: PaillierPublic) {
    checkPublic(key);
    this.n2 = key.n * key.n;
    this.table = [];
    let base = key.h;
    for (let w = 0; w * WINDOW < ALPHA_BITS; w++) {
      const row: bigint[] = [1n];
      for (let i = 1; i < 1 << WINDOW; i++) row.push((row[i - 1]! * base) % this.n2);
      this.table.push(row);
      base = (row[(1 << WINDOW) - 1]! * base) % this.n2;
    }
  }
  /** h^α for a fresh 256-bit α, i.e. r^n with r = (−x²)^α. */
  private noise(): bigint {
    let a = BigInt('0x' + randomBytes(ALPHA_BITS / 8).toString('hex'));
    let r = 1n;
    const mask = BigInt((1 << WINDOW) - 1);
    for (let w = 0; a > 0n; w++, a >>= BigInt(WINDOW)) {
      const d = Number(a & mask);
      if (d) r = (r * this.table[w]![d]!) % this.n2;
    }
    return r;
  }
  encrypt(m: bigint): bigint {
    if (m < 0n || m >= this.key.n) throw badKey('a Paillier plaintext must be in [0, n)');
    return ((1n + m * this.key.n) * this.noise()) % this.n2;
  }
  /** Encrypts a batch: through the addon when built (native/sm2/psi.c, the same scheme in OpenSSL's BN), else as `encrypt`. */
  async encryptMany(ms: readonly bigint[]): Promise<bigint[]> {
    ms.forEach((m) => { if (m < 0n || m >= this.key.n) throw badKey('a Paillier plaintext must be in [0, n)'); });
    if (!psiNative || ms.length === 0) return ms.map((m) => this.encrypt(m));
    const out = await psiNative.psiPaillierEncrypt(toBytes(this.key.n, PAILLIER_BITS / 8), toBytes(this.key.h, PAILLIER_BITS / 4), Buffer.concat(ms.map((m) => toBytes(m, PAILLIER_BITS / 8))));
    const cs: bigint[] = [];
    for (let i = 0; i < ms.length; i++) cs.push(BigInt('0x' + Buffer.from(out.buffer, out.byteOffset + i * (PAILLIER_BITS / 4), PAILLIER_BITS / 4).toString('hex')));
    return cs;
  }
  /** Throws unless c is in (0, n²); whether it is a unit is checked a batch at a time (`checkUnit`). */
  checkRange(c: bigint, where: string): void {
    if (c <= 0n || c >= this.n2) throw badKey(`${where}: a Paillier ciphertext must be in (0, n²)`);
  }
  /** Throws unless c is a unit mod n²; for a product of ciphertexts, unless every factor is one (n = pq: a factor sharing p or q passes it on). */
  checkUnit(c: bigint, where: string): void {
    if (gcd(c, this.key.n) !== 1n) throw badKey(`${where}: a Paillier ciphertext must be a unit mod n²`);
  }
  /** Enc(a + b). */
  add(a: bigint, b: bigint): bigint {
    return (a * b) % this.n2;
  }
  /** The same plaintext under fresh randomness. */
  rerandomize(c: bigint): bigint {
    return (c * this.noise()) % this.n2;
  }
  /** Throws unless c is a ciphertext-shaped value: in (0, n²) and a unit. */
  checkCiphertext(c: bigint, where: string): void {
    if (c <= 0n || c >= this.n2 || gcd(c, this.key.n) !== 1n) throw badKey(`${where}: a Paillier ciphertext must be a unit in (0, n²)`);
  }
}

function toBytes(x: bigint, len: number): Buffer {
  return Buffer.from(x.toString(16).padStart(len * 2, '0'), 'hex');
}

export function decrypt(k: PaillierKey, c: bigint): bigint {
  const n2 = k.n * k.n;
  if (c <= 0n || c >= n2) throw badKey('a Paillier ciphertext must be in (0, n²)');
  const l = (modPow(c, k.lambda, n2) - 1n) / k.n;
  return (l * k.mu) % k.n;
}

/** One plaintext holding each column's value in its own 64-bit slot. */
export function packColumns(values: readonly bigint[]): bigint {
  if (values.length === 0 || values.length > MAX_COLUMNS) throw new ShulianError('PRIVACY_LIMIT', `1 to ${MAX_COLUMNS} value columns, got ${values.length}`);
  let m = 0n;
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i]!;
    if (v < 0n || v > MAX_VALUE) throw new ShulianError('PRIVACY_LIMIT', `column ${i}: a value must be an integer in [0, 2^40), got ${v}`);
    m = (m << SLOT_BITS) | v;
  }
  return m;
}
export function unpackColumns(m: bigint, columns: number): bigint[] {
  const out: bigint[] = [];
  const mask = (1n << SLOT_BITS) - 1n;
  for (let i = 0; i < columns; i++, m >>= SLOT_BITS) out.push(m & mask);
  return out;
}
