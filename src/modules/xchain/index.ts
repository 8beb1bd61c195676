import { canonicalize, fromHex, isHex, ShulianError, toHex, asJson, stateValue, type JsonValue } from '../../codec/index.ts';
import { accountSchema, chainIdSchema, hexSchema, jsonObjectSchema, jsonSchema, z } from '../../codec/schemas.ts';
import { channelCredentialProblem } from './credential.ts';
import { verify } from '../../crypto/index.ts';
import type { CrossChainGenesis, Genesis } from '../../ledger/index.ts';
import { exported, frozenError, method, ModuleError, type Frozen, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { ROUTE_STATE_KEY, XCHAIN, xchainKey as k, outStateKey, recvStateKey } from './keys.ts';
import { SIG_GAS, verifyHeaderProof, verifyKeyProof } from './lightclient.ts';
import { recvRefusal, sendRefusal, type PortLookup } from './port.ts';
import {
  attestationMessage, attestedAckMessage, attestedTimeoutMessage, headerProofSchema, isAck, keyProofSchema, packetSchema,
  type Ack, type AttestedAck, type AttestRecord, type ClientState, type HeaderProof, type Packet,
  type RouteRecord, type SendStatus, type Sent, type XchainLogEntry,
} from './types.ts';

export * from './types.ts';
export { XCHAIN, xchainKey, xchainStateKey, outStateKey, recvStateKey, ROUTE_REGISTRY, ROUTE_STATE_KEY } from './keys.ts';
export { verifyHeaderProof, verifyKeyProof } from './lightclient.ts';

/**
 * xchain — cross-chain messages with proofs (after IBC ICS-2/3/4; the relayer is untrusted,
 * ICS-18). Every chain of the alliance that sends or receives runs it.
 *
 *   syncRoutes   registrations proven from the routing chain (the only way routes change here)
 *   send         a packet to a port on another registered chain: out/<dst>/<seq>
 *   recv         packets proven from the source: header final under the source's light
 *                client + a state proof of each out/ key; executed once (recv/<src>/<seq>)
 *   recvAttested packets of an engine without proofs: k of its n registered gateways sign them
 *   acknowledge  the destination's recv/ record proven back; the sending port learns the ack
 *   timeout      the destination's recv/ key proven absent at a height or time past the timeout
 *   acknowledgeAttested / timeoutAttested   the same for an attested engine: k of its n gateways sign
 *   attest       one gateway's signature at a time (recv, ack or timeout of an attested engine),
 *                kept under att/<message>; the action runs once, when the k-th distinct one arrives
 *
 * Module ports: `ctx.call('xchain', 'send', …)` from a module makes that module the source
 * port; the destination calls the port's export `onRecvPacket` (its return value is the
 * acknowledgement, a ModuleError an error ack whose writes are discarded); the source calls
 * `onAcknowledgementPacket` or `onTimeoutPacket` of the port that sent the packet (as stored
 * under out/, never as relayed). Each port is bound to its counterpart ports (ModuleDef.port,
 * like IBC's channel ends): send refuses any other destination port, and deliver answers a
 * packet from any other source port with an XCHAIN_PORT_MISMATCH error ack before a handler
 * runs. The transaction method `send` sends from port xchain, bound to port xchain only.
 */

/** Port xchain (plain messages from a DID) is bound to port xchain on the other side only. */
export const XCHAIN_PORT = { counterparts: [XCHAIN] } as const;
/** Packets a relay tx may carry; keeps a batch inside one tx's gas. */
export const MAX_BATCH = 200;
/** Default timeout when the sender gives none: ten minutes of destination block time. */
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;

const sendArgs = z.strictObject({
  dstChain: chainIdSchema,
  dstPort: chainIdSchema,
  payload: jsonSchema,
  timeoutHeight: z.number().int().min(1).optional(),
  timeoutTime: z.number().int().min(1).optional(),
  /** The sender's credential, for a destination whose channel policy names a credential type (at most 8 KiB). */
  credential: jsonObjectSchema.refine((c) => canonicalize(c).length <= 8192, 'a credential of at most 8 KiB').optional(),
});
const syncArgs = z.strictObject({
  proof: headerProofSchema,
  routes: z.array(z.strictObject({ chain: chainIdSchema, value: jsonSchema.nullable(), proof: keyProofSchema })).min(1).max(64),
});
const recvArgs = z.strictObject({
  proof: headerProofSchema,
  packets: z.array(z.strictObject({ packet: packetSchema, proof: keyProofSchema })).min(1).max(MAX_BATCH),
});
const attestedArgs = z.strictObject({
  packets: z.array(packetSchema).min(1).max(MAX_BATCH),
  attestations: z.array(z.strictObject({ gateway: accountSchema, sig: hexSchema })).min(1).max(64),
});
const ackArgs = z.strictObject({
  proof: headerProofSchema,
  acks: z.array(z.strictObject({ sequence: z.number().int().min(1), value: jsonSchema, proof: keyProofSchema })).min(1).max(MAX_BATCH),
});
const timeoutArgs = z.strictObject({
  proof: headerProofSchema,
  items: z.array(z.strictObject({ sequence: z.number().int().min(1), proof: keyProofSchema })).min(1).max(MAX_BATCH),
});

const attestationsSchema = z.array(z.strictObject({ gateway: accountSchema, sig: hexSchema })).min(1).max(64);
const attestedAckItem = z.strictObject({ sequence: z.number().int().min(1), ack: jsonSchema });
const ackAttestedArgs = z.strictObject({ chain: chainIdSchema, acks: z.array(attestedAckItem).min(1).max(MAX_BATCH), attestations: attestationsSchema });
const timeoutAttestedArgs = z.strictObject({ chain: chainIdSchema, sequences: z.array(z.number().int().min(1)).min(1).max(MAX_BATCH), attestations: attestationsSchema });
const sigHex = hexSchema;
const attestArgs = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('recv'), packets: z.array(packetSchema).min(1).max(MAX_BATCH), sig: sigHex }),
  z.strictObject({ op: z.literal('ack'), chain: chainIdSchema, acks: z.array(attestedAckItem).min(1).max(MAX_BATCH), sig: sigHex }),
  z.strictObject({ op: z.literal('timeout'), chain: chainIdSchema, sequences: z.array(z.number().int().min(1)).min(1).max(MAX_BATCH), sig: sigHex }),
]);

