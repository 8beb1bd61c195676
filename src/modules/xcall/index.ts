import { asJson, type JsonValue } from '../../codec/index.ts';
import { chainIdSchema, jsonSchema, z } from '../../codec/schemas.ts';
import { exported, method, type ModuleDef } from '../../runtime/index.ts';
import { ackCallbackArgs, timeoutCallbackArgs } from '../xchain/types.ts';
import { FROM_XCHAIN, sendPacket } from '../xchain/index.ts';
import { XCALL, xcallKey as k } from './keys.ts';

export * from './types.ts';
export { XCALL, xcallKey, xcallStateKey } from './keys.ts';

/**
 * xcall — a call to a module on another chain with its result returned. The destination runs
 * the target module's `xquery` export (read-only by convention; the module decides what it
 * answers); the answer travels back in the acknowledgement and is kept here under
 * result/<dst>/<sequence> for the caller to read.
 */
const callArgs = z.strictObject({
  dstChain: chainIdSchema, module: chainIdSchema, query: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,31}$/), args: jsonSchema,
  timeoutTime: z.number().int().min(1).optional(),
});
const recvArgs = z.object({ payload: z.strictObject({ module: chainIdSchema, query: z.string().max(32), args: jsonSchema }) }).loose();

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
        const sent = sendPacket(ctx, { dstChain: a.dstChain, dstPort: XCALL, payload: { module: a.module, query: a.query, args: a.args }, timeoutTime: a.timeoutTime });
        ctx.write(k.result(a.dstChain, sent.sequence), { status: 'pending', caller: ctx.sender });
        return asJson(sent);
      },
    }),
  },
  exports: {
    onRecvPacket: exported({
      doc: 'Run the target module\'s xquery export and return its answer.',
      gas: 1_000,
      callers: FROM_XCHAIN,
      args: recvArgs,
      argsError: 'XCALL_BAD_PACKET',
      run(ctx, { payload: { module, query, args } }): JsonValue {
        return ctx.call(module, 'xquery', { query, args }) ?? null;
      },
    }),
    onAcknowledgementPacket: exported({
      doc: 'Keep the answer (or the error) for the caller.',
      gas: 1_000,
      callers: FROM_XCHAIN,
      args: ackCallbackArgs,
      run(ctx, { packet, ack }) {
        const key = k.result(packet.dstChain, packet.sequence);
        const prior = ctx.read(key);
        ctx.write(key, ack.ok ? { ...prior, status: 'answered', result: ack.result } : { ...prior, status: 'failed', error: `${ack.code}: ${ack.message}` });
      },
    }),
    onTimeoutPacket: exported({
      doc: 'Record that the call timed out.',
      gas: 1_000,
      callers: FROM_XCHAIN,
      args: timeoutCallbackArgs,
      run(ctx, { packet }) {
        const key = k.result(packet.dstChain, packet.sequence);
        ctx.write(key, { ...ctx.read(key), status: 'timed-out' });
      },
    }),
  },
};
