/**
 * Signers and key resolvers. Proof verification never fetches anything: a KeyResolver maps a
 * verification method URL to a key. Shipped here:
 *  - didKeyResolver: `did:key:z6Mk…#z6Mk…` (Ed25519), the method the W3C test vectors use;
 *  - shulianKeyResolver: self-certifying `did:shulian` keys — the initial key of a DID, named
 *    `did:shulian:X#key-1` (looked up in a map of known keys) or `did:shulian:X#<Multikey>` (the
 *    key is in the fragment) — accepted only when SM3(key) derives to X (DESIGN §4);
 *  - staticKeyResolver and combineResolvers to add others (the chain-backed DID resolver).
 */
import { ShulianError, DID_RE as SHULIAN_DID_RE } from '../../codec/index.ts';
import { didFromPublicKey, sign as cryptoSign, type KeyPair, type Suite } from '../../crypto/index.ts';
import { decodeMultikey, encodeMultikey } from './multikey.ts';
import type { KeyResolver, ResolvedKey, Signer } from './types.ts';

/** Relationships the initial key of a self-certifying DID holds: all of them. */
export const ALL_RELATIONSHIPS: readonly string[] = ['assertionMethod', 'authentication', 'capabilityInvocation', 'capabilityDelegation'];

export interface KeyPairSignerOptions {
  /** `shulian` (default): did:shulian of the key. `key`: did:key (Ed25519 only). */
  didMethod?: 'shulian' | 'key';
  /**
   * did:shulian verification method fragment: `key-1` by default (the DID document's initial
   * key); `multikey` puts the public key itself in the fragment, so anyone can check it with
   * no lookup.
   */
  fragment?: string;
}

/** The did:key DID of an Ed25519 public key. */
export function didKeyOf(publicKey: Uint8Array): string {
  return 'did:key:' + encodeMultikey('ed25519', publicKey);
}

/** Signs with a local key pair. */
export function keyPairSigner(key: KeyPair, opts: KeyPairSignerOptions = {}): Signer {
  const { suite, privateKey, publicKey } = key;
  let controller: string;
  let verificationMethod: string;
  if (opts.didMethod === 'key') {
    if (suite !== 'ed25519') throw new ShulianError('BAD_ARGUMENT', 'did:key signers need an Ed25519 key; use did:shulian for SM2 keys');
    const mb = encodeMultikey('ed25519', publicKey);
    controller = `did:key:${mb}`;
    verificationMethod = `${controller}#${mb}`;
  } else {
    controller = didFromPublicKey(publicKey);
    const fragment = opts.fragment ?? 'key-1';
    verificationMethod = `${controller}#${fragment === 'multikey' ? encodeMultikey(suite, publicKey) : fragment}`;
  }
  return { verificationMethod, controller, suite, sign: (data) => cryptoSign(suite, privateKey, data) };
}

function splitVm(id: string): { did: string; fragment: string } | null {
  if (typeof id !== 'string' || id.length > 512) return null;
  const hash = id.indexOf('#');
  if (hash <= 0 || hash === id.length - 1) return null;
  return { did: id.slice(0, hash), fragment: id.slice(hash + 1) };
}

/** Resolves `did:key:z…#z…` for Ed25519 (and SM2 sm2-pub) Multikeys. */
export function didKeyResolver(): KeyResolver {
  return async (id) => {
    const vm = splitVm(id);
    if (!vm || !vm.did.startsWith('did:key:')) return null;
    const mb = vm.did.slice('did:key:'.length);
    if (vm.fragment !== mb) return null;
    try {
      const { suite, publicKey } = decodeMultikey(mb);
      return { controller: vm.did, publicKey, suite, relationships: ALL_RELATIONSHIPS };
    } catch {
      return null;
    }
  };
}

export interface ShulianKeyResolverOptions {
  /** Public keys known to be the initial keys of their DIDs (e.g. this node's and its issuers'). */
  keys?: Iterable<Uint8Array | { publicKey: Uint8Array }>;
  /** Fragments that name the initial key (default `key-1`). */
  fragments?: readonly string[];
}

function suiteOfKey(publicKey: Uint8Array): Suite | null {
  if (publicKey.length === 32) return 'ed25519';
  if (publicKey.length === 65 && publicKey[0] === 0x04) return 'sm2';
  return null;
}

/**
 * Resolves the initial key of self-certifying did:shulian DIDs. Rotated keys need the identity
 * chain: combine this with the chain-backed resolver.
 */
export function shulianKeyResolver(opts: ShulianKeyResolverOptions = {}): KeyResolver {
  const byDid = new Map<string, Uint8Array>();
  for (const k of opts.keys ?? []) {
    const pk = k instanceof Uint8Array ? k : k.publicKey;
    if (suiteOfKey(pk)) byDid.set(didFromPublicKey(pk), pk);
  }
  const fragments = new Set(opts.fragments ?? ['key-1']);
  return async (id) => {
    const vm = splitVm(id);
    if (!vm || !SHULIAN_DID_RE.test(vm.did)) return null;
    let publicKey: Uint8Array | undefined;
    let suite: Suite | null = null;
    if (vm.fragment.startsWith('z') && vm.fragment.length > 40) {
      try {
        ({ suite, publicKey } = decodeMultikey(vm.fragment));
      } catch {
        return null;
      }
    } else if (fragments.has(vm.fragment)) {
      publicKey = byDid.get(vm.did);
      suite = publicKey ? suiteOfKey(publicKey) : null;
    }
    if (!publicKey || !suite) return null;
    if (didFromPublicKey(publicKey) !== vm.did) return null; // not this DID's self-certifying key
    return { controller: vm.did, publicKey, suite, relationships: ALL_RELATIONSHIPS };
  };
}

/** A fixed table of verification methods. */
export function staticKeyResolver(entries: Record<string, ResolvedKey> | ReadonlyMap<string, ResolvedKey>): KeyResolver {
  const map = entries instanceof Map ? entries : new Map(Object.entries(entries));
  return async (id) => map.get(id) ?? null;
}

/** Tries each resolver in order; the first answer wins. A resolver that throws counts as not knowing. */
export function combineResolvers(...resolvers: KeyResolver[]): KeyResolver {
  return async (id) => {
    for (const r of resolvers) {
      try {
        const k = await r(id);
        if (k) return k;
      } catch {
        // try the next one
      }
    }
    return null;
  };
}
