/**
 * VC-API endpoints (W3C CCG VC API: issuer and verifier services) and the node's status list
 * service. Verification methods of did:shulian DIDs are resolved through this node's identity
 * chain (docs/did-method.md §6: the DID document decides which keys count), did:key ones from
 * the key itself.
 *   POST /credentials/issue       {credential, options?: {cryptosuite?}} → 201 {verifiableCredential}
 *   POST /credentials/verify      {verifiableCredential, options?}    → 200 {verified: true, …} | 400 {verified: false, problemDetails, …}
 *   POST /presentations/verify    {verifiablePresentation, options?}  → 200 | 400, as above, with per-credential results
 *   GET  /v1/status-lists/:listId → the BitstringStatusListCredential, signed by the node key
 * Failures carry both VC-API ProblemDetails and Shulian's `{error: {code, message}}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ShulianError, isRecord, type ErrorCode } from '../../codec/index.ts';
import type { KeyPair } from '../../crypto/index.ts';
import type { NodeView } from '../../chain/index.ts';
import {
  chainStateSource, combineResolvers, createStatusListService, didDocumentKeyResolver, didKeyResolver, documentSigner,
  httpStatusListSource, isCryptosuite, issueCredential, issuerOf, keyPairSigner, keySuiteOf, problemDetails, resolveDid,
  verifyCredential, verifyPresentation, STATUS_LIST_PATH, SUPPORTED_CRYPTOSUITES,
  type ContextPolicy, type CredentialVerification, type Cryptosuite, type KeyResolver, type PresentationVerification,
  type ResolveDid, type Signer, type VcProblem,
} from '../../did/index.ts';
import { didFromPublicKey } from '../../crypto/index.ts';
import { errorBody, statusFor } from '../errors.ts';
import { checkPublicUrl, type ApiSite } from '../site.ts';

export interface VcRoutesOptions {
  /**
   * Keys POST /credentials/issue signs with. A KeyPair issues as its own DID and is named as that
   * DID's document names it at the time of issue (`#key-N`), or by the self-certifying
   * `#<publicKeyMultibase>` while the DID has no document; a Signer names its own method.
   * Without any, the route refuses with 503 ISSUER_NOT_CONFIGURED.
   */
  issuers?: Array<KeyPair | Signer>;
  /** Signs status list credentials: the node key. Without it GET /v1/status-lists answers 503. */
  statusSigner?: KeyPair | Signer;
  /** Chain whose vcstatus module holds the lists, and whose did module resolves DIDs (default "identity"). */
  statusChain?: string;
  /** This node's public base URL, e.g. https://node.example (prefer ApiOptions.publicUrl). */
  publicUrl?: string;
  /** Where the node is reached (set by buildApi): status-list URLs come from it, never from a request's Host header. */
  site?: ApiSite;
  /** Tried before the built-in resolvers (did:shulian through the identity chain, then did:key). */
  resolver?: KeyResolver;
  /** Fetch other hosts' status lists over HTTP when verifying (default false: only this node's lists). */
  remoteStatus?: boolean;
  /** Status services trusted besides this node. */
  trustedStatusIssuers?: string[];
  contexts?: ContextPolicy;
  /** Clock for validity checks and served lists (default Date.now). */
  now?: () => number;
}

function isKeyPair(x: KeyPair | Signer): x is KeyPair {
  return (x as KeyPair).privateKey instanceof Uint8Array;
}

function optString(o: Record<string, unknown>, k: string): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ShulianError('BAD_REQUEST', `options.${k} must be a string`);
  return v;
}

function optDomain(o: Record<string, unknown>): string | string[] | undefined {
  const v = o.domain;
  if (v === undefined || typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((d) => typeof d === 'string')) return v as string[];
  throw new ShulianError('BAD_REQUEST', 'options.domain must be a string or an array of strings');
}

const VC_TAGS = ['credentials'];
/** Largest credential or presentation a VC-API route takes: verifying one costs CPU an outsider chooses. */
export const VC_BODY_LIMIT = 256 * 1024;

