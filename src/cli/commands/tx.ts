import { nodeFetch } from '../node-fetch.ts';
import { foreign, ShulianError, HEX64_RE as HASH_RE, type JsonValue } from '../../codec/index.ts';
import { ShulianClient } from '../../sdk/index.ts';
import type { CommittedTx, TxStatus } from '../../sdk/index.ts';
import { loadKey } from '../keyfile.ts';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { genesisHashArg, verifyingClient } from '../trust.ts';


export function parseArgsJson(s: string): JsonValue {
  try {
    return JSON.parse(s) as JsonValue;
  } catch (err) {
    throw usage(`--args is not valid JSON (${(err as Error).message}); quote it for the shell, e.g. --args '{"hash":"…"}'`);
  }
}

export interface TxSendOptions extends CommonOptions {
  chain: string;
  module: string;
  method: string;
  args: string;
  key: string;
  passwordEnv?: string;
  wait?: boolean;
  expiresIn: number;
  timeout: number;
}

export function receiptLines(inc: CommittedTx): string[] {
  const r = inc.receipt;
  const lines = [
    `status     committed, ${r.status === 'ok' ? 'ok' : `FAILED ${r.code ?? ''}${r.message ? `: ${r.message}` : ''}`}`,
    `chain      ${inc.chain}`,
    `height     ${inc.height} (index ${inc.index})`,
    `block      ${inc.blockHash}`,
    `call       ${inc.tx.module}.${inc.tx.method} from ${inc.tx.from} nonce ${inc.tx.nonce}`,
    `gasUsed    ${r.gasUsed}`,
  ];
  if (r.result !== undefined) lines.push(`result     ${JSON.stringify(r.result)}`);
  for (const e of r.events) lines.push(`event      ${e.module}.${e.type} ${JSON.stringify(e.data)}`);
  return lines;
}

export async function txSend(o: TxSendOptions): Promise<void> {
  const args = parseArgsJson(o.args);
  const client = new ShulianClient({ baseUrl: apiUrl(o), fetch: nodeFetch });
  const key = await loadKey(o.key, o.passwordEnv);
  const hash = await client.send(o.chain, key, { module: o.module, method: o.method, args }, { expiresIn: o.expiresIn });
  if (!o.wait) {
    emit(o, { hash, status: 'pending', chain: o.chain }, () => [`submitted  ${hash}`, `follow it with: shulian tx get ${hash}`]);
    return;
  }
  const inc = await client.waitForTx(hash, { timeoutMs: o.timeout });
  emit(o, inc, () => [`tx         ${hash}`, ...receiptLines(inc)]);
  if (inc.receipt.status !== 'ok') {
    throw new ShulianError(foreign(inc.receipt.code) ?? 'TX_FAILED', `transaction ${hash} is in block ${inc.height} but failed: ${inc.receipt.message ?? inc.receipt.code ?? 'no reason given'}`);
  }
}

export interface TxGetOptions extends CommonOptions {
  verify?: boolean;
  genesisHash?: string;
}

export async function txGet(hash: string, o: TxGetOptions): Promise<void> {
  if (!HASH_RE.test(hash)) throw usage(`"${hash}" is not a transaction hash (64 lowercase hex digits)`);
  const pin = genesisHashArg(o.genesisHash);
  let r: TxStatus & { proofVerified?: true };
  if (o.verify) {
    const plain = new ShulianClient({ baseUrl: apiUrl(o), fetch: nodeFetch });
    const t = await plain.tx(hash);
    if (t.status !== 'committed') throw new ShulianError('TX_PENDING', `transaction ${hash} is still pending on chain ${t.chain}; nothing to verify until it is in a block`);
    r = await verifyingClient(o, pin ? { [t.chain]: pin } : {}).verifiedTx(hash);
  } else {
    r = await new ShulianClient({ baseUrl: apiUrl(o), fetch: nodeFetch }).tx(hash);
  }
  emit(o, r, () => {
    if (r.status === 'pending') return [`tx         ${hash}`, `status     pending in the mempool of chain ${r.chain}`];
    const lines = [`tx         ${hash}`, ...receiptLines(r)];
    if (r.proofVerified) lines.push(`proof      verified locally: Merkle proofs and the tx signature, under block ${r.height} final by the validators of that height (followed from the chain's genesis)`);
    return lines;
  });
}
