/**
 * Citizens' consent (个人数据 C2B 授权, PIPL Art. 45 portability): a data subject, under a pairwise
 * DID kept for one relationship, consents that an organisation may use data about them held by
 * another for a DPV purpose until a time. The consent itself is a VC signed by the subject (DPV /
 * ISO/IEC TS 27560 fields, see docs/data.md); the chain keeps only its digest and its state —
 * never personal data. Withdrawal takes effect from the next block.
 */
import { z } from 'zod';

export const CONSENT = 'consent';
export const CONSENT_LIMITS = { perSubject: 256, portability: 256 } as const;

const DID = /^did:shulian:[1-9A-HJ-NP-Za-km-z]{20,40}$/;
const didSchema = z.string().regex(DID, 'a did:shulian DID');
const digestSchema = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');

export type ConsentState = 'given' | 'withdrawn';

/** One state change of a consent. */
export interface ConsentEvent {
  state: ConsentState;
  height: number;
  time: number;
  tx: string;
}

/** A consent as the chain keeps it at `consent/c/<digest>`. */
export interface ConsentRecord {
  /** SM3 of the consent VC (canonical JSON, with its proof). */
  digest: string;
  /** The subject's pairwise DID for this relationship: the VC's issuer and credentialSubject. */
  subject: string;
  /** The organisation that may use the data (DPV dataController / the 27560 "recipient"). */
  controller: string;
  /** The organisation that holds the data (the source a portability request names), if any. */
  source?: string;
  /** DPV purpose (dpv:…). */
  purpose: string;
  /** Block time after which it no longer holds, ms (27560 "expiry"). */
  expires?: number;
  state: ConsentState;
  /** First height at which a withdrawn consent no longer holds: the block after the withdrawal. */
  withdrawnFrom?: number;
  history: ConsentEvent[];
}

/** A portability request (PIPL Art. 45): the subject asks `source` to deliver their data to `recipient`. */
export interface PortabilityRecord {
  /** SM3 of the request document the subject keeps (what is to be exported, in which format). */
  id: string;
  subject: string;
  source: string;
  recipient: string;
  /** The consent the delivery is made under, if any. */
  consent?: string;
  state: 'requested' | 'fulfilled';
  requested: { height: number; time: number; tx: string };
  /** Filled by the source: the digest of what it delivered (its fulfilment receipt). */
  fulfilled?: { receipt: string; height: number; time: number; tx: string };
}

/** The answer of the consent.activeAt export. */
export type ConsentCheck = { active: true } | { active: false; code: 'CONSENT_NOT_FOUND' | 'CONSENT_WITHDRAWN' | 'CONSENT_EXPIRED' | 'CONSENT_WRONG_CONTROLLER' | 'CONSENT_WRONG_PURPOSE'; message: string };

export const giveArgs = z.strictObject({
  digest: digestSchema,
  controller: didSchema,
  source: didSchema.optional(),
  purpose: z.string().min(1).max(128),
  expires: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
});
export const digestArgs = z.strictObject({ digest: digestSchema });
export const portabilityArgs = z.strictObject({ id: digestSchema, source: didSchema, recipient: didSchema, consent: digestSchema.optional() });
export const fulfilArgs = z.strictObject({ id: digestSchema, receipt: digestSchema });
export const activeAtArgs = z.strictObject({
  digest: digestSchema,
  /** The height the use runs at (normally the current block's). */
  height: z.number().int().min(0),
  /** The organisation using the data: must be the consent's controller. */
  controller: didSchema.optional(),
  /** The use's DPV purpose: must be the consent's or narrower. */
  purpose: z.string().min(1).max(128).optional(),
});
export type GiveArgs = z.infer<typeof giveArgs>;
export type ActiveAtArgs = z.infer<typeof activeAtArgs>;
