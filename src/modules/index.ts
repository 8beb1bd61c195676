import type { ModuleDef } from '../runtime/index.ts';
import { notaryModule } from './notary/index.ts';

export { notaryModule, recordKey, recordStateKey, type NotaryRecord } from './notary/index.ts';

/** Every module this build of Shulian can run; a chain's genesis picks from these. */
export const builtinModules: ModuleDef[] = [notaryModule];
