/**
 * DID resolution over HTTP:
 * - `GET /1.0/identifiers/:did` — the DID Resolution HTTP(S) binding (DID Resolution v1.0 §12.1):
 *   200, 400 (INVALID_DID, INVALID_OPTIONS), 404 (NOT_FOUND), 406 (REPRESENTATION_NOT_SUPPORTED),
 *   410 (deactivated), 500, 501 (METHOD_NOT_SUPPORTED). The body is the DID resolution result
 *   (Content-Type application/did-resolution) or, when Accept asks for it, the DID document alone,
 *   whose Content-Type is exactly the result's didResolutionMetadata.contentType
 *   (application/did+ld+json or application/did+json).
 * - `GET /v1/dids/:did` — the same resolution result as application/json, with the API's usual
 *   `error: {code, message}` added when resolution fails.
 * Query: `height=<n>`, `versionTime=<XML datetime>` or `versionId=<n>`, and `proof=true`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ChainView, NodeView } from '../../chain/index.ts';
import type { StateLookupProof } from '../../ledger/index.ts';
import {
  chainStateSource, resolveDid, resolutionErrorCode, resolutionError, resolutionStatus,
  MEDIA_DID_JSON, MEDIA_DID_LD_JSON, MEDIA_DID_RESOLUTION, MEDIA_DID_RESOLUTION_LEGACY, RESOLUTION_CONTEXT,
  type DidResolutionResult, type DidStateSource, type ResolveOptions, type SignedHeader,
} from '../../did/index.ts';

export interface DidRouteOptions {
  /** Id of the identity chain on this node (default "identity"). */
  chain?: string;
}

interface ResolveQuery {
  height?: string;
  versionTime?: string;
  versionId?: string;
  proof?: string;
}

const RESOLUTION_LD_PROFILE = 'application/ld+json;profile="https://w3id.org/did-resolution"';

const querySchema = {
  type: 'object',
  properties: {
    height: { type: 'string', pattern: '^[0-9]{1,15}$', description: 'resolve as of this identity chain height' },
    versionTime: { type: 'string', description: 'resolve as of this time, an XML datetime such as 2024-05-01T08:00:00Z' },
    versionId: { type: 'string', description: 'resolve this document version (1, 2, ...)' },
    proof: { type: 'string', enum: ['true', 'false'], description: 'attach the state proof (check it with verifyDidResolution)' },
  },
} as const;
const didParam = { type: 'object', properties: { did: { type: 'string', maxLength: 2048 } }, required: ['did'] } as const;

type Representation = 'resolution' | 'resolution-legacy' | 'resolution-ld' | 'json' | 'ld' | 'plain';

/** Picks the representation from an Accept header (first supported type wins, q ignored but 0). */
function negotiate(accept: string | undefined): Representation | undefined {
  if (!accept || accept.trim() === '') return 'resolution';
  for (const part of accept.split(',')) {
    const [typeRaw, ...paramsRaw] = part.split(';');
    const type = typeRaw!.trim().toLowerCase();
    const params = paramsRaw.map((p) => p.trim().toLowerCase().replace(/\s+/g, ''));
    if (params.some((p) => /^q=0(?:\.0*)?$/.test(p))) continue;
    if (type === MEDIA_DID_RESOLUTION) return 'resolution';
    if (type === MEDIA_DID_RESOLUTION_LEGACY) return 'resolution-legacy';
    if (type === 'application/ld+json' && params.includes('profile="https://w3id.org/did-resolution"')) return 'resolution-ld';
    if (type === MEDIA_DID_LD_JSON) return 'ld';
    if (type === MEDIA_DID_JSON) return 'plain';
    if (type === 'application/json') return 'json';
    if (type === 'application/*' || type === '*/*') return 'resolution';
  }
  return undefined;
}

function optionsOf(q: ResolveQuery): ResolveOptions | string {
  const o: ResolveOptions = {};
  if (q.height !== undefined) {
    if (!/^\d{1,15}$/.test(q.height)) return 'height must be a whole number';
    o.height = Number(q.height);
  }
  if (q.versionTime !== undefined) o.versionTime = q.versionTime;
  if (q.versionId !== undefined) o.versionId = q.versionId;
  if (q.proof !== undefined) {
    if (q.proof !== 'true' && q.proof !== 'false') return 'proof must be true or false';
    o.proof = q.proof === 'true';
  }
  return o;
}

function unsupported(code: 'INVALID_OPTIONS' | 'REPRESENTATION_NOT_SUPPORTED' | 'METHOD_NOT_SUPPORTED', detail: string): DidResolutionResult {
  return { '@context': RESOLUTION_CONTEXT, didDocument: null, didResolutionMetadata: { error: resolutionError(code, detail) }, didDocumentMetadata: {} };
}

