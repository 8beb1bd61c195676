/**
 * The data chain through the SDK (docs/data.md): publish and search the catalog, request data,
 * approve or refuse, use a grant, revoke; citizens' consents under pairwise DIDs. Every write is
 * a signed transaction; the functions wait for its block and throw the module's error code
 * (ODRL_CONSTRAINT, CONSENT_WITHDRAWN, …) when the chain refused it.
 */
import { canonicalBytes, foreign, resultAs, ShulianError, toHex, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, publicKeyFromPrivate, sm3, type KeyPair } from '../crypto/index.ts';
import type { DatasetInput, DatasetRecord } from '../modules/catalog/types.ts';
import type { GrantRecord, RequestArgs, RequestRecord, UsageRecord, UseVerdict } from '../modules/dataauth/types.ts';
import { consentCredential, type ConsentInput, type ConsentRecord, type PortabilityRecord } from '../modules/consent/types.ts';
import type { Policy } from '../odrl/index.ts';
import type { CatalogPage as CatalogPageOf, CatalogQuery } from '../data/index.ts';
import type { ShulianClient } from './client.ts';
import type { CommittedTx, SendOptions, WaitOptions } from './types.ts';

export type { DatasetInput, DatasetRecord, GrantRecord, RequestRecord, UsageRecord, ConsentRecord, PortabilityRecord, ConsentInput, UseVerdict };
export const DEFAULT_DATA_CHAIN = 'data';

export type DataSendOptions = { chain?: string } & SendOptions & WaitOptions;

