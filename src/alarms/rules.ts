/**
 * Which alarms hold on a node's figures (docs/alarms.md): pure, so it is tested without a node.
 * `Conditions` keeps, per alarm id, since when its condition has held and whether it fired, so an
 * alarm fires once when its condition has held `forS` seconds and resolves once when it stops.
 */
import type { AlarmKind, AlarmThresholds, NodeStats } from '../sdk/index.ts';

export interface Breach {
  id: string;
  kind: AlarmKind;
  chain?: string;
  value: number;
  threshold: number;
  message: string;
}

export interface Transition extends Breach {
  state: 'firing' | 'resolved';
}

const on = (v: number | null | undefined): v is number => typeof v === 'number';

/** The conditions that hold in one stats snapshot; `stalledSince(chain)` says since when its height has not moved. */
export function breaches(s: NodeStats, t: AlarmThresholds, stalledMs: (chain: string, height: number, now: number) => number): Breach[] {
  const out: Breach[] = [];
  for (const c of s.chains) {
    if (on(t.heightStalledS)) {
      const ms = stalledMs(c.id, c.height, s.time);
      if (c.mempool.txs > 0 && ms >= t.heightStalledS * 1000) {
        out.push({ id: `height-stalled/${c.id}`, kind: 'height-stalled', chain: c.id, value: Math.floor(ms / 1000), threshold: t.heightStalledS,
          message: `chain ${c.id} has stayed at height ${c.height} for ${Math.floor(ms / 1000)} s with ${c.mempool.txs} txs waiting (threshold ${t.heightStalledS} s)` });
      }
    }
    if (on(t.validatorsDown) && c.validators - c.validatorsUp >= t.validatorsDown) {
      const down = c.validators - c.validatorsUp;
      out.push({ id: `validators-down/${c.id}`, kind: 'validators-down', chain: c.id, value: down, threshold: t.validatorsDown,
        message: `chain ${c.id}: ${down} of ${c.validators} validators are down as this node sees them (threshold ${t.validatorsDown})` });
    }
    if (on(t.mempoolTxs) && c.mempool.txs >= t.mempoolTxs) {
      out.push({ id: `mempool-full/${c.id}`, kind: 'mempool-full', chain: c.id, value: c.mempool.txs, threshold: t.mempoolTxs,
        message: `chain ${c.id}: ${c.mempool.txs} txs wait in the mempool (threshold ${t.mempoolTxs})` });
    }
  }
  if (on(t.diskPercent) && s.disk.totalBytes && s.disk.freeBytes !== null) {
    const pct = Math.floor(((s.disk.totalBytes - s.disk.freeBytes) * 100) / s.disk.totalBytes);
    if (pct >= t.diskPercent) {
      out.push({ id: 'disk-full', kind: 'disk-full', value: pct, threshold: t.diskPercent,
        message: `the data dir's file system is ${pct}% full (threshold ${t.diskPercent}%)` });
    }
  }
  if (on(t.eventLoopLagMs) && s.process.eventLoopLagP99Ms >= t.eventLoopLagMs) {
    out.push({ id: 'event-loop-lag', kind: 'event-loop-lag', value: Math.round(s.process.eventLoopLagP99Ms), threshold: t.eventLoopLagMs,
      message: `the node's event-loop delay p99 is ${Math.round(s.process.eventLoopLagP99Ms)} ms (threshold ${t.eventLoopLagMs} ms)` });
  }
  if (on(t.gatewayBacklog)) {
    for (const r of s.gateway?.routes ?? []) {
      if (r.backlog < t.gatewayBacklog) continue;
      out.push({ id: `gateway-backlog/${r.from}/${r.to}`, kind: 'gateway-backlog', chain: r.from, value: r.backlog, threshold: t.gatewayBacklog,
        message: `the node's gateway has ${r.backlog} packets from ${r.from} to ${r.to} not yet delivered and acknowledged (threshold ${t.gatewayBacklog})` });
    }
  }
  return out;
}

/** Per alarm id: since when its condition holds, and whether it fired. */
export class Conditions {
  private readonly held = new Map<string, { since: number; fired: boolean; last: Breach }>();
  private readonly heights = new Map<string, { height: number; since: number }>();

  /** Milliseconds a chain's height has stayed the same, as seen by successive calls. */
  stalledMs = (chain: string, height: number, now: number): number => {
    const h = this.heights.get(chain);
    if (!h || h.height !== height) {
      this.heights.set(chain, { height, since: now });
      return 0;
    }
    return now - h.since;
  };

  /** The transitions `now`'s breaches make: fired (held `forS`), resolved (fired, no longer held). */
  step(now: number, current: Breach[], forS = 0): Transition[] {
    const out: Transition[] = [];
    const seen = new Set<string>();
    for (const b of current) {
      seen.add(b.id);
      const h = this.held.get(b.id) ?? { since: now, fired: false, last: b };
      h.last = b;
      if (!h.fired && now - h.since >= forS * 1000) {
        h.fired = true;
        out.push({ ...b, state: 'firing' });
      }
      this.held.set(b.id, h);
    }
    for (const [id, h] of this.held) {
      if (seen.has(id)) continue;
      this.held.delete(id);
      if (h.fired) out.push({ ...h.last, state: 'resolved', message: `resolved: ${h.last.message.replace(/ \(threshold [^)]*\)$/, '')} no longer holds` });
    }
    return out;
  }
}
