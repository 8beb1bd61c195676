/**
 * Digital collectibles (数字藏品) after ERC-721 and ERC-5192 (soulbound), with the transfer rules
 * China's collectible platforms apply as parameters of a class (issue #19): not transferable at
 * all, gift only after N days of holding, only to a DID a real-name verifier attested, at most K
 * gifts of a token, a cooldown between one holder's gifts. There is no sale: a gift carries no
 * price and the module has no market. The media stays off chain; a class keeps its digest.
 * Albums (集邮册) are sets of classes whose completion grants a reward token once per holder.
 */
import { didSchema, digestSchema, z } from '../../codec/schemas.ts';

export const COLLECTIBLE = 'collectible';
export const DAY_MS = 86_400_000;
export const COLLECTIBLE_LIMITS = { supply: 1_000_000, days: 3650, gifts: 1000, albumClasses: 32, name: 100 } as const;
export const TOKEN_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const tokenIdSchema = z.string().regex(TOKEN_ID_RE, 'an id of 1-64 lowercase letters, digits, ".", "_" or "-"');

/** How a class's tokens may move; every field is a rule the chain enforces on each gift. */
export interface TransferRules {
  /** false: soulbound (ERC-5192 `locked()` true for every token). */
  transferable: boolean;
  /** Days a holder must hold a token before gifting it (e.g. 180). */
  holdDays: number;
  /** The recipient must hold a real-name attestation by this verifier on this chain. */
  realNameVerifier?: string;
  /** Most gifts of one token over its life. */
  maxGifts?: number;
  /** Days between two gifts of this class by the same holder. */
  cooldownDays: number;
}

export interface ClassRecord {
  id: string;
  issuer: string;
  name: string;
  /** Most tokens ever minted. */
  supply: number;
  minted: number;
  /** SM3 of the media and its metadata, kept off chain. */
  metadata: string;
  rules: TransferRules;
  height: number;
  time: number;
}

export interface TokenRecord {
  class: string;
  serial: number;
  owner: string;
  /** Block time the owner received it (minted or gifted), ms. */
  acquired: number;
  gifts: number;
  /** Set when the token was the reward of an album. */
  album?: string;
}

export interface AttestationRecord {
  verifier: string;
  subject: string;
  /** Digest of the real-name credential the verifier checked (the credential stays off chain). */
  credential: string;
  time: number;
}

export interface AlbumRecord {
  id: string;
  issuer: string;
  name: string;
  classes: string[];
  /** A class of the album's issuer, minted to each holder who completes the album. */
  reward: string;
  claimed: number;
}

const days = z.number().int().min(0).max(COLLECTIBLE_LIMITS.days);
export const rulesSchema = z.strictObject({
  transferable: z.boolean(),
  holdDays: days.default(0),
  realNameVerifier: didSchema.optional(),
  maxGifts: z.number().int().min(1).max(COLLECTIBLE_LIMITS.gifts).optional(),
  cooldownDays: days.default(0),
});
const name = z.string().min(1).max(COLLECTIBLE_LIMITS.name);
export const createClassArgs = z.strictObject({
  id: tokenIdSchema, name, supply: z.number().int().min(1).max(COLLECTIBLE_LIMITS.supply), metadata: digestSchema, rules: rulesSchema,
});
export const mintArgs = z.strictObject({ class: tokenIdSchema, to: didSchema });
export const giftArgs = z.strictObject({ class: tokenIdSchema, serial: z.number().int().min(1).max(COLLECTIBLE_LIMITS.supply), to: didSchema });
export const attestArgs = z.strictObject({ subject: didSchema, credential: digestSchema });
export const revokeAttestArgs = z.strictObject({ subject: didSchema });
export const createAlbumArgs = z.strictObject({
  id: tokenIdSchema, name,
  classes: z.array(tokenIdSchema).min(1).max(COLLECTIBLE_LIMITS.albumClasses).refine((c) => new Set(c).size === c.length, 'a class appears twice'),
  reward: tokenIdSchema,
}).refine((a) => !a.classes.includes(a.reward), { path: ['reward'], message: 'the reward class cannot be one of the album\'s classes' });
export const claimAlbumArgs = z.strictObject({ album: tokenIdSchema });
/** What another chain may ask through xcall (read-only): a class's issuer and count, or one DID's holding of a class. */
export const xqueryArgs = z.discriminatedUnion('query', [
  z.strictObject({ query: z.literal('class'), args: z.strictObject({ id: tokenIdSchema }) }),
  z.strictObject({ query: z.literal('held'), args: z.strictObject({ owner: didSchema, class: tokenIdSchema }) }),
]);
/** The answer to {query: "class"}: the class without its rules and times. */
export type ClassAnswer = Pick<ClassRecord, 'id' | 'issuer' | 'name' | 'supply' | 'minted' | 'metadata'>;

/** Why a token may not move now; `ok` when it may. The same code the chain refuses a gift with. */
export type MayMove =
  | { ok: true }
  | { ok: false; code: 'COLLECTIBLE_LOCKED' | 'COLLECTIBLE_HOLDING' | 'COLLECTIBLE_NOT_REAL_NAME' | 'COLLECTIBLE_GIFT_LIMIT' | 'COLLECTIBLE_COOLDOWN' | 'COLLECTIBLE_NOT_OWNER'; reason: string; until?: number };

/**
 * Whether `from` may gift `token` to `to` at block time `now` (the ERC-5192 `locked()` question,
 * with reasons): the chain decides each gift with this function, and clients ask it with the
 * records they read (sdk `collectibles.mayMove`).
 */
export function mayMove(cls: ClassRecord, token: TokenRecord, from: string, to: string, now: number, facts: { realName: boolean; lastGift?: number }): MayMove {
  const r = cls.rules;
  if (token.owner !== from) return { ok: false, code: 'COLLECTIBLE_NOT_OWNER', reason: `${cls.id}#${token.serial} belongs to ${token.owner}, not ${from}` };
  if (!r.transferable) return { ok: false, code: 'COLLECTIBLE_LOCKED', reason: `class ${cls.id} is not transferable (soulbound)` };
  const held = token.acquired + r.holdDays * DAY_MS;
  if (now < held) return { ok: false, code: 'COLLECTIBLE_HOLDING', reason: `${cls.id}#${token.serial} may be gifted only after ${r.holdDays} days of holding, from ${new Date(held).toISOString()}`, until: held };
  if (r.maxGifts !== undefined && token.gifts >= r.maxGifts) return { ok: false, code: 'COLLECTIBLE_GIFT_LIMIT', reason: `${cls.id}#${token.serial} was gifted ${token.gifts} times, the most class ${cls.id} allows` };
  if (facts.lastGift !== undefined && r.cooldownDays > 0) {
    const next = facts.lastGift + r.cooldownDays * DAY_MS;
    if (now < next) return { ok: false, code: 'COLLECTIBLE_COOLDOWN', reason: `${from} gifted a ${cls.id} token at ${new Date(facts.lastGift).toISOString()}; the next gift is allowed after ${r.cooldownDays} days, from ${new Date(next).toISOString()}`, until: next };
  }
  if (r.realNameVerifier !== undefined && !facts.realName) return { ok: false, code: 'COLLECTIBLE_NOT_REAL_NAME', reason: `${to} holds no real-name attestation by ${r.realNameVerifier}, which class ${cls.id} requires of a recipient` };
  if (to === from) return { ok: false, code: 'COLLECTIBLE_NOT_OWNER', reason: 'a gift goes to someone else' };
  return { ok: true };
}
