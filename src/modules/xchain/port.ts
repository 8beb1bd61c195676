import { asJson } from '../../codec/index.ts';
import { ModuleError, type ModuleContext, type ModuleDef, type PortDef } from '../../runtime/index.ts';
import type { XchainModuleErrorCode } from './errors.ts';
import { XCHAIN } from './keys.ts';
import type { SendArgs, Sent } from './types.ts';

/**
 * Who may call a port's packet callbacks (onRecvPacket, onAcknowledgementPacket,
 * onTimeoutPacket): only the xchain module, after verifying the proof (ExportDef.callers).
 */
export const FROM_XCHAIN: readonly string[] = [XCHAIN];

/**
 * Sends a packet from the calling module's port (`ctx.call('xchain', 'send', …)`): options left
 * undefined are left out. Returns the packet's sequence and id.
 */
export function sendPacket(ctx: ModuleContext, a: SendArgs): Sent {
  const args: SendArgs = { dstChain: a.dstChain, dstPort: a.dstPort, payload: a.payload };
  if (a.timeoutHeight !== undefined) args.timeoutHeight = a.timeoutHeight;
  if (a.timeoutTime !== undefined) args.timeoutTime = a.timeoutTime;
  const sent = ctx.call(XCHAIN, 'send', asJson(args));
  if (!sent || typeof sent !== 'object' || Array.isArray(sent) || typeof sent.sequence !== 'number' || typeof sent.packetId !== 'string') {
    throw new ModuleError('MODULE_FAULT', `xchain.send answered ${JSON.stringify(sent)}, not a sequence and packet id`);
  }
  return { sequence: sent.sequence, packetId: sent.packetId };
}

/** The port declaration of a module on this chain, or undefined for a module that is no port. */
export type PortLookup = (module: string) => PortDef | undefined;

/**
 * Port declarations read from a chain's module list when a packet is sent or delivered (the
 * list may still grow while the chain's modules are assembled). Static code, like the modules:
 * every node of a chain runs the same build, so the lookup is deterministic.
 */
export const portsOf = (modules: readonly ModuleDef[]): PortLookup => (name) => modules.find((m) => m.name === name)?.port;

export const listPorts = (ports: readonly string[]): string => ports.length === 1 ? `port ${ports[0]}` : `ports ${ports.join(', ')}`;

/**
 * Why a packet from `srcPort` may not be sent to `dstPort` by this chain's `srcPort`, or
 * undefined if the binding allows it. Checked by xchain.send, before the packet is written.
 */
export function sendRefusal(ports: PortLookup, srcPort: string, dstPort: string, chain: string): ModuleError | undefined {
  const own = ports(srcPort);
  if (!own) return new ModuleError('XCHAIN_NOT_A_PORT', `module ${srcPort} on ${chain} declares no port (ModuleDef.port), so it cannot send cross-chain packets`);
  if (own.counterparts.includes(dstPort)) return undefined;
  if (srcPort === 'xchain') {
    const theirs = ports(dstPort)?.counterparts;
    return new ModuleError('XCHAIN_PORT_MISMATCH', `a transaction sends from port xchain, which is bound to port xchain on the other chain (plain messages), not to port ${dstPort}`
      + (theirs ? `: only ${listPorts(theirs)} sends to port ${dstPort}. Use that module's own method (tokens: shulian xchain transfer / xtransfer.send; documents: xdoc.send; calls: xcall.call)` : '; send plain messages to port xchain'));
  }
  return new ModuleError('XCHAIN_PORT_MISMATCH', `port ${srcPort} on ${chain} is bound to ${listPorts(own.counterparts)} on other chains, not to port ${dstPort}`);
}

/**
 * The error acknowledgement for a packet the destination port's binding refuses, or undefined
 * if `p.dstPort` is a port bound to `p.srcPort`. Checked by xchain.deliver before any handler runs.
 */
export function recvRefusal(ports: PortLookup, p: { srcChain: string; srcPort: string; dstPort: string }, chain: string): { code: XchainModuleErrorCode; message: string } | undefined {
  const own = ports(p.dstPort);
  if (!own) return { code: 'XCHAIN_NO_HANDLER', message: `port ${p.dstPort} on ${chain} is not a port (the module declares no counterparts, or does not exist); it takes no packets` };
  if (own.counterparts.includes(p.srcPort)) return undefined;
  return {
    code: 'XCHAIN_PORT_MISMATCH',
    message: `port ${p.dstPort} on ${chain} takes packets only from ${listPorts(own.counterparts)} on the other chain; this packet comes from port ${p.srcPort} on ${p.srcChain}`,
  };
}
