/**
 * The settlement chain's off-chain side: readers of the module's state, statements, e-invoices,
 * currency formatting and funding rails (see docs/settlement.md).
 */
export * from './readers.ts';
export * from './currency.ts';
export * from './invoice.ts';
export * from './statement.ts';
export * from './instruction.ts';