/** Sends a call to the data chain and waits for its block; throws the module's error if it failed. */
export async function sendData<T>(client: ShulianClient, key: KeyPair, module: string, method: string, args: object, opts: DataSendOptions): Promise<{ tx: CommittedTx; result: T }> {
  const chain = opts.chain ?? DEFAULT_DATA_CHAIN;
  const hash = await client.send(chain, key, { module, method, args: args as JsonValue }, opts);
  const inc = await client.waitForTx(hash, opts);
  if (inc.receipt.status !== 'ok') {
    const code = foreign(inc.receipt.code) ?? 'TX_FAILED';
    throw new ShulianError(code, `${module}.${method} was refused at height ${inc.height} of chain ${chain}: ${inc.receipt.message ?? code}`, { tx: hash, height: inc.height });
  }
  return { tx: inc, result: resultAs<T>(inc.receipt.result) };
}
const q = (o: Record<string, string | number | boolean | undefined>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

// ---- catalog ----

export const publishDataset = (c: ShulianClient, key: KeyPair, d: DatasetInput, o: DataSendOptions = {}) =>
  sendData<{ id: string; version: number; seq: number }>(c, key, 'catalog', 'publish', d, o);
export const reviseDataset = (c: ShulianClient, key: KeyPair, d: DatasetInput, version: number, o: DataSendOptions = {}) =>
  sendData<{ id: string; version: number }>(c, key, 'catalog', 'revise', { dataset: d, version }, o);
export const withdrawDataset = (c: ShulianClient, key: KeyPair, id: string, o: DataSendOptions = {}) =>
  sendData<{ id: string; version: number }>(c, key, 'catalog', 'withdraw', { id }, o);

export type CatalogSearch = CatalogQuery & { chain?: string };
export type CatalogPage = CatalogPageOf & { chain: string };

export const searchCatalog = (c: ShulianClient, s: CatalogSearch = {}): Promise<CatalogPage> => c.getJson(`/data/catalog${q({ ...s })}`);
export const getDataset = (c: ShulianClient, id: string, o: { chain?: string; version?: number } = {}): Promise<{ chain: string; dataset: DatasetRecord; offer: Policy | null }> =>
  c.getJson(`/data/catalog/${encodeURIComponent(id)}${q(o)}`);
/** The catalog (or one dataset) as DCAT-AP 3 JSON-LD. */
export const dcatJsonLd = (c: ShulianClient, o: { chain?: string; dataset?: string } = {}): Promise<{ '@context': Record<string, string>; '@graph': Array<Record<string, unknown>> }> =>
  c.getJson(`/data/dcat${q({ ...o, format: 'jsonld' })}`);

// ---- authorisation ----

/** What a data request names (dataauth.request's args). */
export type DataRequest = RequestArgs;
export type RequestOutcome = { request: number; status: 'pending' } | { request: number; status: 'granted'; grant: number } | { request: number; status: 'refused'; reason: string };

export const requestData = (c: ShulianClient, key: KeyPair, r: DataRequest, o: DataSendOptions = {}) =>
  sendData<RequestOutcome>(c, key, 'dataauth', 'request', r, o);
export const approveRequest = (c: ShulianClient, key: KeyPair, request: number, o: DataSendOptions & { policy?: Policy } = {}) =>
  sendData<{ request: number; grant: number; statusIndex: number }>(c, key, 'dataauth', 'approve', o.policy ? { request, policy: o.policy } : { request }, o);
export const refuseRequest = (c: ShulianClient, key: KeyPair, request: number, reason: string, o: DataSendOptions = {}) =>
  sendData<{ request: number }>(c, key, 'dataauth', 'refuse', { request, reason }, o);
export const setOffer = (c: ShulianClient, key: KeyPair, dataset: string, policy: Policy | null, o: DataSendOptions = {}) =>
  sendData<{ dataset: string }>(c, key, 'dataauth', 'setOffer', { dataset, policy }, o);
export const revokeGrant = (c: ShulianClient, key: KeyPair, grant: number, o: DataSendOptions = {}) =>
  sendData<{ grant: number; revoked: true }>(c, key, 'dataauth', 'revoke', { grant }, o);

export interface DataUse {
  grant: number;
  action: string;
  /** SM3 of what was asked (the query, the computation request), 64 hex digits. */
  requestHash: string;
  purpose?: string;
  recipient?: string;
  consent?: string;
}
export const useGrant = (c: ShulianClient, key: KeyPair, u: DataUse, o: DataSendOptions = {}) =>
  sendData<{ grant: number; n: number; duties: unknown[] }>(c, key, 'dataauth', 'use', u, o);

export type GrantView = GrantRecord & { uses: number; revoked: boolean };
export const listRequests = (c: ShulianClient, who: { requester?: string; owner?: string }, o: { chain?: string; limit?: number } = {}): Promise<{ requests: RequestRecord[] }> =>
  c.getJson(`/data/requests${q({ ...who, ...o })}`);
export const getRequest = (c: ShulianClient, id: number, o: { chain?: string } = {}): Promise<RequestRecord> => c.getJson(`/data/requests/${id}${q(o)}`);
export const listGrants = (c: ShulianClient, who: { grantee?: string; owner?: string }, o: { chain?: string; limit?: number } = {}): Promise<{ grants: GrantView[] }> =>
  c.getJson(`/data/grants${q({ ...who, ...o })}`);
export const getGrant = (c: ShulianClient, id: number, o: { chain?: string } = {}): Promise<{ grant: GrantView; latestUses: UsageRecord[] }> => c.getJson(`/data/grants/${id}${q(o)}`);
/** The chain's decision on a use, now (as at the next block), without sending anything. */
export const decideUse = (c: ShulianClient, grant: number, ask: { user: string; action: string; purpose?: string; recipient?: string; consent?: string }, o: { chain?: string } = {}): Promise<UseVerdict & { height: number }> =>
  c.postJson(`/data/grants/${grant}/decide${q(o)}`, ask);

// ---- consent (C2B) ----

/**
 * The key of a citizen's pairwise DID for one relationship (an organisation's DID), derived from
 * their master key so a wallet can always find it again, and unlinkable to the master DID and to
 * the other relationships' DIDs by anyone without the master key.
 */
export function pairwiseKey(master: KeyPair, relationship: string): KeyPair {
  const label = new TextEncoder().encode(`shulian-pairwise-v1\u0000${relationship}`);
  let seed = sm3(new Uint8Array([...master.privateKey, ...label]));
  for (let i = 0; i < 8; i++) {
    try {
      return { suite: master.suite, privateKey: seed, publicKey: publicKeyFromPrivate(master.suite, seed) };
    } catch {
      seed = sm3(seed);
    }
  }
  throw new ShulianError('BAD_ARGUMENT', 'could not derive a pairwise key');
}

/** SM3 of a signed consent credential's canonical JSON: the digest the chain records. */
export function consentDigest(vc: unknown): string {
  return toHex(sm3(canonicalBytes(vc as JsonValue)));
}

export interface GiveConsentInput extends Omit<ConsentInput, 'subject' | 'given' | 'id'> {
  /** xsd:dateTime it is given at (default now). */
  given?: string;
  /** The record's id (default a random urn:uuid). */
  id?: string;
}

/**
 * A citizen gives a consent under their pairwise DID for `controller`: builds the consent
 * credential, has `sign` secure it (the caller's VC signer: src/did's issueCredential with the
 * pairwise key), and records its digest on chain. Returns the signed credential (the subject
 * keeps it and hands it to the organisation) and the digest.
 */
export async function giveConsent(
  c: ShulianClient, pairwise: KeyPair, input: GiveConsentInput, sign: (vc: Record<string, unknown>) => Promise<Record<string, unknown>>, o: DataSendOptions = {},
): Promise<{ credential: Record<string, unknown>; digest: string; tx: CommittedTx }> {
  const subject = didFromPublicKey(pairwise.publicKey);
  const unsigned = consentCredential({ ...input, subject, given: input.given ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), id: input.id ?? `urn:uuid:${crypto.randomUUID()}` });
  const credential = await sign(unsigned);
  const digest = consentDigest(credential);
  const args: Record<string, unknown> = { digest, controller: input.controller, purpose: input.purpose };
  if (input.source) args.source = input.source;
  if (input.expires) args.expires = Date.parse(input.expires);
  const { tx } = await sendData(c, pairwise, 'consent', 'give', args, o);
  return { credential, digest, tx };
}
export const withdrawConsent = (c: ShulianClient, pairwise: KeyPair, digest: string, o: DataSendOptions = {}) =>
  sendData<{ digest: string; effectiveFrom: number }>(c, pairwise, 'consent', 'withdraw', { digest }, o);
