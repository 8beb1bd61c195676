import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { impairmentArgs, Netem, type Impairment, type NetemStats } from './netem.ts';

export type { Impairment, NetemStats } from './netem.ts';

/**
 * A small network of Linux network namespaces for fault tests (issue #21). Each host has two
 * interfaces:
 *
 * - eth0, a veth whose other end is enslaved to a bridge in the root namespace: host i has
 *   10.<a>.<b>.(i+1)/24, the bridge .254 — how the test process (the clients) reaches every host.
 * - sltun, a TUN device with 172.31.<b>.(i+1)/24 (`p2pIp`), read and written by the userspace
 *   network emulator (netem.ts / netem.c), which forwards each packet to the destination host's
 *   TUN through the directed link i → j. The validators talk to each other on these addresses, so
 *   their traffic crosses the emulator, where delay, jitter, loss, duplication and reordering are
 *   made (this kernel has no sch_netem; see docs/testing.md "Network faults").
 *
 * Faults, per directed link:
 * - cut(i, j): the emulator drops everything i sends to j on the TUN path, and i's neighbour entry
 *   for j on the bridge is pinned to a MAC no one has (frames flooded and dropped by every NIC):
 *   silent loss on both paths, as on a pulled cable (no RST, no ICMP). heal(i, j) restores both.
 * - impair(i, j, …): delay, jitter, loss, duplication, reordering — and congestion: a rate with a
 *   short queue, like a bottleneck router's (a burst queues, then overflows and is dropped).
 *
 * Needs root, `ip`/`tc`, /dev/net/tun and `cc` (the emulator is compiled on first use). Names
 * carry this process's pid, so a lab left behind by a crashed run is removed by the next one (see
 * sweepStale), and exit handlers remove this one; the emulator exits when its stdin closes, so it
 * goes with this process whatever happens.
 */
const DEAD_MAC = '02:00:5e:00:de:ad';
/** The TUN device in every host's namespace. */
export const TUN = 'sltun';
const labs = new Set<NetLab>();
let exitHooked = false;

