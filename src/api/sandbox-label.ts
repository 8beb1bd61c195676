/**
 * The sandbox label of a chain over the API (docs/governance.md#sandbox-chains): a chain is a
 * sandbox chain while the governance registry says so; a chain born in sandbox mode that the
 * registry cannot be read for (no governance chain on this node) stays labelled, the safe side.
 */
import type { ChainView, NodeView } from '../chain/index.ts';
import { govStateKey } from '../modules/governance/keys.ts';
import type { ChainRecord } from '../modules/governance/types.ts';

export function sandboxLabel(node: NodeView, chain: ChainView): { sandbox: boolean } {
  const gov = node.chains().find((c) => c.genesis.modules.includes('governance'));
  if (!gov || gov.id === chain.id) return { sandbox: chain.genesis.sandbox === true };
  const rec = gov.getState(govStateKey.chain(chain.id)).value as ChainRecord | null;
  return { sandbox: rec ? rec.sandbox === true : chain.genesis.sandbox === true };
}
