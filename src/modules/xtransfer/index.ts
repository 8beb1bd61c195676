import { asJson, type JsonValue, type StateKey } from '../../codec/index.ts';
import { accountSchema as did, amountSchema as amount, chainIdSchema, z } from '../../codec/schemas.ts';
import { exported, lockExports, lockIdSchema, method, ModuleError, refuseFrozen, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { ackCallbackArgs, timeoutCallbackArgs, type Packet } from '../xchain/types.ts';
import { FROM_XCHAIN, sendPacket } from '../xchain/index.ts';
import { XTRANSFER, xferKey as k } from './keys.ts';
import { HOLD_EXPORTS, denomSchema as denom, nativeDenomSchema, transferPayloadSchema, type HoldBody, type TransferPayload } from './types.ts';

export * from './types.ts';
export { XTRANSFER, xferKey, xferStateKey } from './keys.ts';

/**
 * xtransfer — fungible tokens across chains (after ICS-20). Amounts are integers in minor
 * units, kept as decimal strings (bigint arithmetic, never floats).
 *
 * A token issued on chain A is `CNY`; on chain B it arrives as the voucher `A/CNY`. Sending a
 * native token escrows it (escrow/<dst>/<denom>); the destination mints the voucher. Sending a
 * voucher home burns it; its origin releases the escrow. An error acknowledgement or a timeout
 * refunds the sender: re-mint what was burnt, release what was escrowed. So supply on all
 * chains together never grows: a voucher exists only against an escrow at its origin.
 */

const get = (ctx: ModuleContext, key: StateKey<string>): bigint => BigInt(ctx.read(key) ?? '0');
const put = (ctx: ModuleContext, key: StateKey<string>, v: bigint): void => {
  if (v === 0n) ctx.delete(key);
  else ctx.write(key, v.toString());
};
function debit(ctx: ModuleContext, key: StateKey<string>, n: bigint, what: string): void {
  const have = get(ctx, key);
  if (have < n) throw new ModuleError('XTRANSFER_INSUFFICIENT', `${what} holds ${have}, less than ${n}`);
  put(ctx, key, have - n);
}
const credit = (ctx: ModuleContext, key: StateKey<string>, n: bigint): void => put(ctx, key, get(ctx, key) + n);

/** Refuses a move of a frozen token, or to or from a frozen holder (docs/supervision.md#freezes); refunds are never refused. */
function movable(ctx: ModuleContext, d: string, ...holders: string[]): void {
  refuseFrozen(ctx, { type: 'token', denom: d });
  for (const h of holders) refuseFrozen(ctx, { type: 'account', did: h, currency: d });
}

const onRecvArgs = z.object({ srcChain: chainIdSchema, dstChain: chainIdSchema, payload: transferPayloadSchema }).loose();
const returning = (d: string, chain: string): boolean => d.startsWith(chain + '/');

/** Puts the sender's tokens back after an error acknowledgement or a timeout. */
function refund(ctx: ModuleContext, packet: Packet): void {
  // The payload this chain sent (send below), as stored by xchain.
  const p = packet.payload as TransferPayload & JsonValue;
  const n = BigInt(p.amount);
  if (returning(p.denom, packet.dstChain)) {
    credit(ctx, k.balance(p.sender, p.denom), n);
    credit(ctx, k.supply(p.denom), n);
  } else {
    debit(ctx, k.escrow(packet.dstChain, p.denom), n, `escrow for ${packet.dstChain}`);
    credit(ctx, k.balance(p.sender, p.denom), n);
  }
  ctx.emit('TransferRefunded', { dstChain: packet.dstChain, sequence: packet.sequence, denom: p.denom, amount: p.amount, to: p.sender });
}

export const xtransferModule: ModuleDef = {
  name: XTRANSFER,
  // Tokens cross only between xtransfer ports (ICS-20's transfer ↔ transfer).
  port: { counterparts: [XTRANSFER] },
  description: 'Fungible tokens in integer minor units, moved between chains by escrow and voucher (ICS-20 style), refunded on error or timeout.',
  methods: {
    issue: method({
      doc: 'Create a token on this chain; the signer becomes its issuer, the only one who may mint it.',
      args: z.strictObject({ denom: nativeDenomSchema }),
      gas: 2_000,
      run(ctx, a) {
        if (ctx.has(k.issuer(a.denom))) throw new ModuleError('XTRANSFER_EXISTS', `token ${a.denom} already exists on ${ctx.chain}`);
        ctx.write(k.issuer(a.denom), ctx.sender);
        ctx.emit('TokenIssued', { denom: a.denom, issuer: ctx.sender });
      },
    }),
    mint: method({
      doc: 'Mint a token of which the signer is the issuer.',
      args: z.strictObject({ denom, to: did, amount }),
      gas: 2_000,
      run(ctx, a) {
        if (ctx.read(k.issuer(a.denom)) !== ctx.sender) throw new ModuleError('XTRANSFER_NOT_ISSUER', `${ctx.sender} is not the issuer of ${a.denom} on ${ctx.chain}`);
        movable(ctx, a.denom, a.to);
        credit(ctx, k.balance(a.to, a.denom), BigInt(a.amount));
        credit(ctx, k.supply(a.denom), BigInt(a.amount));
        ctx.emit('Minted', { denom: a.denom, to: a.to, amount: a.amount });
      },
    }),
    transfer: method({
      doc: 'Pay tokens to another DID on this chain.',
      args: z.strictObject({ denom, to: did, amount }),
      gas: 2_000,
      run(ctx, a) {
        movable(ctx, a.denom, ctx.sender, a.to);
        debit(ctx, k.balance(ctx.sender, a.denom), BigInt(a.amount), `${ctx.sender}'s ${a.denom} balance`);
        credit(ctx, k.balance(a.to, a.denom), BigInt(a.amount));
        ctx.emit('Transferred', { denom: a.denom, from: ctx.sender, to: a.to, amount: a.amount });
      },
    }),
    send: method({
      doc: 'Send tokens to a DID on another chain: escrowed here (or burnt, for a voucher going home) until acknowledged.',
      args: z.strictObject({ dstChain: chainIdSchema, denom, amount, receiver: did, timeoutTime: z.number().int().min(1).optional(), timeoutHeight: z.number().int().min(1).optional() }),
      gas: 3_000,
      run(ctx, a): JsonValue {
        const n = BigInt(a.amount);
        movable(ctx, a.denom, ctx.sender);
        debit(ctx, k.balance(ctx.sender, a.denom), n, `${ctx.sender}'s ${a.denom} balance`);
        if (returning(a.denom, a.dstChain)) debit(ctx, k.supply(a.denom), n, `supply of ${a.denom}`);
        else credit(ctx, k.escrow(a.dstChain, a.denom), n);
        const payload: TransferPayload = { denom: a.denom, amount: a.amount, sender: ctx.sender, receiver: a.receiver };
        return asJson(sendPacket(ctx, { dstChain: a.dstChain, dstPort: XTRANSFER, payload: asJson(payload), timeoutTime: a.timeoutTime, timeoutHeight: a.timeoutHeight }));
      },
    }),
  },
  exports: {
    onRecvPacket: exported({
      doc: 'Credit a transfer from another chain: release escrow for a token coming home, else mint its voucher.',
      gas: 2_000,
      callers: FROM_XCHAIN,
      args: onRecvArgs,
      argsError: 'XTRANSFER_BAD_PACKET',
      run(ctx, { srcChain, payload: p }): JsonValue {
        const n = BigInt(p.amount);
        let credited: string;
        if (returning(p.denom, ctx.chain)) {
          credited = p.denom.slice(ctx.chain.length + 1);
          debit(ctx, k.escrow(srcChain, credited), n, `escrow for ${srcChain}`);
        } else {
          credited = `${srcChain}/${p.denom}`;
          credit(ctx, k.supply(credited), n);
        }
        // Refused (an error ack: the sender is refunded) for a frozen token or receiver.
        movable(ctx, credited, p.receiver);
        credit(ctx, k.balance(p.receiver, credited), n);
        ctx.emit('TransferReceived', { srcChain, denom: credited, amount: p.amount, to: p.receiver });
        return { denom: credited, amount: p.amount };
      },
    }),
    onAcknowledgementPacket: exported({
      doc: 'Refund on an error acknowledgement; nothing to do on success.',
      gas: 2_000,
      callers: FROM_XCHAIN,
      args: ackCallbackArgs,
      run(ctx, { packet, ack }) {
        if (!ack.ok) refund(ctx, packet);
      },
    }),
    onTimeoutPacket: exported({
      doc: 'Refund a transfer that timed out.',
      gas: 2_000,
      callers: FROM_XCHAIN,
      args: timeoutCallbackArgs,
      run(ctx, { packet }) {
        refund(ctx, packet);
      },
    }),
    // Holds for atomic transactions (xlock): holdLock, holdCommit, holdRelease.
    ...lockExports({
      names: HOLD_EXPORTS,
      caller: 'xlock',
      noun: 'hold',
      placed: 'held',
      codes: { exists: 'XTRANSFER_HOLD_EXISTS', missing: 'XTRANSFER_NO_HOLD', settled: 'XTRANSFER_HOLD_SETTLED' },
      key: k.hold,
      args: z.strictObject({ hold: lockIdSchema, from: did, to: did, denom, amount }),
      take(ctx, hold, a): HoldBody {
        movable(ctx, a.denom, a.from, a.to);
        debit(ctx, k.balance(a.from, a.denom), BigInt(a.amount), `${a.from}'s ${a.denom} balance`);
        ctx.emit('Held', { hold, denom: a.denom, from: a.from, to: a.to, amount: a.amount });
        return { from: a.from, to: a.to, denom: a.denom, amount: a.amount };
      },
      give(ctx, hold, h) {
        credit(ctx, k.balance(h.to, h.denom), BigInt(h.amount));
        ctx.emit('Transferred', { denom: h.denom, from: h.from, to: h.to, amount: h.amount, hold });
      },
      restore(ctx, hold, h) {
        credit(ctx, k.balance(h.from, h.denom), BigInt(h.amount));
        ctx.emit('HoldReleased', { hold, denom: h.denom, to: h.from, amount: h.amount });
      },
    }),
  },
};