/** Withdraws every consent in force of each pairwise DID given (one transaction per DID). */
export async function withdrawAllConsents(c: ShulianClient, pairwise: KeyPair[], o: DataSendOptions = {}): Promise<Array<{ subject: string; withdrawn: string[]; effectiveFrom: number }>> {
  const out = [];
  for (const k of pairwise) {
    const { result } = await sendData<{ withdrawn: string[]; effectiveFrom: number }>(c, k, 'consent', 'withdrawAll', {}, o);
    out.push({ subject: didFromPublicKey(k.publicKey), ...result });
  }
  return out;
}
export const listConsents = (c: ShulianClient, subject: string, o: { chain?: string } = {}): Promise<{ consents: ConsentRecord[] }> => c.getJson(`/data/consents${q({ subject, ...o })}`);
export const getConsent = (c: ShulianClient, digest: string, o: { chain?: string } = {}): Promise<ConsentRecord> => c.getJson(`/data/consents/${digest}${q(o)}`);
export const requestPortability = (c: ShulianClient, pairwise: KeyPair, r: { id: string; source: string; recipient: string; consent?: string }, o: DataSendOptions = {}) =>
  sendData<{ id: string }>(c, pairwise, 'consent', 'requestPortability', r, o);
export const fulfilPortability = (c: ShulianClient, source: KeyPair, id: string, receipt: string, o: DataSendOptions = {}) =>
  sendData<{ id: string; receipt: string }>(c, source, 'consent', 'fulfilPortability', { id, receipt }, o);

/**
 * Checks a consent credential an organisation was handed against the chain: its subject is its
 * issuer (the signer's DID — the proof itself is checked by the caller's VC verifier), its digest
 * is recorded, for this controller, and the record's subject is that DID.
 */
export async function checkConsentRecord(c: ShulianClient, vc: Record<string, unknown>, controller: string, o: { chain?: string } = {}): Promise<ConsentRecord> {
  const subject = (vc.credentialSubject as { id?: unknown } | undefined)?.id;
  const proof = vc.proof as { verificationMethod?: unknown } | undefined;
  const signer = typeof proof?.verificationMethod === 'string' ? proof.verificationMethod.split('#')[0] : undefined;
  if (typeof subject !== 'string' || vc.issuer !== subject || signer !== subject) {
    throw new ShulianError('CONSENT_SIGNER_NOT_SUBJECT', `the consent credential is issued by ${String(vc.issuer)} and signed by ${String(signer)}, but its subject is ${String(subject)}: only the subject may give consent`);
  }
  const rec = await getConsent(c, consentDigest(vc), o).catch((err: unknown) => {
    if (err instanceof ShulianError && err.code === 'NOT_FOUND') throw new ShulianError('CONSENT_BAD_CREDENTIAL', 'the consent credential is not recorded on chain (its digest is unknown)');
    throw err;
  });
  if (rec.subject !== subject) throw new ShulianError('CONSENT_BAD_CREDENTIAL', `the chain records this consent for ${rec.subject}, not ${subject}`);
  if (rec.controller !== controller) throw new ShulianError('CONSENT_BAD_CREDENTIAL', `the consent lets ${rec.controller} use the data, not ${controller}`);
  return rec;
}

// ---- admission by credential ----

/**
 * Presents a verifiable presentation once, on the identity chain, for admission to `chain`
 * (whose governance policy admits holders of a credential type from an issuer). The presentation
 * must be the sender's, bound to the chain by its proof's `domain`, with credentials that carry a
 * status entry; the chain then admits the holder while its proofs and status hold.
 */
export const presentForAdmission = (c: ShulianClient, holder: KeyPair, chain: string, presentation: Record<string, unknown>, o: { identityChain?: string } & SendOptions & WaitOptions = {}) =>
  sendData<{ chain: string; holder: string }>(c, holder, 'credadmit', 'present', { chain, presentation }, { ...o, chain: o.identityChain ?? 'identity' });
export const withdrawPresentation = (c: ShulianClient, holder: KeyPair, chain: string, o: { identityChain?: string } & SendOptions & WaitOptions = {}) =>
  sendData<{ chain: string }>(c, holder, 'credadmit', 'withdraw', { chain }, { ...o, chain: o.identityChain ?? 'identity' });
