/** Codes the lexcontract module rejects transactions with; a contract's own refusals pass through with lex's codes (src/lex/errors.ts). */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const LEXCONTRACT_MODULE_ERRORS = {
  BAD_COUNTERSIGNER: 'the countersigner must not be one of the parties',
  BAD_DISPUTE_ALLOWS: 'disputeAllows names events the contract does not have',
  BAD_PARTIES: 'the parties do not name exactly the template\'s roles',
  LEX_ALREADY_SIGNED: 'the party has already signed the contract',
  LEX_DISPUTED: 'the contract is frozen by a dispute',
  LEX_FINGERPRINT_MISMATCH: 'the contract\'s fingerprint is not the one its template, parameters and signing terms give',
  LEX_INSTANCE_NOT_FOUND: 'no contract instance with that id',
  LEX_METERED_EVENT: 'a Metered… event reports metered usage and only the market module sends it',
  LEX_NOT_ACTIVE: 'the contract is not active',
  LEX_NOT_ARBITER: 'only the named notary or court may resolve the dispute',
  LEX_NOT_COUNTERSIGNER: 'only the named notary or court may countersign',
  LEX_NOT_DISPUTED: 'the contract is not in dispute',
  LEX_NOT_PARTY: 'the sender is not a party to the contract',
  LEX_NOT_SIGNING: 'the contract is not open for signing',
  LEX_NO_COUNTERSIGNER: 'the contract names no notary or court to countersign',
  LEX_PARTIES_NOT_SIGNED: 'the countersigner signs after every party, and some have not',
  LEX_SETTLEMENT_NOT_FOUND: 'the contract has no settlement instruction with that key',
  LEX_SETTLEMENT_NOT_SENT: 'the settlement instruction is not awaiting a result',
  LEX_TEMPLATE_NOT_FOUND: 'no template with that fingerprint is deployed',
} as const satisfies ErrorList;

export type LexcontractModuleErrorCode = keyof typeof LEXCONTRACT_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof LEXCONTRACT_MODULE_ERRORS, 'modules/lexcontract'> {}
}
