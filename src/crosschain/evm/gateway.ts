import { toHex, canonicalize, asJson, stateValue, type JsonValue } from '../../codec/index.ts';
import { didFromPublicKey, sign, type KeyPair } from '../../crypto/index.ts';
import type { BlockHeader } from '../../ledger/index.ts';
import {
  attestationMessage, attestedAckMessage, attestedTimeoutMessage, verifyHeaderProof, verifyKeyProof,
  type ClientState, type Packet, type RecvRecord, type RouteRecord,
} from '../../modules/index.ts';
import { xchainStateKey } from '../../modules/xchain/keys.ts';
import { headerProofOf, readState, SCHEDULE_KEY, type ChainEndpoint, type ProofBundle } from '../relay.ts';
import type { EvmEndpoint } from './endpoint.ts';
import {
  ackOfReceipt, evmAckDigest, evmPacketCommitment, evmRecvDigest, evmTimeoutDigest, fromEvmPacket, signDigest, toEvmPacket,
  type EvmDomain, type EvmPacket,
} from './packets.ts';

export interface EvmGatewayOptions {
  /** The native chain, sending this gateway's txs (signed by its DID key). */
  native: ChainEndpoint;
  /** The gateway's DID key: it signs attestations for the native chain (registered in the EVM chain's route). */
  nativeKey: KeyPair;
  /**
   * The gateway's own light client of the native chain (trust root: its genesis validators, as
   * registered on the routing chain). Every native packet, receipt and absence is checked against
   * it before this gateway signs anything for the EVM chain.
   */
  nativeClient: ClientState;
  /** XEndpoint on the EVM chain, sending from this gateway's registered secp256k1 account. */
  evm: EvmEndpoint;
  idleMs?: number;
  /** Packets looked at per direction per round. */
  batch?: number;
  log?: (line: string) => void;
}

export interface EvmGatewayStats {
  rounds: number;
  /** Signatures this gateway added on the EVM endpoint (packets, acks, timeouts). */
  attestedOnEvm: number;
  /** Attestations this gateway sent to the native chain. */
  attestedOnNative: number;
  /** Native proofs that did not verify: nothing was signed for them. */
  refused: number;
  errors: number;
  lastError?: string;
}

export interface EvmRelayReport {
  attestedOnEvm: number;
  attestedOnNative: number;
  refused: number;
  errors: string[];
}

const noCharge = (): void => {};
const timedOutAt = (p: Packet, h: { height: number; time: number }): boolean =>
  (p.timeoutHeight !== undefined && h.height >= p.timeoutHeight) || (p.timeoutTime !== undefined && h.time >= p.timeoutTime);
const bit = (idx: number): bigint => 1n << BigInt(idx - 1);

type NativeAttest =
  | { op: 'recv'; packets: Packet[] }
  | { op: 'ack'; chain: string; acks: Array<{ sequence: number; ack: RecvRecord['ack'] }> }
  | { op: 'timeout'; chain: string; sequences: number[] };

/**
 * One gateway between a native chain and an EVM chain registered as `consensus: "attested"`.
 *
 * Each of the n gateways runs its own instance, watches both sides independently and adds its
 * own signature where it is needed; nobody coordinates them. On the EVM side it sends its
 * signature to XEndpoint (`recv`, `acknowledge`, `timeout`), which counts distinct gateways per
 * digest and acts once when the k-th arrives; on the native side it sends `xchain.attest`, which
 * does the same under `xchain/att/<message>`. So any k live, honest gateways finish every packet,
 * a stopped one is simply not counted, and fewer than k can do nothing.
 *
 * An honest gateway never signs what it has not checked: native packets, receipts and absences
 * are proven with its own light client of the native chain (`verifyHeaderProof`,
 * `verifyKeyProof`) before it signs for the EVM chain; EVM packets and receipts are read from its
 * own EVM node at a final block.
 */
export class EvmGateway {
  readonly stats: EvmGatewayStats = { rounds: 0, attestedOnEvm: 0, attestedOnNative: 0, refused: 0, errors: 0 };
  readonly did: string;
  #client: ClientState;
  #toEvm = { from: 1 };
  #toNative = { from: 1 };
  #abort = new AbortController();
  #loop: Promise<void> | undefined;
  readonly #log: (line: string) => void;
  readonly #untranslatable = new Set<number>();

  constructor(private readonly opts: EvmGatewayOptions) {
    this.did = didFromPublicKey(opts.nativeKey.publicKey);
    this.#client = opts.nativeClient;
    this.#log = opts.log ?? (() => {});
  }

  /** The gateway's light client of the native chain, as advanced by the headers it verified. */
  get client(): ClientState {
    return this.#client;
  }

