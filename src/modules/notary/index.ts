import type { JsonValue } from '../../codec/index.ts';
import { digestSchema, HEX64_RE, z } from '../../codec/schemas.ts';
import { exported, method, ModuleError, type ModuleDef } from '../../runtime/index.ts';
import { NOTARY, notaryKey as k } from './keys.ts';
import type { NotaryRecord } from './types.ts';

export * from './types.ts';
export { NOTARY, notaryKey, notaryStateKey, recordStateKey } from './keys.ts';

const putArgs = z.strictObject({
  hash: z.string().regex(HEX64_RE, 'the SM3 (or SHA-256) digest of the document: 64 lowercase hex digits'),
  name: z.string().min(1).max(256).optional(),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  mime: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as application/pdf').max(128).optional(),
});

export const notaryModule: ModuleDef = {
  name: NOTARY,
  description: 'Records document digests with their owner DID and block time; each record is provable with a state proof.',
  methods: {
    put: method({
      doc: 'Record a document digest. Fails with NOTARY_EXISTS if it was recorded before.',
      args: putArgs,
      gas: 2_000,
      run(ctx, args) {
        const key = k.record(args.hash);
        const prior = ctx.has(key) ? ctx.read(key) : undefined;
        if (prior) {
          throw new ModuleError('NOTARY_EXISTS', `digest ${args.hash} was already recorded by ${prior.owner} at height ${prior.height}`);
        }
        const record: NotaryRecord = { hash: args.hash, owner: ctx.sender, height: ctx.height, time: ctx.time, tx: ctx.txHash };
        if (args.name !== undefined) record.name = args.name;
        if (args.size !== undefined) record.size = args.size;
        if (args.mime !== undefined) record.mime = args.mime;
        ctx.write(key, record);
        ctx.emit('Recorded', { hash: args.hash, owner: ctx.sender });
        return { hash: args.hash, height: ctx.height };
      },
    }),
  },
  exports: {
    xquery: exported({
      doc: 'Answer a cross-chain call: {query: "record", args: {hash}} gives the record or null.',
      gas: 500,
      args: z.object({
        query: z.literal('record', 'notary answers {query: "record", args: {hash: <64 hex digits>}}'),
        args: z.object({ hash: digestSchema }),
      }),
      argsError: 'NOTARY_BAD_QUERY',
      run(ctx, q): JsonValue {
        return ctx.get(k.record(q.args.hash)) ?? null;
      },
    }),
  },
};
