/** State keys of the consent module, each with the record it holds (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { CONSENT, type ConsentRecord, type PortabilityRecord } from './types.ts';

export const consentKey = {
  consent: (digest: string) => stateKey<ConsentRecord>(`c/${digest}`),
  /** How many consents a subject DID gave. */
  count: (subject: string) => stateKey<number>(`n/${subject}`),
  /** The subject's n-th consent's digest, n from 1. */
  bySubject: (subject: string, n: number) => stateKey<string>(`s/${subject}/${n}`),
  portability: (id: string) => stateKey<PortabilityRecord>(`p/${id}`),
};

export const consentStateKey = fullKeys(CONSENT, consentKey);
