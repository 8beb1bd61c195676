import { ShulianClient } from '../../sdk/client.ts';
import { apiUrl, emit, type CommonOptions } from '../output.ts';

export async function chainList(o: CommonOptions): Promise<void> {
  const client = new ShulianClient({ baseUrl: apiUrl(o) });
  const chains = await client.chains();
  emit(o, { chains }, () => {
    const rows = [['ID', 'NAME', 'KIND', 'SUITE', 'CONSENSUS', 'HEIGHT', 'VALIDATORS', 'MEMPOOL']];
    for (const c of chains) {
      rows.push([c.id, `${c.name}${c.nameZh ? ` (${c.nameZh})` : ''}`, c.kind, c.suite, c.consensus, String(c.height), String(c.validators.length), String(c.mempool?.txs ?? 0)]);
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

export async function chainStatus(id: string, o: CommonOptions): Promise<void> {
  const client = new ShulianClient({ baseUrl: apiUrl(o) });
  const s = await client.consensus(id);
  emit(o, s, () => {
    const up = s.validators.filter((v) => v.up).length;
    const ago = s.lastCommitTime ? `${((Date.now() - s.lastCommitTime) / 1000).toFixed(1)} s ago` : 'never';
    const lines = [
      `chain      ${s.chain} (${s.type})`,
      `height     ${s.height}${s.type === 'tbft' ? `   next: round ${s.round}, step ${s.step}, proposer ${s.proposer}` : ''}`,
      `last commit ${ago}${s.syncing ? '   (catching up from peers)' : ''}`,
      `validators ${up} of ${s.validators.length} up`,
    ];
    const rows = [['DID', 'POWER', 'UP', '']];
    for (const v of s.validators) rows.push([v.did, String(v.power), v.up ? 'yes' : 'no', v.self ? '(this node)' : '']);
    return [...lines, ...table(rows)];
  });
}
