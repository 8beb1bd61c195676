/** Errors of module execution: a transaction fails with one of these (in its receipt) when the runtime, not the module, refuses it. */
import type { CodesOf, ErrorList, Registered } from '../codec/index.ts';

export const RUNTIME_ERRORS = {
  MODULE_NOT_FOUND: 'the chain runs no module of that name',
  METHOD_NOT_FOUND: 'the module has no method of that name',
  BAD_ARGS: 'the method\'s arguments do not match its schema',
  EXPORT_NOT_FOUND: 'a module called an export that no module of the chain offers',
  CALL_TOO_DEEP: 'module exports called one another more deeply than allowed',
  ASYNC_METHOD: 'an asynchronous method was run synchronously (a module bug)',
  MODULE_FAULT: 'the module failed with an unexpected error; every node fails the transaction the same way',
  FROZEN: 'a party of the transaction (sender, account, contract or token) is frozen by governance; the message names the proposal',
  ACCESS_DENIED: 'the chain\'s access rules (alliance policy, docs/permissions.md) do not let the sender call this module method, as they stood at the governance height the block names',
  TEMPLATE_NOT_APPROVED: 'this chain accepts only lex templates a regulator approved, and no regulator approved this one',
} as const satisfies ErrorList;

export type RuntimeErrorCode = keyof typeof RUNTIME_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof RUNTIME_ERRORS, 'runtime'> {}
}

/**
 * The codes a module may reject a transaction with (ModuleError): the runtime's, the modules' own
 * (each modules/<m>/errors.ts), the common ones, and those of the libraries modules run whose codes
 * pass through unchanged into receipts (lex contracts, X.509 certificate paths, supervision rules).
 */
export type ModuleErrorCode = CodesOf<'runtime' | `modules/${string}` | 'common' | 'lex' | 'did/x509' | 'rules' | 'odrl'>;
