/**
 * `shulian simulate` (docs/simulation.md): simulate txs on forks of the node's chains before
 * sending them — effects and a risk verdict (none / warn / block) with reasons. Not the SANDBOX
 * test money of `shulian up` (that is `shulian settle faucet`).
 *
 *   shulian simulate --chain settle --from DID --module settlement --method transfer --args '{...}'
 *   shulian simulate --file bundle.json          a request: {"txs": [...], "passProposals": true, ...}
 *   shulian simulate replay settle 0 100         parity: replay history on a fork
 *
 * The exit code says the verdict: 0 none, 3 warn, 4 block (1 and 2 stay errors and usage).
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ShulianError, type JsonValue } from '../../codec/index.ts';
// The SDK's light face: a simulation needs neither signing nor proofs.
import { ShulianHttp } from '../../sdk/http.ts';
import type { SimulateOnceRequest, SimulationResult } from '../../sdk/index.ts';
import { nodeFetch } from '../node-fetch.ts';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, intArg, jsonOption, run } from '../options.ts';

interface SimOpts extends CommonOptions {
  file?: string;
  chain?: string;
  from?: string;
  module?: string;
  method?: string;
  args: string;
  at?: string[];
  passProposals?: boolean;
  time?: number;
  lang?: 'en' | 'zh';
}

export const VERDICT_EXIT = { none: 0, warn: 3, block: 4 } as const;

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ShulianError('BAD_JSON', `${what} is not JSON: ${(err as Error).message}`);
  }
}

function requestOf(o: SimOpts): SimulateOnceRequest {
  let req: SimulateOnceRequest;
  if (o.file) {
    let text: string;
    try {
      text = readFileSync(o.file, 'utf8');
    } catch (err) {
      throw new ShulianError('FILE_NOT_FOUND', `cannot read ${o.file}: ${(err as Error).message}`);
    }
    req = parseJson(text, o.file) as SimulateOnceRequest;
  } else {
    if (!o.chain || !o.from || !o.module || !o.method) throw usage('name the tx with --chain, --from, --module and --method (and --args), or give a request with --file');
    req = { txs: [{ chain: o.chain, from: o.from, module: o.module, method: o.method, args: parseJson(o.args, '--args') as JsonValue }] };
  }
  if (o.passProposals) req.passProposals = true;
  if (o.time !== undefined) req.overrides = { ...req.overrides, time: o.time };
  if (o.at?.length) {
    req.at = o.at.map((a) => {
      const m = /^([a-z0-9-]+)@(\d+)$/.exec(a);
      if (!m) throw usage(`--at takes <chain>@<height>, not "${a}"`);
      return { chain: m[1]!, height: Number(m[2]) };
    });
  }
  return req;
}

function human(r: SimulationResult, lang: 'en' | 'zh'): string[] {
  const lines = [`verdict  ${r.risk.verdict.toUpperCase()}   (${r.receipts.length} txs, gas ${r.gasUsed}, ${r.ms} ms; rules applied ${r.risk.rules.applied})`];
  for (const x of r.risk.reasons) lines.push(`  ${x.level.padEnd(5)} ${x.kind.padEnd(17)} ${lang === 'zh' ? x.zh : x.en}`);
  lines.push('receipts');
  for (const t of r.receipts) lines.push(`  ${t.chain}@${t.height} ${t.module}.${t.method} from ${t.from}: ${t.status}${t.code ? ` ${t.code}: ${t.message ?? ''}` : ''}${!t.synthetic ? '' : t.method === 'vote' ? ' (simulated vote)' : ' (simulated relay)'}`);
  if (r.balances.length) {
    lines.push('balances');
    for (const b of r.balances) lines.push(`  ${b.chain} ${b.did} ${b.currency}: ${b.before} -> ${b.after} (${b.delta.startsWith('-') ? '' : '+'}${b.delta})`);
  }
  for (const p of r.packets) lines.push(`packet   ${p.chain} -> ${p.dstChain} #${p.sequence}`);
  for (const d of r.delivered ?? []) {
    const ack = d.ack as { ok?: boolean; code?: string } | undefined;
    const far = d.status === 'received' ? (ack?.ok ? 'acknowledged' : `refused ${ack?.code ?? ''}`) : d.status === 'expired' ? 'timed out, refunded' : 'not delivered';
    lines.push(`relayed  ${d.srcChain} -> ${d.dstChain} #${d.sequence} (${d.srcPort} -> ${d.dstPort}, round ${d.round}): ${far}${d.error ? `; ${d.error}` : ''}`);
  }
  for (const [chain, mods] of Object.entries(r.stateDiff)) {
    for (const [mod, d] of Object.entries(mods)) lines.push(`state    ${chain}/${mod}: ${d.changes.length + d.truncated} keys changed`);
  }
  return lines;
}

async function simulateCmd(o: SimOpts): Promise<void> {
  const client = new ShulianHttp({ baseUrl: apiUrl(o), fetch: nodeFetch });
  // POST /v1/simulate, as the SDK's simulate() sends it (the light face has no simulation module).
  const r = await client.postJson<SimulationResult>('/simulate', requestOf(o));
  emit(o, r, () => human(r, o.lang ?? 'en'));
  process.exitCode = VERDICT_EXIT[r.risk.verdict];
}

async function replayCmd(o: CommonOptions & { chain: string; from: number; to: number }): Promise<void> {
  const client = new ShulianHttp({ baseUrl: apiUrl(o), fetch: nodeFetch });
  const r = await client.postJson<{ blocks: number; txs: number; divergences: unknown[]; ms: number }>('/simulation/replay', { chain: o.chain, from: o.from, to: o.to });
  emit(o, r, () => `replayed ${r.blocks} blocks (${r.txs} txs) of ${o.chain} on a fork in ${r.ms} ms: ${r.divergences.length === 0 ? 'every root matches' : `${r.divergences.length} divergences ${JSON.stringify(r.divergences)}`}`);
  if (r.divergences.length > 0) process.exitCode = VERDICT_EXIT.block;
}

export function simulateCommand(): Command {
  const cmd = new Command('simulate')
    .description('simulate txs on forks of the node\'s chains before sending them: effects and a risk verdict (exit 0 none, 3 warn, 4 block)')
    .option('--file <request.json>', 'a simulation request: {"txs": [...], "at"?, "overrides"?, "passProposals"?}')
    .option('--chain <id>', 'the tx\'s chain')
    .option('--from <did>', 'its sender (no signature is needed to simulate)')
    .option('--module <name>', 'its module')
    .option('--method <name>', 'its method')
    .option('--args <json>', 'its arguments, as JSON', '{}')
    .option('--at <chain@height...>', 'fork a chain at a past height instead of its head')
    .option('--pass-proposals', 'take governance proposals the txs make as passed (every voter votes yes)')
    .option('--time <ms>', 'block time of the simulated block', intArg('--time'))
    .addOption(new Option('--lang <lang>', 'language of the reasons').choices(['en', 'zh']).default('en'))
    .addOption(apiOption()).addOption(jsonOption())
    .action(run<[], SimOpts>(simulateCmd));
  cmd.command('replay <chain> <from> <to>').description('parity check: fork a chain at height <from>, replay its committed blocks up to <to> on the fork and compare every root')
    // --api and --json are the parent's options (commander gives them to `simulate` wherever they stand).
    .action(run<[string, string, string], CommonOptions>(async (chain, from, to, o) => replayCmd({ ...cmd.opts<CommonOptions>(), ...o, chain, from: intArg('<from>')(from), to: intArg('<to>', 1)(to) })));
  return cmd;
}
