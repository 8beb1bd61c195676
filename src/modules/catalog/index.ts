import { z } from '../../codec/schemas.ts';
import type { JsonValue } from '../../codec/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { CATALOG, DATASET_ID_RE, datasetInputSchema, type DatasetInput, type DatasetRecord } from './types.ts';
import { catalogKey } from './keys.ts';

export * from './types.ts';
export { catalogKey, catalogStateKey } from './keys.ts';

/** Gas per byte of a dataset description, on top of the write: descriptions are the big part. */
const BYTE_GAS = 2;
const idArg = z.strictObject({ id: z.string().regex(DATASET_ID_RE, 'a dataset id') });

function current(ctx: ModuleContext, id: string): DatasetRecord {
  const rec = ctx.read(catalogKey.dataset(id));
  if (!rec) throw new ModuleError('CATALOG_NOT_FOUND', `no dataset "${id}" in the catalog of chain ${ctx.chain}`);
  return rec;
}

function owned(ctx: ModuleContext, id: string): DatasetRecord {
  const rec = current(ctx, id);
  if (rec.owner !== ctx.sender) throw new ModuleError('CATALOG_NOT_OWNER', `dataset "${id}" is published by ${rec.owner}; ${ctx.sender} may not change it`);
  return rec;
}

function store(ctx: ModuleContext, rec: DatasetRecord): void {
  ctx.write(catalogKey.dataset(rec.id), rec);
  ctx.write(catalogKey.version(rec.id, rec.version), rec);
}

function record(ctx: ModuleContext, d: DatasetInput, over: Pick<DatasetRecord, 'owner' | 'version' | 'status' | 'issued'>): DatasetRecord {
  const rec: DatasetRecord = { ...d, ...over, modified: ctx.time, height: ctx.height, tx: ctx.txHash };
  ctx.charge(BYTE_GAS * JSON.stringify(rec).length, 'storing the dataset description');
  return rec;
}

/**
 * catalog — the government data catalog (目录链) and the data chain's catalog: organisations
 * publish datasets under their DID with distributions, access services, themes, frequency and a
 * sensitivity level; each revision is a new version, all kept. Readers export DCAT-AP 3.
 */
export const catalogModule: ModuleDef = {
  name: CATALOG,
  description: 'The data catalog: datasets owned by organisations\' DIDs, with distributions, access services, themes, frequency, sensitivity and versions (DCAT 3).',
  methods: {
    publish: method({
      doc: 'Publish a dataset under the sender\'s DID (version 1). Fails with CATALOG_EXISTS if the id is taken.',
      args: datasetInputSchema,
      gas: 5_000,
      run(ctx, d) {
        const prior = ctx.read(catalogKey.dataset(d.id));
        if (prior) throw new ModuleError('CATALOG_EXISTS', `dataset "${d.id}" was published by ${prior.owner} at height ${prior.height}; ${prior.owner === ctx.sender ? 'revise it with catalog.revise' : 'pick another id'}`);
        const rec = record(ctx, d, { owner: ctx.sender, version: 1, status: 'active', issued: ctx.time });
        store(ctx, rec);
        const n = (ctx.read(catalogKey.count()) ?? 0) + 1;
        ctx.write(catalogKey.count(), n);
        ctx.write(catalogKey.seq(n), d.id);
        ctx.emit('DatasetPublished', { id: d.id, owner: ctx.sender, version: 1, sensitivity: d.sensitivity });
        return { id: d.id, version: 1, seq: n };
      },
    }),
    revise: method({
      doc: 'Publish a new version of one of the sender\'s datasets; `version` must be the current one (optimistic concurrency).',
      args: z.strictObject({ dataset: z.unknown(), version: z.number().int().min(1) }).transform((a, zctx) => {
        const d = datasetInputSchema.safeParse(a.dataset);
        if (!d.success) {
          const issue = d.error.issues[0]!;
          zctx.addIssue({ code: 'custom', path: ['dataset', ...issue.path.map(String)], message: issue.message });
          return z.NEVER;
        }
        return { dataset: d.data, version: a.version };
      }),
      gas: 5_000,
      run(ctx, a) {
        const prior = owned(ctx, a.dataset.id);
        if (prior.status === 'withdrawn') throw new ModuleError('CATALOG_WITHDRAWN', `dataset "${prior.id}" was withdrawn at version ${prior.version}; publish under a new id`);
        if (a.version !== prior.version) throw new ModuleError('CATALOG_STALE_VERSION', `dataset "${prior.id}" is at version ${prior.version}, not ${a.version}; read it again and revise that`);
        const rec = record(ctx, a.dataset, { owner: prior.owner, version: prior.version + 1, status: 'active', issued: prior.issued });
        store(ctx, rec);
        ctx.emit('DatasetRevised', { id: rec.id, owner: rec.owner, version: rec.version, sensitivity: rec.sensitivity });
        return { id: rec.id, version: rec.version };
      },
    }),
    withdraw: method({
      doc: 'Withdraw one of the sender\'s datasets from the catalog (a new version with status withdrawn); requests for it are refused from then on.',
      args: idArg,
      gas: 3_000,
      run(ctx, { id }) {
        const prior = owned(ctx, id);
        if (prior.status === 'withdrawn') throw new ModuleError('CATALOG_WITHDRAWN', `dataset "${id}" is already withdrawn`);
        const rec: DatasetRecord = { ...prior, version: prior.version + 1, status: 'withdrawn', modified: ctx.time, height: ctx.height, tx: ctx.txHash };
        store(ctx, rec);
        ctx.emit('DatasetWithdrawn', { id, owner: rec.owner, version: rec.version });
        return { id, version: rec.version };
      },
    }),
  },
  exports: {
    dataset: exported({
      doc: 'The current record of a dataset ({id}), for the modules that authorise its use; CATALOG_NOT_FOUND when there is none.',
      gas: 500,
      args: idArg,
      run(ctx, { id }): JsonValue {
        const rec = current(ctx, id);
        return { id: rec.id, owner: rec.owner, version: rec.version, status: rec.status, sensitivity: rec.sensitivity };
      },
    }),
  },
};

/** What the catalog.dataset export answers. */
export interface DatasetSummary {
  id: string;
  owner: string;
  version: number;
  status: DatasetRecord['status'];
  sensitivity: DatasetRecord['sensitivity'];
}
