/**
 * Shulian SDK (`shulian/sdk`): a typed client for a node's HTTP API, local signing, and local
 * verification of transaction and state proofs. Imports no server code.
 */
export { ShulianClient, genesisHashOf, firstUseWarning } from './client.ts';
export { ShulianHttp } from './http.ts';
export { fileGenesisPinStore, defaultPinFile } from './pins.ts';
export type * from './types.ts';
export {
  notaryKey, notaryPut, notaryVerify, sm3File, sm3Hex, DEFAULT_NOTARY_CHAIN,
  type NotaryRecord, type NotaryPutArgs, type NotaryProof,
} from './notary.ts';
export { ShulianError, foreign, type ErrorCode, type ForeignCode } from '../codec/index.ts';
export { SDK_ERRORS, type SdkErrorCode } from './errors.ts';
export type { JsonValue } from '../codec/index.ts';
export { generateKeyPair, didFromPublicKey, readKeystore, writeKeystore, type KeyPair, type Suite } from '../crypto/index.ts';
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
export * from './solidity.ts';
export * from './contracts.ts';
export * from './settlement.ts';
export * from './external.ts';
export * from './supervision.ts';
export type * from './alarms.ts';
export {
  publishDataset, reviseDataset, withdrawDataset, searchCatalog, getDataset, dcatJsonLd, requestData, approveRequest, refuseRequest, setOffer, revokeGrant,
  useGrant, listRequests as listDataRequests, getRequest as getDataRequest, listGrants, getGrant, decideUse, pairwiseKey, consentDigest, giveConsent,
  withdrawConsent, withdrawAllConsents, listConsents, getConsent, requestPortability, fulfilPortability, checkConsentRecord, DEFAULT_DATA_CHAIN,
  presentForAdmission, withdrawPresentation,
  type DataSendOptions, type CatalogSearch, type CatalogPage, type DataRequest, type RequestOutcome, type DataUse, type GrantView, type GiveConsentInput,
  type DatasetInput, type DatasetRecord, type GrantRecord, type RequestRecord, type UsageRecord, type ConsentRecord, type PortabilityRecord, type ConsentInput, type UseVerdict,
} from './data.ts';
export * from './market.ts';
export * from './tokens.ts';
export * from './xcall.ts';
export * from './scenarios.ts';
export * from './privacy.ts';
export * from './material.ts';
export * from './gov-system.ts';
export * from './simulation.ts';
