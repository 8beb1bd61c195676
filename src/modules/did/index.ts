/**
 * The identity chain's `did` module: DID documents of the did:shulian method (docs/did-method.md).
 * A DID works without a document through its self-certifying key; `create` records one, after
 * which the document is the source of truth for the DID's keys, services and controllers.
 *
 * Every method checks everything before it writes, so a rejected call changes nothing (and the
 * executor drops a failed tx's writes anyway). Gas: a base per method, then per byte read and
 * written through the context, like every module.
 */
import { z } from '../../codec/schemas.ts';
import { canonicalize, type JsonValue } from '../../codec/index.ts';
import { didFromPublicKey, decodeMultikey, MultikeyError, type DecodedMultikey, parseShulianDid } from '../../crypto/index.ts';
import { method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { didKey, MODULE_NAME } from './keys.ts';
import {
  DID_RELATIONSHIPS, shulianDidArg,
  type DidDocState, type DidKeyState, type DidRelationship, type DidServiceState, type ServiceEndpoint,
} from './types.ts';

export * from './types.ts';
export * from './keys.ts';
export * from './x509.ts';
import { createBindCertificateMethod } from './x509.ts';

/** Limits that keep a document (and the gas to read it) bounded. */
export const DID_LIMITS = {
  /** Keys not revoked. */
  activeKeys: 16,
  /** Key records including revoked ones (kept so old signatures can be judged). */
  keyRecords: 100,
  services: 20,
  controllers: 10,
  /** Canonical JSON bytes of one service. */
  serviceBytes: 2048,
} as const;

/** Gas for decoding and checking a public key (curve point validation). */
const KEY_CHECK_GAS = 3_000;

// ---- argument schemas -------------------------------------------------------------------------

const didArg = shulianDidArg;

const FRAGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const fragment = (what: string) => z.string().regex(FRAGMENT_RE, `${what}: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit (the part after "#")`);

const relationships = z.array(z.enum(DID_RELATIONSHIPS)).min(1).max(DID_RELATIONSHIPS.length)
  .refine((a) => new Set(a).size === a.length, 'each relationship at most once');

const multibase = z.string().min(2).max(128);

// RFC 3986 URI: scheme ":" then unreserved / reserved / pct-encoded characters. Checked with a
// fixed pattern (not the platform URL parser) so every node decides alike.
const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;
const uri = z.string().max(512).regex(URI_RE, 'an absolute URI such as https://example.org/api');
const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number().finite(), z.string().max(512), z.array(jsonValue).max(16), z.record(z.string().max(64), jsonValue)]),
);
const endpointMap = z.record(z.string().min(1).max(64), jsonValue).refine((m) => Object.keys(m).length > 0 && Object.keys(m).length <= 16, 'an endpoint map has 1 to 16 entries');
const endpointValue = z.union([uri, endpointMap]);
const serviceEndpoint = z.union([endpointValue, z.array(endpointValue).min(1).max(8)]);
const SERVICE_TYPE_RE = /^[A-Za-z][A-Za-z0-9._:/-]{0,63}$/;
const serviceType = z.union([
  z.string().regex(SERVICE_TYPE_RE, 'a service type such as LinkedDomains or DIDCommMessaging'),
  z.array(z.string().regex(SERVICE_TYPE_RE, 'a service type such as LinkedDomains')).min(1).max(4),
]);
const serviceArg = z.strictObject({ id: fragment('service id'), type: serviceType, serviceEndpoint });

const createArgs = z.strictObject({
  publicKeyMultibase: multibase,
  relationships: relationships.optional(),
  services: z.array(serviceArg).max(DID_LIMITS.services).optional(),
  controllers: z.array(didArg).max(DID_LIMITS.controllers).optional(),
});
const addKeyArgs = z.strictObject({ did: didArg, publicKeyMultibase: multibase, relationships, id: fragment('key id').optional() });
const removeKeyArgs = z.strictObject({ did: didArg, keyId: fragment('key id') });
const rotateArgs = z.strictObject({ did: didArg, publicKeyMultibase: multibase, keyId: fragment('key id').optional(), id: fragment('key id').optional() });
const addServiceArgs = z.strictObject({ did: didArg, id: fragment('service id'), type: serviceType, serviceEndpoint });
const removeServiceArgs = z.strictObject({ did: didArg, id: fragment('service id') });
const controllerArgs = z.strictObject({ did: didArg, controller: didArg });
const deactivateArgs = z.strictObject({ did: didArg });

