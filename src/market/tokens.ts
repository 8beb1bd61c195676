/**
 * The gateway's short-lived call tokens (docs/market.md#calling): `<claims>.<mac>`, the claims
 * base64url JSON {did, exp}, the mac HMAC-SHA256 under a secret drawn when the process starts (a
 * restarted gateway honours none of its predecessor's tokens). A verified token is remembered
 * until it expires, so a caller's next calls skip the HMAC and the JSON (issue #23, the gateway's
 * per-call work); the whole token string is the key, so a hit is a token whose mac was checked,
 * and its expiry is checked on every call, hit or miss. At most `max` tokens are remembered (a
 * token is only issued to a signed request, and the oldest is forgotten first: it is verified
 * again if used).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ShulianError } from '../codec/index.ts';

/** The longest claims part a token may carry (a DID and a time fit in far less). */
const MAX_CLAIMS = 512;

export class TokenIssuer {
  readonly #secret = randomBytes(32);
  readonly #verified = new Map<string, { did: string; exp: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  issue(did: string): { token: string; expires: number } {
    const expires = this.now() + this.ttlMs;
    const claims = Buffer.from(JSON.stringify({ did, exp: expires })).toString('base64url');
    return { token: `${claims}.${this.#mac(claims).toString('base64url')}`, expires };
  }

  /** The DID a token was issued to; GATEWAY_TOKEN_EXPIRED when it is malformed, forged, from another process or expired. */
  verify(token: string): string {
    const c = this.#verified.get(token) ?? this.#check(token);
    if (this.now() > c.exp) {
      this.#verified.delete(token);
      throw new ShulianError('GATEWAY_TOKEN_EXPIRED', `the token expired at ${new Date(c.exp).toISOString()}; get a new one from POST /_auth/token`);
    }
    return c.did;
  }

  /** Checks the mac and reads the claims, remembering the token. */
  #check(token: string): { did: string; exp: number } {
    const dot = token.indexOf('.');
    const claims = dot > 0 ? token.slice(0, dot) : '';
    const mac = dot > 0 ? token.slice(dot + 1) : '';
    if (!claims || !mac || claims.length > MAX_CLAIMS || mac.includes('.')) throw new ShulianError('GATEWAY_TOKEN_EXPIRED', 'the token is malformed; get one from POST /_auth/token');
    const want = this.#mac(claims);
    const got = Buffer.from(mac, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new ShulianError('GATEWAY_TOKEN_EXPIRED', 'the token was not issued by this gateway (or before it restarted); get one from POST /_auth/token');
    }
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { did: string; exp: number };
    if (this.#verified.size >= this.max) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, c);
    return c;
  }

  /** How many verified tokens are remembered. */
  cached(): number {
    return this.#verified.size;
  }

  #mac(claims: string): Buffer {
    return createHmac('sha256', this.#secret).update(claims).digest();
  }
}