  start(): void {
    if (this.#loop) return;
    this.#loop = this.#run();
  }

  /** Stops the loop (a round in flight finishes its current call first). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let busy = false;
      try {
        const r = await this.relayOnce();
        busy = r.attestedOnEvm + r.attestedOnNative > 0;
        for (const e of r.errors) this.#error(e);
      } catch (err) {
        this.#error((err as Error).message);
      }
      if (!busy && !signal.aborted) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, this.opts.idleMs ?? 50);
          function done(): void {
            clearTimeout(t);
            signal.removeEventListener('abort', done);
            resolve();
          }
          signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  }

  #error(msg: string): void {
    this.stats.errors++;
    this.stats.lastError = msg;
    this.#log(`error: ${msg}`);
  }

  /** One round in both directions. */
  async relayOnce(): Promise<EvmRelayReport> {
    const report: EvmRelayReport = { attestedOnEvm: 0, attestedOnNative: 0, refused: 0, errors: [] };
    const { native, evm } = this.opts;
    const route = await readState(native, xchainStateKey.route(evm.id));
    if (!route || route.consensus !== 'attested') {
      report.errors.push(`${native.id} has no attested route of ${evm.id} synced; sync routes first`);
      return report;
    }
    const domain = await evm.domain();
    const myIndex = await evm.gatewayIndex(evm.account ?? '0x0000000000000000000000000000000000000000');
    if (myIndex === 0) report.errors.push(`account ${evm.account} is not a gateway of the endpoint on ${evm.id}; only native attestations are sent`);
    await this.#nativeToEvm(route, domain, myIndex, report);
    await this.#evmToNative(route, domain, myIndex, report);
    this.stats.rounds++;
    this.stats.attestedOnEvm += report.attestedOnEvm;
    this.stats.attestedOnNative += report.attestedOnNative;
    this.stats.refused += report.refused;
    return report;
  }

  /** A native header verified with the gateway's own light client, with proofs of `keys`. */
  async #proven(keys: string[]): Promise<ProofBundle> {
    const { native } = this.opts;
    const tracks = this.#client.tracksValidators;
    const b = await native.proof(await native.height(), tracks ? [...keys, SCHEDULE_KEY] : keys);
    this.#client = verifyHeaderProof(this.#client, headerProofOf(b, tracks), noCharge);
    return b;
  }

  #keyProven(b: ProofBundle, key: string, value: JsonValue | null): boolean {
    const p = b.proofs.find((x) => x.key === key);
    if (!p) return false;
    try {
      verifyKeyProof(this.#client, b.header.stateRoot, key, value, p.proof, noCharge);
      return true;
    } catch {
      return false;
    }
  }

