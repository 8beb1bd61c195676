/**
 * Atomic cross-chain transactions (2PC: modules xtx on the coordinator chain, xlock on each participant).
 *   shulian xtx digest  --coordinator data --id T1 --participants @tx.json --deadline 1767000000000
 *       the body and digest every op owner consents to (share it before begin)
 *   shulian xtx consent --chain notary --coordinator data --id T1 --digest <hex> --key bob.json
 *       an op owner authorises the transaction on their own chain (before its prepare arrives)
 *   shulian xtx begin   --chain data --id T1 --participants @tx.json --deadline <ms> --key alice.json [--wait]
 *   shulian xtx status  data/T1        decision, votes, and each participant's locks
 *   shulian xtx list    [--chain data]
 *   shulian xtx abort   --chain data --id T1 --key alice.json
 * `--participants` is JSON (or @file): [{"chain":"sign","ops":[{"kind":"transfer","denom":"CNY-T","amount":"500","from":"did:…","to":"did:…"}]},
 * {"chain":"notary","ops":[{"kind":"endorse","id":"notary:BL-1","from":"did:…","to":"did:…"}]}].
 * Register with `program.addCommand(xtxCommand())`.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { z } from '../../codec/schemas.ts';
import { foreign, ShulianError, asJson, HEX64_RE, type JsonValue } from '../../codec/index.ts';
import { participantSchema, txDigest, type XtxBody, type XtxParticipant } from '../../modules/xtx/types.ts';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

const client = async (api: string) => new (await import('../../sdk/index.ts')).ShulianClient({ baseUrl: api });
const loadKey = async (file: string, passwordEnv: string | undefined) => (await import('../keyfile.ts')).loadKey(file, passwordEnv);

/** Same default as the xtx module. */
const DEFAULT_RECOVER_AFTER_MS = 3600_000;



function participantsOf(text: string): XtxParticipant[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text);
  } catch (err) {
    throw usage(`--participants must be JSON or @file with JSON (${(err as Error).message})`);
  }
  const p = z.array(participantSchema).min(1).safeParse(raw);
  if (!p.success) {
    const i = p.error.issues[0]!;
    throw usage(`--participants${i.path.length ? '[' + i.path.join('.') + ']' : ''}: ${i.message}`);
  }
  return p.data;
}

const ms = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw usage(`${name} must be a whole number of milliseconds`);
  return Number(v);
};

interface BodyOpts extends CommonOptions { id: string; participants: string; deadline?: string; deadlineIn?: string; recoverAfter?: string }

function bodyOf(coordinator: string, o: BodyOpts): XtxBody {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(o.id)) throw usage('--id is letters, digits, dot, dash, underscore; at most 64');
  const deadline = ms(o.deadline, '--deadline') ?? (o.deadlineIn !== undefined ? Date.now() + ms(o.deadlineIn, '--deadline-in')! : undefined);
  if (deadline === undefined) throw usage('give --deadline <epoch ms> (the same the owners consented to) or --deadline-in <ms from now>');
  const recoverAfter = ms(o.recoverAfter, '--recover-after') ?? deadline + DEFAULT_RECOVER_AFTER_MS;
  return { coordinator, id: o.id, participants: participantsOf(o.participants), deadline, recoverAfter };
}

async function submit(o: CommonOptions & { chain: string; key: string; passwordEnv?: string }, module: string, method: string, args: JsonValue): Promise<{ hash: string; result: JsonValue | undefined }> {
  const key = await loadKey(o.key, o.passwordEnv);
  const c = await client(apiUrl(o));
  const hash = await c.send(o.chain, key, { module, method, args });
  const tx = await c.waitForTx(hash);
  if (tx.receipt.status !== 'ok') throw new ShulianError(foreign(tx.receipt.code) ?? 'TX_FAILED', tx.receipt.message ?? 'the transaction failed');
  return { hash, result: tx.receipt.result };
}

