/**
 * The browser-safe face of the SDK, for the web console (console/): everything here runs in a
 * browser once the console's bundler swaps the few Node-only crypto files for their browser
 * stand-ins (console/shims: SM3/SM4 in TypeScript, Ed25519 and SHA-256 from @noble, no SM2
 * addon, so SM2 uses the pure-JS @noble/curves implementation). Node code keeps using
 * src/sdk/index.ts; nothing here changes how the SDK behaves in Node.
 *
 * Left out on purpose: readKeystore/writeKeystore and sm3File (they read and write local files).
 */
export { ShulianClient, genesisHashOf, firstUseWarning } from './client.ts';
export { ShulianHttp } from './http.ts';
export type * from './types.ts';
export {
  notaryKey, notaryPut, notaryVerify, sm3Hex, DEFAULT_NOTARY_CHAIN,
  type NotaryRecord, type NotaryPutArgs, type NotaryProof,
} from './notary.ts';
export { ShulianError, foreign, toHex, fromHex, canonicalize, type ErrorCode, type ForeignCode } from '../codec/index.ts';
export { SDK_ERRORS, type SdkErrorCode } from './errors.ts';
export type { JsonValue } from '../codec/index.ts';
export {
  generateKeyPair, didFromPublicKey, publicKeyFromPrivate, sign, verify, type KeyPair, type Suite, encodeMultikey,
} from '../crypto/index.ts';
export {
  signTx, type TxDraft, verifyTxInclusion, verifyStateLookup, verifyHeaderWith, type ProofCheck, type ProofErrorCode,
  type HeaderTrust, LightClientError, lightStateFromGenesis, verifyHeaderProof, checkHeader, headerVerifier,
  trustedThrough, genesisHash, type LightCheck, type LightErrorCode,
} from '../ledger/index.ts';
export type {
  Tx, TxBody, Block, BlockHeader, Receipt, TxEvent, TxInclusion, StateLookup, Genesis, ValidatorInfo,
} from '../ledger/index.ts';
export * from './governance.ts';
export * from './console.ts';
export * from './contracts.ts';
export * from './external.ts';
export * from './supervision.ts';
export type * from './alarms.ts';
export { docStateKey, certsStateKey } from '../modules/did/keys.ts';
export type { BoundCertificate, DidDocState, DidKeyState, DidServiceState } from '../modules/did/types.ts';
// The data chain (docs/data.md): the console's catalog, requests and grants, and "My consents";
// the same ODRL evaluator the chain runs.
export { pairwiseKey, consentDigest, type CatalogPage, type GrantView } from './data.ts';
export { evaluate, parsePolicy, DPV_PURPOSES, type Policy as OdrlPolicy, type Decision as OdrlDecision } from '../odrl/index.ts';
export type { DatasetRecord } from '../modules/catalog/types.ts';
export type { RequestRecord, UsageRecord } from '../modules/dataauth/types.ts';
export type { ConsentRecord } from '../modules/consent/types.ts';
export type { RunRecord as PrivacyRunRecord, RunParty as PrivacyRunParty } from '../modules/privacy/types.ts';
export * from './simulation.ts';
// Tokens for city life (docs/tokens.md) and the scenarios built on them: reads for the console.
export {
  collectibleClasses, collectibleAlbums, couponCampaigns, carbonMethodologies, carbonRetirementList, carbonTotals, carbonBalance, listCollectibles, listCoupons,
  collectibleMayMove, getCollectibleClass, getAlbum, getCampaign, TOKEN_LIST_LIMIT,
  type ClassRecord, type TokenRecord, type AlbumRecord, type CampaignRecord, type CouponRecord, type MayMove, type ProposalRecord, type CarbonStats, type RetirementRecord, type DiscountRule,
} from './tokens.ts';
export { xcallResult } from './xcall.ts';
// The government application system (docs/gov.md): its chains and agencies, the material chain's reads.
export * from './gov-system.ts';
export { DEFAULT_MATERIAL_CHAIN, MATERIAL_KINDS, getMaterial, listMaterials, materialUses, type GrantRecord, type MaterialKind, type MaterialRecord, type MaterialView, type UseRecord } from './material.ts';
export * from './scenarios.ts';
export * from './solidity.ts';
export { bpText, getProduct, listProducts, listSubscriptions, providerRevenue, subscriptionUsage, type PeriodReport, type Plan, type ProductQuery, type ProductRecord, type RevenueReport, type SubscriptionRecord } from './market.ts';
