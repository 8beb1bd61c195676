/**
 * The `credential` admission policy of a business chain (issue #17 item 4): the sender is
 * admitted while the presentation they gave for this chain on the identity chain (module
 * `credadmit`) holds at the identity height the block names — its proof is the holder's, its
 * credential is of the policy's type and issued by the policy's issuer, that credential's proof
 * is the issuer's (each key authorised by its DID document at that height) and its
 * Bitstring status entry, in a list the issuer owns on the identity chain, is clear. All of it is
 * read from state frozen at a named height, synchronously, so every node reaches the same verdict.
 */
import { fromHex, stateValue, toHex, type JsonValue, isJsonObject } from '../codec/index.ts';
import type { StateAt } from '../chain/index.ts';
import { decodeMultikey, verify } from '../crypto/index.ts';
import { authorizeSenderSync, fromMultibase58, hashDataJcs, isJcsCryptosuite } from '../did/index.ts';
import { credadmitStateKey } from '../modules/credadmit/keys.ts';
import { vcstatusStateKey } from '../modules/vcstatus/keys.ts';
import { CHUNK_BITS, type StatusListRecord } from '../modules/vcstatus/types.ts';

type Obj = { [key: string]: JsonValue };
const types = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
const SUITE_OF = { 'eddsa-jcs-2022': 'ed25519', 'sm2-jcs-2024': 'sm2' } as const;

/**
 * Whether `doc`'s Data Integrity proof was made, for `purpose`, by a key `controller`'s DID
 * document authorises at `identity`'s height (a key named in the verification method's fragment
 * as a Multikey). Undefined when it holds; otherwise why not.
 */
export function proofProblem(identity: StateAt, doc: Obj, controller: string, purpose: string): string | undefined {
  const proof = doc.proof;
  if (!isJsonObject(proof)) return 'it carries no single Data Integrity proof';
  if (proof.type !== 'DataIntegrityProof' || !isJcsCryptosuite(proof.cryptosuite)) return `its proof is not a DataIntegrityProof with eddsa-jcs-2022 or sm2-jcs-2024`;
  if (proof.proofPurpose !== purpose) return `its proof's purpose is ${String(proof.proofPurpose)}, not ${purpose}`;
  const vm = typeof proof.verificationMethod === 'string' ? proof.verificationMethod : '';
  const hash = vm.indexOf('#');
  if (hash < 0 || vm.slice(0, hash) !== controller) return `its proof is by ${vm || 'no verification method'}, not by ${controller}`;
  let key;
  let signature: Uint8Array;
  try {
    key = decodeMultikey(vm.slice(hash + 1));
    signature = fromMultibase58(String(proof.proofValue), 'proofValue');
  } catch {
    return `its verification method ${vm} does not name its key as a Multikey, or its proofValue is not a signature`;
  }
  if (key.suite !== SUITE_OF[proof.cryptosuite]) return `its cryptosuite ${proof.cryptosuite} does not fit the ${key.suite} key`;
  const auth = authorizeSenderSync(identity, controller, toHex(key.publicKey));
  if (!auth.ok) return `the key of ${vm} is not a key of ${controller} at identity height ${identity.height} (${auth.message})`;
  const { proofValue: _sig, ...config } = proof;
  const { proof: _proof, ...unsecured } = doc;
  if (config['@context'] !== undefined && JSON.stringify(config['@context']) !== JSON.stringify(doc['@context'])) return 'its proof\'s @context is not the document\'s';
  let data: Uint8Array;
  try {
    data = hashDataJcs(proof.cryptosuite, unsecured, config);
  } catch {
    return 'it cannot be canonicalised';
  }
  return verify(key.suite, key.publicKey, data, signature) ? undefined : `its ${proof.cryptosuite} signature does not verify: it was changed after signing or signed by another key`;
}

/** Whether a credential's status entry is set, in a list its issuer owns on the identity chain. */
function statusProblem(identity: StateAt, vc: Obj, issuer: string): string | undefined {
  const entry = vc.credentialStatus;
  if (!isJsonObject(entry) || entry.type !== 'BitstringStatusListEntry' || typeof entry.statusListCredential !== 'string') return 'it has no BitstringStatusListEntry';
  const listId = decodeURIComponent(entry.statusListCredential.split('/').pop() ?? '');
  const index = Number(entry.statusListIndex);
  const list = stateValue(vcstatusStateKey.list(listId), identity.getState(vcstatusStateKey.list(listId)).value);
  if (!list) return `its status list ${listId} is not on identity chain ${identity.chain}`;
  if (list.issuer !== issuer) return `its status list ${listId} belongs to ${list.issuer}, not to its issuer`;
  if (!Number.isSafeInteger(index) || index < 0 || index >= list.size) return `its status index ${String(entry.statusListIndex)} is outside list ${listId}`;
  const chunk = identity.getState(vcstatusStateKey.chunk(listId, Math.floor(index / CHUNK_BITS))).value;
  const bit = index % CHUNK_BITS;
  if (typeof chunk === 'string' && (fromHex(chunk)[bit >> 3]! & (0x80 >> (bit & 7))) !== 0) return `it was revoked by its issuer (entry ${index} of list ${listId})`;
  return undefined;
}

/** Why `did` is not admitted to `chain` under a credential policy, at `identity`; undefined when admitted. */
export function credentialRefusal(identity: StateAt, chain: string, did: string, policy: { credentialType: string; issuer: string }): string | undefined {
  const rec = stateValue(credadmitStateKey.presentation(chain, did), identity.getState(credadmitStateKey.presentation(chain, did)).value);
  const what = `a ${policy.credentialType} credential from ${policy.issuer}`;
  if (!rec) return `${did} has presented no credential for chain ${chain}; it admits holders of ${what}: present one once with credadmit.present on the identity chain`;
  const vp = rec.presentation;
  const vpProblem = proofProblem(identity, vp, did, 'authentication');
  if (vpProblem) return `${did}'s presentation for chain ${chain} does not hold: ${vpProblem}`;
  const vcs = (Array.isArray(vp.verifiableCredential) ? vp.verifiableCredential : [vp.verifiableCredential]).filter(isJsonObject);
  const candidates = vcs.filter((vc) => types(vc.type).includes(policy.credentialType) && isJsonObject(vc.credentialSubject) && vc.credentialSubject.id === did && (vc.issuer === policy.issuer || (isJsonObject(vc.issuer) && vc.issuer.id === policy.issuer)));
  if (candidates.length === 0) return `${did}'s presentation holds no ${what}`;
  const reasons: string[] = [];
  for (const vc of candidates) {
    const why = proofProblem(identity, vc, policy.issuer, 'assertionMethod') ?? statusProblem(identity, vc, policy.issuer);
    if (!why) return undefined;
    reasons.push(why);
  }
  return `${did}'s ${policy.credentialType} credential does not hold: ${reasons.join('; ')}`;
}
