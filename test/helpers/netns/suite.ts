import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir, waitFor } from '../tmp.ts';
import { checkHistory, type CheckReport } from './checker.ts';
import { getJson, NetCluster } from './cluster.ts';
import { NetLab, netnsUnavailable } from './lab.ts';
import { Workload } from './workload.ts';

/**
 * One fault-suite file's fixture (issue #21): four validator processes, each in its own network
 * namespace, started once for the file (before) with closed-loop clients writing through every
 * node, and removed after it. `env(i)` adds to node i's environment (e.g. a clock skew). Where
 * namespaces are unavailable, `opts` skips every test with the reason.
 */
export interface NetSuite {
  opts: { skip: string | false };
  lab: () => NetLab;
  cluster: () => NetCluster;
  work: () => Workload;
  /** Every node's notary height (−1 for one that does not answer). */
  heights: () => Promise<number[]>;
  /** Waits until the acknowledged commits grow by `n` (the clients' writes go through). */
  commitsGrow: (n: number, what: string, timeoutMs?: number) => Promise<void>;
  /** Checks the history so far against the chains of `honest` and fails with every violation. */
  check: (honest: number[]) => Promise<CheckReport>;
  /** Cuts `groups` apart (NetLab.partition); healed by the function returned or, whatever happens, when test `t` ends. */
  partition: (t: { after: (fn: () => void) => void }, groups: number[][]) => () => void;
}

export function netSuite(o: { env?: (i: number) => Record<string, string> } = {}): NetSuite {
  const unavailable = netnsUnavailable();
  if (unavailable) process.stderr.write(`net-faults: skipped: ${unavailable}\n`);
  let lab: NetLab | undefined;
  let cluster: NetCluster | undefined;
  let work: Workload | undefined;
  const tmp = tempDir('shulian-netfaults-');
  const s: NetSuite = {
    opts: { skip: unavailable ? `network namespaces unavailable: ${unavailable}` : false },
    lab: () => lab!,
    cluster: () => cluster!,
    work: () => work!,
    heights: async () => Promise.all(cluster!.nodes.map(async (n) => (await getJson<{ height: number }>(`${n.api}/v1/chains/notary`, 2000))?.height ?? -1)),
    commitsGrow: async (n, what, timeoutMs = 90_000) => {
      const from = work!.committedCount();
      await waitFor(() => work!.committedCount() >= from + n, `${n} more acknowledged commits ${what}`, timeoutMs);
    },
    check: async (honest) => {
      const report = checkHistory(await work!.history(honest));
      assert.deepEqual(report.violations, [], `history violations:\n${report.violations.map((v) => `${v.kind}: ${v.detail}`).join('\n')}`);
      return report;
    },
    partition: (t, groups) => {
      lab!.partition(groups);
      let healed = false;
      const heal = (): void => {
        if (!healed) lab!.healAll();
        healed = true;
      };
      t.after(heal);
      return heal;
    },
  };
  before(async () => {
    if (unavailable) return;
    lab = new NetLab(4);
    await lab.sync();
    cluster = new NetCluster(lab, tmp.dir);
    for (let i = 0; i < cluster.nodes.length; i++) cluster.start(i, o.env?.(i) ?? {});
    try {
      await cluster.waitReady('notary', 1);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${cluster.outputs()}`);
    }
    work = new Workload(cluster.nodes.map((n) => n.api), 4);
    work.start();
    await s.commitsGrow(4, 'with a healthy network');
  });
  after(async () => {
    await work?.stop();
    await cluster?.stopAll();
    lab?.destroy();
    tmp.cleanup();
  });
  return s;
}
