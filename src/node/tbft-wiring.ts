/**
 * What the tbft driver of a chain (src/consensus/tbft/driver.ts) gets from this node: the peer
 * network for that chain, and where evidence of equivocation goes.
 */
import { asJson } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import type { Chain } from '../chain/index.ts';
import type { BlockCatchUp, Evidence, TbftTrace, TbftTransport } from '../consensus/index.ts';
import { signTx } from '../ledger/index.ts';
import { BlockSyncer, serveSync, type PeerNetwork, type SyncBlock } from '../net/index.ts';
import { COMPACT_TOPIC, CompactProposals } from './compact-proposals.ts';

/** The `consensus` and `sync` topics of one chain on the node's peer network. */
export function tbftTransport(net: PeerNetwork, chain: Chain, trace?: TbftTrace): TbftTransport {
  const id = chain.id;
  const compact = new CompactProposals(net, chain, trace ? { trace } : {});
  return {
    join: () => {
      net.addChain(id);
      const stopServingTxs = compact.serve();
      const stopServingSync = serveSync(net, id, {
        height: () => chain.height(),
        headHash: () => chain.info().headHash,
        getBlocks: async (from, max) => {
          const out: SyncBlock[] = [];
          for (let h = from; h < from + max && h <= chain.height(); h++) {
            const block = chain.getBlock(h);
            const commit = chain.getCommit(h);
            if (!block || commit === undefined) break;
            out.push({ block, commit });
          }
          return out;
        },
      });
      return () => {
        stopServingTxs();
        stopServingSync();
      };
    },
    peers: () => net.peers(id),
    send: (peer, message) => {
      const c = message.type === 'proposal' ? compact.outgoing(message) : undefined;
      if (c) net.send(peer, id, c.topic, c.body);
      else net.send(peer, id, 'consensus', asJson(message));
    },
    onMessage: (handler) => {
      const offFull = net.on(id, 'consensus', (body, from) => {
        handler(body, from);
      });
      const offCompact = net.on(id, COMPACT_TOPIC, (body, from) => {
        void compact.rebuild(body, from).then((full) => {
          if (full) handler(asJson(full), from);
        });
      });
      return () => {
        offFull();
        offCompact();
      };
    },
    refreshPeers: () => net.refreshPeers(),
    syncer: (target): BlockCatchUp => {
      const syncer = new BlockSyncer(net, { chain: id, target });
      return {
        peerHeights: async () => (await syncer.status()).map((s) => s.height),
        syncToTip: () => syncer.syncToTip(),
        stop: () => syncer.stop(),
      };
    },
  };
}

/** Writes equivocation on chain (module `evidence`), signed by this validator; peers may report it too. */
export function evidenceReporter(chain: Chain, key: KeyPair, log: (line: string) => void): (evidence: Evidence) => Promise<void> {
  return async (evidence) => {
    if (!chain.genesis.modules.includes('evidence')) return;
    const did = didFromPublicKey(key.publicKey);
    const { tx } = signTx(key, {
      chain: chain.id, module: 'evidence', method: 'submit', args: { evidence: asJson(evidence) },
      nonce: chain.nonces(did).pendingNonce, expires: chain.height() + 100,
    });
    const answer = await chain.submitBody(JSON.stringify(tx));
    const r = answer.kind === 'invalid' ? answer : answer.results[0]!;
    if ('accepted' in r && !r.accepted) log(`chain ${chain.id}: evidence not accepted: ${r.message}`);
  };
}
