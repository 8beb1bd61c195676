/**
 * A node that lies: a real HTTP server in front of a real node's API that forwards every request
 * and, while a forger is set, rewrites the answers it names — a state value or a transaction's
 * receipt replaced, under a block header signed by whichever validator keys the test holds
 * (one validator of four, a removed one). What a client must catch with the light client.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toHex, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, hashFor, sign, type KeyPair } from '../../src/crypto/index.ts';
import {
  headerHashOf, receiptHashOf, stateKeyHash, stateValueHash, merkleProof, merkleRoot, type BlockHeader, type Receipt,
  EMPTY_ROOT, precommitBody, signBytes,
} from '../../src/ledger/index.ts';
import { MemoryNodeStore, SparseMerkleTree } from '../../src/ledger/store/index.ts';

type Body = Record<string, unknown>;
/** Rewrites the JSON answer of a GET (path with query); undefined leaves it as it is. */
export type Forger = (path: string, body: Body) => Body | undefined;

export interface LyingNode {
  url: string;
  forger: Forger | undefined;
  close(): Promise<void>;
}

export async function lyingNode(target: string): Promise<LyingNode> {
  const state: { forger: Forger | undefined } = { forger: undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
          const r = await fetch(`${target}${req.url}`, {
            method: req.method ?? 'GET',
            headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': String(req.headers['content-type'] ?? 'application/json') } : {}) },
            ...(body !== undefined ? { body } : {}),
          });
          let text = await r.text();
          const forger = state.forger;
          if (forger && r.ok && req.method === 'GET') {
            const forged = forger(req.url ?? '', JSON.parse(text) as Body);
            if (forged) text = JSON.stringify(forged);
          }
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(text);
        } catch (err) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'PROXY', message: String(err) } }));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get forger() {
      return state.forger;
    },
    set forger(f) {
      state.forger = f;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function signHeader(header: BlockHeader, signers: KeyPair[]): { hash: string; sig: string; commit: JsonValue } {
  const hash = headerHashOf('sm2', header);
  const sig = toHex(sign('sm2', signers[0]!.privateKey, Buffer.from(hash, 'hex')));
  const signatures = signers.map((k) => {
    const validator = didFromPublicKey(k.publicKey);
    return { validator, sig: toHex(sign('sm2', k.privateKey, signBytes(header.chain, precommitBody(header.chain, header.height, 0, hash, validator)))) };
  });
  return { hash, sig, commit: { chain: header.chain, height: header.height, round: 0, blockHash: hash, signatures } };
}

/**
 * A state answer saying `key` holds `lie` (null: that it is absent), under a header of the same
 * height whose state root holds just that, proposed and committed by `signers` only.
 */
export function forgeState(answer: Body, lie: JsonValue | null, signers: KeyPair[]): Body {
  const tree = new SparseMerkleTree(new MemoryNodeStore(), hashFor('sm2'));
  const key = answer.key as string;
  const root = lie === null ? EMPTY_ROOT : tree.update(EMPTY_ROOT, [{ key: stateKeyHash('sm2', key), value: stateValueHash('sm2', lie) }]);
  const header: BlockHeader = { ...(answer.header as BlockHeader), stateRoot: toHex(root), proposer: didFromPublicKey(signers[0]!.publicKey) };
  const { hash, sig, commit } = signHeader(header, signers);
  return { ...answer, value: lie, stateRoot: header.stateRoot, proof: tree.prove(root, stateKeyHash('sm2', key)), header, blockHash: hash, blockSig: sig, commit };
}

/** A committed-tx answer whose receipt says the tx failed, in a block of that tx alone, proposed and committed by `signers` only. */
export function forgeFailedTx(answer: Body, signers: KeyPair[]): Body {
  const H = hashFor('sm2');
  const receipt: Receipt = { ...(answer.receipt as Receipt), status: 'failed', code: 'FORGED', message: 'it never happened', events: [] };
  delete receipt.result;
  const txLeaves = [Buffer.from(answer.hash as string, 'hex')];
  const rcLeaves = [Buffer.from(receiptHashOf('sm2', receipt), 'hex')];
  const header: BlockHeader = {
    ...(answer.header as BlockHeader), txCount: 1, txRoot: toHex(merkleRoot(txLeaves, H)), receiptRoot: toHex(merkleRoot(rcLeaves, H)),
    proposer: didFromPublicKey(signers[0]!.publicKey),
  };
  const { hash, sig, commit } = signHeader(header, signers);
  return { ...answer, receipt, index: 0, header, blockHash: hash, blockSig: sig, commit, proof: { tx: merkleProof(txLeaves, 0, H), receipt: merkleProof(rcLeaves, 0, H) } };
}
