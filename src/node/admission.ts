/**
 * The judges a node gives its chains (docs/consensus.md#block-validity): each reads only the
 * state it is handed — another chain's committed state at the height a block names — so every
 * node reaches the same verdict on the same block.
 */
import type { AdmissionRule, ReferenceChain, SenderAuthority } from '../chain/index.ts';
import { authorizeSenderSync } from '../did/index.ts';
import { govStateKey } from '../modules/governance/keys.ts';
import type { AdmissionPolicy } from '../modules/governance/types.ts';
import { credentialRefusal } from './credential-admission.ts';

/**
 * A tx's key against the sender's DID document on the identity chain (a rotated-in key signs, a
 * rotated-out one no longer does; a DID without a document signs with its self-certifying key).
 * `identity` absent: the judged chain is the identity chain, judged at its own parent state.
 */
export function didSenderAuthority(identity?: ReferenceChain): SenderAuthority {
  const judge: SenderAuthority['judge'] = (state, did, pubkeyHex) => {
    const r = authorizeSenderSync(state, did, pubkeyHex);
    return r.ok ? { ok: true } : { ok: false, code: 'TX_BAD_SENDER', message: `${r.message} (${r.code}, identity chain ${state.chain} at height ${state.height})` };
  };
  return identity ? { source: identity, judge } : { judge };
}

/**
 * A business chain's admission policy, read from the governance registry (`gov`) at the height a
 * block names, so a policy change by proposal applies from the first block naming a later
 * height: open, alliance members only, an allowlist, or holders of a credential — who presented
 * it once on the identity chain (`identity`), judged at the identity height the block names
 * (src/node/credential-admission.ts).
 */
export function governanceAdmissionRule(chainId: string, gov: ReferenceChain, identity?: ReferenceChain): AdmissionRule {
  return {
    source: gov,
    ...(identity ? { identity } : {}),
    judge: (state, did, identityState) => {
      const rec = state.getState(govStateKey.chain(chainId)).value as { admission?: AdmissionPolicy } | null;
      const policy: AdmissionPolicy = rec?.admission ?? { type: 'open' };
      const refuse = (message: string) => ({ ok: false as const, code: 'TX_NOT_ADMITTED' as const, message: `${message} (governance chain ${state.chain} at height ${state.height})` });
      switch (policy.type) {
        case 'open':
          return { ok: true };
        case 'members':
          return state.getState(govStateKey.member(did)).value !== null
            ? { ok: true } : refuse(`${did} is not a member organisation of the alliance; chain ${chainId} admits members only`);
        case 'allowlist':
          return policy.dids.includes(did) ? { ok: true } : refuse(`${did} is not on chain ${chainId}'s allowlist; a governance proposal can change it`);
        case 'credential': {
          if (!identityState) return refuse(`chain ${chainId} admits holders of a ${policy.credentialType} credential from ${policy.issuer}, judged on the identity chain, which this block names at no height this node holds`);
          const why = credentialRefusal(identityState, chainId, did, policy);
          return why === undefined ? { ok: true } : refuse(`${why} (identity chain ${identityState.chain} at height ${identityState.height})`);
        }
      }
    },
  };
}
