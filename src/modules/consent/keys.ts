/** State keys of the consent module (relative to `consent/`), each with the record it holds. */
import { CONSENT } from './types.ts';

export const consentKey = {
  /** ConsentRecord. */
  consent: (digest: string) => `c/${digest}`,
  /** How many consents a subject DID gave (number). */
  count: (subject: string) => `n/${subject}`,
  /** The subject's n-th consent's digest (string), n from 1. */
  bySubject: (subject: string, n: number) => `s/${subject}/${n}`,
  /** PortabilityRecord. */
  portability: (id: string) => `p/${id}`,
};

export const consentStateKey = {
  consent: (digest: string) => `${CONSENT}/${consentKey.consent(digest)}`,
  count: (subject: string) => `${CONSENT}/${consentKey.count(subject)}`,
  bySubject: (subject: string, n: number) => `${CONSENT}/${consentKey.bySubject(subject, n)}`,
  portability: (id: string) => `${CONSENT}/${consentKey.portability(id)}`,
};