// ---- helpers ----------------------------------------------------------------------------------

const stampOf = (ctx: ModuleContext) => ({ height: ctx.height, time: ctx.time, tx: ctx.txHash });
const active = (s: DidDocState): DidKeyState[] => s.keys.filter((k) => k.revokedAt === undefined);

function checkKey(ctx: ModuleContext, mb: string): DecodedMultikey {
  ctx.charge(KEY_CHECK_GAS, 'checking the public key');
  try {
    return decodeMultikey(mb);
  } catch (err) {
    if (err instanceof MultikeyError) {
      const code = err.code === 'INVALID_PUBLIC_KEY_TYPE' ? 'DID_KEY_WRONG_TYPE' : 'DID_KEY_INVALID';
      throw new ModuleError(code, `publicKeyMultibase: ${err.message}`);
    }
    throw err;
  }
}

function checkRelationshipsFit(key: DecodedMultikey, rels: readonly DidRelationship[]): void {
  if (key.suite === 'ed25519' && rels.includes('keyAgreement')) {
    throw new ModuleError('DID_KEY_WRONG_TYPE', 'an Ed25519 key signs only and cannot be used for keyAgreement; use an SM2 key for key agreement');
  }
}

function checkService(svc: DidServiceState): void {
  const bytes = Buffer.byteLength(canonicalize(svc));
  if (bytes > DID_LIMITS.serviceBytes) {
    throw new ModuleError('DID_SERVICE_TOO_LARGE', `service ${svc.id} is ${bytes} bytes as canonical JSON; at most ${DID_LIMITS.serviceBytes} are allowed`);
  }
}

/** The DID's state for an update by the sender; throws unless the sender may update it. */
function loadForUpdate(ctx: ModuleContext, did: string): DidDocState {
  const { id } = parseShulianDid(did);
  const st = ctx.read(didKey.doc(id));
  if (!st) {
    throw new ModuleError('DID_NOT_FOUND', `${did} has no DID document on chain ${ctx.chain}; the holder of its key creates one first with did.create`);
  }
  if (st.deactivated) {
    throw new ModuleError('DID_DEACTIVATED', `${did} was deactivated at height ${st.updated.height}; a deactivated DID cannot be changed`);
  }
  if (ctx.sender !== did && !st.controllers.includes(ctx.sender)) {
    const who = st.controllers.length ? `its controllers (${st.controllers.join(', ')})` : 'no controllers';
    throw new ModuleError('DID_NOT_CONTROLLER', `${ctx.sender} may not update ${did}: only the DID itself or one of its controllers may, and it has ${who}`);
  }
  return st;
}

function save(ctx: ModuleContext, st: DidDocState, event: string, data: Record<string, JsonValue>): JsonValue {
  st.version += 1;
  st.updated = stampOf(ctx);
  ctx.write(didKey.doc(parseShulianDid(st.did).id), st);
  ctx.emit(event, { did: st.did, version: st.version, ...data });
  return { did: st.did, version: st.version };
}

function findActiveKey(st: DidDocState, keyId: string): DidKeyState {
  const key = st.keys.find((k) => k.id === keyId);
  if (!key) {
    const ids = active(st).map((k) => k.id).join(', ');
    throw new ModuleError('DID_KEY_NOT_FOUND', `${st.did} has no key "${keyId}"; its current keys are ${ids || 'none'}`);
  }
  if (key.revokedAt !== undefined) {
    throw new ModuleError('DID_KEY_REVOKED', `key ${st.did}#${keyId} was already revoked at height ${key.revokedAt}`);
  }
  return key;
}

/**
 * Checks a new key can join the document and returns it, with `wantedId` or the next free
 * `key-<n>`. Mutates only the in-memory state (nothing is written until `save`).
 */
