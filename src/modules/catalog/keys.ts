/** State keys of the catalog module (relative to `catalog/`), each with the record it holds. */
import { CATALOG, type DatasetRecord } from './types.ts';

export const catalogKey = {
  /** The current version of a dataset. */
  dataset: (id: string) => `ds/${id}`,
  /** Every version of a dataset, kept: `dsv/<id>/<version>`. */
  version: (id: string, version: number) => `dsv/${id}/${version}`,
  /** How many datasets were ever published (number). */
  count: () => 'count',
  /** The n-th published dataset's id (string), n from 1: what an index is built from. */
  seq: (n: number) => `seq/${n}`,
};
export type CatalogKeyRecords = { dataset: DatasetRecord; version: DatasetRecord; count: number; seq: string };

/** Full chain-state keys, for readers. */
export const catalogStateKey = {
  dataset: (id: string) => `${CATALOG}/${catalogKey.dataset(id)}`,
  version: (id: string, version: number) => `${CATALOG}/${catalogKey.version(id, version)}`,
  count: () => `${CATALOG}/${catalogKey.count()}`,
  seq: (n: number) => `${CATALOG}/${catalogKey.seq(n)}`,
};
