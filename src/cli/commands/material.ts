/**
 * The material chain (材料链, docs/gov.md), `gov-material` unless --chain:
 *   shulian material issue --id <id> --kind licence --title <t> (--file F | --digest <sm3>) --holder <did> --key agency
 *   shulian material supersede <id> --version <current> (--file F | --digest <sm3>) [--title <t>] --key agency
 *   shulian material grant <id> --to <agency did> --purpose <p> (--days N | --expires <ms>) --key holder
 *   shulian material revoke <id> --grantee <did> --key holder      (the holder revokes a grant)
 *   shulian material revoke <id> --reason <text> --key agency      (the issuer revokes the material)
 *   shulian material use <id> --purpose <p> --key agency           (a recorded read under a grant)
 *   shulian material show <id>     shulian material list [--uses] [--limit N]
 */
import { Command, Option } from 'commander';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

const sdk = async () => import('../../sdk/index.ts');
const client = async (o: CommonOptions) => new (await sdk()).ShulianClient({ baseUrl: apiUrl(o) });
const loadKey = async (o: Keyed) => (await import('../keyfile.ts')).loadKey(o.key, o.passwordEnv);
const chainOption = () => new Option('--chain <id>', 'the chain that runs the material module').default('gov-material');

type Chained = CommonOptions & { chain: string };
type Keyed = Chained & { key: string; passwordEnv?: string };
const signed = (c: Command): Command => c.addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption());
const reading = (c: Command): Command => c.addOption(chainOption()).addOption(apiOption()).addOption(jsonOption());

const whole = (v: string, what: string, min = 1): number => {
  if (!/^\d{1,15}$/.test(v) || Number(v) < min) throw usage(`${what} is a whole number from ${min}, not ${JSON.stringify(v)}`);
  return Number(v);
};

/** The digest of --file (SM3, streamed) or --digest; exactly one. */
async function digestOf(o: { file?: string; digest?: string }): Promise<string> {
  if ((o.file === undefined) === (o.digest === undefined)) throw usage('give the material as --file <path> (its SM3 is taken) or as --digest <64 hex digits>, one of them');
  if (o.digest !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(o.digest)) throw usage(`--digest is the SM3 of the file, 64 lowercase hex digits, not ${JSON.stringify(o.digest)}`);
    return o.digest;
  }
  return (await (await sdk()).sm3File(o.file!)).hash;
}
const fileOptions = (c: Command): Command => c.option('--file <path>', 'the material\'s file (only its SM3 goes on chain)').option('--digest <sm3>', 'the SM3 of the file, when the file is elsewhere');

