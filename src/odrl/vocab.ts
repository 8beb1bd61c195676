/**
 * The vocabulary the evaluator understands, and nothing beyond it: ODRL 2.2 actions (Common
 * Vocabulary §4.1 with their `includedIn` parents), operators (§4.3), the left operands Shulian
 * can evaluate from a chain's facts, and the DPV purpose taxonomy (w3id.org/dpv, DPV 2.x core,
 * `skos:broader` parents). Anything else is refused with a clear error, never guessed.
 */

/** ODRL 2.2 actions and the action each is included in (`odrl:includedIn`); `use` and `transfer` are roots. */
export const ACTION_PARENT: Readonly<Record<string, string | null>> = {
  use: null,
  transfer: null,
  read: 'use',
  reproduce: 'use',
  distribute: 'use',
  derive: 'use',
  aggregate: 'use',
  anonymize: 'use',
  annotate: 'use',
  archive: 'use',
  display: 'use',
  execute: 'use',
  extract: 'use',
  index: 'use',
  modify: 'use',
  print: 'use',
  // Duties (the actions a duty names): ODRL 2.2 §4.1.
  attribute: null,
  compensate: null,
  delete: null,
  inform: null,
  obtainConsent: null,
};

export const ODRL_NS = 'http://www.w3.org/ns/odrl/2/';

/** The name a term has in `table`, written bare, as `prefix:name` or as the full IRI; undefined when unknown. */
function termName(table: Readonly<Record<string, string | null>>, ns: string, prefix: string, term: string): string | undefined {
  const local = term.startsWith(ns) ? term.slice(ns.length) : term.startsWith(`${prefix}:`) ? term.slice(prefix.length + 1) : term;
  return Object.hasOwn(table, local) ? local : undefined;
}

/** Whether `of` is `term` or one of its ancestors in `table` (a parent map), transitively. */
function within(table: Readonly<Record<string, string | null>>, term: string, of: string): boolean {
  let a: string | null | undefined = term;
  for (let i = 0; a && i < 8; i++) {
    if (a === of) return true;
    a = table[a];
  }
  return false;
}

/** The action a term names: `read`, `odrl:read` or the full IRI; undefined when unknown. */
export const actionName = (term: string): string | undefined => termName(ACTION_PARENT, ODRL_NS, 'odrl', term);

/** Whether `granted` covers `requested` (the same action or one it includes, transitively). */
export const actionCovers = (granted: string, requested: string): boolean => within(ACTION_PARENT, requested, granted);

/** ODRL 2.2 operators (Common Vocabulary §4.3) — all of them, each implemented. */
export const OPERATORS = ['eq', 'neq', 'lt', 'lteq', 'gt', 'gteq', 'isA', 'hasPart', 'isPartOf', 'isAllOf', 'isAnyOf', 'isNoneOf'] as const;
export type Operator = (typeof OPERATORS)[number];

/**
 * Left operands Shulian evaluates, each from a fact of the request (all deterministic: the block
 * time, the grant's use count, what the use declares):
 *  - `count`: the uses of the grant including this one (ODRL 2.2 §4.2 `count`);
 *  - `dateTime`: the block time (xsd:dateTime right operands);
 *  - `purpose`: the DPV purpose the use declares;
 *  - `recipient`: the DID that receives the data (the grantee unless the use names another).
 */
export const LEFT_OPERANDS = ['count', 'dateTime', 'purpose', 'recipient'] as const;
export type LeftOperand = (typeof LEFT_OPERANDS)[number];

export const DPV_NS = 'https://w3id.org/dpv#';

/** DPV purposes and their broader purpose (null: a direct kind of dpv:Purpose). */
export const DPV_PURPOSES: Readonly<Record<string, string | null>> = {
  Purpose: null,
  AccountManagement: 'Purpose',
  CommunicationManagement: 'Purpose',
  CustomerManagement: 'Purpose',
  CustomerCare: 'CustomerManagement',
  EnforceSecurity: 'Purpose',
  FraudPreventionAndDetection: 'EnforceSecurity',
  IdentityVerification: 'EnforceSecurity',
  HumanResourceManagement: 'Purpose',
  LegalCompliance: 'Purpose',
  Marketing: 'Purpose',
  Advertising: 'Marketing',
  DirectMarketing: 'Marketing',
  OrganisationGovernance: 'Purpose',
  Personalisation: 'Purpose',
  ServicePersonalisation: 'Personalisation',
  RecordManagement: 'Purpose',
  ResearchAndDevelopment: 'Purpose',
  AcademicResearch: 'ResearchAndDevelopment',
  CommercialResearch: 'ResearchAndDevelopment',
  NonCommercialResearch: 'ResearchAndDevelopment',
  ServiceProvision: 'Purpose',
  PaymentManagement: 'ServiceProvision',
  ServiceOptimisation: 'ServiceProvision',
  ServiceRegistration: 'ServiceProvision',
  RequestedServiceProvision: 'ServiceProvision',
};

/** The DPV purpose a term names (`dpv:AcademicResearch`, the IRI, or the bare name); undefined when unknown. */
export const purposeName = (term: string): string | undefined => termName(DPV_PURPOSES, DPV_NS, 'dpv', term);

/** Whether purpose `p` is `of` or narrower than it (DPV `skos:broader`, transitively). */
export const purposeIsA = (p: string, of: string): boolean => within(DPV_PURPOSES, p, of);
