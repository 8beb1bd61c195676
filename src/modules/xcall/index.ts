import { z } from 'zod';
import type { JsonValue } from '../../codec/index.ts';
import { method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { chainIdSchema, jsonSchema, type Ack, type Packet } from '../xchain/types.ts';
import { requireXchainCaller } from '../xchain/index.ts';

/**
 * xcall — a call to a module on another chain with its result returned. The destination runs
 * the target module's `xquery` export (read-only by convention; the module decides what it
 * answers); the answer travels back in the acknowledgement and is kept here under
 * result/<dst>/<sequence> for the caller to read.
 */
export const XCALL = 'xcall';

const callArgs = z.strictObject({
  dstChain: chainIdSchema, module: chainIdSchema, query: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,31}$/), args: jsonSchema,
  timeoutTime: z.number().int().min(1).optional(),
});
const recvArgs = z.object({ payload: z.strictObject({ module: chainIdSchema, query: z.string().max(32), args: jsonSchema }) }).loose();
const resultKey = (dst: string, seq: number): string => `result/${dst}/${seq}`;

export const xcallModule: ModuleDef = {
  name: XCALL,
  // Calls and their answers travel only between xcall ports.
  port: { counterparts: [XCALL] },
  description: 'Calls to modules on other chains (their xquery export), with the result returned and kept here.',
  methods: {
    call: method({
      doc: 'Ask a module on another chain a question; the answer is stored here when acknowledged.',
      args: callArgs,
      gas: 3_000,
      run(ctx, a): JsonValue {
        const args: { [k: string]: JsonValue } = { dstChain: a.dstChain, dstPort: XCALL, payload: { module: a.module, query: a.query, args: a.args } };
        if (a.timeoutTime !== undefined) args.timeoutTime = a.timeoutTime;
        const sent = ctx.call('xchain', 'send', args) as { sequence: number };
        ctx.set(resultKey(a.dstChain, sent.sequence), { status: 'pending', caller: ctx.sender });
        return sent as unknown as JsonValue;
      },
    }),
  },
  exports: {
    onRecvPacket: {
      doc: 'Run the target module\'s xquery export and return its answer.',
      gas: 1_000,
      run(ctx, args): JsonValue {
        requireXchainCaller(ctx);
        const parsed = recvArgs.safeParse(args);
        if (!parsed.success) throw new ModuleError('XCALL_BAD_PACKET', `call payload: ${parsed.error.issues[0]!.message}`);
        const { module, query, args: qargs } = parsed.data.payload;
        return ctx.call(module, 'xquery', { query, args: qargs }) ?? null;
      },
    },
    onAcknowledgementPacket: {
      doc: 'Keep the answer (or the error) for the caller.',
      gas: 1_000,
      run(ctx, args) {
        requireXchainCaller(ctx);
        const { packet, ack } = args as unknown as { packet: Packet; ack: Ack };
        const prior = (ctx.get(resultKey(packet.dstChain, packet.sequence)) ?? {}) as { [k: string]: JsonValue };
        ctx.set(resultKey(packet.dstChain, packet.sequence), ack.ok ? { ...prior, status: 'answered', result: ack.result } : { ...prior, status: 'failed', error: `${ack.code}: ${ack.message}` });
      },
    },
    onTimeoutPacket: {
      doc: 'Record that the call timed out.',
      gas: 1_000,
      run(ctx, args) {
        requireXchainCaller(ctx);
        const { packet } = args as unknown as { packet: Packet };
        const prior = (ctx.get(resultKey(packet.dstChain, packet.sequence)) ?? {}) as { [k: string]: JsonValue };
        ctx.set(resultKey(packet.dstChain, packet.sequence), { ...prior, status: 'timed-out' });
      },
    },
  },
};
