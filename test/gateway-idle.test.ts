/**
 * An idle gateway sleeps until one of its chains commits a block (issue #20: each pair of chains
 * was polled every 50 ms, about 10 % of a core per idle node). The pair loops are driven here by
 * endpoints whose blocks the test announces by hand, with the timers mocked, so "nothing happens
 * while idle" is checked without waiting on the clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BLOCK_WAIT_MS, Gateway, localEndpoint, type ChainEndpoint } from '../src/crosschain/index.ts';
import { openRelayWorld } from './helpers/xchain.ts';

/** A chain with nothing to relay; `block()` announces a block to its listeners. */
function quietChain(id: string, announces: boolean): { ep: ChainEndpoint; block: () => void; outboxReads: () => number; listeners: () => number } {
  const listeners = new Set<() => void>();
  let reads = 0;
  const ep: ChainEndpoint = {
    id,
    height: async () => 1,
    proof: async () => assert.fail('an idle pair reads no proofs'),
    outbox: async () => {
      reads++;
      return { lastSequence: 0, packets: [] };
    },
    state: async () => null,
    call: async () => assert.fail('an idle pair sends nothing'),
    ...(announces ? {
      onBlock(listener: () => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    } : {}),
  };
  return { ep, block: () => { for (const l of [...listeners]) l(); }, outboxReads: () => reads, listeners: () => listeners.size };
}

/** Lets every ready promise chain run (setImmediate is not mocked). */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise<void>((r) => setImmediate(r));
}

test('an idle pair of chains that announce blocks is read once per block, not polled', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const a = quietChain('alpha', true);
  const b = quietChain('beta', true);
  const gw = new Gateway({ chains: [a.ep, b.ep], idleMs: 50 });
  gw.start();
  await settle();
  // One round per ordered pair: alpha→beta reads alpha's outbox, beta→alpha beta's.
  assert.equal(gw.stats.rounds, 2);
  assert.deepEqual([a.outboxReads(), b.outboxReads()], [1, 1]);

  t.mock.timers.tick(BLOCK_WAIT_MS - 1);
  await settle();
  assert.equal(gw.stats.rounds, 2, 'no round while neither chain commits a block');

  a.block();
  await settle();
  assert.equal(gw.stats.rounds, 4, 'a block on alpha wakes both pairs it is in');
  assert.deepEqual([a.outboxReads(), b.outboxReads()], [2, 2]);

  // A block that is missed still cannot stall a pair for longer than BLOCK_WAIT_MS.
  t.mock.timers.tick(BLOCK_WAIT_MS);
  await settle();
  assert.equal(gw.stats.rounds, 6);

  const stopping = gw.stop();
  await settle();
  await stopping;
  assert.deepEqual([a.listeners(), b.listeners()], [0, 0], 'stopping unsubscribes from both chains');
});

test('endpoints that do not announce blocks (HTTP) are still polled every idleMs', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const a = quietChain('alpha', false);
  const b = quietChain('beta', false);
  const gw = new Gateway({ chains: [a.ep, b.ep], idleMs: 50 });
  gw.start();
  await settle();
  assert.equal(gw.stats.rounds, 2);
  t.mock.timers.tick(50);
  await settle();
  assert.equal(gw.stats.rounds, 4);
  const stopping = gw.stop();
  await settle();
  await stopping;
});

test('a local endpoint announces each block its chain commits, until unsubscribed', async (t) => {
  const w = await openRelayWorld(t);
  const ep = localEndpoint(w.a.chain, w.gateway);
  let heard = 0;
  const off = ep.onBlock!(() => heard++);
  await w.a.tick();
  await w.a.tick();
  assert.equal(heard, 2);
  off();
  await w.a.tick();
  assert.equal(heard, 2);
});
