export { method, asyncMethod, ModuleError, type ModuleContext, type MethodDef, type ModuleDef, type ExportDef, type PortDef } from './module.ts';
export { RUNTIME_ERRORS, type RuntimeErrorCode, type ModuleErrorCode } from './errors.ts';
export { Executor, NONCE_PREFIX, type StateReader, type BlockEnv, type ExecutedBlock } from './executor.ts';
export { GAS } from './gas.ts';
export { MapContext } from './map-context.ts';
export {
  NO_ALLIANCE, freezeKey, freezeKeysOf, frozenError, refuseFrozen, type AllianceView, type FreezeSubject, type Frozen,
} from './alliance.ts';
