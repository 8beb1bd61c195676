import { z } from 'zod';
import { fromHex, toHex, type JsonValue } from '../../codec/index.ts';
import { exportedShim, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';

/**
 * On-chain Bitstring Status Lists (W3C Bitstring Status List v1.0) for credential revocation and
 * suspension. An issuer DID creates a list; only that DID may set its bits. The bitstring is kept
 * sparse, in 512-byte chunks (4096 entries) stored as hex: a chunk that is all zeros is not
 * stored, so a fresh 131,072-entry list costs one small record and each status change rewrites
 * one chunk. The node serves each list as a BitstringStatusListCredential (docs/credentials.md).
 */

import type { StatusListRecord } from './types.ts';
export type { StatusPurpose, StatusListRecord } from './types.ts';

/** Smallest list (Bitstring Status List §3.2: 131,072 entries, 16 KiB), for group privacy. */
export const MIN_LIST_SIZE = 131_072;
export const MAX_LIST_SIZE = 1_048_576;
export const CHUNK_BITS = 4096;
export const CHUNK_BYTES = CHUNK_BITS / 8;
export const LIST_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const listKey = (listId: string): string => `list/${listId}`;
export const chunkKey = (listId: string, chunk: number): string => `bits/${listId}/${chunk}`;
export const listStateKey = (listId: string): string => `vcstatus/${listKey(listId)}`;
export const chunkStateKey = (listId: string, chunk: number): string => `vcstatus/${chunkKey(listId, chunk)}`;

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

function chunkLength(size: number, chunk: number): number {
  return Math.min(CHUNK_BYTES, size / 8 - chunk * CHUNK_BYTES);
}

export const vcstatusModule: ModuleDef = {
  name: 'vcstatus',
  description: 'Bitstring status lists for verifiable credentials: issuers revoke or suspend what they issued.',
  methods: {
    createList: method({
      doc: 'Create a status list owned by the sender. Fails with VCSTATUS_LIST_EXISTS if the id is taken.',
      args: createArgs,
      gas: 5_000,
      run(ctx, args) {
        const key = listKey(args.listId);
        if (ctx.has(key)) {
          const prior = ctx.get(key) as unknown as StatusListRecord;
          throw new ModuleError('VCSTATUS_LIST_EXISTS', `status list ${args.listId} already exists (created by ${prior.issuer} at height ${prior.height}); pick another id`);
        }
        const record: StatusListRecord = {
          listId: args.listId, issuer: ctx.sender, purpose: args.purpose, size: args.size, height: ctx.height, time: ctx.time, tx: ctx.txHash,
        };
        ctx.set(key, record as unknown as JsonValue);
        ctx.emit('ListCreated', { listId: args.listId, issuer: ctx.sender, purpose: args.purpose, size: args.size });
        return { listId: args.listId, purpose: args.purpose, size: args.size };
      },
    }),
    setStatus: method({
      doc: 'Set (true) or clear (false) entry `index` of a list; only its issuer may. Revocation cannot be undone.',
      args: setArgs,
      gas: 2_000,
      run(ctx, args) {
        return setBit(ctx, args);
      },
    }),
  },
  exports: {
    ensureList: exportedShim('vcstatus.ensureList', {
      doc: 'Create a revocation list owned by the transaction\'s sender unless it exists; answers its record. For modules that issue credentials for their senders (dataauth, consent).',
      gas: 2_000,
      callers: ['dataauth', 'consent'],
      args: z.strictObject({ listId }),
      run(ctx, { listId: id }): JsonValue {
        const prior = ctx.get(listKey(id)) as unknown as StatusListRecord | undefined;
        if (prior) return prior as unknown as JsonValue;
        const record: StatusListRecord = { listId: id, issuer: ctx.sender, purpose: 'revocation', size: MIN_LIST_SIZE, height: ctx.height, time: ctx.time, tx: ctx.txHash };
        ctx.set(listKey(id), record as unknown as JsonValue);
        ctx.emit('ListCreated', { listId: id, issuer: ctx.sender, purpose: 'revocation', size: MIN_LIST_SIZE });
        return record as unknown as JsonValue;
      },
    }),
    setStatus: exportedShim('vcstatus.setStatus', {
      doc: 'vcstatus.setStatus on behalf of the transaction\'s sender (who must own the list): one write revokes a credential.',
      gas: 2_000,
      callers: ['dataauth', 'consent'],
      args: setArgs,
      run: (ctx, args) => setBit(ctx, args),
    }),
    status: exportedShim('vcstatus.status', {
      doc: 'Entry {listId, index} of a list: true when set (revoked or suspended). VCSTATUS_LIST_NOT_FOUND when there is no such list.',
      gas: 500,
      args: z.strictObject({ listId, index: z.number().int().min(0).max(MAX_LIST_SIZE - 1) }),
      run(ctx, { listId: id, index }): JsonValue {
        const record = ctx.get(listKey(id)) as unknown as StatusListRecord | undefined;
        if (!record) throw new ModuleError('VCSTATUS_LIST_NOT_FOUND', `no status list ${id} on chain ${ctx.chain}`);
        if (index >= record.size) throw new ModuleError('VCSTATUS_INDEX_OUT_OF_RANGE', `index ${index} is outside status list ${id} (entries 0 to ${record.size - 1})`);
        const stored = ctx.get(chunkKey(id, Math.floor(index / CHUNK_BITS)));
        if (typeof stored !== 'string') return false;
        const bit = index % CHUNK_BITS;
        return (fromHex(stored)[bit >> 3]! & (0x80 >> (bit & 7))) !== 0;
      },
    }),
  },
};

/** Sets or clears one entry; only the list's issuer may (vcstatus.setStatus, and the export of the same name). */
function setBit(ctx: ModuleContext, args: z.infer<typeof setArgs>): JsonValue {
  const record = ctx.get(listKey(args.listId)) as unknown as StatusListRecord | undefined;
  if (!record) throw new ModuleError('VCSTATUS_LIST_NOT_FOUND', `no status list ${args.listId}; create it first with vcstatus.createList`);
  if (record.issuer !== ctx.sender) {
    throw new ModuleError('VCSTATUS_NOT_ISSUER', `status list ${args.listId} belongs to ${record.issuer}; ${ctx.sender} may not change it`);
  }
  if (args.index >= record.size) {
    throw new ModuleError('VCSTATUS_INDEX_OUT_OF_RANGE', `index ${args.index} is outside status list ${args.listId} (entries 0 to ${record.size - 1})`);
  }
  const chunk = Math.floor(args.index / CHUNK_BITS);
  const ck = chunkKey(args.listId, chunk);
  const stored = ctx.get(ck);
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
  else ctx.set(ck, toHex(bytes));
  ctx.emit('StatusSet', { listId: args.listId, index: args.index, value: args.value, purpose: record.purpose });
  return { listId: args.listId, index: args.index, value: args.value, changed: true };
}

/**
 * A list and its full bitstring, read through `get` (full state keys, e.g. ChainView.getState's
 * value). Undefined when there is no such list.
 */
export function readStatusList(get: (stateKey: string) => JsonValue | null | undefined, listIdValue: string): { record: StatusListRecord; bitstring: Uint8Array } | undefined {
  if (!LIST_ID_RE.test(listIdValue)) return undefined;
  const record = get(listStateKey(listIdValue)) as unknown as StatusListRecord | null | undefined;
  if (!record) return undefined;
  const bitstring = new Uint8Array(record.size / 8);
  const chunks = Math.ceil(record.size / CHUNK_BITS);
  for (let c = 0; c < chunks; c++) {
    const hex = get(chunkStateKey(listIdValue, c));
    if (typeof hex === 'string') bitstring.set(fromHex(hex).subarray(0, chunkLength(record.size, c)), c * CHUNK_BYTES);
  }
  return { record, bitstring };
}

export { buildStatusListCredential, encodeBitstring, type StatusListCredentialInput } from './credential.ts';
