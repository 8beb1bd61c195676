import { z } from '../../codec/schemas.ts';
import { fromHex, toHex } from '../../codec/index.ts';
import { asJson, type JsonValue } from '../../codec/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { VCSTATUS, vcstatusKey as k } from './keys.ts';
import { CHUNK_BITS, chunkLength, LIST_ID_RE, MAX_LIST_SIZE, MIN_LIST_SIZE, type StatusListRecord } from './types.ts';

export * from './types.ts';
export * from './keys.ts';
export { buildStatusListCredential, encodeBitstring, readStatusList, type StatusListCredentialInput } from './credential.ts';

/**
 * On-chain Bitstring Status Lists (W3C Bitstring Status List v1.0) for credential revocation and
 * suspension. An issuer DID creates a list; only that DID may set its bits. The bitstring is kept
 * sparse, in 512-byte chunks (4096 entries) stored as hex: a chunk that is all zeros is not
 * stored, so a fresh 131,072-entry list costs one small record and each status change rewrites
 * one chunk. The node serves each list as a BitstringStatusListCredential (docs/credentials.md).
 */

const listId = z.string().regex(LIST_ID_RE, 'a list id is 1-64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit');

const createArgs = z.strictObject({
  listId,
  purpose: z.enum(['revocation', 'suspension'], 'purpose must be "revocation" or "suspension"'),
  size: z.number().int().min(MIN_LIST_SIZE, `a list has at least ${MIN_LIST_SIZE} entries`).max(MAX_LIST_SIZE, `a list has at most ${MAX_LIST_SIZE} entries`)
    .refine((n) => n % 8 === 0, 'size must be a multiple of 8').default(MIN_LIST_SIZE),
});

const setArgs = z.strictObject({
  listId,
  index: z.number().int().min(0).max(MAX_LIST_SIZE - 1),
  value: z.boolean(),
});

export const vcstatusModule: ModuleDef = {
  name: VCSTATUS,
  description: 'Bitstring status lists for verifiable credentials: issuers revoke or suspend what they issued.',
  methods: {
    createList: method({
      doc: 'Create a status list owned by the sender. Fails with VCSTATUS_LIST_EXISTS if the id is taken.',
      args: createArgs,
      gas: 5_000,
      run(ctx, args) {
        const key = k.list(args.listId);
        if (ctx.has(key)) {
          const prior = ctx.read(key)!;
          throw new ModuleError('VCSTATUS_LIST_EXISTS', `status list ${args.listId} already exists (created by ${prior.issuer} at height ${prior.height}); pick another id`);
        }
        const record: StatusListRecord = {
          listId: args.listId, issuer: ctx.sender, purpose: args.purpose, size: args.size, height: ctx.height, time: ctx.time, tx: ctx.txHash,
        };
        ctx.write(key, record);
        ctx.emit('ListCreated', { listId: args.listId, issuer: ctx.sender, purpose: args.purpose, size: args.size });
        return { listId: args.listId, purpose: args.purpose, size: args.size };
      },
    }),
    setStatus: method({
      doc: 'Set (true) or clear (false) entry `index` of a list; only its issuer may. Revocation cannot be undone.',
      args: setArgs,
      gas: 2_000,
      run: (ctx, args) => setBit(ctx, args),
    }),
  },
  exports: {
    ensureList: exported({
      doc: 'Create a revocation list owned by the transaction\'s sender unless it exists; answers its record. For modules that issue credentials for their senders (dataauth, consent).',
      gas: 2_000,
      callers: ['dataauth', 'consent'],
      args: z.strictObject({ listId }),
      run(ctx, { listId: id }): JsonValue {
        const prior = ctx.read(k.list(id));
        if (prior) return asJson(prior);
        const record: StatusListRecord = { listId: id, issuer: ctx.sender, purpose: 'revocation', size: MIN_LIST_SIZE, height: ctx.height, time: ctx.time, tx: ctx.txHash };
        ctx.write(k.list(id), record);
        ctx.emit('ListCreated', { listId: id, issuer: ctx.sender, purpose: 'revocation', size: MIN_LIST_SIZE });
        return asJson(record);
      },
    }),
    setStatus: exported({
      doc: 'vcstatus.setStatus on behalf of the transaction\'s sender (who must own the list): one write revokes a credential.',
      gas: 2_000,
      callers: ['dataauth', 'consent'],
      args: setArgs,
      run: (ctx, args) => setBit(ctx, args),
    }),
    status: exported({
      doc: 'Entry {listId, index} of a list: true when set (revoked or suspended). VCSTATUS_LIST_NOT_FOUND when there is no such list.',
      gas: 500,
      args: z.strictObject({ listId, index: z.number().int().min(0).max(MAX_LIST_SIZE - 1) }),
      run(ctx, { listId: id, index }): JsonValue {
        const record = ctx.read(k.list(id));
        if (!record) throw new ModuleError('VCSTATUS_LIST_NOT_FOUND', `no status list ${id} on chain ${ctx.chain}`);
        if (index >= record.size) throw new ModuleError('VCSTATUS_INDEX_OUT_OF_RANGE', `index ${index} is outside status list ${id} (entries 0 to ${record.size - 1})`);
        const stored = ctx.read(k.chunk(id, Math.floor(index / CHUNK_BITS)));
        if (stored === undefined) return false;
        const bit = index % CHUNK_BITS;
        return (fromHex(stored)[bit >> 3]! & (0x80 >> (bit & 7))) !== 0;
      },
    }),
  },
};

/** Sets or clears one entry; only the list's issuer may (vcstatus.setStatus, the method and the export). */
function setBit(ctx: ModuleContext, args: z.infer<typeof setArgs>): JsonValue {
  const record = ctx.read(k.list(args.listId));
  if (!record) throw new ModuleError('VCSTATUS_LIST_NOT_FOUND', `no status list ${args.listId}; create it first with vcstatus.createList`);
  if (record.issuer !== ctx.sender) {
    throw new ModuleError('VCSTATUS_NOT_ISSUER', `status list ${args.listId} belongs to ${record.issuer}; ${ctx.sender} may not change it`);
  }
  if (args.index >= record.size) {
    throw new ModuleError('VCSTATUS_INDEX_OUT_OF_RANGE', `index ${args.index} is outside status list ${args.listId} (entries 0 to ${record.size - 1})`);
  }
  const chunk = Math.floor(args.index / CHUNK_BITS);
  const ck = k.chunk(args.listId, chunk);
  const stored = ctx.read(ck);
  const bytes = typeof stored === 'string' ? fromHex(stored) : new Uint8Array(chunkLength(record.size, chunk));
  const bit = args.index % CHUNK_BITS;
  const mask = 0x80 >> (bit & 7);
  const current = (bytes[bit >> 3]! & mask) !== 0;
  if (current && !args.value && record.purpose === 'revocation') {
    throw new ModuleError('VCSTATUS_IRREVERSIBLE', `entry ${args.index} of ${args.listId} is revoked; revocation cannot be undone (use a suspension list for reversible holds)`);
  }
  if (current === args.value) return { listId: args.listId, index: args.index, value: args.value, changed: false };
  bytes[bit >> 3] = args.value ? bytes[bit >> 3]! | mask : bytes[bit >> 3]! & ~mask;
  if (bytes.every((b) => b === 0)) ctx.delete(ck);
  else ctx.write(ck, toHex(bytes));
  ctx.emit('StatusSet', { listId: args.listId, index: args.index, value: args.value, purpose: record.purpose });
  return { listId: args.listId, index: args.index, value: args.value, changed: true };
}