function admitKey(ctx: ModuleContext, st: DidDocState, key: DecodedMultikey, rels: DidRelationship[], wantedId: string | undefined): DidKeyState {
  const prior = st.keys.find((k) => k.publicKey === key.publicKeyHex);
  if (prior) {
    if (prior.revokedAt !== undefined) {
      throw new ModuleError('DID_KEY_REVOKED', `this key was ${st.did}#${prior.id}, revoked at height ${prior.revokedAt}; a revoked key cannot come back, generate a new one`);
    }
    throw new ModuleError('DID_KEY_EXISTS', `this key is already ${st.did}#${prior.id}`);
  }
  if (active(st).length >= DID_LIMITS.activeKeys) {
    throw new ModuleError('DID_TOO_MANY_KEYS', `${st.did} already has ${DID_LIMITS.activeKeys} keys; remove one before adding another`);
  }
  if (st.keys.length >= DID_LIMITS.keyRecords) {
    throw new ModuleError('DID_TOO_MANY_KEYS', `${st.did} has used all ${DID_LIMITS.keyRecords} key records; create a new DID and make it a controller of this one`);
  }
  const taken = (id: string): boolean => st.keys.some((k) => k.id === id) || st.services.some((s) => s.id === id);
  let id: string;
  if (wantedId !== undefined) {
    if (taken(wantedId)) throw new ModuleError('DID_ID_TAKEN', `${st.did}#${wantedId} is already used (key ids are never reused); choose another id`);
    id = wantedId;
  } else {
    while (taken(`key-${st.nextKey}`)) st.nextKey += 1;
    id = `key-${st.nextKey}`;
    st.nextKey += 1;
  }
  return { id, suite: key.suite, publicKeyMultibase: key.publicKeyMultibase, publicKey: key.publicKeyHex, relationships: rels, addedAt: ctx.height };
}

function checkStillSignable(st: DidDocState, what: string): void {
  if (!active(st).some((k) => k.relationships.includes('authentication'))) {
    throw new ModuleError('DID_LAST_AUTH_KEY', `${what} would leave ${st.did} without an authentication key; add another key first, or deactivate the DID to retire it`);
  }
}

function sortedRels(rels: readonly DidRelationship[]): DidRelationship[] {
  return DID_RELATIONSHIPS.filter((r) => rels.includes(r));
}

const DEFAULT_RELATIONSHIPS: DidRelationship[] = ['authentication', 'assertionMethod', 'capabilityInvocation', 'capabilityDelegation'];

// ---- the module -------------------------------------------------------------------------------

