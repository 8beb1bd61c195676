/**
 * Readers of the data chain's modules (catalog, dataauth, consent), over a chain's state — a
 * ChainView in the node — and the off-chain decision the API serves: the same decideUse the
 * module runs, over the same state.
 */
import type { JsonValue } from '../codec/index.ts';
import { consentStateKey } from '../modules/consent/keys.ts';
import { consentActiveAt, type ConsentRecord, type PortabilityRecord } from '../modules/consent/types.ts';
import { catalogStateKey } from '../modules/catalog/keys.ts';
import type { DatasetRecord } from '../modules/catalog/types.ts';
import { dataauthStateKey } from '../modules/dataauth/keys.ts';
import { decideUse, type GrantRecord, type OfferRecord, type RequestRecord, type UsageRecord, type UseAsk, type UseVerdict } from '../modules/dataauth/types.ts';
import { vcstatusStateKey } from '../modules/vcstatus/keys.ts';
import { CHUNK_BITS } from '../modules/vcstatus/types.ts';
import { fromHex } from '../codec/index.ts';
import { privacyStateKey } from '../modules/privacy/keys.ts';
import type { RunRecord } from '../modules/privacy/types.ts';

/** A chain's state at its latest height (ChainView). */
export interface DataSource {
  height(): number;
  getState(key: string, opts?: { height?: number }): { value: JsonValue | null };
}

const get = <T>(src: DataSource, key: string, height?: number): T | undefined =>
  (src.getState(key, height === undefined ? {} : { height }).value ?? undefined) as T | undefined;

export const readDataset = (src: DataSource, id: string, version?: number): DatasetRecord | undefined =>
  get<DatasetRecord>(src, version === undefined ? catalogStateKey.dataset(id) : catalogStateKey.version(id, version));
export const readRequest = (src: DataSource, id: number): RequestRecord | undefined => get<RequestRecord>(src, dataauthStateKey.request(id));
export const readOffer = (src: DataSource, dataset: string): OfferRecord | undefined => get<OfferRecord>(src, dataauthStateKey.offer(dataset));
export const readConsent = (src: DataSource, digest: string): ConsentRecord | undefined => get<ConsentRecord>(src, consentStateKey.consent(digest));
export const readPortability = (src: DataSource, id: string): PortabilityRecord | undefined => get<PortabilityRecord>(src, consentStateKey.portability(id));

/** Whether a status entry is set, read from the vcstatus chunk that holds it. */
export function statusBit(src: DataSource, listId: string, index: number, height?: number): boolean {
  const hex = get<string>(src, vcstatusStateKey.chunk(listId, Math.floor(index / CHUNK_BITS)), height);
  if (typeof hex !== 'string') return false;
  const bit = index % CHUNK_BITS;
  return (fromHex(hex)[bit >> 3]! & (0x80 >> (bit & 7))) !== 0;
}

export interface GrantView extends GrantRecord {
  uses: number;
  revoked: boolean;
}

export function readGrant(src: DataSource, id: number): GrantView | undefined {
  const g = get<GrantRecord>(src, dataauthStateKey.grant(id));
  if (!g) return undefined;
  return { ...g, uses: get<number>(src, dataauthStateKey.uses(id)) ?? 0, revoked: statusBit(src, g.status.listId, g.status.index) };
}

export function readUses(src: DataSource, grant: number, opts: { limit?: number } = {}): UsageRecord[] {
  const n = get<number>(src, dataauthStateKey.uses(grant)) ?? 0;
  const out: UsageRecord[] = [];
  for (let i = n; i >= 1 && out.length < (opts.limit ?? 50); i--) out.push(get<UsageRecord>(src, dataauthStateKey.use(grant, i))!);
  return out;
}

/** Requests by a requester or for an owner's datasets, newest first. */
export function listRequests(src: DataSource, who: { requester?: string; owner?: string }, opts: { limit?: number } = {}): RequestRecord[] {
  const [count, item] = who.owner !== undefined
    ? [dataauthStateKey.ownerCount(who.owner), (n: number) => dataauthStateKey.byOwner(who.owner!, n)]
    : [dataauthStateKey.requesterCount(who.requester!), (n: number) => dataauthStateKey.byRequester(who.requester!, n)];
  const n = get<number>(src, count) ?? 0;
  const out: RequestRecord[] = [];
  for (let i = n; i >= 1 && out.length < (opts.limit ?? 50); i--) out.push(readRequest(src, get<number>(src, item(i))!)!);
  return out;
}

/** Grants made to a grantee or by an owner (from their requests), newest first. */
export function listGrants(src: DataSource, who: { grantee?: string; owner?: string }, opts: { limit?: number } = {}): GrantView[] {
  const reqs = listRequests(src, who.owner !== undefined ? { owner: who.owner } : { requester: who.grantee! }, { limit: 500 });
  return reqs.filter((r) => r.grant !== undefined).slice(0, opts.limit ?? 50).map((r) => readGrant(src, r.grant!)!);
}

/** A subject DID's consents, newest first, each with its state now. */
export function listConsents(src: DataSource, subject: string): ConsentRecord[] {
  const n = get<number>(src, consentStateKey.count(subject)) ?? 0;
  const out: ConsentRecord[] = [];
  for (let i = n; i >= 1; i--) out.push(readConsent(src, get<string>(src, consentStateKey.bySubject(subject, i))!)!);
  return out;
}

/**
 * Would this use be allowed now? The module's own decision (decideUse) over the chain's state,
 * judged as if at the next block (the height a use sent now would run at) and block time `time`.
 */
export function decide(src: DataSource, grantId: number, ask: UseAsk & { consent?: string }, time: number): UseVerdict & { height: number } {
  const height = src.height() + 1;
  const g = readGrant(src, grantId);
  if (!g) return { ok: false, code: 'DATAAUTH_GRANT_NOT_FOUND', message: `no grant ${grantId}`, height };
  const ds = readDataset(src, g.dataset);
  const purpose = ask.purpose ?? g.purpose;
  const digests = [...(g.consents ?? []), ...(ask.consent ? [ask.consent] : [])];
  const consents = digests.map((digest) => ({ digest, check: consentActiveAt(readConsent(src, digest), { digest, height, controller: ask.recipient ?? g.grantee, purpose }, time) }));
  return { ...decideUse({ grant: g, uses: g.uses, revoked: g.revoked, datasetActive: ds?.status === 'active', consents, time }, ask), height };
}

/** A privacy-computing run (docs/privacy.md). */
export const readRun = (src: DataSource, id: number): RunRecord | undefined => get<RunRecord>(src, privacyStateKey.run(id));

/** The runs a requester asked for, newest first. */
export function listRuns(src: DataSource, requester: string, opts: { limit?: number } = {}): RunRecord[] {
  const n = get<number>(src, privacyStateKey.requesterCount(requester)) ?? 0;
  const out: RunRecord[] = [];
  for (let i = n; i >= 1 && out.length < (opts.limit ?? 50); i--) out.push(readRun(src, get<number>(src, privacyStateKey.byRequester(requester, i))!)!);
  return out;
}
