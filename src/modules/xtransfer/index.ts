import { z } from 'zod';
import type { JsonValue } from '../../codec/index.ts';
import { method, ModuleError, refuseFrozen, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { chainIdSchema, type Ack, type Packet } from '../xchain/types.ts';
import { requireXchainCaller } from '../xchain/index.ts';

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
export const XTRANSFER = 'xtransfer';

const amount = z.string().regex(/^[1-9][0-9]{0,37}$/, 'a positive integer amount in minor units, as a decimal string');
const denom = z.string().regex(/^(?:[a-z][a-z0-9-]{0,31}\/)*[A-Z][A-Z0-9-]{1,15}$/, 'a token name such as CNY-T, or a voucher path such as trade/CNY-T');
const did = z.string().min(1).max(128);

export const balanceKey = (who: string, d: string): string => `bal/${who}/${d}`;
const escrowKey = (chain: string, d: string): string => `escrow/${chain}/${d}`;
const supplyKey = (d: string): string => `supply/${d}`;

const get = (ctx: ModuleContext, key: string): bigint => BigInt((ctx.get(key) as string | undefined) ?? '0');
const put = (ctx: ModuleContext, key: string, v: bigint): void => {
  if (v === 0n) ctx.delete(key);
  else ctx.set(key, v.toString());
};
function debit(ctx: ModuleContext, key: string, n: bigint, what: string): void {
  const have = get(ctx, key);
  if (have < n) throw new ModuleError('XTRANSFER_INSUFFICIENT', `${what} holds ${have}, less than ${n}`);
  put(ctx, key, have - n);
}
const credit = (ctx: ModuleContext, key: string, n: bigint): void => put(ctx, key, get(ctx, key) + n);

/** Refuses a move of a frozen token, or to or from a frozen holder (docs/supervision.md#freezes); refunds are never refused. */
function movable(ctx: ModuleContext, d: string, ...holders: string[]): void {
  refuseFrozen(ctx, { type: 'token', denom: d });
  for (const h of holders) refuseFrozen(ctx, { type: 'account', did: h, currency: d });
}

interface TransferPayload {
  denom: string;
  amount: string;
  sender: string;
  receiver: string;
}
const payloadSchema = z.strictObject({ denom, amount, sender: did, receiver: did });
const onRecvArgs = z.object({ srcChain: chainIdSchema, dstChain: chainIdSchema, payload: payloadSchema }).loose();
const returning = (d: string, chain: string): boolean => d.startsWith(chain + '/');

/** Puts the sender's tokens back after an error acknowledgement or a timeout. */
function refund(ctx: ModuleContext, packet: Packet): void {
  const p = packet.payload as unknown as TransferPayload;
  const n = BigInt(p.amount);
  if (returning(p.denom, packet.dstChain)) {
    credit(ctx, balanceKey(p.sender, p.denom), n);
    credit(ctx, supplyKey(p.denom), n);
  } else {
    debit(ctx, escrowKey(packet.dstChain, p.denom), n, `escrow for ${packet.dstChain}`);
    credit(ctx, balanceKey(p.sender, p.denom), n);
  }
  ctx.emit('TransferRefunded', { dstChain: packet.dstChain, sequence: packet.sequence, denom: p.denom, amount: p.amount, to: p.sender });
}

/**
 * A hold for an atomic cross-chain transaction (see the `xlock` module): `amount` of `denom`
 * debited from `from` at prepare, credited to `to` at commit or back to `from` at rollback.
 * Held tokens belong to no balance meanwhile; the supply does not change.
 */
export interface HoldRecord {
  from: string;
  to: string;
  denom: string;
  amount: string;
  state: 'held' | 'committed' | 'released';
  height: number;
}
export const holdKey = (hold: string): string => `hold/${hold}`;
const holdId = z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/, 'a hold id');
const holdLockArgs = z.strictObject({ hold: holdId, from: did, to: did, denom, amount });
const holdArgs = z.strictObject({ hold: holdId });

