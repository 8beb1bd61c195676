/** Discrete-event scheduler over virtual time: events run in (time, insertion order). */
interface Ev {
  time: number;
  seq: number;
  run: () => void;
}

export class Scheduler {
  now = 0;
  executed = 0;
  private heap: Ev[] = [];
  private seq = 0;

  at(time: number, run: () => void): void {
    const ev: Ev = { time: Math.max(time, this.now), seq: this.seq++, run };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  after(ms: number, run: () => void): void {
    this.at(this.now + ms, run);
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs events until the queue is empty, `until` is passed, or `stop()` says so. */
  run(until: number, stop: () => boolean): void {
    const h = this.heap;
    while (h.length > 0 && !stop()) {
      const top = h[0]!;
      if (top.time > until) break;
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && less(h[l]!, h[m]!)) m = l;
          if (r < h.length && less(h[r]!, h[m]!)) m = r;
          if (m === i) break;
          [h[i], h[m]] = [h[m]!, h[i]!];
          i = m;
        }
      }
      this.now = top.time;
      this.executed++;
      top.run();
    }
    if (this.now < until && (h.length === 0 || h[0]!.time > until) && !stop()) this.now = until;
  }
}

function less(a: Ev, b: Ev): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