function logEntry(ctx: ModuleContext, entry: XchainLogEntry): void {
  const n = (ctx.read(k.logCount()) ?? 0) + 1;
  ctx.write(k.log(n), entry);
  ctx.write(k.logCount(), n);
}

function route(ctx: ModuleContext, chain: string, what: string): RouteRecord {
  const r = ctx.read(k.route(chain));
  if (!r) throw new ModuleError('XCHAIN_NOT_REGISTERED', `chain ${chain} is not registered on the routing chain as synced here (gateways bring registrations from the routing chain; see shulian xchain channels --chain ${ctx.chain}); ${what}`);
  if (r.status !== 'active') throw new ModuleError('XCHAIN_SUSPENDED', `chain ${chain} is suspended on the routing chain; ${what}`);
  return r;
}

function client(ctx: ModuleContext, chain: string): ClientState {
  const c = ctx.read(k.client(chain));
  if (!c) throw new ModuleError('XCHAIN_NO_CLIENT', `this chain has no light client of ${chain}; sync its route first`);
  return c;
}

/**
 * The start of every proven relay: the header's chain is registered here, the sender relays
 * for it, and the header is final under this chain's light client of it. Returns its route.
 */
function relayedFrom(ctx: ModuleContext, proof: HeaderProof, what: string): RouteRecord {
  const r = route(ctx, proof.header.chain, what);
  requireGateway(ctx, r);
  verifiedHeader(ctx, proof);
  return r;
}

/** Verifies a header with the stored client of its chain and stores the advanced client. */
function verifiedHeader(ctx: ModuleContext, proof: HeaderProof): void {
  const c = client(ctx, proof.header.chain);
  const next = verifyHeaderProof(c, proof, ctx.charge);
  if (next !== c) ctx.write(k.client(c.chain), next);
}

function requireGateway(ctx: ModuleContext, r: RouteRecord): void {
  if (!r.gateways.some((g) => g.did === ctx.sender)) {
    throw new ModuleError('XCHAIN_NOT_GATEWAY', `${ctx.sender} is not a gateway registered to relay for chain ${r.chain}`);
  }
}

/**
 * Whether the channel policy lets the packet in; undefined when it does, else why not. A rule that
 * names a credential also needs the sender's credential in the packet (credential.ts).
 */
function refusedBy(ctx: ModuleContext, r: RouteRecord, p: Packet): string | undefined {
  let why: string | undefined;
  for (const rule of r.inbound) {
    if (!((rule.srcChain === '*' || rule.srcChain === p.srcChain) && (rule.dstPort === '*' || rule.dstPort === p.dstPort)
      && (rule.senders.includes('*') || rule.senders.includes(p.sender)))) continue;
    if (!rule.credential) return undefined;
    ctx.charge(SIG_GAS, 'verifying the sender\'s credential');
    why = channelCredentialProblem(rule.credential, p.sender, p.credential, ctx.time);
    if (!why) return undefined;
  }
  return why ?? `the channel policy of ${ctx.chain} does not let ${p.sender} on ${p.srcChain} send to port ${p.dstPort}`;
}

