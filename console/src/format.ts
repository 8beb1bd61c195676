/** Plain formatting of durations and sizes for people, in the console's two languages (no React here, so tests run it in Node). */

/** A length of time in its largest unit and the next (at most two): "2 小时 5 分钟" / "2 h 5 min". */
export function fmtDuration(ms: number, lang: 'zh' | 'en'): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return lang === 'zh' ? `${Math.round(ms)} 毫秒` : `${Math.round(ms)} ms`;
  if (ms < 60_000) {
    const s = ms < 10_000 ? Math.round(ms / 100) / 10 : Math.round(ms / 1000);
    return lang === 'zh' ? `${s} 秒` : `${s} s`;
  }
  const units: Array<[number, string, string]> = [[86_400_000, '天', 'd'], [3_600_000, '小时', 'h'], [60_000, '分钟', 'min'], [1000, '秒', 's']];
  const total = Math.round(ms / 1000) * 1000;
  const first = units.findIndex(([size]) => total >= size);
  const parts: string[] = [];
  let rest = total;
  for (const [size, zh, en] of units.slice(first, first + 2)) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(lang === 'zh' ? `${n} ${zh}` : `${n} ${en}`);
  }
  return parts.join(' ');
}

/** A size in bytes in the largest fitting binary unit. */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

