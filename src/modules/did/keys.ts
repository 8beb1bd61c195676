import { parseShulianDid } from '../../crypto/index.ts';
import { stateKey, type StateKey } from '../../codec/index.ts';
import type { CertificateBindingsState, DidDocState } from './types.ts';

/** State layout of the `did` module, by a DID's method-specific id. */
export const MODULE_NAME = 'did';

export const didKey = {
  /** A DID's document: `doc/<id>`. */
  doc: (id: string) => stateKey<DidDocState>(`doc/${id}`),
  /** A DID's certificate bindings: `certs/<id>` (beside the document, whose shape is strict). */
  certs: (id: string) => stateKey<CertificateBindingsState>(`certs/${id}`),
};

const idOf = (didOrId: string): string => (didOrId.startsWith('did:') ? parseShulianDid(didOrId).id : didOrId);

/** Full state key (as `getState` takes it) of a DID's document, given the DID or its method-specific id. */
export function docStateKey(didOrId: string): StateKey<DidDocState> {
  return stateKey<DidDocState>(`${MODULE_NAME}/${didKey.doc(idOf(didOrId))}`);
}
/** Full state key (as `getState` takes it) of a DID's certificate bindings. */
export function certsStateKey(didOrId: string): StateKey<CertificateBindingsState> {
  return stateKey<CertificateBindingsState>(`${MODULE_NAME}/${didKey.certs(idOf(didOrId))}`);
}

/** A DID's certificate bindings inside the namespace (x509.ts re-exports it for its readers). */
export const certsKey = didKey.certs;
