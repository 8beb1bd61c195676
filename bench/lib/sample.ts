/** Sequential-rate sampling for in-process benches: calls, wall time and the process's CPU time. */

export interface Sample {
  n: number;
  ms: number;
  cpuMs: number;
}

export const noSample = (): Sample => ({ n: 0, ms: 0, cpuMs: 0 });

/** Runs `body` sequentially (each awaited, `batch` at a time) for about `ms`. */
export async function sample(ms: number, body: () => Promise<unknown>, batch = 20): Promise<Sample> {
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) await body();
    n += batch;
    t = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return { n, ms: t - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export const addSamples = (a: Sample, b: Sample): Sample => ({ n: a.n + b.n, ms: a.ms + b.ms, cpuMs: a.cpuMs + b.cpuMs });

/**
 * `a` and `b` in alternating rounds of about `ms` each, which one goes first alternating too, so
 * both see the same machine load and neither always inherits the other's garbage.
 */
export async function sideBySide(rounds: number, ms: number, a: () => Promise<unknown>, b: () => Promise<unknown>, batch = 20): Promise<[Sample, Sample]> {
  let sa = noSample();
  let sb = noSample();
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      sa = addSamples(sa, await sample(ms, a, batch));
      sb = addSamples(sb, await sample(ms, b, batch));
    } else {
      sb = addSamples(sb, await sample(ms, b, batch));
      sa = addSamples(sa, await sample(ms, a, batch));
    }
  }
  return [sa, sb];
}
