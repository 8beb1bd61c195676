/** State keys of the material module, each with the record it holds (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { MATERIAL, type GrantRecord, type MaterialRecord, type UseRecord } from './types.ts';

export const materialKey = {
  /** The current version of a material. */
  material: (id: string) => stateKey<MaterialRecord>(`mat/${id}`),
  /** Every version of a material, kept. */
  version: (id: string, version: number) => stateKey<MaterialRecord>(`ver/${id}/${version}`),
  /** How many materials were ever issued, and the n-th one's id (n from 1). */
  count: () => stateKey<number>('count'),
  seq: (n: number) => stateKey<string>(`seq/${n}`),
  /** The grant of a material to one agency (revoked grants stay, with their status). */
  grant: (id: string, grantee: string) => stateKey<GrantRecord>(`grant/${id}/${grantee}`),
  /** The agencies a material was ever granted to, in order (at most MATERIAL_LIMITS.grants). */
  grantees: (id: string) => stateKey<string[]>(`grantees/${id}`),
  /** The reuse log: how many reads were recorded, and the n-th (n from 1). */
  uses: () => stateKey<number>('uses'),
  use: (n: number) => stateKey<UseRecord>(`use/${n}`),
};

/** Full chain-state keys (`material/…`), for readers. */
export const materialStateKey = fullKeys(MATERIAL, materialKey);
