import type { RootDatabase } from 'lmdb';
import type { Chain } from '../../src/chain/index.ts';
import { NONCE_PREFIX } from '../../src/runtime/index.ts';

/**
 * Every latest state entry of a chain (key → canonical JSON), read from its LMDB store, without
 * the senders' nonces unless asked: what "nothing changed" is checked against. Test-only: Chain
 * keeps its store private, so this reaches into it (read-only).
 */
export function stateSnapshot(chain: Chain, opts: { withNonces?: boolean } = {}): Map<string, string> {
  const store = (chain as unknown as { store: { root: RootDatabase } }).store;
  const db = store.root.openDB<string, string>({ name: 'state', encoding: 'string' });
  const out = new Map<string, string>();
  for (const { key, value } of db.getRange({})) {
    const k = String(key);
    if (opts.withNonces || !k.startsWith(NONCE_PREFIX)) out.set(k, value);
  }
  return out;
}

/** Keys written, changed or deleted between two snapshots, sorted. */
export function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}
