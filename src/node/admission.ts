/**
 * The judges a node gives its chains (docs/consensus.md#block-validity): each reads only the
 * state it is handed — another chain's committed state at the height a block names — so every
 * node reaches the same verdict on the same block.
 */
import type { AdmissionRule, AllianceRule, ReferenceChain, SenderAuthority, StateAt } from '../chain/index.ts';
import type { AllianceView, Frozen } from '../runtime/index.ts';
import type { AccessRule, FreezeRecord, Member, Policy } from '../modules/governance/types.ts';
import { accessRefusal, frozenAt } from '../modules/governance/index.ts';
import { supStateKey } from '../modules/supervision/keys.ts';
import type { ApprovalRecord } from '../modules/supervision/types.ts';
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

/** Views of governance heights read lately: state at a height never changes, so each is kept as is. */
const VIEW_CACHE = 8;

/**
 * Freezes and template approvals from the governance registry (docs/supervision.md#freezes), for
 * every chain of the alliance: read at the governance height a block names (the governance chain
 * itself: at its parent). A frozen sender is refused at admission with TX_FROZEN naming the
 * proposal; execution reads the same view (runtime AllianceView) for accounts, contracts, tokens
 * and the senders of cross-chain packets. `gov` absent: `chainId` is the governance chain.
 */
export function governanceAllianceRule(chainId: string, gov?: ReferenceChain): AllianceRule {
  const views = new Map<number, AllianceView>();
  const view = (state: StateAt): AllianceView => {
    let v = views.get(state.height);
    if (v) return v;
    v = allianceViewAt(state, chainId);
    if (views.size >= VIEW_CACHE) views.delete(views.keys().next().value!);
    views.set(state.height, v);
    return v;
  };
  return {
    ...(gov ? { source: gov } : {}),
    view,
    judge: (state, did) => {
      const f = view(state).frozen(`did/${did}`);
      if (!f) return { ok: true };
      const how = f.how === 'emergency'
        ? `an emergency freeze by regulators until governance height ${f.until} (proposal #${f.proposal} would confirm it)`
        : `governance proposal #${f.proposal}`;
      return { ok: false, code: 'TX_FROZEN', message: `${did} is frozen by ${how} since governance height ${f.since}: ${f.reason}; no chain of the alliance takes its transactions until an unfreeze proposal passes (governance chain ${state.chain} at height ${state.height})` };
    },
  };
}

function allianceViewAt(state: StateAt, chainId: string): AllianceView {
  const frozen = new Map<string, Frozen | null>();
  const approved = new Map<string, boolean>();
  let audit: boolean | undefined;
  let policy: Policy | null | undefined;
  const policyNow = (): Policy | null => (policy === undefined ? (policy = state.getState(govStateKey.policy()).value as Policy | null) : policy);
  let rules: AccessRule[] | null | undefined;
  const refusals = new Map<string, string | null>();
  const members = new Map<string, readonly string[] | null>();
  return {
    govHeight: state.height,
    frozen(key) {
      let f = frozen.get(key);
      if (f === undefined) {
        f = frozenAt(key, state.getState(govStateKey.freeze(key)).value as FreezeRecord | null, state.height) ?? null;
        if (frozen.size < 100_000) frozen.set(key, f);
      }
      return f ?? undefined;
    },
    get templateAudit() {
      if (audit === undefined) audit = (policyNow()?.templateAudit ?? []).some((c) => c === '*' || c === chainId);
      return audit;
    },
    accessRefusal(module, method, did) {
      if (rules === undefined) rules = policyNow()?.access?.[chainId] ?? null;
      if (rules === null) return undefined;
      const key = `${module}.${method}\n${did}`;
      let why = refusals.get(key);
      if (why === undefined) {
        const roles = () => (state.getState(govStateKey.member(did)).value as Member | null)?.roles ?? null;
        why = accessRefusal(rules, module, method, did, roles) ?? null;
        if (refusals.size < 100_000) refusals.set(key, why);
      }
      return why === null ? undefined : `${why} (governance chain ${state.chain} at height ${state.height})`;
    },
    memberRoles(did) {
      let roles = members.get(did);
      if (roles === undefined) {
        roles = (state.getState(govStateKey.member(did)).value as Member | null)?.roles ?? null;
        if (members.size < 100_000) members.set(did, roles);
      }
      return roles ?? undefined;
    },
    templateApproved(hash) {
      let ok = approved.get(hash);
      if (ok === undefined) {
        const rec = state.getState(supStateKey.approval('lex-template', hash)).value as ApprovalRecord | null;
        ok = rec !== null && rec.revokedAt === undefined;
        if (approved.size < 100_000) approved.set(hash, ok);
      }
      return ok;
    },
  };
}