/**
 * Why no packet may pass between two chains' routes, or undefined: a sandbox chain and a
 * production chain are kept apart until governance promotes the sandbox chain
 * (docs/governance.md#sandbox-chains). An unknown source counts as production.
 */
function sandboxApart(src: RouteRecord | undefined, dst: RouteRecord): string | undefined {
  const a = src?.sandbox === true;
  const b = dst.sandbox === true;
  if (a === b) return undefined;
  const [sb, prod] = a ? [src!.chain, dst.chain] : [dst.chain, src?.chain ?? 'the source'];
  return `${sb} is a sandbox chain and ${prod} a production chain: no cross-chain path joins them until ${sb} is promoted by a governance vote (promote-chain)`;
}

function timedOut(p: Packet, height: number, time: number): boolean {
  return (p.timeoutHeight !== undefined && height >= p.timeoutHeight) || (p.timeoutTime !== undefined && time >= p.timeoutTime);
}

function send(ctx: ModuleContext, ports: PortLookup, srcPort: string, a: z.infer<typeof sendArgs>): Sent {
  if (a.dstChain === ctx.chain) throw new ModuleError('XCHAIN_SELF', 'a packet must go to another chain');
  // A port sends only to the ports it is bound to: a tx (port xchain) never as a module's counterpart.
  const refused = sendRefusal(ports, srcPort, a.dstPort, ctx.chain);
  if (refused) throw refused;
  const self = route(ctx, ctx.chain, 'this chain may not send until it is registered');
  const dst = route(ctx, a.dstChain, 'packets cannot be sent to it');
  const apart = sandboxApart(self, dst);
  if (apart) throw new ModuleError('XCHAIN_SANDBOX_PATH', `${apart}; this packet cannot be sent`);
  const seq = (ctx.read(k.seq(a.dstChain)) ?? 0) + 1;
  const packet: Packet = {
    srcChain: ctx.chain, srcPort, dstChain: a.dstChain, dstPort: a.dstPort, sequence: seq, sender: ctx.sender, payload: a.payload,
  };
  if (a.timeoutHeight !== undefined) packet.timeoutHeight = a.timeoutHeight;
  if (a.credential !== undefined) packet.credential = a.credential;
  packet.timeoutTime = a.timeoutTime ?? (a.timeoutHeight === undefined ? ctx.time + DEFAULT_TIMEOUT_MS : undefined);
  if (packet.timeoutTime === undefined) delete packet.timeoutTime;
  if (packet.timeoutTime !== undefined && packet.timeoutTime <= ctx.time) {
    throw new ModuleError('XCHAIN_BAD_TIMEOUT', `timeoutTime ${packet.timeoutTime} is not after this block's time ${ctx.time}`);
  }
  ctx.write(k.seq(a.dstChain), seq);
  ctx.write(k.out(a.dstChain, seq), packet);
  ctx.write(k.st(a.dstChain, seq), { status: 'sent', sent: { height: ctx.height, time: ctx.time, tx: ctx.txHash } });
  logEntry(ctx, { dir: 'out', chain: a.dstChain, sequence: seq });
  ctx.emit('PacketSent', { dstChain: a.dstChain, dstPort: a.dstPort, srcPort, sequence: seq, sender: ctx.sender });
  return { sequence: seq, packetId: `${ctx.chain}/${a.dstChain}/${seq}` };
}

