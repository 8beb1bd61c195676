import { z } from 'zod';
import type { JsonValue } from '../../codec/index.ts';
import { method, ModuleError, type ModuleDef } from '../../runtime/index.ts';

import type { NotaryRecord } from './types.ts';
import { recordKey } from './keys.ts';
export type { NotaryRecord } from './types.ts';
export { recordKey, recordStateKey } from './keys.ts';

const putArgs = z.strictObject({
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'the SM3 (or SHA-256) digest of the document: 64 lowercase hex digits'),
  name: z.string().min(1).max(256).optional(),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  mime: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as application/pdf').max(128).optional(),
});

export const notaryModule: ModuleDef = {
  name: 'notary',
  description: 'Records document digests with their owner DID and block time; each record is provable with a state proof.',
  methods: {
    put: method({
      doc: 'Record a document digest. Fails with NOTARY_EXISTS if it was recorded before.',
      args: putArgs,
      gas: 2_000,
      run(ctx, args) {
        const key = recordKey(args.hash);
        if (ctx.has(key)) {
          const prior = ctx.get(key) as unknown as NotaryRecord;
          throw new ModuleError('NOTARY_EXISTS', `digest ${args.hash} was already recorded by ${prior.owner} at height ${prior.height}`);
        }
        const record: NotaryRecord = { hash: args.hash, owner: ctx.sender, height: ctx.height, time: ctx.time, tx: ctx.txHash };
        if (args.name !== undefined) record.name = args.name;
        if (args.size !== undefined) record.size = args.size;
        if (args.mime !== undefined) record.mime = args.mime;
        ctx.set(key, record as unknown as JsonValue);
        ctx.emit('Recorded', { hash: args.hash, owner: ctx.sender });
        return { hash: args.hash, height: ctx.height };
      },
    }),
  },
  exports: {
    xquery: {
      doc: 'Answer a cross-chain call: {query: "record", args: {hash}} gives the record or null.',
      gas: 500,
      run(ctx, args): JsonValue {
        const q = args as { query?: unknown; args?: { hash?: unknown } } | null;
        if (!q || q.query !== 'record' || typeof q.args?.hash !== 'string' || !/^[0-9a-f]{64}$/.test(q.args.hash)) {
          throw new ModuleError('NOTARY_BAD_QUERY', 'notary answers {query: "record", args: {hash: <64 hex digits>}}');
        }
        return (ctx.get(recordKey(q.args.hash)) as JsonValue | undefined) ?? null;
      },
    },
  },
};
