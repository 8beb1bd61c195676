/**
 * The data chain off chain: catalog search (an inverted index), DCAT 3 / DCAT-AP 3 export as
 * Turtle and JSON-LD, readers of requests, grants, uses and consents, and the same use decision
 * the dataauth module makes. See docs/data.md.
 */
export { DATA_ERRORS, type DataErrorCode } from './errors.ts';
export { CatalogIndex, terms, MAX_QUERY_TERMS, type CatalogQuery, type CatalogPage, type CatalogSource } from './search.ts';
export { catalogTriples, toTurtle, toJsonLd, PREFIXES, type CatalogInfo, type Triple, type Term } from './dcat.ts';
export {
  readDataset, readRequest, readOffer, readConsent, readPortability, readGrant, readUses, listRequests, listGrants, listConsents, statusBit, decide,
  readRun, listRuns,
  type DataSource, type GrantView,
} from './readers.ts';
