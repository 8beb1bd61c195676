/** Privacy computing (issue #22, docs/privacy.md): DH-PSI, PSI-cardinality, PSI-sum between party processes. */
export { PRIVACY_ERRORS, type PrivacyErrorCode } from './errors.ts';
export { GROUPS, ELEMENT_BYTES, SM2_CURVE, SM2_SSWU_Z, groupOf, hashToU, expandXmd48, type Group, type GroupName, type Mask } from './group.ts';
export { generatePaillier, decrypt, packColumns, unpackColumns, checkPublic, PaillierEncryptor, MAX_COLUMNS, MAX_VALUE, type PaillierKey, type PaillierPublic } from './paillier.ts';
export { PartyA, PartyB, PROTOCOLS, MAX_RECORDS, runDst, shuffle, type Protocol, type RunParams, type Row } from './protocol.ts';
export { readDataset, commitment } from './dataset.ts';
export { psiNative, type PsiNative } from './native.ts';
export { MAX_BATCH, MAX_CIPHER_BATCH, signHeaders, checkSignature, encodeElements, decodeElements } from './wire.ts';
export { PartyServer, runAsRequester, post, inOrder, driveReceiver, WINDOW, type PartyOptions, type RequesterResult } from './party.ts';
export { encodeCiphertexts, decodeCiphertexts } from './wire.ts';