/** Runs one verified packet on this chain once and writes its receipt. */
function deliver(ctx: ModuleContext, ports: PortLookup, p: Packet, remoteHeight: number): 'received' | 'duplicate' | 'expired' {
  if (ctx.has(k.recv(p.srcChain, p.sequence))) return 'duplicate';
  // Too late: not executed, no receipt, so the source can prove the timeout and refund.
  if (timedOut(p, ctx.height, ctx.time)) return 'expired';
  const self = route(ctx, ctx.chain, 'this chain may not receive until it is registered');
  let ack: Ack;
  let forbidden: string | undefined;
  // The port binding first, once for every path (proven or attested), before any handler runs.
  const mismatch = recvRefusal(ports, p, ctx.chain);
  let frozen: Frozen | undefined;
  if (mismatch) {
    ack = { ok: false, ...mismatch };
  } else if ((forbidden = sandboxApart(ctx.read(k.route(p.srcChain)), self)) !== undefined) {
    ack = { ok: false, code: 'XCHAIN_SANDBOX_PATH', message: `${forbidden}; the packet is refused` };
  } else if ((forbidden = refusedBy(ctx, self, p)) !== undefined) {
    ack = { ok: false, code: 'XCHAIN_FORBIDDEN', message: forbidden };
  } else if ((frozen = ctx.frozen({ type: 'did', did: p.sender }))) {
    // A frozen party acts through no packet either, even one it sent before the freeze (docs/supervision.md#freezes).
    const err = frozenError({ type: 'did', did: p.sender }, frozen);
    ack = { ok: false, code: err.code, message: err.message };
  } else if (p.dstPort === XCHAIN) {
    ack = { ok: true, result: { received: true } };
  } else {
    try {
      const result = ctx.call(p.dstPort, 'onRecvPacket', asJson(p));
      ack = { ok: true, result: result ?? null };
    } catch (err) {
      if (!(err instanceof ShulianError) || err.code === 'OUT_OF_GAS') throw err;
      ack = err.code === 'EXPORT_NOT_FOUND'
        ? { ok: false, code: 'XCHAIN_NO_HANDLER', message: `port ${p.dstPort} on ${ctx.chain} registers no packet handler (or the module is not enabled)` }
        : { ok: false, code: err.code, message: err.message };
    }
  }
  ctx.write(k.recv(p.srcChain, p.sequence), { packet: p, ack, height: ctx.height, time: ctx.time, tx: ctx.txHash, gateway: ctx.sender, remoteHeight });
  logEntry(ctx, { dir: 'in', chain: p.srcChain, sequence: p.sequence });
  ctx.emit('PacketReceived', { srcChain: p.srcChain, sequence: p.sequence, dstPort: p.dstPort, ok: ack.ok, gateway: ctx.sender });
  return 'received';
}

/** Settles a sent packet once: acknowledged or timed out, then tells its port. */
function settle(ctx: ModuleContext, dst: string, seq: number, outcome: { ack: Ack } | { timeout: true }, remoteHeight: number): 'settled' | 'duplicate' {
  const st = ctx.read(k.st(dst, seq));
  const packet = ctx.read(k.out(dst, seq));
  if (!st || !packet) throw new ModuleError('XCHAIN_UNKNOWN_PACKET', `this chain sent no packet ${seq} to ${dst}`);
  if (st.status !== 'sent') return 'duplicate';
  const next: SendStatus = {
    ...st,
    status: 'ack' in outcome ? 'acknowledged' : 'timed-out',
    done: { height: ctx.height, time: ctx.time, tx: ctx.txHash, gateway: ctx.sender, remoteHeight },
  };
  if ('ack' in outcome) next.ack = outcome.ack;
  if (packet.srcPort !== XCHAIN) {
    try {
      if ('ack' in outcome) ctx.call(packet.srcPort, 'onAcknowledgementPacket', asJson({ packet, ack: outcome.ack }));
      else ctx.call(packet.srcPort, 'onTimeoutPacket', asJson({ packet }));
    } catch (err) {
      if (!(err instanceof ShulianError) || err.code === 'OUT_OF_GAS') throw err;
      next.callbackError = `${err.code}: ${err.message}`;
    }
  }
  ctx.write(k.st(dst, seq), next);
  ctx.emit('ack' in outcome ? 'PacketAcknowledged' : 'PacketTimedOut', { dstChain: dst, sequence: seq, ok: 'ack' in outcome ? outcome.ack.ok : false });
  return 'settled';
}

/**
 * The start of every attested relay: the chain is registered here as an attested engine and the
 * sender relays for it. Returns its route, with the quorum it needs.
 */
function attestedFrom(ctx: ModuleContext, chain: string, what: string): RouteRecord & { attestThreshold: number } {
  const r = route(ctx, chain, what);
  if (r.consensus !== 'attested' || !r.attestThreshold) throw new ModuleError('XCHAIN_NOT_ATTESTED', `chain ${chain} is verified by light client; relay its proofs instead`);
  requireGateway(ctx, r);
  return { ...r, attestThreshold: r.attestThreshold };
}

/** Verifies one registered gateway's signature over `msg`; returns the gateway's DID. */
function checkAttestation(ctx: ModuleContext, r: RouteRecord, msg: Uint8Array, at: { gateway: string; sig: string }): string {
  const g = r.gateways.find((x) => x.did === at.gateway);
  if (!g) throw new ModuleError('XCHAIN_NOT_GATEWAY', `${at.gateway} is not a gateway registered for ${r.chain}`);
  ctx.charge(SIG_GAS, 'verifying an attestation');
  if (!isHex(at.sig, 64) || !verify(r.suite, fromHex(g.publicKey), msg, fromHex(at.sig))) {
    throw new ModuleError('XCHAIN_BAD_ATTESTATION', `the attestation of ${g.did} does not verify over this message`);
  }
  return g.did;
}

