/**
 * The node's status list service: it reads a list's bitstring from the identity chain's vcstatus
 * module and serves it as a BitstringStatusListCredential signed with the NODE key. Verifiers
 * accept it when they trust the node as a status service and the list's on-chain owner
 * (`credentialSubject.listController`) is the issuer of the credential they check
 * (docs/credentials.md, "Status lists").
 */
import { asJson } from '../../codec/index.ts';
import type { ChainView } from '../../chain/index.ts';
import { buildStatusListCredential, readStatusList } from '../../modules/vcstatus/index.ts';
import { formatDateTime } from './datetime.ts';
import { addProof } from './proof.ts';
import type { StatusListSource } from './status.ts';
import type { JsonObject, Signer, VerifiableCredential } from './types.ts';

/** Path under which lists are served: `<base>/v1/status-lists/<listId>`. */
export const STATUS_LIST_PATH = '/v1/status-lists/';

export interface StatusListServiceOptions {
  /** The chain whose vcstatus module holds the lists (the identity chain); a function if it may come and go. */
  chain: ChainView | (() => ChainView | undefined);
  /** Signs list credentials: the node key. */
  signer: Signer;
  /** How long a served list credential is valid, ms (default 5 minutes). */
  ttlMs?: number;
  /** Clock (default Date.now); tests pass their own. */
  now?: () => number;
  /** Path the lists are served under (default STATUS_LIST_PATH); the data chain's grant lists use `/v1/data/status-lists/`. */
  path?: string;
}

export interface StatusListService {
  /** DID the list credentials are issued by (the node). */
  readonly issuer: string;
  /** URL of a list under `baseUrl` (e.g. http://127.0.0.1:7070). */
  urlFor(baseUrl: string, listId: string): string;
  /** The signed list credential for `listId` served under `baseUrl`, or null when there is no such list. */
  credential(baseUrl: string, listId: string): Promise<VerifiableCredential | null>;
  /** A StatusListSource that answers URLs under `baseUrl` from the chain directly, without HTTP. */
  source(baseUrl: string, fallback?: StatusListSource): StatusListSource;
}

export function createStatusListService(opts: StatusListServiceOptions): StatusListService {
  const ttl = opts.ttlMs ?? 300_000;
  const clock = opts.now ?? Date.now;
  const chainOf = (): ChainView | undefined => (typeof opts.chain === 'function' ? opts.chain() : opts.chain);
  const cache = new Map<string, { height: number; until: number; vc: VerifiableCredential }>();
  const base = (b: string): string => b.replace(/\/+$/, '');

  const service: StatusListService = {
    issuer: opts.signer.controller,
    urlFor: (baseUrl, listId) => `${base(baseUrl)}${opts.path ?? STATUS_LIST_PATH}${encodeURIComponent(listId)}`,
    async credential(baseUrl, listId) {
      const chain = chainOf();
      if (!chain) return null;
      const url = service.urlFor(baseUrl, listId);
      const now = clock();
      // One synchronous pass over state: no block can commit between these reads.
      const height = chain.height();
      const hit = cache.get(url);
      if (hit && hit.height === height && now < hit.until - ttl / 2) return structuredClone(hit.vc);
      const list = readStatusList((key) => chain.getState(key).value, listId);
      if (!list) return null;
      // Valid from the block time of the state it reflects, not from this instant: a verifier
      // that took its own clock reading just before fetching the list must not see it as
      // not-yet-valid.
      const asOf = Math.min(now, chain.info().lastBlockTime);
      const unsigned = buildStatusListCredential({
        url, record: list.record, bitstring: list.bitstring, issuer: opts.signer.controller,
        validFrom: formatDateTime(asOf), validUntil: formatDateTime(now + ttl), chain: chain.id, height, ttl,
      });
      const vc = (await addProof(unsigned as JsonObject, opts.signer, { created: asOf })) as unknown as VerifiableCredential;
      if (cache.size > 1024) cache.clear();
      cache.set(url, { height, until: now + ttl, vc });
      return structuredClone(vc);
    },
    source(baseUrl, fallback) {
      const prefix = `${base(baseUrl)}${opts.path ?? STATUS_LIST_PATH}`;
      return {
        async fetch(url) {
          if (url.startsWith(prefix)) {
            const id = decodeURIComponent(url.slice(prefix.length));
            const vc = await service.credential(baseUrl, id);
            if (!vc) throw new Error(`no status list ${id} on this node`);
            return asJson(vc);
          }
          if (fallback) return fallback.fetch(url);
          throw new Error(`${url} is not a status list of this node, and fetching remote lists is off`);
        },
      };
    },
  };
  return service;
}
