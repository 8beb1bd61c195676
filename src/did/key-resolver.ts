/**
 * Credentials meet DID documents: a KeyResolver that finds a did:shulian verification method
 * in the DID's document on the identity chain (docs/did-method.md §6 decides which keys count),
 * and a signer that names the key the way that document does. Both take a `resolve` function,
 * so the same rules apply to a node's own chain, to a remote node whose answers are checked
 * against the identity chain's validators, and to exported documents.
 *
 * The two verification method forms Shulian writes:
 *  - `did:shulian:X#key-N`: a key of X's DID document (the document must exist);
 *  - `did:shulian:X#<publicKeyMultibase>`: the key itself. With no document it must be X's
 *    self-certifying key (SM3 of it derives X); once X has a document, the document decides:
 *    the key must be one of its current keys, with that key's relationships.
 */
import { ShulianError, toHex } from '../codec/index.ts';
import { decodeMultikey, didFromPublicKey, parseShulianDid, type KeyPair } from '../crypto/index.ts';
import { resolutionErrorCode, resolveDid, type DidResolutionResult } from './resolver.ts';
import type { DidStateSource } from './source.ts';
import { DID_RELATIONSHIPS } from '../modules/did/types.ts';
import { ALL_RELATIONSHIPS, keyPairSigner } from './vc/keys.ts';
import type { KeyResolver, ResolvedKey, Signer } from './vc/types.ts';

/** Resolves a DID at the latest state (errors come back in the result; a throw means the source failed). */
export type ResolveDid = (did: string) => Promise<DidResolutionResult>;

/** Resolution straight from a source (a hosted chain, or a node's state API, unchecked). */
export function resolveFrom(source: DidStateSource): ResolveDid {
  return (did) => resolveDid(source, did);
}

export interface DocumentKeyResolverOptions {
  /** Where documents come from, for messages: "the identity chain", "the node at http://…", "x.json". */
  where?: string;
}

function splitVm(id: string): { did: string; fragment: string } | null {
  if (typeof id !== 'string' || id.length > 2048) return null;
  const hash = id.indexOf('#');
  if (hash <= 0 || hash === id.length - 1) return null;
  return { did: id.slice(0, hash), fragment: id.slice(hash + 1) };
}

/** The key a `#<publicKeyMultibase>` fragment carries, or undefined when the fragment is a key id. */
function fragmentKey(fragment: string): { suite: ResolvedKey['suite']; publicKey: Uint8Array; hex: string } | undefined {
  if (!fragment.startsWith('z') || fragment.length < 40) return undefined;
  try {
    const k = decodeMultikey(fragment);
    return { suite: k.suite, publicKey: k.publicKey, hex: k.publicKeyHex };
  } catch {
    return undefined;
  }
}

function resolutionFailure(did: string, r: DidResolutionResult, where: string): Error {
  return new Error(`${did} could not be resolved from ${where}: ${r.didResolutionMetadata.error?.detail ?? 'no document was returned'}`);
}

/**
 * A KeyResolver for did:shulian verification methods over `resolve` (other DIDs: null, so it
 * combines with didKeyResolver). When it cannot give the key it throws saying why: no
 * document for a `#key-N`, a key the document does not list (revoked or rotated out), a
 * deactivated DID, or a resolution failure.
 */
