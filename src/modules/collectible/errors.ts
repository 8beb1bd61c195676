/** Codes the collectible module rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const COLLECTIBLE_MODULE_ERRORS = {
  COLLECTIBLE_EXISTS: 'a class or album with that id exists',
  COLLECTIBLE_BAD_QUERY: 'the collectible query is not {query: "class", args: {id}} or {query: "held", args: {owner, class}}',
  COLLECTIBLE_NOT_FOUND: 'no class, token or album with that id',
  COLLECTIBLE_NOT_ISSUER: 'only the issuer of the class may do that',
  COLLECTIBLE_SOLD_OUT: 'the class has minted its whole supply',
  COLLECTIBLE_NOT_OWNER: 'the sender does not hold that token (or gifts it to themself)',
  COLLECTIBLE_LOCKED: 'the class is not transferable (soulbound)',
  COLLECTIBLE_HOLDING: 'the token has not been held for the days its class requires before a gift',
  COLLECTIBLE_NOT_REAL_NAME: 'the recipient holds no real-name attestation by the verifier the class names',
  COLLECTIBLE_GIFT_LIMIT: 'the token was gifted as many times as its class allows',
  COLLECTIBLE_COOLDOWN: 'the holder gifted a token of the class too recently',
  COLLECTIBLE_ALBUM_INCOMPLETE: 'the sender does not hold a token of every class of the album',
  COLLECTIBLE_ALBUM_CLAIMED: 'the sender already received the album\'s reward',
} as const satisfies ErrorList;

export type CollectibleModuleErrorCode = keyof typeof COLLECTIBLE_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof COLLECTIBLE_MODULE_ERRORS, 'modules/collectible'> {}
}