function sh(args: string[], allowFail = false): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr || r.error?.message}`);
  return r.stdout ?? '';
}

/** Why namespaces cannot be used here, or undefined when they can (root, `ip`, a kernel with netns, veth and bridges). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the suite as root, as CI does)';
  const probe = `slprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.error) return `the ip command is missing (${r.error.message}); install iproute2`;
  if (r.status !== 0) return `this kernel cannot make network namespaces: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  const v = spawnSync('ip', ['link', 'add', `${probe}a`, 'type', 'veth', 'peer', 'name', `${probe}b`], { encoding: 'utf8' });
  if (v.status !== 0) return `this kernel cannot make veth pairs: ${v.stderr.trim()}`;
  spawnSync('ip', ['link', 'del', `${probe}a`]);
  const t = spawnSync('ip', ['tuntap', 'add', 'dev', `${probe}t`, 'mode', 'tun'], { encoding: 'utf8' });
  if (t.status !== 0) return `this kernel cannot make TUN devices (the network emulator needs /dev/net/tun): ${t.stderr.trim()}`;
  spawnSync('ip', ['link', 'del', `${probe}t`]);
  return undefined;
}

/** Removes namespaces and bridges left by labs whose process is gone. */
export function sweepStale(): void {
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const line of sh(['ip', 'netns', 'list'], true).split('\n')) {
    const m = /^(shl(\d+)n\d+)\b/.exec(line);
    if (m && !alive(Number(m[2]))) sh(['ip', 'netns', 'del', m[1]!], true);
  }
  for (const line of sh(['ip', '-o', 'link', 'show', 'type', 'bridge'], true).split('\n')) {
    const m = /^\d+: (shl(\d+)br)\b/.exec(line);
    if (m && !alive(Number(m[2]))) sh(['ip', 'link', 'del', m[1]!], true);
  }
}

export class NetLab {
  /** `ip` on the bridge (the clients' path), `p2pIp` on the TUN (the emulated path between hosts). */
  readonly hosts: Array<{ ns: string; ip: string; p2pIp: string; mac: string }> = [];
  readonly bridgeIp: string;
  /** The emulator's PRNG seed (NETEM_SEED, else random): printed by a failing test, so its choices can be repeated. */
  readonly seed: number;
  private netem: Netem | undefined;
  private readonly bridge: string;
  private readonly cuts = new Set<string>();
  private destroyed = false;

  /** Creates `n` hosts. The subnet is derived from the pid so that parallel labs do not collide. */
  constructor(n: number, o: { seed?: number } = {}) {
    this.seed = o.seed ?? (process.env.NETEM_SEED ? Number(process.env.NETEM_SEED) : randomInt(2 ** 31));
    sweepStale();
    const tag = `shl${process.pid}`;
    if (tag.length + 4 > 15) throw new Error(`pid ${process.pid} too long for interface names`);
    const a = 100 + (process.pid % 100);
    const b = (Math.floor(process.pid / 100) + labs.size) % 250;
    const net = `10.${a}.${b}`;
    this.bridge = `${tag}br`;
    this.bridgeIp = `${net}.254`;
    labs.add(this);
    hookExit();
    try {
      sh(['ip', 'link', 'add', this.bridge, 'type', 'bridge']);
      sh(['ip', 'addr', 'add', `${this.bridgeIp}/24`, 'dev', this.bridge]);
      sh(['ip', 'link', 'set', this.bridge, 'up']);
      for (let i = 0; i < n; i++) {
        const ns = `${tag}n${i}`;
        const outer = `${tag}v${i}`;
        const ip = `${net}.${i + 1}`;
        const p2pIp = `172.31.${b}.${i + 1}`;
        sh(['ip', 'netns', 'add', ns]);
        sh(['ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', `${tag}i${i}`]);
        sh(['ip', 'link', 'set', `${tag}i${i}`, 'netns', ns]);
        sh(['ip', '-n', ns, 'link', 'set', `${tag}i${i}`, 'name', 'eth0']);
        sh(['ip', 'link', 'set', outer, 'master', this.bridge, 'up']);
        sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
        sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
        sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
        // A persistent TUN, configured here; the emulator attaches to it (until then it has no carrier).
        sh(['ip', '-n', ns, 'tuntap', 'add', 'dev', TUN, 'mode', 'tun']);
        sh(['ip', '-n', ns, 'addr', 'add', `${p2pIp}/24`, 'dev', TUN]);
        sh(['ip', '-n', ns, 'link', 'set', TUN, 'up']);
        const mac = /link\/ether ([0-9a-f:]{17})/.exec(sh(['ip', '-n', ns, 'link', 'show', 'eth0']))![1]!;
        this.hosts.push({ ns, ip, p2pIp, mac });
      }
      this.netem = new Netem(this.hosts.map((h) => ({ ns: h.ns, tun: TUN, ip: h.p2pIp })), this.seed);
      // Every host knows every other's MAC up front: cut/heal then only swap neighbour entries.
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) this.setNeigh(i, j, this.hosts[j]!.mac);
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** argv prefix that runs a command inside host i's namespace. */
  exec(i: number): string[] {
    return ['ip', 'netns', 'exec', this.hosts[i]!.ns];
  }

  private setNeigh(i: number, j: number, mac: string): void {
    sh(['ip', '-n', this.hosts[i]!.ns, 'neigh', 'replace', this.hosts[j]!.ip, 'lladdr', mac, 'nud', 'permanent', 'dev', 'eth0']);
  }

  private get emulator(): Netem {
    if (!this.netem) throw new Error('this lab has been destroyed');
    return this.netem;
  }

  /** Drops everything host i sends to host j (one direction), on both paths. */
  cut(i: number, j: number): void {
    // The emulator first: it carries the validators' traffic, and each neighbour entry below is a
    // blocking `ip` call (tens of ms on a loaded machine) that would otherwise hold the cut back.
    void this.emulator.send(`cut ${i} ${j}`);
    this.cutNeighbour(i, j);
  }

  /** The bridge half of a cut: i's neighbour entry for j points nowhere. */
  private cutNeighbour(i: number, j: number): void {
    this.setNeigh(i, j, DEAD_MAC);
    this.cuts.add(`${i}>${j}`);
  }

  heal(i: number, j: number): void {
    this.setNeigh(i, j, this.hosts[j]!.mac);
    void this.emulator.send(`heal ${i} ${j}`);
    this.cuts.delete(`${i}>${j}`);
  }

  /**
   * Sets the emulated link i → j to exactly `o` (what is not given is off); its cut state is
   * kept. Takes effect in order with cuts and heals; `sync()` waits until it has.
   */
  impair(i: number, j: number, o: Impairment): void {
    void this.emulator.send(`link ${i} ${j} ${impairmentArgs(o)}`.trimEnd());
  }

  /** Sets every link between hosts, both ways, to `o`. */
  impairAll(o: Impairment): void {
    void this.emulator.send(`link * * ${impairmentArgs(o)}`.trimEnd());
  }

  /** Takes every impairment off (cuts stay). */
  clearImpairments(): void {
    this.impairAll({});
  }

  /** Waits until the emulator has applied every change so far; throws if it refused one. */
  sync(): Promise<void> {
    return this.emulator.sync();
  }

  /** The emulator's packet counters since it started. */
  emulatorStats(): Promise<NetemStats> {
    return this.emulator.stats();
  }

  /** Whether host i's frames to host j are dropped. */
  isCut(i: number, j: number): boolean {
    return this.cuts.has(`${i}>${j}`);
  }

  /**
   * Cuts every link between hosts in different groups, both ways; links inside a group, and to
   * hosts named in no group, stay up (so a host in no group is a bridge that sees both sides).
   */
  partition(groups: number[][]): void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, k) => g.forEach((h) => groupOf.set(h, k)));
    const pairs: Array<[number, number]> = [];
    for (const [i, gi] of groupOf) for (const [j, gj] of groupOf) if (gi !== gj) pairs.push([i, j]);
    // Every link cut in the emulator at once, before the blocking neighbour entries: otherwise the
    // last links were cut only after a dozen `ip` calls, and a 2–2 partition still committed
    // heights in between (seen in CI under load).
    for (const [i, j] of pairs) void this.emulator.send(`cut ${i} ${j}`);
    for (const [i, j] of pairs) this.cutNeighbour(i, j);
  }

  /** Restores every link cut by cut/partition. */
  healAll(): void {
    for (const key of [...this.cuts]) {
      const [i, j] = key.split('>').map(Number) as [number, number];
      this.heal(i, j);
    }
  }

  /** Stops the emulator, deletes the namespaces (their veths and TUNs go with them) and the bridge. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.netem?.stop();
    this.netem = undefined;
    for (const h of this.hosts) sh(['ip', 'netns', 'del', h.ns], true);
    sh(['ip', 'link', 'del', this.bridge], true);
    labs.delete(this);
  }
}

const cleanups: Array<() => void> = [];

/** Runs `fn` when this process exits or is stopped by a signal, before the labs are removed (e.g. to kill the nodes in them). */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn);
  hookExit();
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const all = (): void => {
    for (const fn of cleanups.splice(0)) fn();
    for (const l of [...labs]) l.destroy();
  };
  process.once('exit', all);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(sig, () => {
      all();
      process.kill(process.pid, sig);
    });
  }
}
