/** State keys of the catalog module, each with the record it holds (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { CATALOG, type DatasetRecord } from './types.ts';

export const catalogKey = {
  /** The current version of a dataset. */
  dataset: (id: string) => stateKey<DatasetRecord>(`ds/${id}`),
  /** Every version of a dataset, kept. */
  version: (id: string, version: number) => stateKey<DatasetRecord>(`dsv/${id}/${version}`),
  /** How many datasets were ever published. */
  count: () => stateKey<number>('count'),
  /** The n-th published dataset's id, n from 1: what an index is built from. */
  seq: (n: number) => stateKey<string>(`seq/${n}`),
};

/** Full chain-state keys (`catalog/…`), for readers. */
export const catalogStateKey = fullKeys(CATALOG, catalogKey);