/** k distinct registered gateways signed `msg`, or XCHAIN_QUORUM / XCHAIN_BAD_ATTESTATION. */
function requireQuorum(ctx: ModuleContext, r: RouteRecord & { attestThreshold: number }, msg: Uint8Array, attestations: Array<{ gateway: string; sig: string }>): void {
  const signers = new Set<string>();
  for (const at of attestations) {
    if (signers.has(at.gateway)) throw new ModuleError('XCHAIN_BAD_ATTESTATION', `${at.gateway} attested twice`);
    signers.add(checkAttestation(ctx, r, msg, at));
  }
  if (signers.size < r.attestThreshold) {
    throw new ModuleError('XCHAIN_QUORUM', `${signers.size} of ${r.gateways.length} gateways attested; ${r.chain} needs ${r.attestThreshold}`);
  }
}

function checkPath(ctx: ModuleContext, packets: Packet[]): string {
  const src = packets[0]!.srcChain;
  for (const p of packets) {
    if (p.srcChain !== src || p.dstChain !== ctx.chain) throw new ModuleError('XCHAIN_WRONG_PATH', `packet ${p.srcChain}→${p.dstChain} #${p.sequence} is not from ${src} to ${ctx.chain}`);
  }
  return src;
}

function settleAttestedAcks(ctx: ModuleContext, dst: string, acks: Array<{ sequence: number; ack: JsonValue }>): JsonValue {
  return acks.map(({ sequence, ack }) => {
    if (!isAck(ack)) throw new ModuleError('XCHAIN_BAD_ACK', `the acknowledgement of packet ${sequence} from ${dst} is not {ok:true,result} or {ok:false,code,message}`);
    return { sequence, result: settle(ctx, dst, sequence, { ack }, 0) };
  });
}

function settleAttestedTimeouts(ctx: ModuleContext, dst: string, sequences: number[]): JsonValue {
  return sequences.map((sequence) => ({ sequence, result: settle(ctx, dst, sequence, { timeout: true }, 0) }));
}

/** The client a route sets up: the chain's genesis validators as the trust root. */
function clientFor(r: RouteRecord): ClientState {
  return { chain: r.chain, suite: r.suite, consensus: r.consensus, schedule: [{ height: 0, validators: r.validators }], tracksValidators: r.tracksValidators, latestHeight: 0 };
}

/**
 * The xchain module of a chain; `ports` reads the port declarations (ModuleDef.port) of the
 * chain's modules (`portsOf(modules)`), which bind each port to its counterparts.
 */
