/**
 * Stateless sign-in challenges (issue #13 item 4): a challenge is the sign-in message's fields
 * plus an HMAC-SM3 over the message with a per-node secret, so issuing one stores nothing and a
 * flood of challenge requests fills nothing. Single use comes from a bounded set of the nonces
 * of successful sign-ins, each kept until its challenge expires.
 *
 * The secret lives in `<dataDir>/console-signin.key` (32 random bytes as hex, mode 0600); a file
 * others may read is refused rather than used. Without a data dir it is random per process.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ShulianError, toHex, HEX64_RE } from '../codec/index.ts';
import { signInMessage, type SignInChallenge, type SignInFields } from '../sdk/index.ts';

export const SIGNIN_SECRET_FILE = 'console-signin.key';

/** Reads the node's sign-in secret at `path`, creating it (0600) on first use. */
export function loadSignInSecret(path: string): Buffer {
  if (!existsSync(path)) {
    try {
      writeFileSync(path, toHex(randomBytes(32)) + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') {
        throw new ShulianError('CONSOLE_SECRET_UNAVAILABLE', `cannot create the sign-in secret ${path}: ${(err as Error).message}; check the data dir's permissions`);
      }
    }
    chmodSync(path, 0o600); // a umask cannot widen it, but be explicit
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ShulianError('CONSOLE_SECRET_EXPOSED', `the sign-in secret ${path} is readable by others (mode ${mode.toString(8)}); delete it so the node makes a new one (sessions stay valid), then restart`);
  }
  const hex = readFileSync(path, 'utf8').trim();
  if (!HEX64_RE.test(hex)) throw new ShulianError('CONSOLE_SECRET_INVALID', `${path} does not hold 64 hex digits; delete it so the node makes a new one`);
  return Buffer.from(hex, 'hex');
}

export interface ChallengeOptions {
  secret: Buffer;
  ttlMs: number;
  /** Most nonces of successful sign-ins remembered at once (each until its challenge expires). */
  maxUsed: number;
}

/** Issues and checks MAC'd challenges; remembers spent nonces. */
export class SignInChallenges {
  private readonly used = new Map<string, number>();

  constructor(private readonly o: ChallengeOptions) {}

  private mac(f: SignInFields): Buffer {
    return createHmac('sm3', this.o.secret).update(signInMessage(f), 'utf8').digest();
  }

  issue(f: Omit<SignInFields, 'nonce' | 'expiresAt'>, now: number): SignInChallenge {
    const fields: SignInFields = { ...f, nonce: toHex(randomBytes(16)), expiresAt: now + this.o.ttlMs };
    return { ...fields, mac: toHex(this.mac(fields)) };
  }

  /** Did this node issue exactly these fields? */
  authentic(c: SignInChallenge): boolean {
    const { mac, ...fields } = c;
    const want = this.mac(fields);
    const got = Buffer.from(mac, 'hex');
    return got.length === want.length && timingSafeEqual(got, want);
  }

  spent(nonce: string): boolean {
    return this.used.has(nonce);
  }

  /** Marks a nonce used until `expiresAt`. RATE_LIMITED when the set is full of live nonces. */
  spend(nonce: string, expiresAt: number, now: number): void {
    if (this.used.size >= this.o.maxUsed) {
      for (const [n, exp] of this.used) if (exp <= now) this.used.delete(n);
    }
    if (this.used.size >= this.o.maxUsed) {
      throw new ShulianError('RATE_LIMITED', `this node has taken ${this.o.maxUsed} sign-ins in the last ${Math.round(this.o.ttlMs / 60_000)} minutes; try again in a minute`);
    }
    this.used.set(nonce, expiresAt);
  }
}