  async #nativeToEvm(route: RouteRecord, domain: EvmDomain, myIndex: number, report: EvmRelayReport): Promise<void> {
    const { native, evm } = this.opts;
    const out = await native.outbox(evm.id, this.#toEvm.from, this.opts.batch ?? 50);
    let next = this.#toEvm.from;
    for (const p of out.packets) {
      if (p.status.status !== 'sent' && p.packet.sequence === next) next++;
      else break;
    }
    this.#toEvm.from = next;
    const pending = out.packets.filter((p) => p.status.status === 'sent').map((p) => p.packet);
    if (!pending.length) return;
    const head = await evm.head();
    const keyOf = (p: Packet): string => `xchain/out/${evm.id}/${p.sequence}`;
    const b = await this.#proven(pending.map(keyOf));
    for (const p of pending) {
      try {
        const rec = await evm.receiptOf(native.id, p.sequence, head.number);
        if (rec.done) {
          report.attestedOnNative += await this.#attestNative(route, { op: 'ack', chain: evm.id, acks: [{ sequence: p.sequence, ack: ackOfReceipt(rec) }] }, report);
        } else if (timedOutAt(p, { height: head.number, time: head.timeMs })) {
          // The endpoint refuses packets at or past their timeout, so absence at this block is final.
          report.attestedOnNative += await this.#attestNative(route, { op: 'timeout', chain: evm.id, sequences: [p.sequence] }, report);
        } else {
          if (!this.#keyProven(b, keyOf(p), asJson(p))) {
            report.refused++;
            report.errors.push(`packet ${native.id}→${evm.id} #${p.sequence} is not proven under ${native.id}@${b.height}: not signed`);
            continue;
          }
          const ep = toEvmPacket(p);
          if ('untranslatable' in ep) {
            if (!this.#untranslatable.has(p.sequence)) this.#log(`packet ${native.id}→${evm.id} #${p.sequence} cannot cross (${ep.untranslatable}); it will time out and be refunded`);
            this.#untranslatable.add(p.sequence);
            continue;
          }
          if (myIndex === 0) continue;
          const digest = evmRecvDigest(domain, [ep]);
          const a = await evm.approvals(digest);
          if (a.executed || (a.bits & bit(myIndex)) !== 0n) continue;
          const r = await evm.recv([ep], [signDigest(evm.wallet!, digest)]);
          if (r.status === 'ok') report.attestedOnEvm++;
          else report.errors.push(`recv on ${evm.id} #${p.sequence}: ${r.error}`);
        }
      } catch (err) {
        report.errors.push(`${native.id}→${evm.id} #${p.sequence}: ${(err as Error).message}`);
      }
    }
  }

  async #evmToNative(route: RouteRecord, domain: EvmDomain, myIndex: number, report: EvmRelayReport): Promise<void> {
    const { native, evm } = this.opts;
    const last = await evm.sequenceOf(native.id);
    const pending: Array<{ seq: number; ep: EvmPacket; commitment: string }> = [];
    let next = this.#toNative.from;
    for (let seq = this.#toNative.from; seq <= last && seq < this.#toNative.from + (this.opts.batch ?? 50); seq++) {
      const o = await evm.outbound(native.id, seq);
      if (o.status !== 'sent') {
        if (seq === next) next++;
        continue;
      }
      const ep = await evm.sentPacket(native.id, seq, o.commitment);
      if (!ep || evmPacketCommitment(ep) !== o.commitment) {
        report.errors.push(`packet ${evm.id}→${native.id} #${seq}: no PacketSent log matching its commitment`);
        continue;
      }
      pending.push({ seq, ep, commitment: o.commitment });
    }
    this.#toNative.from = next;
    if (!pending.length) return;
    const keyOf = (seq: number) => xchainStateKey.recv(evm.id, seq);
    const b = await this.#proven(pending.map((x) => keyOf(x.seq)));
    const header: BlockHeader = b.header;
    for (const { seq, ep, commitment } of pending) {
      try {
        const packet = fromEvmPacket(ep);
        const value = b.proofs.find((x) => x.key === keyOf(seq))?.value ?? null;
        if (!this.#keyProven(b, keyOf(seq), value)) {
          report.refused++;
          report.errors.push(`receipt of ${evm.id}→${native.id} #${seq} is not proven under ${native.id}@${b.height}: not signed`);
          continue;
        }
        const rec = stateValue(keyOf(seq), value);
        if (rec !== undefined) {
          if (canonicalize(asJson(rec.packet)) !== canonicalize(asJson(packet))) {
            report.errors.push(`the receipt on ${native.id} for ${evm.id} #${seq} is for another packet: not signed`);
            continue;
          }
          if (myIndex === 0) continue;
          const digest = evmAckDigest(domain, native.id, BigInt(seq), commitment, rec.ack.ok);
          const a = await evm.approvals(digest);
          if (a.executed || (a.bits & bit(myIndex)) !== 0n) continue;
          const r = await evm.acknowledge(native.id, seq, rec.ack.ok, [signDigest(evm.wallet!, digest)]);
          if (r.status === 'ok') report.attestedOnEvm++;
          else report.errors.push(`acknowledge on ${evm.id} #${seq}: ${r.error}`);
        } else if (timedOutAt(packet, header)) {
          // Proven absent at a header past the timeout: xchain never receives it later.
          if (myIndex === 0) continue;
          const digest = evmTimeoutDigest(domain, native.id, BigInt(seq), commitment);
          const a = await evm.approvals(digest);
          if (a.executed || (a.bits & bit(myIndex)) !== 0n) continue;
          const r = await evm.timeout(native.id, seq, [signDigest(evm.wallet!, digest)]);
          if (r.status === 'ok') report.attestedOnEvm++;
          else report.errors.push(`timeout on ${evm.id} #${seq}: ${r.error}`);
        } else {
          report.attestedOnNative += await this.#attestNative(route, { op: 'recv', packets: [packet] }, report);
        }
      } catch (err) {
        report.errors.push(`${evm.id}→${native.id} #${seq}: ${(err as Error).message}`);
      }
    }
  }

  /** Signs and sends one attestation to the native chain, unless this gateway's is already counted. */
  async #attestNative(route: RouteRecord, a: NativeAttest, report: EvmRelayReport): Promise<number> {
    const { native, nativeKey, evm } = this.opts;
    const msg = a.op === 'recv' ? attestationMessage(route.suite, evm.id, native.id, a.packets)
      : a.op === 'ack' ? attestedAckMessage(route.suite, native.id, evm.id, a.acks)
        : attestedTimeoutMessage(route.suite, native.id, evm.id, a.sequences);
    const rec = await readState(native, xchainStateKey.att(toHex(msg)));
    if (rec && (rec.done || rec.signers.some((s) => s.gateway === this.did))) return 0;
    const sig = toHex(sign(route.suite, nativeKey.privateKey, msg));
    const r = await native.call('xchain', 'attest', asJson({ ...a, sig }));
    if (r.status === 'ok') return 1;
    report.errors.push(`attest ${a.op} on ${native.id}: ${r.code}: ${r.message}`);
    return 0;
  }
}

/** A gateway's light client of a native chain from its registration (genesis validators as trust root). */
export function nativeClientOf(route: RouteRecord): ClientState {
  return { chain: route.chain, suite: route.suite, consensus: route.consensus, schedule: [{ height: 0, validators: route.validators }], tracksValidators: route.tracksValidators, latestHeight: 0 };
}