export function materialCommand(): Command {
  const cmd = new Command('material').description('the material chain (材料链): administrative materials by digest, holder grants and agencies\' reuse (docs/gov.md)');

  fileOptions(signed(cmd.command('issue').description('an agency (a member organisation) registers a material for its holder')
    .requiredOption('--id <id>', 'the material id (lowercase letters, digits, . _ -)')
    .requiredOption('--kind <kind>', 'certificate, licence, application or other')
    .requiredOption('--title <text>', 'what it is, e.g. 营业执照')
    .requiredOption('--holder <did>', 'the citizen or company it belongs to')))
    .action(run(async (o: Keyed & { id: string; kind: string; title: string; holder: string; file?: string; digest?: string }) => {
      const s = await sdk();
      if (!(s.MATERIAL_KINDS as readonly string[]).includes(o.kind)) throw usage(`--kind is one of ${s.MATERIAL_KINDS.join(', ')}, not ${JSON.stringify(o.kind)}`);
      const digest = await digestOf(o);
      const r = await s.materialIssue(await client(o), await loadKey(o), { id: o.id, kind: o.kind as never, title: o.title, digest, holder: o.holder }, { chain: o.chain });
      emit(o, { ...r.result, digest, tx: r.tx.hash, height: r.tx.height }, () => [`issued     ${r.result.id} version 1 (sm3 ${digest})`, `holder     ${o.holder}`, `tx         ${r.tx.hash} at height ${r.tx.height} of ${o.chain}`]);
    }));

  fileOptions(signed(cmd.command('supersede').description('the issuer registers a new version of a material (earlier versions stay)').argument('<id>')
    .requiredOption('--version <n>', 'the current version (a concurrent change makes this fail)')
    .option('--title <text>', 'a new title')))
    .action(run(async (id: string, o: Keyed & { version: string; title?: string; file?: string; digest?: string }) => {
      const digest = await digestOf(o);
      const r = await (await sdk()).materialSupersede(await client(o), await loadKey(o), { id, digest, version: whole(o.version, '--version'), ...(o.title ? { title: o.title } : {}) }, { chain: o.chain });
      emit(o, { ...r.result, digest, tx: r.tx.hash, height: r.tx.height }, () => [`superseded ${id}: now version ${r.result.version} (sm3 ${digest})`, `tx         ${r.tx.hash}`]);
    }));

  signed(cmd.command('grant').description('the holder lets an agency read and reuse a material, for a purpose, until an expiry (block time)').argument('<id>')
    .requiredOption('--to <did>', 'the agency (a member organisation)')
    .requiredOption('--purpose <text>', 'what the agency may use it for')
    .option('--days <n>', 'valid this many days from now')
    .option('--expires <ms>', 'valid until this block time (ms since the Unix epoch)'))
    .action(run(async (id: string, o: Keyed & { to: string; purpose: string; days?: string; expires?: string }) => {
      if ((o.days === undefined) === (o.expires === undefined)) throw usage('give the grant\'s end as --days <n> or --expires <ms>, one of them');
      const expires = o.expires !== undefined ? whole(o.expires, '--expires') : Date.now() + whole(o.days!, '--days') * 86_400_000;
      const r = await (await sdk()).materialGrant(await client(o), await loadKey(o), { id, grantee: o.to, purpose: o.purpose, expires }, { chain: o.chain });
      emit(o, { ...r.result, tx: r.tx.hash, height: r.tx.height }, () => [`granted    ${id} to ${o.to} until ${new Date(expires).toISOString()}`, `purpose    ${o.purpose}`, `tx         ${r.tx.hash}`]);
    }));

  signed(cmd.command('revoke').description('--grantee: the holder revokes an agency\'s grant; --reason: the issuer revokes the material itself').argument('<id>')
    .option('--grantee <did>', 'the agency whose grant the holder revokes')
    .option('--reason <text>', 'why the issuer revokes the material'))
    .action(run(async (id: string, o: Keyed & { grantee?: string; reason?: string }) => {
      if ((o.grantee === undefined) === (o.reason === undefined)) throw usage('give --grantee <did> (the holder revokes a grant) or --reason <text> (the issuer revokes the material), one of them');
      const s = await sdk();
      const [c, key] = [await client(o), await loadKey(o)];
      if (o.grantee !== undefined) {
        const r = await s.materialRevokeGrant(c, key, id, o.grantee, { chain: o.chain });
        emit(o, { ...r.result, revoked: 'grant', tx: r.tx.hash, height: r.tx.height }, () => [`revoked    the grant of ${id} to ${o.grantee}`, `tx         ${r.tx.hash}`]);
      } else {
        const r = await s.materialRevoke(c, key, id, o.reason!, { chain: o.chain });
        emit(o, { ...r.result, revoked: 'material', tx: r.tx.hash, height: r.tx.height }, () => [`revoked    material ${id} (version ${r.result.version}): ${o.reason}`, `tx         ${r.tx.hash}`]);
      }
    }));

  signed(cmd.command('use').description('an agency reads (reuses) a material under its grant; the read is recorded').argument('<id>')
    .requiredOption('--purpose <text>', 'what for'))
    .action(run(async (id: string, o: Keyed & { purpose: string }) => {
      const r = await (await sdk()).materialUse(await client(o), await loadKey(o), id, o.purpose, { chain: o.chain });
      emit(o, { ...r.result, tx: r.tx.hash }, () => [`read       ${id} version ${r.result.version} (sm3 ${r.result.digest})`, `log        #${r.result.n}, holder ${r.result.holder}`, `tx         ${r.tx.hash}`]);
    }));

  reading(cmd.command('show').description('a material with its versions and grants').argument('<id>'))
    .action(run(async (id: string, o: Chained) => {
      const v = await (await sdk()).getMaterial(await client(o), id, { chain: o.chain });
      if (!v) throw new (await sdk()).ShulianError('NOT_FOUND', `no material "${id}" on chain ${o.chain}`);
      emit(o, v, () => [
        `${v.material.id}  ${v.material.title}  (${v.material.kind}, ${v.material.status})`,
        `holder     ${v.material.holder}`, `issuer     ${v.material.issuer}`,
        ...v.versions.map((x) => `version ${x.version}  sm3 ${x.digest}  ${x.status}  height ${x.height}`),
        ...v.grants.map((g) => `grant      ${g.grantee}  ${g.status}  until ${new Date(g.expires).toISOString()}  uses ${g.uses}  (${g.purpose})`),
      ]);
    }));

  reading(cmd.command('list').description('the latest materials, or with --uses the reuse log')
    .option('--uses', 'the reuse log instead').option('--limit <n>', 'at most this many', '50'))
    .action(run(async (o: Chained & { uses?: boolean; limit: string }) => {
      const s = await sdk();
      const c = await client(o);
      const limit = whole(o.limit, '--limit');
      if (o.uses) {
        const u = await s.materialUses(c, { chain: o.chain, limit });
        emit(o, u, () => u.map((x) => `#${x.n}  ${x.material} v${x.version}  by ${x.agency}  for ${x.purpose}  height ${x.height}`));
      } else {
        const m = await s.listMaterials(c, { chain: o.chain, limit });
        emit(o, m, () => m.map((x) => `${x.id}  v${x.version}  ${x.status}  ${x.kind}  ${x.title}  holder ${x.holder}`));
      }
    }));
  return cmd;
}
