/**
 * Off-chain side of atomic cross-chain transactions (2PC; modules `xtx` and `xlock`): the body
 * and digest owners consent to, a status view across the coordinator and every participant
 * chain, and `driveTx`, a transaction manager loop that relays until the transaction is done.
 * It keeps no state of its own: everything it needs is on the chains, so it (or any gateway)
 * can crash and be restarted at any point.
 */
import { stateValue, type JsonValue, type StateKey } from '../codec/index.ts';
import {
  lockTxStateKey, txDigest, xtxStateKey,
  type LockTxRecord, type XtxBody, type XtxParticipant, type XtxRecord,
} from '../modules/index.ts';
import { readState, relayOnce, type ChainEndpoint, type RelayCursor, type RelayReport } from './relay.ts';

export { txDigest };
export type { XtxBody, XtxRecord, LockTxRecord };

/** Same default as the xtx module: participants may inquire one hour after the deadline. */
export const DEFAULT_RECOVER_AFTER_MS = 3600_000;

/** The body a `begin` with these arguments records (what owners compute the digest of before consenting). */
export function txBody(a: { coordinator: string; id: string; participants: XtxParticipant[]; deadline: number; recoverAfter?: number }): XtxBody {
  return { coordinator: a.coordinator, id: a.id, participants: a.participants, deadline: a.deadline, recoverAfter: a.recoverAfter ?? a.deadline + DEFAULT_RECOVER_AFTER_MS };
}

/** Reads one state key of a chain; `undefined` when the chain cannot be read from here. */
export type StateRead = (chain: string, key: string) => Promise<JsonValue | null | undefined>;

export interface LockView {
  lock: string;
  kind: 'transfer' | 'endorse';
  /** xtransfer hold or xdoc lock state: held/locked, committed, released. */
  state: string | null;
}

export interface ParticipantView {
  chain: string;
  /** As the coordinator knows it. */
  vote: XtxRecord['participants'][number]['vote'];
  confirmed?: 'committed' | 'rolled-back' | 'refused';
  error?: string;
  decisionPackets: number;
  /** The participant chain's own record; null when absent there, undefined when not readable. */
  local: { state: LockTxRecord['state']; decision?: LockTxRecord['decision']; locks: LockView[] } | null | undefined;
}

export interface TxView {
  coordinator: string;
  id: string;
  initiator: string;
  digest: string;
  deadline: number;
  recoverAfter: number;
  status: XtxRecord['status'];
  decision?: XtxRecord['decision'];
  participants: ParticipantView[];
  /**
   * Across the participants' own records: 'all-committed', 'all-rolled-back' (nothing moved
   * anywhere), 'in-progress', or 'violation' if one committed while another rolled back
   * (2PC must make that impossible; a monitor alerts on it).
   */
  atomicity: 'all-committed' | 'all-rolled-back' | 'in-progress' | 'violation';
}

const FINAL: ReadonlyArray<XtxRecord['status']> = ['committed', 'aborted'];

/** A record under a typed full key: undefined when the chain cannot be read from here, null when absent. */
async function readRecord<T>(read: StateRead, chain: string, key: StateKey<T>): Promise<T | null | undefined> {
  const v = await read(chain, key);
  return v === undefined ? undefined : (stateValue(key, v) ?? null);
}

/** A transaction as the coordinator and (where readable) each participant chain hold it. */
export async function txStatus(read: StateRead, coordinator: string, id: string): Promise<TxView | null> {
  const r = await readRecord(read, coordinator, xtxStateKey.tx(id));
  if (!r) return null;
  const participants: ParticipantView[] = [];
  for (const p of r.participants) {
    const rec = await readRecord(read, p.chain, lockTxStateKey(coordinator, id));
    let local: ParticipantView['local'];
    if (rec === undefined) local = undefined;
    else if (rec === null) local = null;
    else {
      const locks: LockView[] = [];
      for (let i = 0; i < rec.locks.length; i++) {
        const op = rec.ops[i]!;
        const v = await read(p.chain, op.kind === 'transfer' ? `xtransfer/hold/${rec.locks[i]}` : `xdoc/lock/${rec.locks[i]}`) as { state?: string } | null | undefined;
        locks.push({ lock: rec.locks[i]!, kind: op.kind, state: v?.state ?? null });
      }
      local = { state: rec.state, ...(rec.decision ? { decision: rec.decision } : {}), locks };
    }
    participants.push({
      chain: p.chain, vote: p.vote, decisionPackets: p.decisionSeqs.length, local,
      ...(p.outcome ? { confirmed: p.outcome } : {}), ...(p.error ? { error: p.error } : {}),
    });
  }
  const states = participants.map((p) => (p.local === null ? 'absent' : p.local?.state ?? 'unknown'));
  const committed = states.filter((s) => s === 'committed').length;
  const undone = states.filter((s) => s === 'rolled-back' || s === 'refused').length;
  const atomicity: TxView['atomicity'] = committed && undone ? 'violation'
    : committed === states.length ? 'all-committed'
      : r.status === 'aborted' && states.every((s) => s === 'rolled-back' || s === 'refused' || s === 'absent') ? 'all-rolled-back'
        : 'in-progress';
  return {
    coordinator, id, initiator: r.initiator, digest: r.digest, deadline: r.deadline, recoverAfter: r.recoverAfter, status: r.status,
    ...(r.decision ? { decision: r.decision } : {}), participants, atomicity,
  };
}

