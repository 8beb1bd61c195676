import type { ModuleDef } from '../runtime/index.ts';
import type { Genesis } from '../ledger/index.ts';
import { didModule, didModuleWithX509 } from './did/index.ts';
import { createGovernanceModule, governanceConfigFromGenesis, governanceModule } from './governance/index.ts';
import { notaryModule } from './notary/index.ts';
import { vcstatusModule } from './vcstatus/index.ts';
import { lexcontractModule } from './lexcontract/index.ts';
import { createEvidenceModule } from './evidence/index.ts';
import { createValidatorsModule } from './validators/index.ts';

export { notaryModule, recordKey, recordStateKey, type NotaryRecord } from './notary/index.ts';
export { didModule } from './did/index.ts';
export { vcstatusModule } from './vcstatus/index.ts';
export { lexcontractModule } from './lexcontract/index.ts';
export { governanceModule, createGovernanceModule, governanceConfigFromGenesis } from './governance/index.ts';
export { createEvidenceModule, evidenceKey, type EvidenceRecord } from './evidence/index.ts';
export { createValidatorsModule, validatorsFor, SCHEDULE_KEY, MIN_DELAY, type ValidatorEpoch } from './validators/index.ts';

/** Every module this build of Shulian can run; a chain's genesis picks from these. */
export const builtinModules: ModuleDef[] = [notaryModule, didModule, vcstatusModule, governanceModule, lexcontractModule];

/** Modules built from a chain's genesis; their names are known even before a genesis picks them. */
const CONFIGURED = ['evidence', 'validators'];
export const knownModuleNames = (): string[] => [...builtinModules.map((m) => m.name), ...CONFIGURED];

/**
 * The modules a chain runs, configured from its genesis: the governance module takes its
 * founders (the governance chain's validators) and alliance name from there.
 */
export function modulesFor(genesis: Genesis): ModuleDef[] {
  const mods = builtinModules.filter((m) => m.name !== 'governance' && m.name !== 'did');
  mods.push(didModuleWithX509(genesis.x509Roots ?? []));
  if (genesis.modules.includes('governance')) mods.push(createGovernanceModule(governanceConfigFromGenesis(genesis)));
  if (genesis.modules.includes('evidence')) mods.push(createEvidenceModule(genesis));
  if (genesis.modules.includes('validators')) mods.push(createValidatorsModule(genesis));
  return mods;
}
