import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson } from '../helpers/netns/cluster.ts';
import { netSuite } from '../helpers/netns/suite.ts';
import { waitFor } from '../helpers/tmp.ts';

// The fault suite's second file (issue #21; faults.test.ts has the link faults): four validator
// processes in their own network namespaces, validator 1's clock 5 s ahead and validator 2's
// 5 s behind from the start (SHULIAN_CLOCK_SKEW_MS), clients writing through every node the
// whole time. Clock skew, and kill -9 of the proposer round after round; the history checked
// after each. The long version: `npm run bench -- netfaults`.

const SKEW = 5000;
const skews = [SKEW, -SKEW, 0, 0];
const { opts, cluster, heights, commitsGrow, check } = netSuite({ env: (i): Record<string, string> => (skews[i] ? { SHULIAN_CLOCK_SKEW_MS: String(skews[i]) } : {}) });

test('clock skew ±5 s (validator 1 five seconds ahead, validator 2 five behind): commits go on, block times never go backwards nor run ahead of the fastest clock, the history checks', opts, async () => {
  assert.match(cluster().nodes[0]!.out, /clock: block times proposed and judged with this host's clock \+5000 ms/);
  const ahead = cluster().nodes[0]!.did;
  const from = Math.max(...(await heights()));
  // Every block is read from node 3 (an unskewed clock) as soon as it is committed, with the
  // wall time of reading: no block may be later than the fastest clock (real time + 5 s) then.
  const seen = new Map<number, { time: number; proposer: string; readAt: number }>();
  const api = cluster().nodes[2]!.api;
  const read = async (): Promise<void> => {
    const top = (await getJson<{ height: number }>(`${api}/v1/chains/notary`, 2000))?.height ?? 0;
    for (let h = Math.max(from, ...seen.keys()) + 1; h <= top; h++) {
      const b = await getJson<{ header: { time: number; proposer: string } }>(`${api}/v1/chains/notary/blocks/${h}`, 2000);
      if (!b) return;
      seen.set(h, { time: b.header.time, proposer: b.header.proposer, readAt: Date.now() });
    }
  };
  // A block of the validator 5 s ahead, followed by one whose proposer's clock is behind it: that
  // block's time is its parent's + 1 ms (BFT time: never backwards), not its proposer's clock.
  const aheadThenCatchUp = (): boolean => [...seen].some(([h, b]) => b.proposer === ahead && seen.get(h + 1) !== undefined && seen.get(h + 1)!.proposer !== ahead && seen.get(h + 1)!.time === b.time + 1);
  try {
    await waitFor(async () => {
      await read();
      return seen.size >= 8 && aheadThenCatchUp();
    }, 'eight heights with skewed clocks, including a block of the validator 5 s ahead and the next at its parent\'s time + 1 ms', 180_000);
    await commitsGrow(3, 'with skewed clocks');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${cluster().outputs()}`);
  }
  const blocks = [...seen].sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < blocks.length; k++) assert.ok(blocks[k]![1].time > blocks[k - 1]![1].time, `block ${blocks[k]![0]}'s time goes back from its parent's`);
  for (const [h, b] of blocks) assert.ok(b.time <= b.readAt + SKEW, `block ${h} (by ${b.proposer}) has time ${b.time}, over 5 s past the wall clock ${b.readAt} when read`);
  const lead = blocks.map(([, b]) => b.time - b.readAt);
  process.stderr.write(`clock-skew: ${blocks.length} blocks; block time minus wall time when read: max ${Math.max(...lead)} ms, min ${Math.min(...lead)} ms; by the +5 s validator: ${blocks.filter(([, b]) => b.proposer === ahead).length}\n`);
  await check([0, 1, 2, 3]);
});

test('kill -9 of the proposer in each of three rounds, restarted each time: the history checks; commits go on after', opts, async () => {
  // The CI variant: three rounds; the bench kills the proposer round after round for a minute.
  const kills: Array<{ index: number; height: number; round: number }> = [];
  try {
    for (let k = 0; k < 3; k++) {
      // Every validator up again and past the last kill's height first, so at most one is ever
      // down (3 of 4 keep a quorum) and each kill is in a later round.
      await cluster().waitReady('notary', kills.at(-1)?.height ?? 1, 180_000);
      const killed = await cluster().killProposer('notary');
      assert.ok(killed, 'a running node named the current proposer');
      kills.push(killed);
      // Its round times out and the next round's proposer commits the height without it.
      await waitFor(async () => Math.max(...(await heights())) >= killed.height, `height ${killed.height} committed without its killed proposer`, 120_000);
    }
    await cluster().waitReady('notary', 1, 180_000);
    await commitsGrow(3, 'after the proposer kills');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${cluster().outputs()}`);
  }
  process.stderr.write(`kill-proposer: ${kills.map((k) => `node ${k.index} at height ${k.height} round ${k.round}`).join('; ')}\n`);
  assert.equal(new Set(kills.map((k) => `${k.height}/${k.round}`)).size, 3, 'each kill was in a different round');
  const top = Math.max(...kills.map((k) => k.height));
  await waitFor(async () => Math.min(...(await heights())) >= top, 'every node past the last kill', 90_000);
  await check([0, 1, 2, 3]);
});