function xlockOnly(ctx: ModuleContext): void {
  if (ctx.caller !== 'xlock') throw new ModuleError('FORBIDDEN', 'only the xlock module places, commits or releases holds');
}
function loadHold(ctx: ModuleContext, args: JsonValue): [string, HoldRecord] {
  const a = holdArgs.safeParse(args);
  if (!a.success) throw new ModuleError('BAD_ARGS', `hold: ${a.error.issues[0]!.message}`);
  const h = ctx.get(holdKey(a.data.hold)) as unknown as HoldRecord | undefined;
  if (!h) throw new ModuleError('XTRANSFER_NO_HOLD', `no hold ${a.data.hold} on ${ctx.chain}`);
  return [a.data.hold, h];
}

export const xtransferModule: ModuleDef = {
  name: XTRANSFER,
  // Tokens cross only between xtransfer ports (ICS-20's transfer ↔ transfer).
  port: { counterparts: [XTRANSFER] },
  description: 'Fungible tokens in integer minor units, moved between chains by escrow and voucher (ICS-20 style), refunded on error or timeout.',
  methods: {
    issue: method({
      doc: 'Create a token on this chain; the signer becomes its issuer, the only one who may mint it.',
      args: z.strictObject({ denom: z.string().regex(/^[A-Z][A-Z0-9-]{1,15}$/, 'a token name such as CNY-T: capitals, digits and dashes') }),
      gas: 2_000,
      run(ctx, a) {
        if (ctx.has(`issuer/${a.denom}`)) throw new ModuleError('XTRANSFER_EXISTS', `token ${a.denom} already exists on ${ctx.chain}`);
        ctx.set(`issuer/${a.denom}`, ctx.sender);
        ctx.emit('TokenIssued', { denom: a.denom, issuer: ctx.sender });
      },
    }),
    mint: method({
      doc: 'Mint a token of which the signer is the issuer.',
      args: z.strictObject({ denom, to: did, amount }),
      gas: 2_000,
      run(ctx, a) {
        if (ctx.get(`issuer/${a.denom}`) !== ctx.sender) throw new ModuleError('XTRANSFER_NOT_ISSUER', `${ctx.sender} is not the issuer of ${a.denom} on ${ctx.chain}`);
        movable(ctx, a.denom, a.to);
        credit(ctx, balanceKey(a.to, a.denom), BigInt(a.amount));
        credit(ctx, supplyKey(a.denom), BigInt(a.amount));
        ctx.emit('Minted', { denom: a.denom, to: a.to, amount: a.amount });
      },
    }),
    transfer: method({
      doc: 'Pay tokens to another DID on this chain.',
      args: z.strictObject({ denom, to: did, amount }),
      gas: 2_000,
      run(ctx, a) {
        movable(ctx, a.denom, ctx.sender, a.to);
        debit(ctx, balanceKey(ctx.sender, a.denom), BigInt(a.amount), `${ctx.sender}'s ${a.denom} balance`);
        credit(ctx, balanceKey(a.to, a.denom), BigInt(a.amount));
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
        debit(ctx, balanceKey(ctx.sender, a.denom), n, `${ctx.sender}'s ${a.denom} balance`);
        if (returning(a.denom, a.dstChain)) debit(ctx, supplyKey(a.denom), n, `supply of ${a.denom}`);
        else credit(ctx, escrowKey(a.dstChain, a.denom), n);
        const payload: TransferPayload = { denom: a.denom, amount: a.amount, sender: ctx.sender, receiver: a.receiver };
        const args: { [k: string]: JsonValue } = { dstChain: a.dstChain, dstPort: XTRANSFER, payload: payload as unknown as JsonValue };
        if (a.timeoutTime !== undefined) args.timeoutTime = a.timeoutTime;
        if (a.timeoutHeight !== undefined) args.timeoutHeight = a.timeoutHeight;
        return ctx.call('xchain', 'send', args) ?? null;
      },
    }),
  },
  exports: {
    onRecvPacket: {
      doc: 'Credit a transfer from another chain: release escrow for a token coming home, else mint its voucher.',
      gas: 2_000,
      run(ctx, args): JsonValue {
        requireXchainCaller(ctx);
        const parsed = onRecvArgs.safeParse(args);
        if (!parsed.success) throw new ModuleError('XTRANSFER_BAD_PACKET', `transfer payload: ${parsed.error.issues[0]!.message}`);
        const { srcChain, payload: p } = parsed.data;
        const n = BigInt(p.amount);
        let credited: string;
        if (returning(p.denom, ctx.chain)) {
          credited = p.denom.slice(ctx.chain.length + 1);
          debit(ctx, escrowKey(srcChain, credited), n, `escrow for ${srcChain}`);
        } else {
          credited = `${srcChain}/${p.denom}`;
          credit(ctx, supplyKey(credited), n);
        }
        // Refused (an error ack: the sender is refunded) for a frozen token or receiver.
        movable(ctx, credited, p.receiver);
        credit(ctx, balanceKey(p.receiver, credited), n);
        ctx.emit('TransferReceived', { srcChain, denom: credited, amount: p.amount, to: p.receiver });
        return { denom: credited, amount: p.amount };
      },
    },
    onAcknowledgementPacket: {
      doc: 'Refund on an error acknowledgement; nothing to do on success.',
      gas: 2_000,
      run(ctx, args) {
        requireXchainCaller(ctx);
        const { packet, ack } = args as unknown as { packet: Packet; ack: Ack };
        if (!ack.ok) refund(ctx, packet);
      },
    },
    onTimeoutPacket: {
      doc: 'Refund a transfer that timed out.',
      gas: 2_000,
      run(ctx, args) {
        requireXchainCaller(ctx);
        refund(ctx, (args as unknown as { packet: Packet }).packet);
      },
    },
    holdLock: {
      doc: 'Debit an amount into a hold for an atomic transaction (xlock only).',
      gas: 2_000,
      run(ctx, args): JsonValue {
        xlockOnly(ctx);
        const p = holdLockArgs.safeParse(args);
        if (!p.success) throw new ModuleError('BAD_ARGS', `holdLock: ${p.error.issues[0]!.message}`);
        const a = p.data;
        if (ctx.has(holdKey(a.hold))) throw new ModuleError('XTRANSFER_HOLD_EXISTS', `hold ${a.hold} already exists on ${ctx.chain}`);
        movable(ctx, a.denom, a.from, a.to);
        debit(ctx, balanceKey(a.from, a.denom), BigInt(a.amount), `${a.from}'s ${a.denom} balance`);
        const h: HoldRecord = { from: a.from, to: a.to, denom: a.denom, amount: a.amount, state: 'held', height: ctx.height };
        ctx.set(holdKey(a.hold), h as unknown as JsonValue);
        ctx.emit('Held', { hold: a.hold, denom: a.denom, from: a.from, to: a.to, amount: a.amount });
        return { hold: a.hold };
      },
    },
    holdCommit: {
      doc: 'Credit a hold to its receiver (xlock only); committing twice changes nothing.',
      gas: 2_000,
      run(ctx, args): JsonValue {
        xlockOnly(ctx);
        const [id, h] = loadHold(ctx, args);
        if (h.state === 'committed') return { hold: id, state: h.state };
        if (h.state !== 'held') throw new ModuleError('XTRANSFER_HOLD_SETTLED', `hold ${id} was already released; it cannot be committed`);
        credit(ctx, balanceKey(h.to, h.denom), BigInt(h.amount));
        ctx.set(holdKey(id), { ...h, state: 'committed', height: ctx.height } as unknown as JsonValue);
        ctx.emit('Transferred', { denom: h.denom, from: h.from, to: h.to, amount: h.amount, hold: id });
        return { hold: id, state: 'committed' };
      },
    },
    holdRelease: {
      doc: 'Return a hold to its payer (xlock only); releasing twice changes nothing.',
      gas: 2_000,
      run(ctx, args): JsonValue {
        xlockOnly(ctx);
        const [id, h] = loadHold(ctx, args);
        if (h.state === 'released') return { hold: id, state: h.state };
        if (h.state !== 'held') throw new ModuleError('XTRANSFER_HOLD_SETTLED', `hold ${id} was already committed; it cannot be released`);
        credit(ctx, balanceKey(h.from, h.denom), BigInt(h.amount));
        ctx.set(holdKey(id), { ...h, state: 'released', height: ctx.height } as unknown as JsonValue);
        ctx.emit('HoldReleased', { hold: id, denom: h.denom, to: h.from, amount: h.amount });
        return { hold: id, state: 'released' };
      },
    },
  },
};
