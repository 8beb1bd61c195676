export { method, asyncMethod, exported, ModuleError, type ModuleContext, type MethodDef, type ModuleDef, type ExportDef, type PortDef } from './module.ts';
export { RUNTIME_ERRORS, type RuntimeErrorCode, type ModuleErrorCode } from './errors.ts';
export { parseArgs, invokeExport, runExport } from './calls.ts';
export { Executor, NONCE_PREFIX, type StateReader, type BlockEnv, type ExecutedBlock } from './executor.ts';
export { GAS } from './gas.ts';
export { MapContext } from './map-context.ts';
export { lockExports, lockIdSchema, type LockExportNames, type LockRecord, type LockResource, type LockState } from './locks.ts';
