/**
 * Admission policies of business chains: who may transact on a chain. The registry stores the
 * policy; a node hosting the chain asks `checkAdmission` before admitting a sender's transaction.
 */
import type { AdmissionPolicy } from '../modules/governance/types.ts';

/** What a check may need to know; each fact may be answered synchronously or not. */
export interface AdmissionFacts {
  /** Is `did` a member organisation of the alliance (governance registry)? */
  isMember(did: string): boolean | Promise<boolean>;
  /**
   * Does `did` hold an unrevoked verifiable credential of `type` issued by `issuer`? Without it,
   * credential policies admit no one.
   */
  hasCredential?(did: string, type: string, issuer: string): boolean | Promise<boolean>;
}

export type AdmissionResult = { ok: true } | { ok: false; reason: string };

/** Checks a sender against a chain's admission policy; the reason says what would admit them. */
export async function checkAdmission(policy: AdmissionPolicy, did: string, facts: AdmissionFacts): Promise<AdmissionResult> {
  switch (policy.type) {
    case 'open':
      return { ok: true };
    case 'members':
      return (await facts.isMember(did))
        ? { ok: true }
        : { ok: false, reason: `${did} is not a member organisation of the alliance; this chain admits members only` };
    case 'allowlist':
      return policy.dids.includes(did)
        ? { ok: true }
        : { ok: false, reason: `${did} is not on this chain's allowlist; a governance proposal can change the chain's admission` };
    case 'credential': {
      const has = facts.hasCredential ? await facts.hasCredential(did, policy.credentialType, policy.issuer) : false;
      return has
        ? { ok: true }
        : { ok: false, reason: `${did} holds no unrevoked ${policy.credentialType} credential issued by ${policy.issuer}` };
    }
  }
}
