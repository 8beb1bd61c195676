import type { ModuleDef } from '../runtime/index.ts';
import type { Genesis } from '../ledger/index.ts';
import { didModule, didModuleWithX509 } from './did/index.ts';
import { createGovernanceModule, governanceConfigFromGenesis, governanceModule } from './governance/index.ts';
import { notaryModule } from './notary/index.ts';
import { vcstatusModule } from './vcstatus/index.ts';
import { lexcontractModule } from './lexcontract/index.ts';
import { createEvidenceModule } from './evidence/index.ts';
import { createValidatorsModule } from './validators/index.ts';
import { evmModuleFor } from './evm/index.ts';
import { createSettlementModule } from './settlement/index.ts';
import { createXchainModule, portsOf } from './xchain/index.ts';
import { createXrouteModule } from './xroute/index.ts';
import { xtransferModule } from './xtransfer/index.ts';
import { xdocModule } from './xdoc/index.ts';
import { xcallModule } from './xcall/index.ts';
import { xlockModule } from './xlock/index.ts';
import { xtxModule } from './xtx/index.ts';
import { supervisionModule } from './supervision/index.ts';
import { catalogModule } from './catalog/index.ts';
import { dataauthModule } from './dataauth/index.ts';
import { consentModule } from './consent/index.ts';
import { credadmitModule } from './credadmit/index.ts';
import { marketModule } from './market/index.ts';
import { collectibleModule } from './collectible/index.ts';
import { couponModule } from './coupon/index.ts';
import { createCarbonModule } from './carbon/index.ts';
import { privacyModule } from './privacy/index.ts';
import { materialModule } from './material/index.ts';

export { notaryModule, recordStateKey, type NotaryRecord } from './notary/index.ts';
export { didModule } from './did/index.ts';
export { catalogModule } from './catalog/index.ts';
export { dataauthModule } from './dataauth/index.ts';
export { consentModule } from './consent/index.ts';
export { credadmitModule } from './credadmit/index.ts';
export { marketModule } from './market/index.ts';
export { collectibleModule } from './collectible/index.ts';
export { couponModule } from './coupon/index.ts';
export { createCarbonModule } from './carbon/index.ts';
export { privacyModule } from './privacy/index.ts';
export { materialModule } from './material/index.ts';
export { vcstatusModule } from './vcstatus/index.ts';
export { lexcontractModule } from './lexcontract/index.ts';
export { supervisionModule } from './supervision/index.ts';
export { governanceModule, createGovernanceModule, governanceConfigFromGenesis } from './governance/index.ts';
export { createEvidenceModule, evidenceKey, type EvidenceRecord } from './evidence/index.ts';
export { createSettlementModule } from './settlement/index.ts';
export { createXchainModule, portsOf, XCHAIN, outStateKey, recvStateKey, attestationMessage, type Packet, type Ack, type RouteRecord, type ClientState, type HeaderProof, type SendStatus, type RecvRecord } from './xchain/index.ts';
export { attestedAckMessage, attestedTimeoutMessage, verifyHeaderProof, verifyKeyProof, type AttestedAck, type AttestRecord } from './xchain/index.ts';
export { createXrouteModule, XROUTE, routeStateKey, type StoredRoute } from './xroute/index.ts';
export { xtransferModule, XTRANSFER } from './xtransfer/index.ts';
export { xdocModule, XDOC, type DocRecord } from './xdoc/index.ts';
export { xcallModule, XCALL } from './xcall/index.ts';
export { xlockModule, XLOCK, lockTxStateKey, type LockTxRecord } from './xlock/index.ts';
export { xtxModule, XTX, xtxKey, xtxStateKey, txDigest, ownerOf, type XtxRecord, type XtxParticipantState, type XtxBody, type XtxOp, type XtxParticipant, type Vote } from './xtx/index.ts';
export { createValidatorsModule, validatorsFor, SCHEDULE_KEY, MIN_DELAY, type ValidatorEpoch } from './validators/index.ts';
export { createEvmModule, evmModuleFor, evmView, evmAddressOfDid, didOfEvmAddress, evmChainIdOf, EVM_MODULE } from './evm/index.ts';

/** Every module this build of Shulian can run; a chain's genesis picks from these. */
export const builtinModules: ModuleDef[] = [notaryModule, didModule, vcstatusModule, governanceModule, supervisionModule, lexcontractModule, xtransferModule, xdocModule, xcallModule, xlockModule, xtxModule, catalogModule, dataauthModule, consentModule, credadmitModule, marketModule, collectibleModule, couponModule, privacyModule, materialModule];

/** Modules built from a chain's genesis; their names are known even before a genesis picks them. */
const CONFIGURED = ['evidence', 'validators', 'settlement', 'evm', 'xchain', 'xroute', 'carbon'];
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
  // Business chains may pick `evm` (Solidity contracts); no public service chain runs it.
  if (genesis.modules.includes('evm')) mods.push(evmModuleFor(genesis.params));
  if (genesis.modules.includes('settlement')) mods.push(createSettlementModule(genesis));
  if (genesis.modules.includes('carbon')) mods.push(createCarbonModule(genesis));
  if (genesis.modules.includes('xchain')) mods.push(createXchainModule(genesis, portsOf(mods)));
  if (genesis.modules.includes('xroute')) mods.push(createXrouteModule(genesis));
  return mods;
}
