/** State keys of the dataauth module, each with the record it holds (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { DATAAUTH, type GrantRecord, type OfferRecord, type RequestRecord, type UsageRecord } from './types.ts';

export const dataauthKey = {
  request: (id: number) => stateKey<RequestRecord>(`req/${id}`),
  /** Requests ever made. */
  requests: () => stateKey<number>('nreq'),
  grant: (id: number) => stateKey<GrantRecord>(`grant/${id}`),
  /** Grants ever made. */
  grants: () => stateKey<number>('ngrant'),
  /** Uses of a grant so far. */
  uses: (grant: number) => stateKey<number>(`uses/${grant}`),
  use: (grant: number, n: number) => stateKey<UsageRecord>(`use/${grant}/${n}`),
  offer: (dataset: string) => stateKey<OfferRecord>(`offer/${dataset}`),
  /** Next free entry of an owner's revocation list. */
  nextIndex: (owner: string) => stateKey<number>(`idx/${owner}`),
  /** The n-th request a requester made, and how many. */
  byRequester: (did: string, n: number) => stateKey<number>(`rq/${did}/${n}`),
  requesterCount: (did: string) => stateKey<number>(`nrq/${did}`),
  /** The n-th request for an owner's datasets, and how many. */
  byOwner: (did: string, n: number) => stateKey<number>(`ro/${did}/${n}`),
  ownerCount: (did: string) => stateKey<number>(`nro/${did}`),
};

export const dataauthStateKey = fullKeys(DATAAUTH, dataauthKey);
