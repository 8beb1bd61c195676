/**
 * An open-loop HTTP client at a fixed rate (bench/market.ts's latency phase), in its own process:
 * request i is due at start + i/rate whatever happened to the earlier ones, and its latency runs
 * from that due time to the end of its answer (as wrk2 does — a stalled server is not let off by
 * a client that waits for it; no coordinated omission). Keep-alive connections, as many as the
 * calls in flight need (up to `conns`).
 *
 *   node --import tsx bench/lib/paced.ts '{"url","rate","seconds","conns","headers"?,"nonce"?}'
 *   → one JSON line {"sent","ok","non2xx","errors","rate","p50","p90","p99","max"} (latencies in ms)
 *
 * With `nonce`, each request carries x-shulian-nonce `<nonce>-<i>` (the gateway refuses a replay, and a nonce under 8 characters).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

interface Args { url: string; rate: number; seconds: number; conns?: number; headers?: Record<string, string>; nonce?: string }

const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const agent = new Agent({ keepAlive: true, maxSockets: a.conns ?? 64 });
const total = Math.round(a.rate * a.seconds);
const interval = 1000 / a.rate;
const lat: number[] = [];
let ok = 0;
let non2xx = 0;
let errors = 0;
let done = 0;
let sent = 0;

const start = performance.now() + 50;
let finish: () => void;
const finished = new Promise<void>((r) => (finish = r));

function fire(i: number, due: number): void {
  const headers = a.nonce ? { ...a.headers, 'x-shulian-nonce': `${a.nonce}-${i}` } : a.headers;
  const req = request(a.url, { agent, headers }, (res) => {
    res.resume();
    res.on('end', () => {
      lat.push(performance.now() - due);
      if (res.statusCode! >= 200 && res.statusCode! < 300) ok++;
      else non2xx++;
      if (++done === total) finish();
    });
  });
  req.on('error', () => {
    errors++;
    if (++done === total) finish();
  });
  req.end();
}

function tick(): void {
  const now = performance.now();
  while (sent < total && start + sent * interval <= now) {
    fire(sent, start + sent * interval);
    sent++;
  }
  if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
}
setTimeout(tick, 50);
await finished;
const elapsed = (performance.now() - start) / 1000;
lat.sort((x, y) => x - y);
const q = (p: number): number => Number((lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN).toFixed(3));
console.log(JSON.stringify({ sent, ok, non2xx, errors, rate: Math.round(total / elapsed), p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1 - 1e-9) }));
agent.destroy();
