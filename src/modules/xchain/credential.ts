/**
 * Channel policies by credential (issue #17 item 4): a destination chain admits a packet on a
 * channel whose inbound rule names a credential type when the packet carries the sender's
 * verifiable credential of that type, issued by an issuer the rule trusts (DID and key registered
 * by governance, as gateways' are), about the sender, valid at this block's time, with a Data
 * Integrity proof (eddsa-jcs-2022 or sm2-jcs-2024: the signature over hash(JCS(proof options)) ‖
 * hash(JCS(document)), VC Data Integrity §4 and docs/credentials.md) by that issuer's key.
 * Deterministic: no clock but the block time, no lookup beyond the rule. A credential cannot be
 * revoked across chains here: governance removes an issuer, or issuers keep validity short.
 */
import { canonicalize, fromBase58, fromHex, type JsonValue, isJsonObject } from '../../codec/index.ts';
import { hashFor, verify, type Suite } from '../../crypto/index.ts';
import { parseDateTimeMs } from '../../odrl/index.ts';
import type { ChannelCredential } from './types.ts';

type Obj = { [key: string]: JsonValue };
const SUITES: Record<string, Suite> = { 'eddsa-jcs-2022': 'ed25519', 'sm2-jcs-2024': 'sm2' };

/** Why the packet's credential does not satisfy the rule; undefined when it does. */
export function channelCredentialProblem(rule: ChannelCredential, sender: string, credential: Obj | undefined, time: number): string | undefined {
  if (!credential) return `the channel admits holders of a ${rule.type} credential, and the packet carries none`;
  const types = Array.isArray(credential.type) ? credential.type : [credential.type];
  if (!types.includes(rule.type)) return `the packet's credential is not a ${rule.type} credential`;
  const issuerId = isJsonObject(credential.issuer) ? credential.issuer.id : credential.issuer;
  const issuer = rule.issuers.find((i) => i.did === issuerId);
  if (!issuer) return `the credential's issuer ${String(issuerId)} is not one the channel trusts for ${rule.type}`;
  if (!isJsonObject(credential.credentialSubject) || credential.credentialSubject.id !== sender) return `the credential is about ${String(isJsonObject(credential.credentialSubject) ? credential.credentialSubject.id : undefined)}, not the sender ${sender}`;
  const from = typeof credential.validFrom === 'string' ? parseDateTimeMs(credential.validFrom) : undefined;
  const until = typeof credential.validUntil === 'string' ? parseDateTimeMs(credential.validUntil) : undefined;
  if ((credential.validFrom !== undefined && (from === undefined || time < from)) || (credential.validUntil !== undefined && (until === undefined || time >= until))) {
    return `the credential is not valid at this block's time (${new Date(time).toISOString()})`;
  }
  const proof = credential.proof;
  if (!isJsonObject(proof) || proof.type !== 'DataIntegrityProof' || typeof proof.cryptosuite !== 'string' || !SUITES[proof.cryptosuite]) return 'the credential carries no single eddsa-jcs-2022 or sm2-jcs-2024 proof';
  if (proof.proofPurpose !== 'assertionMethod') return 'the credential\'s proof purpose is not assertionMethod';
  if (typeof proof.verificationMethod !== 'string' || proof.verificationMethod.split('#')[0] !== issuer.did) return 'the credential\'s proof is not by its issuer';
  const suite = SUITES[proof.cryptosuite]!;
  const key = fromHex(issuer.publicKey);
  if ((suite === 'ed25519') !== (key.length === 32)) return `the issuer's registered key is not a ${suite} key`;
  if (typeof proof.proofValue !== 'string' || !proof.proofValue.startsWith('z')) return 'the credential\'s proofValue is not multibase base58btc';
  let signature: Uint8Array;
  try {
    signature = fromBase58(proof.proofValue.slice(1));
  } catch {
    return 'the credential\'s proofValue is not base58btc';
  }
  const { proofValue: _v, ...config } = proof;
  const { proof: _p, ...unsecured } = credential;
  if (config['@context'] !== undefined && canonicalize(config['@context']) !== canonicalize(unsecured['@context'] ?? null)) return 'the proof\'s @context is not the credential\'s';
  const hash = hashFor(suite);
  const data = new Uint8Array(64);
  data.set(hash(new TextEncoder().encode(canonicalize(config))), 0);
  data.set(hash(new TextEncoder().encode(canonicalize(unsecured))), 32);
  return signature.length === 64 && verify(suite, key, data, signature) ? undefined : `the credential's signature does not verify under ${issuer.did}'s registered key`;
}
