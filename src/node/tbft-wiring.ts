/**
 * What the tbft driver of a chain (src/consensus/tbft/driver.ts) gets from this node: the peer
 * network for that chain, and where evidence of equivocation goes.
 */
import { asJson } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import type { Chain } from '../chain/index.ts';
import type { BlockCatchUp, Evidence, TbftTransport } from '../consensus/index.ts';
import { signTx } from '../ledger/index.ts';
import { BlockSyncer, serveSync, type PeerNetwork, type SyncBlock } from '../net/index.ts';

/** The `consensus` and `sync` topics of one chain on the node's peer network. */
export function tbftTransport(net: PeerNetwork, chain: Chain): TbftTransport {
  const id = chain.id;
  return {
    join: () => {
      net.addChain(id);
      return serveSync(net, id, {
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
    },
    peers: () => net.peers(id),
    send: (peer, message) => {
      net.send(peer, id, 'consensus', asJson(message));
    },
    onMessage: (handler) => net.on(id, 'consensus', (body, from) => {
      handler(body, from);
    }),
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