export function didDocumentKeyResolver(resolve: ResolveDid, opts: DocumentKeyResolverOptions = {}): KeyResolver {
  const where = opts.where ?? 'the identity chain';
  return async (id) => {
    const vm = splitVm(id);
    if (!vm) return null;
    let did: string;
    try {
      did = parseShulianDid(vm.did).did;
    } catch {
      return null; // not did:shulian: another resolver's business
    }
    if (did !== vm.did) return null;
    const inFragment = fragmentKey(vm.fragment);
    const r = await resolve(did);
    const code = resolutionErrorCode(r);
    if (code === 'NOT_FOUND') {
      // No document: only the self-certifying key may speak for the DID (did-method §6 rule 1).
      if (inFragment && didFromPublicKey(inFragment.publicKey) === did) {
        return { controller: did, publicKey: inFragment.publicKey, suite: inFragment.suite, relationships: ALL_RELATIONSHIPS };
      }
      if (inFragment) throw new Error(`the key in ${id} is not the self-certifying key of ${did}, which has no DID document on ${where}`);
      throw new Error(`${did} has no DID document on ${where}, so #${vm.fragment} names no key; record it with \`shulian did create\`, or sign with the self-certifying method ${did}#<publicKeyMultibase>`);
    }
    if (code || !r.didDocument) throw resolutionFailure(did, r, where);
    if (r.didDocumentMetadata.deactivated) throw new Error(`${did} is deactivated on ${where}: none of its keys may be used`);
    const doc = r.didDocument;
    const methods = doc.verificationMethod ?? [];
    const found = inFragment
      ? methods.find((m) => {
        try {
          return decodeMultikey(m.publicKeyMultibase).publicKeyHex === inFragment.hex;
        } catch {
          return false;
        }
      })
      : methods.find((m) => m.id === id);
    if (!found || found.controller !== did) {
      throw new Error(inFragment
        ? `${did}'s DID document on ${where} does not list the key in ${id} among its current keys (once a DID has a document, the document decides; a removed or rotated-out key no longer counts)`
        : `${did}'s DID document on ${where} has no current key #${vm.fragment} (removed and rotated-out keys are no longer listed)`);
    }
    const key = decodeMultikey(found.publicKeyMultibase);
    const relationships = DID_RELATIONSHIPS.filter((rel) => doc[rel]?.includes(found.id));
    return { controller: did, publicKey: key.publicKey, suite: key.suite, relationships };
  };
}

export interface DocumentSignerOptions {
  /** The DID to sign for (default: the key's own self-certifying DID). */
  did?: string;
  where?: string;
}

/**
 * A signer for `key` that names it as `did`'s document does: its `#key-N` when the DID has a
 * document (the key must be a current key in assertionMethod), the self-certifying
 * `#<publicKeyMultibase>` form when it has none. Throws VC_SIGNING_KEY_NOT_AUTHORIZED (with what
 * to do) or VC_ISSUER_UNRESOLVABLE.
 */
export async function documentSigner(key: KeyPair, resolve: ResolveDid, opts: DocumentSignerOptions = {}): Promise<Signer> {
  const own = didFromPublicKey(key.publicKey);
  const did = opts.did ?? own;
  const where = opts.where ?? 'the identity chain';
  let r: DidResolutionResult;
  try {
    r = await resolve(did);
  } catch (err) {
    throw new ShulianError('VC_ISSUER_UNRESOLVABLE', `cannot read ${did}'s DID document from ${where}: ${(err as Error).message}`);
  }
  const code = resolutionErrorCode(r);
  if (code === 'NOT_FOUND') {
    if (did !== own) {
      throw new ShulianError('VC_SIGNING_KEY_NOT_AUTHORIZED', `${did} has no DID document on ${where}, so only its own self-certifying key can sign for it, and this key belongs to ${own}`);
    }
    return keyPairSigner(key, { fragment: 'multikey' });
  }
  if (code || !r.didDocument) throw new ShulianError('VC_ISSUER_UNRESOLVABLE', resolutionFailure(did, r, where).message);
  if (r.didDocumentMetadata.deactivated) throw new ShulianError('VC_SIGNING_KEY_NOT_AUTHORIZED', `${did} is deactivated: nothing can sign for it`);
  const hex = toHex(key.publicKey);
  const vm = (r.didDocument.verificationMethod ?? []).find((m) => {
    try {
      return decodeMultikey(m.publicKeyMultibase).publicKeyHex === hex;
    } catch {
      return false;
    }
  });
  if (!vm) {
    throw new ShulianError('VC_SIGNING_KEY_NOT_AUTHORIZED', `this key is not among the current keys of ${did}'s DID document on ${where}; add it with \`shulian did update ${did} --add-key <key> --relationship assertionMethod\``);
  }
  if (!(r.didDocument.assertionMethod ?? []).includes(vm.id)) {
    throw new ShulianError('VC_SIGNING_KEY_NOT_AUTHORIZED', `${vm.id} may not sign credentials: ${did}'s document does not list it under assertionMethod`);
  }
  const base = keyPairSigner(key);
  return { verificationMethod: vm.id, controller: did, suite: key.suite, sign: base.sign };
}