/** The chain as a resolution source whose proofs carry the block commits (BFT chains), so clients can verify them. */
function sourceWithCommits(chain: ChainView): DidStateSource {
  const base = chainStateSource(chain);
  return {
    getState: (key, o) => {
      const s = chain.getState(key, o);
      const commit = o?.proof && s.header ? chain.getCommit(s.height) : undefined;
      if (commit === undefined) return s;
      const out: StateLookupProof = { ...s, commit };
      return out;
    },
    height: () => chain.height(),
    header: (h) => {
      const sh = base.header!(h) as SignedHeader | undefined;
      const commit = sh ? chain.getCommit(h) : undefined;
      return sh && commit !== undefined ? { ...sh, commit } : sh;
    },
  };
}

/** Registers the DID resolution routes over the node's identity chain. */
export function registerDidRoutes(app: FastifyInstance, node: NodeView, opts: DidRouteOptions = {}): void {
  const chainId = opts.chain ?? 'identity';

  async function resolve(did: string, q: ResolveQuery, accept: string): Promise<DidResolutionResult> {
    const chain = node.chain(chainId);
    if (!chain) return unsupported('METHOD_NOT_SUPPORTED', `this node hosts no identity chain "${chainId}", so it cannot resolve did:shulian DIDs; ask a node that does`);
    if (!chain.genesis.modules.includes('did')) {
      return unsupported('METHOD_NOT_SUPPORTED', `chain "${chainId}" on this node does not run the did module, so it cannot resolve did:shulian DIDs`);
    }
    const o = optionsOf(q);
    if (typeof o === 'string') return unsupported('INVALID_OPTIONS', o);
    return resolveDid(sourceWithCommits(chain), did, { ...o, accept });
  }

  app.get<{ Params: { did: string }; Querystring: ResolveQuery }>('/1.0/identifiers/:did', {
    schema: {
      tags: ['did'], summary: 'Resolve a DID (W3C DID Resolution HTTP(S) binding)',
      description: 'Accept: application/did-resolution (default) for the resolution result; application/did+ld+json or application/did+json for the document alone, answered with that Content-Type (the result\'s didResolutionMetadata.contentType). 410 when deactivated.',
      params: didParam, querystring: querySchema,
    },
    // Bad query values are reported as INVALID_OPTIONS resolution results, not as plain 400s.
    validatorCompiler: () => () => true,
  }, async (req, reply) => {
    const rep = negotiate(req.headers.accept);
    if (!rep) {
      return send(reply, unsupported('REPRESENTATION_NOT_SUPPORTED', `none of ${JSON.stringify(req.headers.accept)} is supported; accept ${MEDIA_DID_RESOLUTION}, ${MEDIA_DID_LD_JSON} or ${MEDIA_DID_JSON}`), 'resolution');
    }
    const r = await resolve(req.params.did, req.query, rep === 'plain' ? MEDIA_DID_JSON : MEDIA_DID_LD_JSON);
    return send(reply, r, rep);
  });

  app.get<{ Params: { did: string }; Querystring: ResolveQuery }>('/v1/dids/:did', {
    schema: {
      tags: ['did'], summary: 'Resolve a DID: the DID resolution result as JSON (410 when deactivated)',
      params: didParam, querystring: querySchema,
    },
    validatorCompiler: () => () => true,
  }, async (req, reply) => {
    const r = await resolve(req.params.did, req.query, MEDIA_DID_LD_JSON);
    const status = resolutionStatus(r);
    const code = resolutionErrorCode(r);
    const body: DidResolutionResult & { error?: { code: string; message: string } } = { ...r };
    if (code) body.error = { code, message: r.didResolutionMetadata.error!.detail };
    else if (status === 410) body.error = { code: 'DID_DEACTIVATED', message: `${r.didDocument?.id ?? req.params.did} is deactivated` };
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  });
}

/**
 * Sends a result (or its document alone) with exactly the media type that describes it. The body
 * goes out as bytes serialised here, because Fastify appends `; charset=utf-8` to any JSON-like
 * type of a string or object body, and a document's Content-Type must equal its contentType
 * (DID Resolution v1.0 §12.1). JSON is UTF-8 by definition (RFC 8259 §8.1).
 */
function send(reply: FastifyReply, r: DidResolutionResult, rep: Representation): FastifyReply {
  const status = resolutionStatus(r);
  const contentType = r.didResolutionMetadata.contentType;
  if ((rep === 'ld' || rep === 'plain') && resolutionErrorCode(r) === undefined && r.didDocument && contentType) {
    return reply.status(status).header('content-type', contentType).send(Buffer.from(JSON.stringify(r.didDocument)));
  }
  const type = rep === 'resolution-ld' ? RESOLUTION_LD_PROFILE : rep === 'json' ? 'application/json; charset=utf-8'
    : rep === 'resolution-legacy' ? MEDIA_DID_RESOLUTION_LEGACY : MEDIA_DID_RESOLUTION;
  return reply.status(status).header('content-type', type).send(Buffer.from(JSON.stringify(r)));
}