interface View {
  coordinator: string; id: string; status: string; atomicity: string; decision?: { outcome: string; reason: string };
  participants: Array<{ chain: string; vote: string; confirmed?: string; error?: string; local?: { state: string; locks: Array<{ lock: string; kind: string; state: string | null }> } | null }>;
}
const lines = (v: View): string[] => [
  `${v.coordinator}/${v.id}: ${v.status}${v.decision ? ` — decision ${v.decision.outcome} (${v.decision.reason})` : ''}; ${v.atomicity}`,
  ...v.participants.map((p) => `  ${p.chain.padEnd(10)} vote ${p.vote.padEnd(8)} ${p.confirmed ? `confirmed ${p.confirmed}` : 'unconfirmed'}${p.local ? `; here ${p.local.state} [${p.local.locks.map((l) => `${l.kind}:${l.state ?? '-'}`).join(', ')}]` : p.local === null ? '; not reached yet' : ''}${p.error ? `; error ${p.error}` : ''}`),
];

async function xdigest(o: BodyOpts & { coordinator: string }): Promise<void> {
  const body = bodyOf(o.coordinator, o);
  const digest = txDigest(body);
  emit(o, { digest, body }, () => [`digest ${digest}`, `deadline ${body.deadline}  recoverAfter ${body.recoverAfter}`, 'owners consent with: shulian xtx consent --chain <their chain> --coordinator ' + `${o.coordinator} --id ${o.id} --digest ${digest} --key <their key>`]);
}

async function xconsent(o: CommonOptions & { chain: string; coordinator: string; id: string; digest: string; key: string; passwordEnv?: string }): Promise<void> {
  if (!HEX64_RE.test(o.digest)) throw usage('--digest is the 64 hex digits printed by shulian xtx digest');
  const { hash } = await submit(o, 'xlock', 'consent', { coordinator: o.coordinator, id: o.id, digest: o.digest });
  emit(o, { tx: hash }, () => `consented to ${o.coordinator}/${o.id} on ${o.chain} (tx ${hash})`);
}

