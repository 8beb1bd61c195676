import type { JsonValue } from '../../codec/index.ts';
import type { Suite } from '../../crypto/index.ts';
import type { VcProblem } from './problems.ts';

export type JsonObject = { [key: string]: JsonValue };

/** The cryptosuites Shulian creates and verifies (docs/credentials.md). */
export type Cryptosuite = 'eddsa-rdfc-2022' | 'eddsa-jcs-2022' | 'sm2-jcs-2024';

/** A Data Integrity proof (VC Data Integrity 1.0 §2.1) as these suites write it. */
export interface DataIntegrityProof {
  '@context'?: JsonValue;
  id?: string;
  type: 'DataIntegrityProof';
  cryptosuite: Cryptosuite;
  created?: string;
  expires?: string;
  verificationMethod: string;
  proofPurpose: string;
  domain?: string | string[];
  challenge?: string;
  nonce?: string;
  proofValue: string;
  [extra: string]: unknown;
}

/** A credential before it is secured (VC Data Model 2.0 §4). Extra properties are kept. */
export interface Credential {
  '@context': JsonValue[];
  id?: string;
  type: string | string[];
  issuer: string | ({ id: string } & JsonObject);
  credentialSubject: JsonObject | JsonObject[];
  validFrom?: string;
  validUntil?: string;
  credentialStatus?: JsonObject | JsonObject[];
  [extra: string]: unknown;
}

export interface VerifiableCredential extends Credential {
  proof: DataIntegrityProof | DataIntegrityProof[];
}

export interface Presentation {
  '@context': JsonValue[];
  id?: string;
  type: string | string[];
  holder?: string | ({ id: string } & JsonObject);
  verifiableCredential?: JsonObject | JsonObject[];
  [extra: string]: unknown;
}

export interface VerifiablePresentation extends Presentation {
  proof: DataIntegrityProof | DataIntegrityProof[];
}

/** What a verification method resolves to. */
export interface ResolvedKey {
  /** The DID (or other URL) that controls the key: must equal the credential issuer / presentation holder. */
  controller: string;
  /** Ed25519: 32 bytes; SM2: 65 bytes uncompressed. */
  publicKey: Uint8Array;
  suite: Suite;
  /**
   * Verification relationships the controller grants this key (assertionMethod, authentication,
   * …). When given, a proof's purpose must be one of them; when absent, any purpose is allowed.
   */
  relationships?: readonly string[];
}

/**
 * Looks up a verification method by its URL (e.g. `did:shulian:X#key-1`). Returns null when it
 * does not know the method. A resolver responsible for the method's DID that cannot give its key
 * (no DID document, the key was revoked, the identity chain cannot be read) throws an Error
 * saying why: verification reports it as VERIFICATION_METHOD_NOT_FOUND with that reason.
 */
export type KeyResolver = (verificationMethodId: string) => Promise<ResolvedKey | null>;

/** Creates signatures for proofs. */
export interface Signer {
  /** The verification method URL proofs name, e.g. `did:shulian:X#key-1` or `did:key:z…#z…`. */
  readonly verificationMethod: string;
  /** The DID that controls the key: the issuer (or holder) it signs for. */
  readonly controller: string;
  readonly suite: Suite;
  /** Signature over `data` (64 bytes: Ed25519, or SM2 r‖s with the default ID). */
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** One proof of a document, checked. */
export interface ProofResult {
  verified: boolean;
  cryptosuite?: string;
  verificationMethod?: string;
  proofPurpose?: string;
  /** The key's controller, when the method resolved. */
  controller?: string;
  errors: VcProblem[];
}

/** The status of one credentialStatus entry, as read from its list. */
export interface StatusResult {
  statusPurpose: string;
  statusListCredential: string;
  statusListIndex: number;
  /** The entry's value (one bit unless statusSize says otherwise); undefined when it could not be read. */
  value?: number;
  /** True when the value means the credential must not be accepted (revoked or suspended). */
  blocks?: boolean;
}

export interface CredentialVerification {
  verified: boolean;
  errors: VcProblem[];
  warnings: VcProblem[];
  /** Checks that ran and passed: structure, contexts, proof, issuer, validity, status. */
  checks: string[];
  issuer?: string;
  proofs: ProofResult[];
  status: StatusResult[];
}

export interface PresentationVerification {
  verified: boolean;
  errors: VcProblem[];
  warnings: VcProblem[];
  checks: string[];
  holder?: string;
  proofs: ProofResult[];
  /** One result per embedded credential, in order. */
  credentials: CredentialVerification[];
}
