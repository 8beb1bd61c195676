/** State keys of the dataauth module (relative to `dataauth/`), each with the record it holds. */
import { DATAAUTH } from './types.ts';

export const dataauthKey = {
  /** RequestRecord. */
  request: (id: number) => `req/${id}`,
  /** Requests ever made (number). */
  requests: () => 'nreq',
  /** GrantRecord. */
  grant: (id: number) => `grant/${id}`,
  /** Grants ever made (number). */
  grants: () => 'ngrant',
  /** Uses of a grant so far (number). */
  uses: (grant: number) => `uses/${grant}`,
  /** UsageRecord. */
  use: (grant: number, n: number) => `use/${grant}/${n}`,
  /** OfferRecord. */
  offer: (dataset: string) => `offer/${dataset}`,
  /** Next free entry of an owner's revocation list (number). */
  nextIndex: (owner: string) => `idx/${owner}`,
  /** Requests a requester made (number) and the n-th one's id; grants a grantee holds likewise. */
  byRequester: (did: string, n: number) => `rq/${did}/${n}`,
  requesterCount: (did: string) => `nrq/${did}`,
  byOwner: (did: string, n: number) => `ro/${did}/${n}`,
  ownerCount: (did: string) => `nro/${did}`,
};

const full = <A extends unknown[]>(f: (...a: A) => string) => (...a: A): string => `${DATAAUTH}/${f(...a)}`;
export const dataauthStateKey = {
  request: full(dataauthKey.request),
  requests: full(dataauthKey.requests),
  grant: full(dataauthKey.grant),
  grants: full(dataauthKey.grants),
  uses: full(dataauthKey.uses),
  use: full(dataauthKey.use),
  offer: full(dataauthKey.offer),
  byRequester: full(dataauthKey.byRequester),
  requesterCount: full(dataauthKey.requesterCount),
  byOwner: full(dataauthKey.byOwner),
  ownerCount: full(dataauthKey.ownerCount),
};