async function xbegin(o: BodyOpts & { chain: string; key: string; passwordEnv?: string; decisionTimeoutMs?: string; wait?: boolean }): Promise<void> {
  const body = bodyOf(o.chain, o);
  const args: { [k: string]: JsonValue } = { id: body.id, participants: asJson(body.participants), deadline: body.deadline, recoverAfter: body.recoverAfter };
  const dt = ms(o.decisionTimeoutMs, '--decision-timeout-ms');
  if (dt !== undefined) args.decisionTimeoutMs = dt;
  const { hash, result } = await submit(o, 'xtx', 'begin', args);
  const r = result as { digest: string };
  if (!o.wait) {
    emit(o, { tx: hash, ...r }, () => [`began ${o.chain}/${body.id} (digest ${r.digest}) in tx ${hash}`, `follow it: shulian xtx status ${o.chain}/${body.id}`]);
    return;
  }
  const c = await client(apiUrl(o));
  const until = Math.max(body.deadline, Date.now()) + 60_000;
  for (;;) {
    const v = await c.getJson<View>(`/xtx/${o.chain}/${encodeURIComponent(body.id)}`);
    if (v.status === 'committed' || v.status === 'aborted') {
      emit(o, v, () => lines(v));
      return;
    }
    if (Date.now() > until) throw new ShulianError('XTX_WAIT', `${o.chain}/${body.id} is still ${v.status}; is a gateway relaying between ${o.chain} and its participants? Check later with shulian xtx status ${o.chain}/${body.id}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function xstatus(ref: string, o: CommonOptions): Promise<void> {
  const m = /^([a-z][a-z0-9-]{0,31})\/([A-Za-z0-9._-]{1,64})$/.exec(ref);
  if (!m) throw usage('give the transaction as <coordinator chain>/<id>, e.g. data/T1');
  const v = await (await client(apiUrl(o))).getJson<View>(`/xtx/${m[1]}/${encodeURIComponent(m[2]!)}`);
  emit(o, v, () => lines(v));
}

async function xlist(o: CommonOptions & { chain?: string; limit?: string }): Promise<void> {
  const q = new URLSearchParams({ limit: String(Number(o.limit ?? 20)) });
  if (o.chain) q.set('chain', o.chain);
  const r = await (await client(apiUrl(o))).getJson<{ transactions: View[] }>(`/xtx?${q}`);
  emit(o, r, () => (r.transactions.length ? r.transactions.map((v) => `${`${v.coordinator}/${v.id}`.padEnd(28)} ${v.status.padEnd(10)} ${v.participants.map((p) => `${p.chain}:${p.local?.state ?? p.vote}`).join(' ')}`) : 'no atomic transactions yet'));
}

async function xabort(o: CommonOptions & { chain: string; id: string; key: string; passwordEnv?: string }): Promise<void> {
  const { hash } = await submit(o, 'xtx', 'abort', { id: o.id });
  emit(o, { tx: hash }, () => `abort decided for ${o.chain}/${o.id} (tx ${hash}); rollbacks go out with the next relay`);
}

export function xtxCommand(): Command {
  const x = new Command('xtx').description('atomic operations across chains (two-phase commit): digest, consent, begin, status, list, abort');
  const bodyOptions = (c: Command): Command => c
    .requiredOption('--id <id>', 'transaction id (unique on the coordinator chain)')
    .requiredOption('--participants <json|@file>', 'participant chains and their ops (JSON, or @file)')
    .option('--deadline <ms>', 'prepare deadline, epoch ms (coordinator block time)')
    .option('--deadline-in <ms>', 'or: deadline this many ms from now')
    .option('--recover-after <ms>', 'epoch ms after which participants may ask the coordinator (default: deadline + 1 h)');
  bodyOptions(x.command('digest').description('the body and digest op owners consent to').requiredOption('--coordinator <id>', 'coordinator chain (runs xtx)'))
    .addOption(jsonOption())
    .action(run<[], BodyOpts & { coordinator: string }>(xdigest));
  x.command('consent').description('authorise a transaction that moves what you own on this chain (before its prepare arrives)')
    .requiredOption('--chain <id>', 'your (participant) chain').requiredOption('--coordinator <id>', 'coordinator chain').requiredOption('--id <id>', 'transaction id')
    .requiredOption('--digest <hex>', 'digest from shulian xtx digest')
    .addOption(keyOption('op owner')).addOption(passwordEnvOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run<[], CommonOptions & { chain: string; coordinator: string; id: string; digest: string; key: string; passwordEnv?: string }>(xconsent));
  bodyOptions(x.command('begin').description('begin the transaction on a coordinator chain: prepares go to every participant').requiredOption('--chain <id>', 'coordinator chain'))
    .option('--decision-timeout-ms <ms>', 'timeout of one decision packet; resent on timeout (default 1 h)')
    .option('--wait', 'wait until committed or aborted')
    .addOption(keyOption('initiator')).addOption(passwordEnvOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run<[], BodyOpts & { chain: string; key: string; passwordEnv?: string; decisionTimeoutMs?: string; wait?: boolean }>(xbegin));
  x.command('status').description('a transaction: decision, votes, each participant\'s locks').argument('<coordinator/id>')
    .addOption(apiOption()).addOption(jsonOption())
    .action(run<[string], CommonOptions>(xstatus));
  x.command('list').description('recent transactions on the coordinator chains of this node')
    .option('--chain <id>', 'one coordinator chain').option('--limit <n>', 'how many', '20')
    .addOption(apiOption()).addOption(jsonOption())
    .action(run<[], CommonOptions & { chain?: string; limit?: string }>(xlist));
  x.command('abort').description('abort a transaction with no decision yet (the initiator; anyone after the deadline)')
    .requiredOption('--chain <id>', 'coordinator chain').requiredOption('--id <id>', 'transaction id')
    .addOption(keyOption('initiator')).addOption(passwordEnvOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run<[], CommonOptions & { chain: string; id: string; key: string; passwordEnv?: string }>(xabort));
  return x;
}