/** Registers the VC-API and status list routes on `app` (before it listens). Only `node.chain` is used. */
/** The VC-API `options.challenge` / `options.domain` of a verify request, or what is wrong with them. */
function challengeAndDomain(options: unknown): { challenge?: string; domain?: string | string[] } | { error: string } {
  const o = isRecord(options) ? options : {};
  try {
    const challenge = optString(o, 'challenge');
    const domain = optDomain(o);
    return { ...(challenge !== undefined ? { challenge } : {}), ...(domain !== undefined ? { domain } : {}) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The issuer options of a request: the cryptosuite (a Shulian extension of the VC-API options), or what is wrong. */
function issueOptions(options: unknown): { cryptosuite?: Cryptosuite } | { error: string } {
  const o = isRecord(options) ? options : {};
  if (o.cryptosuite === undefined) return {};
  if (!isCryptosuite(o.cryptosuite)) return { error: `options.cryptosuite must be one of ${SUPPORTED_CRYPTOSUITES.join(', ')}` };
  return { cryptosuite: o.cryptosuite };
}

export async function registerVcRoutes(app: FastifyInstance, node: Pick<NodeView, 'chain'>, opts: VcRoutesOptions = {}): Promise<void> {
  const clock = opts.now ?? Date.now;
  const statusSigner = opts.statusSigner === undefined ? undefined
    : isKeyPair(opts.statusSigner) ? keyPairSigner(opts.statusSigner, { fragment: 'multikey' }) : opts.statusSigner;
  const statusChain = opts.statusChain ?? 'identity';
  // DIDs resolve through this node's identity chain, read in process (its own state needs no proof).
  const resolveHere: ResolveDid = async (did) => {
    const chain = node.chain(statusChain);
    if (!chain || !chain.genesis.modules.includes('did')) {
      throw new Error(`this node hosts no identity chain "${statusChain}" with the did module, so it cannot resolve did:shulian DIDs; verify at a node that does`);
    }
    return resolveDid(chainStateSource(chain), did);
  };
  const resolver = combineResolvers(...(opts.resolver ? [opts.resolver] : []), didDocumentKeyResolver(resolveHere, { where: `this node's ${statusChain} chain` }), didKeyResolver());
  /** Issuers by DID; a key pair's verification method is looked up when it issues. */
  const issuers = (opts.issuers ?? []).map((k) => (isKeyPair(k)
    ? { did: didFromPublicKey(k.publicKey), signer: () => documentSigner(k, resolveHere, { where: `this node's ${statusChain} chain` }) }
    : { did: k.controller, signer: async () => k }));
  const service = statusSigner ? createStatusListService({ chain: () => node.chain(statusChain), signer: statusSigner, now: clock }) : undefined;
  const trusted = [...(service ? [service.issuer] : []), ...(opts.trustedStatusIssuers ?? [])];
  const remote = opts.remoteStatus ? httpStatusListSource() : undefined;

  // Never the request's Host header (issue #13 item 11): a caller could make the node sign a list
  // naming a host of its choosing, and take lists at that host for this node's own.
  const baseUrlOf = (_req: FastifyRequest): string => {
    const url = opts.site?.publicUrl() ?? (opts.publicUrl === undefined ? undefined : checkPublicUrl(opts.publicUrl));
    if (url === undefined) throw new ShulianError('PUBLIC_URL_UNKNOWN', 'this node does not know its public URL yet (it is not listening and none is configured); set ApiOptions.publicUrl');
    return url;
  };
  const statusSourceFor = (req: FastifyRequest) => (service ? service.source(baseUrlOf(req), remote) : remote);
  const fail = (reply: FastifyReply, status: number, code: ErrorCode, message: string) => reply.status(status).send(errorBody(code, message));

  const verdict = (reply: FastifyReply, r: CredentialVerification | PresentationVerification, extra: Record<string, unknown>) => {
    const body = {
      verified: r.verified,
      checks: r.checks,
      warnings: r.warnings.map(problemDetails),
      problemDetails: r.errors.map(problemDetails),
      errors: r.errors,
      ...extra,
    };
    if (r.verified) return reply.status(200).send(body);
    const first: VcProblem = r.errors[0] ?? { code: 'INTERNAL', message: 'not verified', type: '' };
    return reply.status(400).send({ ...body, error: { code: first.code, message: first.path ? `${first.path}: ${first.message}` : first.message } });
  };

  const verifyOptions = (req: FastifyRequest) => {
    const source = statusSourceFor(req);
    return {
      resolver, now: clock(), trustedStatusIssuers: trusted,
      ...(source ? { statusSource: source } : {}),
      ...(opts.contexts ? { contexts: opts.contexts } : {}),
    };
  };

  app.post('/credentials/issue', {
    bodyLimit: VC_BODY_LIMIT,
    schema: { tags: VC_TAGS, summary: 'Issue a credential (VC-API): {credential, options?: {cryptosuite?}} → 201 {verifiableCredential}, signed with this node\'s issuer key (the operator\'s DID unless configured)' },
  }, async (req, reply) => {
    if (issuers.length === 0) {
      return fail(reply, 503, 'ISSUER_NOT_CONFIGURED', 'this node has no issuer key configured, so it does not issue credentials; configure one (see docs/credentials.md) or issue with `shulian vc issue`');
    }
    const body = req.body;
    if (!isRecord(body) || !isRecord(body.credential)) return fail(reply, 400, 'BAD_REQUEST', 'send {"credential": {...}, "options": {...}} with the credential to issue');
    if (body.options !== undefined && !isRecord(body.options)) return fail(reply, 400, 'BAD_REQUEST', 'options must be an object');
    const chosen = issueOptions(body.options);
    if ('error' in chosen) return fail(reply, 400, 'BAD_REQUEST', chosen.error);
    const credential = { ...body.credential };
    let issuer = issuers[0]!;
    if (credential.issuer === undefined) {
      credential.issuer = issuer.did;
    } else {
      const id = issuerOf(credential);
      const found = issuers.find((s) => s.did === id);
      if (!found) {
        return fail(reply, 400, 'VC_ISSUER_MISMATCH', `this node issues as ${issuers.map((s) => s.did).join(', ')}, not ${JSON.stringify(id ?? credential.issuer)}`);
      }
      issuer = found;
    }
    try {
      const signer = await issuer.signer();
      if (chosen.cryptosuite && keySuiteOf(chosen.cryptosuite) !== signer.suite) {
        return fail(reply, 400, 'BAD_REQUEST', `options.cryptosuite ${chosen.cryptosuite} needs ${keySuiteOf(chosen.cryptosuite) === 'sm2' ? 'an SM2' : 'an Ed25519'} key, but this node's issuer key for ${issuer.did} is ${signer.suite === 'sm2' ? 'SM2' : 'Ed25519'}`);
      }
      const vc = await issueCredential(credential, signer, {
        created: clock(), ...(chosen.cryptosuite ? { cryptosuite: chosen.cryptosuite } : {}), ...(opts.contexts ? { contexts: opts.contexts } : {}),
      });
      return reply.status(201).send({ verifiableCredential: vc });
    } catch (err) {
      if (err instanceof ShulianError) {
        const problems = (err.details?.problems as VcProblem[] | undefined) ?? [];
        return reply.status(statusFor(err.code)).send({ ...errorBody(err.code, err.message), problemDetails: problems.map(problemDetails) });
      }
      throw err;
    }
  });

  app.post('/credentials/verify', {
    bodyLimit: VC_BODY_LIMIT,
    schema: { tags: VC_TAGS, summary: 'Verify a credential (VC-API): {verifiableCredential, options?} → 200 verified, or 400 with problemDetails' },
  }, async (req, reply) => {
    const body = req.body;
    if (!isRecord(body) || !isRecord(body.verifiableCredential)) {
      return fail(reply, 400, 'BAD_REQUEST', 'send {"verifiableCredential": {...}, "options": {...}}');
    }
    const bound = challengeAndDomain(body.options);
    if ('error' in bound) return fail(reply, 400, 'BAD_REQUEST', bound.error);
    const r = await verifyCredential(body.verifiableCredential, { ...verifyOptions(req), ...bound });
    return verdict(reply, r, { status: r.status, issuer: r.issuer ?? null });
  });

  app.post('/presentations/verify', {
    bodyLimit: VC_BODY_LIMIT,
    schema: { tags: VC_TAGS, summary: 'Verify a presentation and its credentials (VC-API): {verifiablePresentation, options: {challenge, domain}}' },
  }, async (req, reply) => {
    const body = req.body;
    if (!isRecord(body) || !isRecord(body.verifiablePresentation)) {
      return fail(reply, 400, 'BAD_REQUEST', 'send {"verifiablePresentation": {...}, "options": {"challenge": "...", "domain": "..."}}');
    }
    const bound = challengeAndDomain(body.options);
    if ('error' in bound) return fail(reply, 400, 'BAD_REQUEST', bound.error);
    const r = await verifyPresentation(body.verifiablePresentation, { ...verifyOptions(req), ...bound });
    return verdict(reply, r, {
      holder: r.holder ?? null,
      credentialResults: r.credentials.map((c) => ({ verified: c.verified, issuer: c.issuer ?? null, checks: c.checks, problemDetails: c.errors.map(problemDetails), status: c.status })),
    });
  });

  app.get<{ Params: { listId: string } }>(`${STATUS_LIST_PATH}:listId`, {
    schema: {
      tags: VC_TAGS, summary: 'A status list as a BitstringStatusListCredential, read from the identity chain and signed by this node',
      params: { type: 'object', properties: { listId: { type: 'string' } }, required: ['listId'] },
    },
  }, async (req, reply) => {
    if (!service) return fail(reply, 503, 'STATUS_SERVICE_OFF', 'this node serves no status lists: it has no status signing key configured');
    if (!node.chain(statusChain)) return fail(reply, 404, 'CHAIN_NOT_FOUND', `this node does not host the ${statusChain} chain, which holds the status lists`);
    let vc;
    try {
      vc = await service.credential(baseUrlOf(req), req.params.listId);
    } catch (err) {
      if (err instanceof ShulianError) return fail(reply, 400, err.code, err.message);
      throw err;
    }
    if (!vc) return fail(reply, 404, 'STATUS_LIST_NOT_FOUND', `chain ${statusChain} has no status list "${req.params.listId}"; issuers create one with vcstatus.createList`);
    const ttl = (vc.credentialSubject as { ttl?: number }).ttl;
    if (ttl !== undefined) reply.header('cache-control', `public, max-age=${Math.floor(ttl / 2000)}`);
    return reply.status(200).type('application/json').send(vc);
  });
}
