import { ModuleError, type ModuleContext } from '../../runtime/index.ts';

/**
 * A port's packet callbacks (onRecvPacket, onAcknowledgementPacket, onTimeoutPacket) are
 * exports any module could call; only the xchain module, after verifying the proof, may.
 */
export function requireXchainCaller(ctx: ModuleContext, what = 'packet callbacks'): void {
  if (ctx.caller !== 'xchain') {
    throw new ModuleError('FORBIDDEN', `${what} are delivered by the xchain module only${ctx.caller ? `, not ${ctx.caller}` : ', never by a transaction'}`);
  }
}