export function createXchainModule(genesis: Pick<Genesis, 'chain' | 'crossChain'>, ports: PortLookup): ModuleDef {
  const cc: CrossChainGenesis | undefined = genesis.crossChain;
  const routeChain = cc?.routeChain;
  const routeClient = (): ClientState => ({
    chain: cc!.routeChain, suite: cc!.routeSuite, consensus: cc!.routeConsensus,
    schedule: [{ height: 0, validators: cc!.routeValidators }], tracksValidators: cc!.routeTracksValidators ?? false, latestHeight: 0,
  });
  const needConfig = (): void => {
    if (!cc) throw new ModuleError('XCHAIN_NOT_CONFIGURED', `chain ${genesis.chain}'s genesis names no routing chain (crossChain); it cannot take part in cross-chain messages`);
  };
  return {
    name: XCHAIN,
    // The plain-message port a transaction sends from: bound to port xchain on the other side only.
    port: XCHAIN_PORT,
    description: 'Cross-chain packets verified by light clients of their source chains (or k-of-n gateway attestations), executed once, acknowledged or timed out.',
    methods: {
      syncRoutes: method({
        doc: 'Bring registrations from the routing chain, proven under a final header of it (any gateway may relay them).',
        args: syncArgs,
        gas: 5_000,
        run(ctx, a): JsonValue {
          needConfig();
          if (a.proof.header.chain !== routeChain) throw new ModuleError('XCHAIN_BAD_HEADER', `routes come from the routing chain ${routeChain}, not ${a.proof.header.chain}`);
          if (!ctx.has(k.client(routeChain!))) ctx.write(k.client(routeChain!), routeClient());
          verifiedHeader(ctx, a.proof as HeaderProof);
          const out: JsonValue[] = [];
          for (const r of a.routes) {
            verifyKeyProof(client(ctx, routeChain!), a.proof.header.stateRoot, ROUTE_STATE_KEY(r.chain), r.value, r.proof, ctx.charge);
            const prior = ctx.read(k.route(r.chain));
            if (r.value === null) {
              if (prior) {
                ctx.delete(k.route(r.chain));
                ctx.write(k.routes(), (ctx.read(k.routes()) ?? []).filter((c) => c !== r.chain));
                out.push({ chain: r.chain, change: 'removed' });
              }
              continue;
            }
            // Proven to be what the routing chain's xroute module keeps under that key.
            const rec = stateValue(ROUTE_STATE_KEY(r.chain), r.value)!;
            if (rec.chain !== r.chain || typeof rec.version !== 'number') throw new ModuleError('XCHAIN_BAD_ROUTE', `the routing chain's record under ${r.chain} is malformed`);
            // Never go back to an older registration (a suspended chain cannot be revived by replaying its old record).
            if (prior && prior.version >= rec.version) continue;
            ctx.write(k.route(r.chain), rec);
            const known = ctx.read(k.routes()) ?? [];
            if (!known.includes(r.chain)) ctx.write(k.routes(), [...known, r.chain].sort());
            if (!ctx.has(k.client(r.chain)) && rec.consensus !== 'attested' && r.chain !== routeChain) ctx.write(k.client(r.chain), clientFor(rec));
            out.push({ chain: r.chain, change: prior ? 'updated' : 'added', version: rec.version });
            ctx.emit('RouteSynced', { chain: r.chain, version: rec.version, status: rec.status });
          }
          return out;
        },
      }),
      send: method({
        doc: 'Send a plain message from the signing DID (port xchain) to port xchain of another registered chain; module ports are reached only through their modules.',
        args: sendArgs,
        gas: 3_000,
        run: (ctx, a) => asJson(send(ctx, ports, XCHAIN, a)),
      }),
      recv: method({
        doc: 'Relay packets from a source chain: its final header and a state proof of each packet (registered gateways only).',
        args: recvArgs,
        gas: 5_000,
        run(ctx, a): JsonValue {
          const src = a.proof.header.chain;
          const r = relayedFrom(ctx, a.proof as HeaderProof, 'its packets cannot be received');
          const results: JsonValue[] = [];
          for (const { packet, proof } of a.packets) {
            const p = packet as Packet;
            if (p.srcChain !== src || p.dstChain !== ctx.chain) throw new ModuleError('XCHAIN_WRONG_PATH', `packet ${p.srcChain}→${p.dstChain} #${p.sequence} is not from ${src} to ${ctx.chain}`);
            verifyKeyProof({ suite: r.suite, chain: src }, a.proof.header.stateRoot, outStateKey(p.dstChain, p.sequence), asJson(p), proof, ctx.charge);
            results.push({ sequence: p.sequence, result: deliver(ctx, ports, p, a.proof.header.height) });
          }
          return results;
        },
      }),
      recvAttested: method({
        doc: 'Relay packets of an engine without light-client proofs: signed by k of its n registered gateways.',
        args: attestedArgs,
        gas: 5_000,
        run(ctx, a): JsonValue {
          const packets = a.packets as Packet[];
          const src = packets[0]!.srcChain;
          const r = route(ctx, src, 'its packets cannot be received');
          if (r.consensus !== 'attested' || !r.attestThreshold) throw new ModuleError('XCHAIN_NOT_ATTESTED', `chain ${src} is verified by light client; relay with recv`);
          requireGateway(ctx, r);
          for (const p of packets) {
            if (p.srcChain !== src || p.dstChain !== ctx.chain) throw new ModuleError('XCHAIN_WRONG_PATH', `packet ${p.srcChain}→${p.dstChain} #${p.sequence} is not from ${src} to ${ctx.chain}`);
          }
          const msg = attestationMessage(r.suite, src, ctx.chain, packets);
          const signers = new Set<string>();
          for (const at of a.attestations) {
            const g = r.gateways.find((x) => x.did === at.gateway);
            if (!g) throw new ModuleError('XCHAIN_NOT_GATEWAY', `${at.gateway} is not a gateway registered for ${src}`);
            if (signers.has(g.did)) throw new ModuleError('XCHAIN_BAD_ATTESTATION', `${g.did} attested twice`);
            ctx.charge(SIG_GAS, 'verifying an attestation');
            if (!isHex(at.sig, 64) || !verify(r.suite, fromHex(g.publicKey), msg, fromHex(at.sig))) {
              throw new ModuleError('XCHAIN_BAD_ATTESTATION', `the attestation of ${g.did} does not verify over these packets`);
            }
            signers.add(g.did);
          }
          if (signers.size < r.attestThreshold) {
            throw new ModuleError('XCHAIN_QUORUM', `${signers.size} of ${r.gateways.length} gateways attested; ${src} needs ${r.attestThreshold}`);
          }
          return packets.map((p) => ({ sequence: p.sequence, result: deliver(ctx, ports, p, 0) }));
        },
      }),
      acknowledgeAttested: method({
        doc: 'Acknowledgements from an engine without light-client proofs, for packets sent there: signed by k of its n registered gateways.',
        args: ackAttestedArgs,
        gas: 5_000,
        run(ctx, a): JsonValue {
          const r = attestedFrom(ctx, a.chain, 'its acknowledgements cannot be taken');
          requireQuorum(ctx, r, attestedAckMessage(r.suite, ctx.chain, a.chain, a.acks as AttestedAck[]), a.attestations);
          return settleAttestedAcks(ctx, a.chain, a.acks);
        },
      }),
      timeoutAttested: method({
        doc: 'Timeouts of packets sent to an engine without light-client proofs: k of its n registered gateways sign that it passed the timeout without receiving them.',
        args: timeoutAttestedArgs,
        gas: 5_000,
        run(ctx, a): JsonValue {
          const r = attestedFrom(ctx, a.chain, 'its timeouts cannot be taken');
          requireQuorum(ctx, r, attestedTimeoutMessage(r.suite, ctx.chain, a.chain, a.sequences), a.attestations);
          return settleAttestedTimeouts(ctx, a.chain, a.sequences);
        },
      }),
      attest: method({
        doc: 'One registered gateway of an attested engine signs packets from it (op recv), acknowledgements or timeouts of packets sent to it; the action runs once, when k distinct gateways have signed the same message.',
        args: attestArgs,
        gas: 5_000,
        run(ctx, a): JsonValue {
          const chain = a.op === 'recv' ? checkPath(ctx, a.packets as Packet[]) : a.chain;
          const r = attestedFrom(ctx, chain, a.op === 'recv' ? 'its packets cannot be received' : `its ${a.op === 'ack' ? 'acknowledgements' : 'timeouts'} cannot be taken`);
          const msg = a.op === 'recv' ? attestationMessage(r.suite, chain, ctx.chain, a.packets as Packet[])
            : a.op === 'ack' ? attestedAckMessage(r.suite, ctx.chain, chain, a.acks as AttestedAck[])
              : attestedTimeoutMessage(r.suite, ctx.chain, chain, a.sequences);
          const key = k.att(toHex(msg));
          const rec: AttestRecord = ctx.read(key) ?? { op: a.op, chain, signers: [], needed: r.attestThreshold };
          if (rec.done) return { state: 'done', attestations: rec.signers.length, needed: rec.needed };
          if (rec.signers.some((x) => x.gateway === ctx.sender)) return { state: 'already-attested', attestations: rec.signers.length, needed: r.attestThreshold };
          if (a.op !== 'recv') {
            // Refuse at once what could never execute, rather than when the k-th signature arrives.
            const seqs = a.op === 'ack' ? a.acks.map((x) => x.sequence) : a.sequences;
            for (const seq of seqs) if (!ctx.has(k.out(chain, seq))) throw new ModuleError('XCHAIN_UNKNOWN_PACKET', `this chain sent no packet ${seq} to ${chain}`);
            if (a.op === 'ack') for (const x of a.acks) if (!isAck(x.ack)) throw new ModuleError('XCHAIN_BAD_ACK', `the acknowledgement of packet ${x.sequence} from ${chain} is not {ok:true,result} or {ok:false,code,message}`);
          }
          checkAttestation(ctx, r, msg, { gateway: ctx.sender, sig: a.sig });
          // Signers of an earlier registration that are no longer registered do not count.
          const signers = [...rec.signers.filter((x) => r.gateways.some((g) => g.did === x.gateway)), { gateway: ctx.sender, sig: a.sig }];
          const next: AttestRecord = { ...rec, signers, needed: r.attestThreshold };
          ctx.emit('Attested', { op: a.op, chain, gateway: ctx.sender, attestations: signers.length, needed: r.attestThreshold });
          if (signers.length < r.attestThreshold) {
            ctx.write(key, next);
            return { state: 'pending', attestations: signers.length, needed: r.attestThreshold };
          }
          next.done = { height: ctx.height, time: ctx.time, tx: ctx.txHash };
          ctx.write(key, next);
          const results = a.op === 'recv' ? (a.packets as Packet[]).map((p) => ({ sequence: p.sequence, result: deliver(ctx, ports, p, 0) }))
            : a.op === 'ack' ? settleAttestedAcks(ctx, chain, a.acks) : settleAttestedTimeouts(ctx, chain, a.sequences);
          return { state: 'done', attestations: signers.length, needed: r.attestThreshold, results };
        },
      }),
      acknowledge: method({
        doc: 'Relay acknowledgements: the destination\'s receipt of each packet, proven under its final header.',
        args: ackArgs,
        gas: 5_000,
        run(ctx, a): JsonValue {
          const dst = a.proof.header.chain;
          const r = relayedFrom(ctx, a.proof as HeaderProof, 'its acknowledgements cannot be taken');
          return a.acks.map(({ sequence, value, proof }) => {
            verifyKeyProof({ suite: r.suite, chain: dst }, a.proof.header.stateRoot, recvStateKey(ctx.chain, sequence), value, proof, ctx.charge);
            // Proven to be under the destination's recv/ key, yet checked: the destination may run another engine.
            const rec = stateValue(recvStateKey(ctx.chain, sequence), value);
            if (!rec || typeof rec !== 'object' || !isAck(rec.ack)) throw new ModuleError('XCHAIN_BAD_ACK', `the receipt of packet ${sequence} on ${dst} carries no acknowledgement`);
            const sent = ctx.get(k.out(dst, sequence));
            if (canonicalize(rec.packet) !== canonicalize(sent ?? null)) throw new ModuleError('XCHAIN_BAD_ACK', `the receipt on ${dst} is for another packet than the one sent as ${sequence}`);
            return { sequence, result: settle(ctx, dst, sequence, { ack: rec.ack }, a.proof.header.height) };
          });
        },
      }),
      timeout: method({
        doc: 'Prove packets timed out: the destination, at a height or time past their timeout, holds no receipt for them.',
        args: timeoutArgs,
        gas: 5_000,
        run(ctx, a): JsonValue {
          const dst = a.proof.header.chain;
          const r = relayedFrom(ctx, a.proof as HeaderProof, 'its timeouts cannot be proven');
          const { height, time, stateRoot } = a.proof.header;
          return a.items.map(({ sequence, proof }) => {
            const p = ctx.read(k.out(dst, sequence));
            if (!p) throw new ModuleError('XCHAIN_UNKNOWN_PACKET', `this chain sent no packet ${sequence} to ${dst}`);
            // The destination receives only in blocks before the timeout, so absence at a header at or past it is final.
            if (!timedOut(p, height, time)) {
              throw new ModuleError('XCHAIN_NOT_TIMED_OUT', `packet ${sequence} times out at ${p.timeoutHeight ? `height ${p.timeoutHeight}` : ''}${p.timeoutTime ? ` time ${p.timeoutTime}` : ''}; the proof is at height ${height}, time ${time}`);
            }
            verifyKeyProof({ suite: r.suite, chain: dst }, stateRoot, recvStateKey(ctx.chain, sequence), null, proof, ctx.charge);
            return { sequence, result: settle(ctx, dst, sequence, { timeout: true }, height) };
          });
        },
      }),
    },
    exports: {
      send: exported({
        doc: 'Send a packet from the calling module (its port) to a port of another registered chain.',
        gas: 3_000,
        args: sendArgs,
        run(ctx, a): JsonValue {
          if (!ctx.caller) throw new ModuleError('FORBIDDEN', 'xchain.send is for modules');
          return asJson(send(ctx, ports, ctx.caller, a));
        },
      }),
      label: exported({
        doc: 'Whether this chain\'s own route is synced here, and whether it is labelled sandbox (docs/governance.md#sandbox-chains).',
        gas: 200,
        args: z.strictObject({}),
        run(ctx): JsonValue {
          const self = ctx.read(k.route(ctx.chain));
          return { registered: self !== undefined, sandbox: self?.sandbox === true };
        },
      }),
    },
  };
}

/**
 * The receiving and settling halves of a packet, after its proof: for the simulation sandbox
 * only (src/sandbox/relay.ts), which delivers packets between forked chains where no proof of a
 * simulated block exists. No method of this module calls them without a verified proof or a
 * gateway quorum, so no transaction reaches them; only a fork's own executor does.
 */
export { deliver as deliverVerifiedPacket, settle as settleSentPacket };

export { FROM_XCHAIN, sendPacket, portsOf, recvRefusal, sendRefusal, type PortLookup } from './port.ts';
