import { ShulianError } from '../../codec/index.ts';
import { issuerKeyOf, runNode } from './up.ts';

/** `shulian node --config FILE`: one node of an alliance that may span machines. */
export async function nodeRun(o: { config: string; json?: boolean }): Promise<void> {
  const { loadNodeConfig } = await import('../../node/index.ts');
  const c = loadNodeConfig(o.config);
  if (!c.p2p) throw new ShulianError('CONFIG_INVALID', `${o.config}: a node of a cluster needs a p2p section`);
  const issuer = await issuerKeyOf(c.vc?.issuerKey, c.vc?.passwordEnv);
  await runNode({
    dataDir: c.dataDir, port: c.api.port, host: c.api.host, allianceFile: c.alliance,
    ...(c.api.publicUrl !== undefined ? { publicUrl: c.api.publicUrl } : {}), ...(c.api.rateLimits ? { rateLimits: c.api.rateLimits } : {}),
    p2p: { host: c.p2p.host, port: c.p2p.port, peers: c.p2p.peers }, ...(o.json ? { json: true } : {}),
    ...(c.mempool ? { mempool: c.mempool } : {}), ...(issuer ? { issuer } : {}),
    ...(c.stateSync ? { stateSync: c.stateSync } : {}), ...(c.snapshotInterval ? { snapshotInterval: c.snapshotInterval } : {}),
    ...(c.minFreeBytes !== undefined ? { minFreeBytes: c.minFreeBytes } : {}),
  });
}
