/** State keys of the lexcontract module, relative to its namespace; lexStateKey gives the full key. */
export const templateKey = (hash: string): string => `tpl/${hash}`;
export const instanceKey = (id: string): string => `inst/${id}`;
export const stateKey = (id: string): string => `state/${id}`;
export const logKey = (id: string, seq: number): string => `log/${id}/${seq}`;
export const historyKey = (id: string, n: number): string => `hist/${id}/${n}`;
export const settlementKey = (id: string, n: number): string => `stl/${id}/${n}`;
/** idempotencyKey → n of the settlement record. */
export const settlementIndexKey = (idempotencyKey: string): string => `stlk/${idempotencyKey}`;
/** Deployed templates in order: `tpls/count`, `tpls/<i>` → source hash. */
export const TEMPLATE_COUNT_KEY = 'tpls/count';
export const templateListKey = (i: number): string => `tpls/${i}`;
/** Instances a DID takes part in (as party or countersigner): `by/<did>/count`, `by/<did>/<i>` → id. */
export const memberCountKey = (did: string): string => `by/${did}/count`;
export const memberKey = (did: string, i: number): string => `by/${did}/${i}`;
/** Full state keys (for chain.getState). */
export const lexStateKey = (key: string): string => `lexcontract/${key}`;
