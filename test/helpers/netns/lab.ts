import { spawnSync } from 'node:child_process';

/**
 * A small network of Linux network namespaces for fault tests (issue #21): one namespace per
 * host, each with one veth whose other end is enslaved to a bridge in the root namespace. Host i
 * has address 10.<a>.<b>.(i+1)/24; the bridge has .254, which is how the test process (the
 * clients) reaches every host. Faults are made in the kernel, per directed link:
 *
 * - cut(i, j): host i's neighbour entry for j is pinned to a MAC no one has, so every frame i
 *   sends to j is flooded by the bridge and dropped by every NIC: a silent loss, as on a pulled
 *   cable (no RST, no ICMP). heal(i, j) restores j's real MAC.
 * - shape(i, j, …): an HTB class limits i → j to a rate with a short packet FIFO, so a burst
 *   queues (delay) and overflows (loss) — real congestion in the kernel's qdisc. This kernel has
 *   no sch_netem and no tc actions, so fixed delay/jitter/duplication/reordering cannot be made
 *   here; see docs/testing.md "Network faults".
 *
 * Needs root and `ip`/`tc`. Names carry this process's pid, so a lab left behind by a crashed
 * run is removed by the next one (see sweepStale), and exit handlers remove this one.
 */
export interface ShapeOptions {
  /** Link rate in kbit/s. */
  rateKbit: number;
  /** FIFO length in packets: what does not fit is dropped. */
  queuePackets: number;
}

const DEAD_MAC = '02:00:5e:00:de:ad';
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
  readonly hosts: Array<{ ns: string; ip: string; mac: string }> = [];
  readonly bridgeIp: string;
  private readonly bridge: string;
  private readonly shaped = new Set<string>();
  private readonly cuts = new Set<string>();
  private destroyed = false;

  /** Creates `n` hosts. The subnet is derived from the pid so that parallel labs do not collide. */
  constructor(n: number) {
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
        sh(['ip', 'netns', 'add', ns]);
        sh(['ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', `${tag}i${i}`]);
        sh(['ip', 'link', 'set', `${tag}i${i}`, 'netns', ns]);
        sh(['ip', '-n', ns, 'link', 'set', `${tag}i${i}`, 'name', 'eth0']);
        sh(['ip', 'link', 'set', outer, 'master', this.bridge, 'up']);
        sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
        sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
        sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
        const mac = /link\/ether ([0-9a-f:]{17})/.exec(sh(['ip', '-n', ns, 'link', 'show', 'eth0']))![1]!;
        this.hosts.push({ ns, ip, mac });
      }
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

  /** Drops everything host i sends to host j (one direction). */
  cut(i: number, j: number): void {
    this.setNeigh(i, j, DEAD_MAC);
    this.cuts.add(`${i}>${j}`);
  }

  heal(i: number, j: number): void {
    this.setNeigh(i, j, this.hosts[j]!.mac);
    this.cuts.delete(`${i}>${j}`);
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
    for (const [i, gi] of groupOf) for (const [j, gj] of groupOf) if (gi !== gj) this.cut(i, j);
  }

  /** Restores every link cut by cut/partition. */
  healAll(): void {
    for (const key of [...this.cuts]) {
      const [i, j] = key.split('>').map(Number) as [number, number];
      this.heal(i, j);
    }
  }

  /** Limits host i's traffic to host j to a rate with a short FIFO (delay when it queues, loss when it overflows). */
  shape(i: number, j: number, o: ShapeOptions): void {
    const ns = this.hosts[i]!.ns;
    const tc = (...a: string[]): string => sh(['ip', 'netns', 'exec', ns, 'tc', ...a]);
    if (![...this.shaped].some((k) => k.startsWith(`${i}>`))) {
      // Root HTB; unclassified traffic (to the clients on the bridge) goes to 1:1, unshaped.
      tc('qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '1:', 'htb', 'default', '1', 'r2q', '1000');
      tc('class', 'add', 'dev', 'eth0', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '10gbit');
    }
    const cls = `1:${10 + j}`;
    const verb = this.shaped.has(`${i}>${j}`) ? 'change' : 'add';
    tc('class', verb, 'dev', 'eth0', 'parent', '1:', 'classid', cls, 'htb', 'rate', `${o.rateKbit}kbit`, 'ceil', `${o.rateKbit}kbit`, 'burst', '3k', 'cburst', '3k');
    if (verb === 'add') {
      tc('qdisc', 'add', 'dev', 'eth0', 'parent', cls, 'handle', `${10 + j}:`, 'pfifo', 'limit', String(o.queuePackets));
      tc('filter', 'add', 'dev', 'eth0', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', `${this.hosts[j]!.ip}/32`, 'flowid', cls);
    } else {
      tc('qdisc', 'change', 'dev', 'eth0', 'parent', cls, 'handle', `${10 + j}:`, 'pfifo', 'limit', String(o.queuePackets));
    }
    this.shaped.add(`${i}>${j}`);
  }

  /** Shapes every link between hosts, both ways. */
  shapeAll(o: ShapeOptions): void {
    for (let i = 0; i < this.hosts.length; i++) for (let j = 0; j < this.hosts.length; j++) if (i !== j) this.shape(i, j, o);
  }

  /** Removes all shaping. */
  unshapeAll(): void {
    for (let i = 0; i < this.hosts.length; i++) {
      if ([...this.shaped].some((k) => k.startsWith(`${i}>`))) sh(['ip', 'netns', 'exec', this.hosts[i]!.ns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root'], true);
    }
    this.shaped.clear();
  }

  /** Packets the shaping queues dropped and sent, summed over every host (from `tc -s`). */
  shapingStats(): { dropped: number; sent: number } {
    let dropped = 0;
    let sent = 0;
    for (const h of this.hosts) {
      const out = sh(['ip', 'netns', 'exec', h.ns, 'tc', '-s', 'qdisc', 'show', 'dev', 'eth0'], true);
      for (const block of out.split(/\n(?=qdisc )/)) {
        if (!block.startsWith('qdisc pfifo')) continue;
        const m = /Sent \d+ bytes (\d+) pkt \(dropped (\d+)/.exec(block);
        if (m) {
          sent += Number(m[1]);
          dropped += Number(m[2]);
        }
      }
    }
    return { dropped, sent };
  }

  /** Deletes the namespaces (their veths go with them) and the bridge. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
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