/** The newest transactions a coordinator chain holds, newest first. */
export async function listTxs(read: StateRead, coordinator: string, limit = 50): Promise<TxView[]> {
  const count = (await read(coordinator, 'xtx/log/count') as number | null | undefined) ?? 0;
  const out: TxView[] = [];
  for (let n = count; n > 0 && out.length < limit; n--) {
    const id = await read(coordinator, `xtx/log/${n}`) as string | null | undefined;
    if (!id) continue;
    const v = await txStatus(read, coordinator, id);
    if (v) out.push(v);
  }
  return out;
}

export interface DriveOptions {
  /** Rounds of relaying before giving up (default 20). */
  maxRounds?: number;
  /** Call xtx.resend when a decided transaction has a participant with no decision in flight (default true). */
  resend?: boolean;
  /** Cursors per "src>dst" pair, kept across calls by a long-running manager. */
  cursors?: Map<string, RelayCursor>;
}

export interface DriveResult {
  view: TxView;
  rounds: number;
  done: boolean;
  reports: RelayReport[];
}

/**
 * The transaction manager loop: relays between the coordinator and each participant (both ways)
 * until the transaction is completed on the coordinator and every participant's own record is
 * final. Stateless: run it again after any crash and it continues from what the chains hold.
 */
export async function driveTx(endpoints: Record<string, ChainEndpoint>, coordinator: string, id: string, opts: DriveOptions = {}): Promise<DriveResult> {
  const co = endpoints[coordinator];
  if (!co) throw new Error(`no endpoint for the coordinator chain ${coordinator}`);
  const read: StateRead = async (chain, key) => (endpoints[chain] ? endpoints[chain].state(key) : undefined);
  const cursors = opts.cursors ?? new Map<string, RelayCursor>();
  const cursor = (src: string, dst: string): RelayCursor => {
    const k = `${src}>${dst}`;
    if (!cursors.has(k)) cursors.set(k, { from: 1 });
    return cursors.get(k)!;
  };
  const reports: RelayReport[] = [];
  const max = opts.maxRounds ?? 20;
  let view = await txStatus(read, coordinator, id);
  if (!view) throw new Error(`no transaction ${id} on ${coordinator}`);
  for (let round = 1; round <= max; round++) {
    for (const p of view.participants) {
      const pe = endpoints[p.chain];
      if (!pe) continue;
      reports.push(await relayOnce(co, pe, cursor(coordinator, p.chain)));
      reports.push(await relayOnce(pe, co, cursor(p.chain, coordinator)));
    }
    view = (await txStatus(read, coordinator, id))!;
    if (isDone(view)) return { view, rounds: round, done: true, reports };
    const rec = (await readState(co, xtxStateKey.tx(id)))!;
    if ((opts.resend ?? true) && rec.decision && rec.participants.some((p) => !p.outcome && !p.inFlight && (rec.decision!.outcome === 'commit' || p.vote === 'yes' || p.vote === 'pending'))) {
      await co.call('xtx', 'resend', { id });
    }
  }
  return { view, rounds: max, done: isDone(view), reports };
}

/** Completed on the coordinator and final in every readable participant record. */
export function isDone(v: TxView): boolean {
  return FINAL.includes(v.status) && (v.atomicity === 'all-committed' || v.atomicity === 'all-rolled-back');
}
