import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NetLab, netnsUnavailable } from '../helpers/netns/lab.ts';
import { netemBinary } from '../helpers/netns/netem.ts';
import { tempDir } from '../helpers/tmp.ts';

// The userspace network emulator itself (test/helpers/netns/netem.c, issue #21), on two bare
// namespaces: what it does to packets between them, how it refuses a bad command, and the error
// when it cannot be built. The validators over it are in faults.test.ts.

const unavailable = netnsUnavailable();
const opts = { skip: unavailable ? `network namespaces unavailable: ${unavailable}` : false };
let lab: NetLab | undefined;

before(async () => {
  if (unavailable) return;
  lab = new NetLab(2, { seed: 7 });
  await lab.sync();
});
after(() => lab?.destroy());

/** TCP echo round trips from host 0 to an echo server on host 1, over the TUN path: each RTT in ms. */
function echoRtts(n: number): number[] {
  const l = lab!;
  const to = l.hosts[1]!.p2pIp;
  const server = `require('net').createServer((s) => s.pipe(s)).listen(9000, '${to}', () => console.log('up'))`;
  // The client retries its connection until the server listens (refused until then), for up to 20 s.
  const client = `
    const go = (tries) => {
      const s = require('net').connect(9000, '${to}');
      s.on('error', () => (tries > 400 ? process.exit(5) : setTimeout(() => go(tries + 1), 50)));
      s.on('connect', async () => {
        s.setNoDelay(true);
        const rtts = [];
        for (let i = 0; i < ${n}; i++) {
          const t = performance.now();
          s.write('x');
          await new Promise((r) => s.once('data', r));
          rtts.push(performance.now() - t);
        }
        console.log(JSON.stringify(rtts));
        s.destroy();
      });
    };
    go(0);`;
  // One shell in host 1 runs the server for as long as the client (in host 0) runs.
  const script = `${l.exec(1).join(' ')} ${process.execPath} -e "${server}" > /dev/null & S=$!; ${l.exec(0).join(' ')} ${process.execPath} -e "${client.replace(/\n/g, ' ')}"; R=$?; kill $S; exit $R`;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `the echo client failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as number[];
}

test('netem: a 50 ms delay each way makes every round trip take at least 100 ms; duplicated packets are counted and TCP still delivers; a cut link drops', opts, async () => {
  const l = lab!;
  l.impair(0, 1, { delayMs: 50 });
  l.impair(1, 0, { delayMs: 50, dupPct: 100 });
  await l.sync();
  const s0 = await l.emulatorStats();
  const rtts = echoRtts(5);
  const s1 = await l.emulatorStats();
  // The emulator never sends a packet before its time: a lower bound, not a timing threshold.
  assert.ok(rtts.every((t) => t >= 100), `round trips over 2 × 50 ms: ${rtts.map((t) => t.toFixed(1)).join(', ')}`);
  assert.ok(s1.fwd - s0.fwd >= 10, `packets forwarded: ${s1.fwd - s0.fwd}`);
  // Every packet from 1 to 0 was sent twice (host 0's TCP drops the copies).
  assert.ok(s1.dup - s0.dup >= 5, `packets duplicated: ${s1.dup - s0.dup}`);
  assert.equal(s1.loss - s0.loss, 0);

  l.clearImpairments();
  l.cut(0, 1);
  await l.sync();
  const c0 = (await l.emulatorStats()).cut;
  // Nothing listens on host 1 now, so without the cut the connection would be refused at once
  // (exit 4); across the cut its SYNs are dropped silently and it times out (exit 3).
  const r = spawnSync(l.exec(0)[0]!, [...l.exec(0).slice(1), process.execPath, '-e', `const s = require('net').connect(9000, '${l.hosts[1]!.p2pIp}'); s.setTimeout(1500, () => process.exit(3)); s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(4));`], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 3, `a connection across a cut link timed out (exit 3), got ${r.status}: ${r.stderr}`);
  assert.ok((await l.emulatorStats()).cut > c0, 'the emulator dropped the SYNs on the cut link');
  l.heal(0, 1);
  await l.sync();
  assert.equal(echoRtts(1).length, 1, 'healed, the echo goes through');
});

test('netem: a bad command is refused with what was wrong, and changes nothing', opts, async () => {
  const l = lab!;
  l.impair(0, 1, { delayMs: -5 });
  await assert.rejects(l.sync(), /delay wants a number >= 0/);
  l.impair(0, 1, { lossPct: 150 });
  await assert.rejects(l.sync(), /out of range: loss/);
  // Nothing was applied: no packet is lost or delayed by the refused settings.
  const s0 = await l.emulatorStats();
  echoRtts(3);
  assert.equal((await l.emulatorStats()).loss - s0.loss, 0);
  await l.sync();
});

test('netem: without a C compiler the build fails with a clear error', opts, () => {
  const cache = tempDir('shulian-netem-cache-');
  const [path, dir] = [process.env.PATH, process.env.SHULIAN_NETEM_CACHE];
  process.env.PATH = cache.dir;
  process.env.SHULIAN_NETEM_CACHE = cache.dir;
  try {
    assert.throws(() => netemBinary(), /needs a C compiler: running cc failed .*install gcc or clang/);
  } finally {
    process.env.PATH = path;
    if (dir === undefined) delete process.env.SHULIAN_NETEM_CACHE;
    else process.env.SHULIAN_NETEM_CACHE = dir;
    cache.cleanup();
  }
});
