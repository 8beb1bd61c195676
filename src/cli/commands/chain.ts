import { ShulianError } from '../../codec/index.ts';
// The SDK's light face: a read needs neither signing, proofs nor the stream (a fast start).
import { ShulianHttp, externalChains, type ExternalChain } from '../../sdk/http.ts';
import { nodeFetch } from '../node-fetch.ts';
import { apiUrl, emit, type CommonOptions } from '../output.ts';

const ago = (t: number | undefined): string => (t ? `${((Date.now() - t) / 1000).toFixed(1)} s ago` : 'never');

export async function chainList(o: CommonOptions): Promise<void> {
  const client = new ShulianHttp({ baseUrl: apiUrl(o), fetch: nodeFetch });
  const [chains, external] = await Promise.all([client.chains(), externalChains(client)]);
  emit(o, { chains, external }, () => {
    const rows = [['ID', 'NAME', 'KIND', 'SUITE', 'CONSENSUS', 'HEIGHT', 'VALIDATORS', 'MEMPOOL']];
    for (const c of chains) {
      rows.push([c.id, `${c.name}${c.nameZh ? ` (${c.nameZh})` : ''}`, c.sandbox ? `${c.kind} [SANDBOX]` : c.kind, c.suite, c.consensus, String(c.height), String(c.validators.length), String(c.mempool?.txs ?? 0)]);
    }
    // External chains after the native ones, marked with their engine in the KIND column.
    for (const c of external) {
      rows.push([c.id, `${c.name}${c.nameZh ? ` (${c.nameZh})` : ''}`, `external:${c.engine}`, '-', c.finality?.rule.startsWith('instant') ? 'instant' : (c.finality?.rule ?? '-'),
        c.height < 0 ? '-' : String(c.height), '-', c.reachable ? '-' : `unreachable${c.error ? `: ${c.error}` : ''}`]);
    }
    return table(rows);
  });
}

/** Left-aligned columns; widths count CJK characters as two cells. */
export function table(rows: string[][]): string[] {
  const cells = (s: string): number => Array.from(s).reduce((n, ch) => n + (/[\u1100-\uffff]/.test(ch) ? 2 : 1), 0);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => cells(r[i] ?? ''))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - cells(c)))).join('  '));
}

async function externalStatus(client: ShulianHttp, id: string, o: CommonOptions): Promise<boolean> {
  let c: ExternalChain;
  try {
    c = await client.getJson<ExternalChain>(`/external-chains/${encodeURIComponent(id)}`);
  } catch (err) {
    if ((err as { code?: string }).code === 'CHAIN_NOT_FOUND' || (err as { code?: string }).code === 'NOT_FOUND') return false;
    throw err;
  }
  emit(o, c, () => {
    const lines = [
      `chain      ${c.id} (external, engine ${c.engine}${c.chainId !== undefined ? `, chain id ${c.chainId}` : ''})`,
      `reachable  ${c.reachable ? 'yes' : `no${c.error ? ` (${c.error})` : ''}`}   checked ${ago(c.checkedAt)}, last answer ${ago(c.updatedAt)}`,
      `height     ${c.height < 0 ? '-' : c.height}${c.finality ? `   final ${c.finality.final} (${c.finality.rule})` : ''}`,
      `last block ${ago(c.lastBlockTime)}`,
      ...(c.endpoint ? [`endpoint   ${c.endpoint} (XEndpoint)`] : []),
    ];
    const rows = [['HEIGHT', 'HASH', 'TXS', 'TIME', 'PRODUCER']];
    for (const b of c.latestBlocks.slice(0, 10)) rows.push([String(b.height), b.hash, String(b.txCount), new Date(b.time).toISOString(), b.producer]);
    return c.latestBlocks.length ? [...lines, ...table(rows)] : lines;
  });
  return true;
}

export async function chainStatus(id: string, o: CommonOptions): Promise<void> {
  const client = new ShulianHttp({ baseUrl: apiUrl(o), fetch: nodeFetch });
  const info = (await client.chains()).find((c) => c.id === id);
  if (!info) {
    if (await externalStatus(client, id, o)) return;
    throw new ShulianError('CHAIN_NOT_FOUND', `the node hosts no chain "${id}" and follows no external chain of that id; shulian chain list shows them`);
  }
  const s = await client.consensus(id);
  emit(o, { ...s, sandbox: info.sandbox === true }, () => {
    const up = s.validators.filter((v) => v.up).length;
    const ago = s.lastCommitTime ? `${((Date.now() - s.lastCommitTime) / 1000).toFixed(1)} s ago` : 'never';
    const lines = [
      `chain      ${s.chain} (${s.type})`,
      ...(info.sandbox ? ['mode       SANDBOX: sandbox money only, no cross-chain path to production chains until promoted by vote'] : []),
      `height     ${s.height}${s.type === 'tbft' ? `   next: round ${s.round}, step ${s.step}, proposer ${s.proposer}` : ''}`,
      `last commit ${ago}${s.syncing ? '   (catching up from peers)' : ''}`,
      `validators ${up} of ${s.validators.length} up`,
    ];
    const rows = [['DID', 'POWER', 'UP', '']];
    for (const v of s.validators) rows.push([v.did, String(v.power), v.up ? 'yes' : 'no', v.self ? '(this node)' : '']);
    return [...lines, ...table(rows)];
  });
}
