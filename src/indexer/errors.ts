/** Errors of the PostgreSQL indexer (src/indexer) and the explorer routes that read from it. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const INDEXER_ERRORS = {
  INDEXER_PG_UNAVAILABLE: 'PostgreSQL cannot be reached or refused the connection (check --pg: host, port, user, password, database)',
  INDEXER_SCHEMA_NEWER: 'the database holds a newer indexer schema than this version knows: upgrade Shulian or index into another database',
  INDEXER_CHAIN_BROKEN: 'a block read from a node does not extend the chain indexed so far (its prev is not the indexed hash): the node serves another chain',
  EXPLORER_NOT_CONFIGURED: 'this node reads no PostgreSQL index: start it with --pg URL (and run shulian indexer into that database)',
  EXPLORER_BAD_QUERY: 'an explorer query parameter is malformed (the message names it and what it takes)',
} as const satisfies ErrorList;

export type IndexerErrorCode = keyof typeof INDEXER_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof INDEXER_ERRORS, 'indexer'> {}
}
