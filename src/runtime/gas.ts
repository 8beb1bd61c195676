/**
 * Gas schedule. Costs follow the work a node does: bytes hashed and stored, keys read.
 * Integers only, so every node computes the same figure.
 */
export const GAS = {
  txBase: 1_000,
  txByte: 2,
  read: 50,
  readByte: 1,
  write: 200,
  writeByte: 5,
  delete: 100,
  event: 100,
  eventByte: 2,
  call: 500,
} as const;
