import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The userspace network emulator (netem.c beside this file; issue #21): what `tc netem` does, for
 * kernels without sch_netem. It opens one TUN per host inside the host's namespace and forwards
 * IPv4 packets between them through directed links that add delay, jitter, loss, duplication,
 * reordering and a rate, or are cut. Built with the machine's `cc` on first use, cached by the
 * source's hash. Commands are written to its stdin in order and each is answered with one line;
 * `sync()` waits for every answer so far.
 */
export interface Impairment {
  /** One-way delay, ms. */
  delayMs?: number;
  /** Each packet's delay varies uniformly by ± this, ms (and so packets reorder). */
  jitterMs?: number;
  /** Packets dropped, percent. */
  lossPct?: number;
  /** Packets sent twice, percent. */
  dupPct?: number;
  /** Packets sent at once, overtaking the delayed ones, percent (netem's `reorder`). */
  reorderPct?: number;
  /** Link rate, kbit/s (0: unlimited). */
  rateKbit?: number;
  /** Packets a link holds at most; more are dropped (default 1000). */
  limitPackets?: number;
}

/** The emulator's counters: packets forwarded, dropped by loss / a cut / a full queue, duplicated, sent early, in flight, not for a host. */
export interface NetemStats { fwd: number; loss: number; cut: number; dup: number; reorder: number; full: number; queued: number; bad: number }

const source = join(dirname(fileURLToPath(import.meta.url)), 'netem.c');

/** The emulator binary, compiled from netem.c with `cc` unless a build of this very source is cached. */
export function netemBinary(): string {
  const text = readFileSync(source);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(process.env.SHULIAN_NETEM_CACHE ?? join(tmpdir(), 'shulian-netem'), hash);
  const bin = join(dir, 'netem');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  // Compiled to a name of its own and renamed: parallel test files never run a half-written binary.
  const part = `${bin}.${process.pid}`;
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', part, source], { encoding: 'utf8' });
  if (r.error) throw new Error(`the network emulator is C and needs a C compiler: running cc failed (${r.error.message}); install gcc or clang (Debian: apt-get install gcc)`);
  if (r.status !== 0) throw new Error(`cc could not compile ${source} (exit ${r.status}):\n${r.stderr}`);
  renameSync(part, bin);
  return bin;
}

export function impairmentArgs(o: Impairment): string {
  const kv: Array<[string, number | undefined]> = [['delay', o.delayMs], ['jitter', o.jitterMs], ['loss', o.lossPct], ['dup', o.dupPct], ['reorder', o.reorderPct], ['rate', o.rateKbit], ['limit', o.limitPackets]];
  return kv.filter(([, v]) => v !== undefined && v !== 0).map(([k, v]) => `${k}=${v}`).join(' ');
}

export class Netem {
  private readonly proc: ChildProcess;
  private readonly waiting: Array<{ line: string; resolve: (answer: string) => void }> = [];
  private failure: string | undefined;
  private out = '';
  private err = '';
  private exited = false;

  /** Starts the emulator over `hosts` (namespace, TUN name, the TUN's IPv4 address), its choices seeded by `seed`. */
  constructor(hosts: Array<{ ns: string; tun: string; ip: string }>, seed: number) {
    this.proc = spawn(netemBinary(), [String(seed), ...hosts.map((h) => `${h.ns}:${h.tun}:${h.ip}`)], { stdio: ['pipe', 'pipe', 'pipe'] });
    // The first line is "ready"; then one answer per command, in order.
    this.waiting.push({ line: '(start)', resolve: (a) => void (a === 'ready' || (this.failure ??= `the emulator did not start: ${a}`)) });
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      let nl: number;
      while ((nl = this.out.indexOf('\n')) >= 0) {
        const answer = this.out.slice(0, nl);
        this.out = this.out.slice(nl + 1);
        const w = this.waiting.shift();
        if (w && answer.startsWith('error')) this.failure ??= `netem '${w.line}': ${answer}`;
        w?.resolve(answer);
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => void (this.err = (this.err + d.toString()).slice(-4000)));
    this.proc.once('exit', (code) => {
      this.exited = true;
      this.failure ??= `the emulator exited (${code}): ${this.err.trim()}`;
      for (const w of this.waiting.splice(0)) w.resolve(`error: exited`);
    });
    this.proc.stdin!.on('error', () => undefined);
  }

  /** Sends a command; it takes effect in order with every other, before any later one. */
  send(line: string): Promise<string> {
    if (this.exited) throw new Error(this.failure ?? 'the emulator is not running');
    return new Promise((resolve) => {
      this.waiting.push({ line, resolve });
      this.proc.stdin!.write(`${line}\n`);
    });
  }

  /** Waits until every command so far is answered; throws the first error any answered with (once). */
  async sync(): Promise<void> {
    const last = this.waiting.at(-1);
    if (last) await new Promise<void>((r) => {
      const prev = last.resolve;
      last.resolve = (a) => {
        prev(a);
        r();
      };
    });
    const failure = this.failure;
    if (failure && !this.exited) this.failure = undefined;
    if (failure) throw new Error(failure);
  }

  async stats(): Promise<NetemStats> {
    const a = await this.send('stats');
    if (!a.startsWith('{')) throw new Error(`netem stats: ${a}`);
    return JSON.parse(a) as NetemStats;
  }

  /** Closes its stdin (it exits) and kills it. */
  stop(): void {
    this.proc.stdin!.end();
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}
