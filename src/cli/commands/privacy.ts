/**
 * Privacy computing (docs/privacy.md):
 *   shulian privacy serve --key org.json --dataset <catalog id>=<file.csv|jsonl> [--dataset …] [--port 7400] [--host 127.0.0.1]
 *   shulian privacy request --protocol psi|psi-cardinality|psi-sum --receiver <dataset>:<grant> --sender <dataset>:<grant>
 *       --purpose dpv:AcademicResearch [--columns a,b] [--consents d1,d2|@file] [--fee CNY:100] [--group x25519|ristretto255|sm2] --key me.json
 *   shulian privacy status <run>              shulian privacy runs --requester <did>
 * `serve` is one organisation's party process; `request` is the requester's: it asks the chain,
 * starts the receiver, waits for the result (decrypting the sums for psi-sum) and records its digest.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

const sdk = async () => import('../../sdk/index.ts');
const client = async (o: CommonOptions) => new (await sdk()).ShulianClient({ baseUrl: apiUrl(o) });
const loadKey = async (file: string, passwordEnv: string | undefined) => (await import('../keyfile.ts')).loadKey(file, passwordEnv);
const chainOption = () => new Option('--chain <id>', 'data chain id').default('data');
const collect = (v: string, acc: string[] = []): string[] => [...acc, v];

type Keyed = CommonOptions & { key: string; passwordEnv?: string; chain: string };

function party(v: string, what: string): { dataset: string; grant: number } {
  const m = /^([a-z0-9][a-z0-9._-]{0,63}):([1-9]\d{0,14})$/.exec(v);
  if (!m) throw usage(`${what} is <dataset id>:<grant id>, e.g. alumni-roster:2`);
  return { dataset: m[1]!, grant: Number(m[2]) };
}
const list = (v: string | undefined): string[] => {
  if (!v) return [];
  const text = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
  return text.split(/[\s,]+/).filter(Boolean);
};

export function privacyCommand(): Command {
  const p = new Command('privacy').description('private set intersection, cardinality and sum between organisations, controlled on the data chain');

  p.command('serve').description('run this organisation\'s party: take part in admitted runs over its datasets')
    .requiredOption('--dataset <id=file>', 'a catalog dataset id and its local file (CSV or JSONL keyed by DID); repeat for more', collect)
    .option('--port <n>', 'port to listen on', '7400').option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--idle-ms <n>', 'a receiver silent this long has stopped (the run fails)', '60000')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: Keyed & { dataset: string[]; port: string; host: string; idleMs: string }) => {
      const datasets: Record<string, string> = {};
      for (const d of o.dataset) {
        const i = d.indexOf('=');
        if (i < 1) throw usage(`--dataset is <catalog id>=<file>, not ${d}`);
        datasets[d.slice(0, i)] = d.slice(i + 1);
      }
      const { PartyServer } = await import('../../privacy/index.ts');
      const server = new PartyServer({ key: await loadKey(o.key, o.passwordEnv), client: await client(o), datasets, chain: o.chain, idleMs: Number(o.idleMs), log: (l) => process.stderr.write(`[privacy] ${l}\n`) });
      const port = await server.listen(Number(o.port), o.host);
      emit(o, { did: server.did, port, datasets: Object.keys(datasets) }, () => `privacy party ${server.did} listening on http://${o.host}:${port} for ${Object.keys(datasets).join(', ')}`);
      // Runs until SIGINT / SIGTERM (the CLI exits once a command's action returns).
      await new Promise<void>((done) => {
        const stop = () => void server.close().then(done);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    }));

  p.command('request').description('ask the data chain for a run and carry it out as its requester (waits for the result)')
    .requiredOption('--protocol <p>', 'psi, psi-cardinality or psi-sum')
    .requiredOption('--receiver <dataset:grant>', 'the dataset that learns the intersection or its size, and your grant for it')
    .requiredOption('--sender <dataset:grant>', 'the other dataset (with the value columns for psi-sum), and your grant for it')
    .requiredOption('--purpose <dpv>', 'DPV purpose, e.g. dpv:AcademicResearch')
    .option('--columns <a,b>', 'psi-sum: the sender\'s value columns to sum')
    .option('--consents <digests>', 'consent digests (comma-separated, or @file): only their subjects take part')
    .option('--group <g>', 'x25519 (default), ristretto255 or sm2 (SM2 curve with SM3, for 全国产 deployments)')
    .option('--fee <CUR:amount>', 'fee in minor units paid to the owners through a settlement instruction, e.g. CNY:1000')
    .option('--port <n>', 'port for the result', '0').option('--host <host>', 'address for the result', '127.0.0.1')
    .option('--timeout-ms <n>', 'give up waiting for the result after this long', '600000')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: Keyed & { protocol: string; receiver: string; sender: string; purpose: string; columns?: string; consents?: string; group?: string; fee?: string; port: string; host: string; timeoutMs: string }) => {
      if (!['psi', 'psi-cardinality', 'psi-sum'].includes(o.protocol)) throw usage('--protocol is psi, psi-cardinality or psi-sum');
      if (o.group && !['x25519', 'ristretto255', 'sm2'].includes(o.group)) throw usage('--group is x25519, ristretto255 or sm2');
      let fee: { currency: string; amount: string } | undefined;
      if (o.fee) {
        const m = /^([A-Z]{3}):([1-9]\d{0,17})$/.exec(o.fee);
        if (!m) throw usage('--fee is <currency>:<minor units>, e.g. CNY:1000');
        fee = { currency: m[1]!, amount: m[2]! };
      }
      const { runAsRequester } = await import('../../privacy/index.ts');
      const r = await runAsRequester(await client(o), await loadKey(o.key, o.passwordEnv), {
        protocol: o.protocol as 'psi', receiver: party(o.receiver, '--receiver'), sender: party(o.sender, '--sender'), purpose: o.purpose,
        columns: list(o.columns), consents: list(o.consents), ...(o.group ? { group: o.group as 'x25519' } : {}), ...(fee ? { fee } : {}),
      }, { chain: o.chain, port: Number(o.port), host: o.host, timeoutMs: Number(o.timeoutMs), log: (l) => process.stderr.write(`[privacy] ${l}\n`) });
      emit(o, r, () => [
        `run ${r.run} (${r.protocol}) done in ${r.durationMs} ms: ${r.count} in the intersection`,
        ...(r.sums ? Object.entries(r.sums).map(([c, v]) => `  sum ${c} = ${v}`) : []),
        ...(r.intersection ? r.intersection.map((d) => `  ${d}`) : []),
        `result digest ${r.resultDigest} recorded on ${o.chain}`,
      ]);
    }));

  p.command('status').description('a run as the chain records it: parties, grants and uses, consent root, reports, result, fee').argument('<run>', 'run id')
    .addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (id: string, o: CommonOptions & { chain: string }) => {
      if (!/^[1-9]\d{0,14}$/.test(id)) throw usage('<run> is a whole number from 1');
      const r = await (await sdk()).getPrivacyRun(await client(o), Number(id), { chain: o.chain });
      if (!r) throw usage(`chain ${o.chain} has no run ${id}`);
      emit(o, r, () => [
        `run ${r.id}: ${r.protocol} over ${r.group}, ${r.status}; requester ${r.requester}, purpose ${r.purpose}`,
        ...r.parties.map((x) => `  ${x.role} ${x.dataset} (${x.owner}), grant ${x.grant} use ${x.use}${x.report ? `, ${x.report.records} records, input ${x.report.inputCommitment.slice(0, 16)}…` : ', not reported'}`),
        `  consents ${r.consents.length}, root ${r.consentRoot}`,
        ...(r.result ? [`  result ${r.result.digest} at height ${r.result.height} (${r.result.durationMs} ms)`] : []),
        ...(r.failed ? [`  failed at height ${r.failed.height} by ${r.failed.by}: ${r.failed.reason}`] : []),
        ...(r.fee ? [`  fee ${r.fee.amount} ${r.fee.currency}: ${r.fee.status}${r.fee.note ? ` (${r.fee.note})` : ''}`] : []),
      ]);
    }));

  p.command('runs').description('the runs a requester asked for, newest first').requiredOption('--requester <did>', 'requester DID')
    .option('--limit <n>', 'at most this many', '20')
    .addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: CommonOptions & { chain: string; requester: string; limit: string }) => {
      const rs = await (await sdk()).listPrivacyRuns(await client(o), o.requester, { chain: o.chain, limit: Number(o.limit) });
      emit(o, rs, () => rs.length ? rs.map((r) => `${r.id}\t${r.protocol}\t${r.status}\t${r.parties.map((x) => x.dataset).join(' × ')}\t${r.result?.digest.slice(0, 16) ?? ''}`) : 'no runs');
    }));
  return p;
}
