/**
 * What a block's execution may know of the alliance besides its own chain's state: freezes
 * voted by governance and lex templates approved by regulators, read from the governance
 * chain's state at the height the block names (Block.refs), so every node executes the block
 * the same way (docs/supervision.md#freezes, docs/consensus.md#block-validity).
 */
import { ModuleError, type ModuleContext } from './module.ts';

/** A party a freeze can name, relative to the chain that executes. */
export type FreezeSubject =
  | { type: 'did'; did: string }
  /** An account on `settlement`: a DID's balance in one currency. */
  | { type: 'account'; did: string; currency: string }
  /** A lex contract instance. */
  | { type: 'contract'; id: string }
  /** A token: a settlement currency or an xtransfer denomination. */
  | { type: 'token'; denom: string }
  /** An EVM contract of the `evm` module: its address, 0x and 40 lowercase hex digits. */
  | { type: 'evm-contract'; address: string };

/** A freeze in force, as the governance chain records it. */
export interface Frozen {
  key: string;
  /** The proposal that froze it (an emergency freeze: the proposal that would confirm it). */
  proposal: number;
  how: 'vote' | 'emergency';
  reason: string;
  /** Governance-chain height from which it applies. */
  since: number;
  /** Emergency freezes: the last governance height at which it applies unless confirmed. */
  until?: number;
}

/**
 * State keys of the governance module's freeze records (`governance/freeze/<key>`). A target on
 * one chain names it; `*` as the chain of a token freezes it on every chain.
 */
export const freezeKey = {
  did: (did: string) => `did/${did}`,
  account: (chain: string, did: string, currency: string) => `account/${chain}/${did}/${currency}`,
  contract: (chain: string, id: string) => `contract/${chain}/${id}`,
  token: (chain: string, denom: string) => `token/${chain}/${denom}`,
  evmContract: (chain: string, address: string) => `evm-contract/${chain}/${address.toLowerCase()}`,
};

/** The freeze keys that would hold `subject` on `chain` (a frozen DID also freezes its accounts). */
export function freezeKeysOf(chain: string, s: FreezeSubject): string[] {
  switch (s.type) {
    case 'did': return [freezeKey.did(s.did)];
    case 'account': return [freezeKey.did(s.did), freezeKey.account(chain, s.did, s.currency)];
    case 'contract': return [freezeKey.contract(chain, s.id)];
    case 'token': return [freezeKey.token(chain, s.denom), freezeKey.token('*', s.denom)];
    case 'evm-contract': return [freezeKey.evmContract(chain, s.address)];
  }
}

/** The alliance as one block sees it (see the file comment). */
export interface AllianceView {
  /** Governance-chain height read. */
  readonly govHeight: number;
  /** The freeze in force under a freeze key, if any. */
  frozen(key: string): Frozen | undefined;
  /** Whether this chain accepts only lex templates a regulator approved (alliance policy `templateAudit`). */
  readonly templateAudit: boolean;
  /** Whether a regulator approved the lex template with this source hash (and did not withdraw it). */
  templateApproved(hash: string): boolean;
  /**
   * Why `did` may not call `module`.`method` on this chain by the alliance's access rules
   * (docs/permissions.md), or undefined if it may.
   */
  accessRefusal(module: string, method: string, did: string): string | undefined;
  /**
   * The roles of `did` in the governance chain's member registry, or undefined if it is no
   * member organisation (the `material` module lets only members issue, docs/gov.md).
   */
  memberRoles(did: string): readonly string[] | undefined;
}

/** No governance chain named: nothing frozen, no audit. */
export const NO_ALLIANCE: AllianceView = {
  govHeight: -1, frozen: () => undefined, templateAudit: false, templateApproved: () => false, accessRefusal: () => undefined,
  memberRoles: () => undefined,
};

/** Words for a subject in an error. */
function describe(s: FreezeSubject): string {
  switch (s.type) {
    case 'did': return s.did;
    case 'account': return `the ${s.currency} account of ${s.did}`;
    case 'contract': return `contract ${s.id}`;
    case 'token': return `token ${s.denom}`;
    case 'evm-contract': return `EVM contract ${s.address.toLowerCase()}`;
  }
}

/** The error every chain gives a frozen party: it names the proposal (docs/supervision.md#freezes). */
export function frozenError(s: FreezeSubject, f: Frozen): ModuleError {
  const how = f.how === 'emergency'
    ? `an emergency freeze by regulators (until governance height ${f.until}, unless proposal #${f.proposal} confirms it)`
    : `governance proposal #${f.proposal}`;
  return new ModuleError('FROZEN', `${describe(s)} is frozen by ${how} since governance height ${f.since}: ${f.reason}; it may act again once an unfreeze proposal passes`);
}

/** Throws FROZEN if `subject` is frozen for the executing block. */
export function refuseFrozen(ctx: ModuleContext, s: FreezeSubject): void {
  const f = ctx.frozen(s);
  if (f) throw frozenError(s, f);
}
