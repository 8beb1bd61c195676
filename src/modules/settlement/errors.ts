/** Codes the settlement module rejects transactions and instructions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const SETTLEMENT_MODULE_ERRORS = {
  BAD_INSTRUCTION: 'a settlement instruction is not valid (payments and split, amounts, payees)',
  FAUCET_CLOSED: 'the chain runs no SANDBOX faucet for this currency (only development alliances do)',
  FAUCET_LIMIT: 'the DID has received as much faucet money in this currency as the faucet gives one DID',
  FAUCET_NOT_SANDBOX: 'a faucet may only give a sandbox issuer\'s money',
  SETTLEMENT_SANDBOX_CHAIN: 'a sandbox chain takes only sandbox issuers\' money (SANDBOX rail); promote it by a governance vote first',
  HOLD_EXISTS: 'the sender already has a hold with that id',
  INSUFFICIENT_FUNDS: 'the account holds less than the payment needs',
  ISSUER_EXCEEDED: 'the issuer has less outstanding than it would take back',
  MANDATE_EXPIRED: 'the payer\'s mandate to the contract has expired',
  MANDATE_EXCEEDED: 'the instruction would exceed the mandate\'s cap',
  MANDATE_BAD_PORT: 'instructions come only from the lex contract port on other chains',
  WAIT_EXPIRED: 'a waiting instruction was still unpaid when its wait ended (recorded as its failure)',
  CANCELLED: 'the payer cancelled the waiting instruction (recorded as its failure)',
  NOT_ISSUER: 'the DID is not a registered issuer on this chain',
  NOT_WAITING: 'the instruction is not waiting for funds',
  NO_MANDATE: 'the payer has granted no (unrevoked) mandate that covers this instruction',
  NO_TAX_POLICY: 'a tax category was given but the chain has no tax policy',
  PERIOD_OPEN: 'the period has not ended yet, so it cannot be cleared',
  SETTLEMENT_FAULT: 'a journal entry would break the books (unbalanced, or not positive); a module bug',
  TAX_CATEGORY_UNKNOWN: 'the tax policy has no such category',
} as const satisfies ErrorList;

export type SettlementModuleErrorCode = keyof typeof SETTLEMENT_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof SETTLEMENT_MODULE_ERRORS, 'modules/settlement'> {}
}