export const didModule: ModuleDef = {
  name: MODULE_NAME,
  description: 'DID documents of did:shulian: keys with rotation, services, controllers and deactivation; each document is provable at any height.',
  methods: {
    create: method({
      doc: 'Record the DID document of the sender\'s self-certifying DID; publicKeyMultibase is the key the DID was derived from (the signing key).',
      args: createArgs,
      gas: 5_000,
      run(ctx, args) {
        const key = checkKey(ctx, args.publicKeyMultibase);
        const self = didFromPublicKey(key.publicKey);
        if (self !== ctx.sender) {
          throw new ModuleError('DID_NOT_SELF_CERTIFYING', `the key's self-certifying DID is ${self}, but the sender is ${ctx.sender}; did.create must be sent by the DID of the key it registers, signed with that key`);
        }
        const { id } = parseShulianDid(ctx.sender);
        if (ctx.has(didKey.doc(id))) {
          const prior = ctx.read(didKey.doc(id))!;
          throw new ModuleError('DID_EXISTS', `${ctx.sender} already has a DID document (created at height ${prior.created.height}); change it with addKey, rotate, addService and the other update methods`);
        }
        const rels = sortedRels(args.relationships ?? DEFAULT_RELATIONSHIPS);
        if (!rels.includes('authentication')) {
          throw new ModuleError('DID_LAST_AUTH_KEY', 'the first key must be in authentication, or nobody could sign for the DID');
        }
        checkRelationshipsFit(key, rels);
        const services: DidServiceState[] = [];
        for (const s of args.services ?? []) {
          if (s.id === 'key-1' || services.some((x) => x.id === s.id)) throw new ModuleError('DID_ID_TAKEN', `service id "${s.id}" is used twice or clashes with key-1`);
          const svc: DidServiceState = { id: s.id, type: s.type, serviceEndpoint: s.serviceEndpoint as ServiceEndpoint };
          checkService(svc);
          services.push(svc);
        }
        const controllers: string[] = [];
        for (const c of args.controllers ?? []) {
          if (c === ctx.sender) throw new ModuleError('DID_CONTROLLER_SELF', 'a DID always controls itself; list only other DIDs as controllers');
          if (controllers.includes(c)) throw new ModuleError('DID_CONTROLLER_EXISTS', `controller ${c} is listed twice`);
          controllers.push(c);
        }
        const stamp = stampOf(ctx);
        const st: DidDocState = {
          did: ctx.sender,
          keys: [{ id: 'key-1', suite: key.suite, publicKeyMultibase: key.publicKeyMultibase, publicKey: key.publicKeyHex, relationships: rels, addedAt: ctx.height }],
          services, controllers, created: stamp, updated: stamp, version: 1, nextKey: 2, deactivated: false,
        };
        ctx.write(didKey.doc(id), st);
        ctx.emit('Created', { did: ctx.sender, key: 'key-1' });
        return { did: ctx.sender, version: 1 };
      },
    }),

    addKey: method({
      doc: 'Add a verification method (Multikey, SM2 or Ed25519) with its relationships.',
      args: addKeyArgs,
      gas: 3_000,
      run(ctx, args) {
        const st = loadForUpdate(ctx, args.did);
        const key = checkKey(ctx, args.publicKeyMultibase);
        const rels = sortedRels(args.relationships);
        checkRelationshipsFit(key, rels);
        const added = admitKey(ctx, st, key, rels, args.id);
        st.keys.push(added);
        return save(ctx, st, 'KeyAdded', { key: added.id });
      },
    }),

    removeKey: method({
      doc: 'Revoke a key from this height on; at least one authentication key must remain.',
      args: removeKeyArgs,
      gas: 3_000,
      run(ctx, args) {
        const st = loadForUpdate(ctx, args.did);
        const key = findActiveKey(st, args.keyId);
        key.revokedAt = ctx.height;
        key.revokedBy = 'remove';
        checkStillSignable(st, `removing ${args.keyId}`);
        return save(ctx, st, 'KeyRemoved', { key: args.keyId });
      },
    }),

    rotate: method({
      doc: 'Replace a key: the new key takes the old one\'s relationships; the old one signs nothing after this height.',
      args: rotateArgs,
      gas: 4_000,
      run(ctx, args) {
        const st = loadForUpdate(ctx, args.did);
        let old: DidKeyState;
        if (args.keyId !== undefined) {
          old = findActiveKey(st, args.keyId);
        } else {
          const auth = active(st).filter((k) => k.relationships.includes('authentication'));
          if (auth.length !== 1) {
            throw new ModuleError('DID_ROTATE_AMBIGUOUS', `${st.did} has ${auth.length} authentication keys (${auth.map((k) => k.id).join(', ')}); name the one to replace with keyId`);
          }
          old = auth[0]!;
        }
        const key = checkKey(ctx, args.publicKeyMultibase);
        if (key.publicKeyHex === old.publicKey) throw new ModuleError('DID_KEY_EXISTS', `the new key is ${old.id} itself; rotate to a newly generated key`);
        checkRelationshipsFit(key, old.relationships);
        if (old.suite !== key.suite && old.relationships.includes('keyAgreement')) {
          throw new ModuleError('DID_KEY_WRONG_TYPE', `${old.id} is used for keyAgreement, so its replacement must also be an SM2 key`);
        }
        old.revokedAt = ctx.height;
        old.revokedBy = 'rotate';
        const added = admitKey(ctx, st, key, [...old.relationships], args.id);
        st.keys.push(added);
        checkStillSignable(st, `rotating ${old.id}`);
        return save(ctx, st, 'KeyRotated', { from: old.id, to: added.id });
      },
    }),

    addService: method({
      doc: 'Add a service endpoint (DID Core §5.4).',
      args: addServiceArgs,
      gas: 3_000,
      run(ctx, args) {
        const st = loadForUpdate(ctx, args.did);
        if (st.services.length >= DID_LIMITS.services) {
          throw new ModuleError('DID_TOO_MANY_SERVICES', `${st.did} already has ${DID_LIMITS.services} services; remove one first`);
        }
        if (st.services.some((s) => s.id === args.id) || st.keys.some((k) => k.id === args.id)) {
          throw new ModuleError('DID_ID_TAKEN', `${st.did}#${args.id} is already used; remove that service first or choose another id`);
        }
        const svc: DidServiceState = { id: args.id, type: args.type, serviceEndpoint: args.serviceEndpoint as ServiceEndpoint };
        checkService(svc);
        st.services.push(svc);
        return save(ctx, st, 'ServiceAdded', { service: args.id });
      },
    }),

    removeService: method({
      doc: 'Remove a service endpoint.',
      args: removeServiceArgs,
      gas: 2_000,
      run(ctx, args) {
        const st = loadForUpdate(ctx, args.did);
        const i = st.services.findIndex((s) => s.id === args.id);
        if (i < 0) {
          throw new ModuleError('DID_SERVICE_NOT_FOUND', `${st.did} has no service "${args.id}"; its services are ${st.services.map((s) => s.id).join(', ') || 'none'}`);
        }
        st.services.splice(i, 1);
        return save(ctx, st, 'ServiceRemoved', { service: args.id });
      },
    }),

    addController: method({
      doc: 'Let another DID update this one.',
      args: controllerArgs,
      gas: 2_000,
      run(ctx, args) {
        const st = loadForUpdate(ctx, args.did);
        if (args.controller === st.did) throw new ModuleError('DID_CONTROLLER_SELF', 'a DID always controls itself; list only other DIDs as controllers');
        if (st.controllers.includes(args.controller)) throw new ModuleError('DID_CONTROLLER_EXISTS', `${args.controller} already controls ${st.did}`);
        if (st.controllers.length >= DID_LIMITS.controllers) {
          throw new ModuleError('DID_TOO_MANY_CONTROLLERS', `${st.did} already has ${DID_LIMITS.controllers} controllers; remove one first`);
        }
        st.controllers.push(args.controller);
        return save(ctx, st, 'ControllerAdded', { controller: args.controller });
      },
    }),

    removeController: method({
      doc: 'Stop another DID from updating this one.',
      args: controllerArgs,
      gas: 2_000,
      run(ctx, args) {
        const st = loadForUpdate(ctx, args.did);
        const i = st.controllers.indexOf(args.controller);
        if (i < 0) throw new ModuleError('DID_CONTROLLER_NOT_FOUND', `${args.controller} is not a controller of ${st.did}`);
        st.controllers.splice(i, 1);
        return save(ctx, st, 'ControllerRemoved', { controller: args.controller });
      },
    }),

    deactivate: method({
      doc: 'Deactivate the DID for good: every key is revoked, services and controllers are dropped.',
      args: deactivateArgs,
      gas: 3_000,
      run(ctx, args) {
        const st = loadForUpdate(ctx, args.did);
        for (const k of active(st)) {
          k.revokedAt = ctx.height;
          k.revokedBy = 'deactivate';
        }
        st.services = [];
        st.controllers = [];
        st.deactivated = true;
        return save(ctx, st, 'Deactivated', {});
      },
    }),
  },
};

/**
 * The did module with X.509 binding against the alliance's root CAs (genesis `x509Roots`): every
 * node of a chain uses the same roots, so binding is deterministic. No roots: every chain is
 * refused as X509_UNTRUSTED_ROOT.
 */
export function didModuleWithX509(roots: readonly (string | Uint8Array)[]): ModuleDef {
  return { ...didModule, methods: { ...didModule.methods, bindCertificate: createBindCertificateMethod(roots) } };
}
