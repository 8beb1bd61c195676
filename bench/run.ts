/**
 * `npm run bench -- NAME [NAME…]` runs benchmarks and prints one JSON line each:
 * {"bench","value","unit","limit","limitWhat","ratio", …}. With no name it runs them all. Options
 * (`--txs N` for `indexer`) are read by the benchmarks themselves.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here).filter((f) => f.endsWith('.ts') && !['run.ts', 'result.ts'].includes(f)).map((f) => f.slice(0, -3)).sort();
// Options (`--minutes 3`, `--blocks=1000`) are the benchmarks' own (bench/lib/args.ts); a
// `--name value` pair's value is not a benchmark name.
const args = process.argv.slice(2);
const names = args.filter((a, i) => !a.startsWith('-') && !(i > 0 && /^--[^=]+$/.test(args[i - 1]!)));
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
for (const name of names.length ? names : all) {
  const mod = (await import(join(here, `${name}.ts`))) as { default: () => Promise<Record<string, unknown>> };
  const result = await mod.default();
  console.log(JSON.stringify(result));
}
process.exit(0);
