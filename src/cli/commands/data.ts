/**
 * The data chain (docs/data.md):
 *   shulian data catalog publish <dataset.json> --key agency.json     (catalog revise <file> --version N)
 *   shulian data catalog search [text] [--theme TRAN] [--sensitivity conditional] [--limit 20] [--cursor c]
 *   shulian data catalog show <id>             shulian data catalog export [--format turtle|jsonld] [--dataset id]
 *   shulian data request --dataset <id> --purpose dpv:AcademicResearch --actions read[,aggregate] [--count 3] [--not-after <xsd:dateTime>] --key op.json
 *   shulian data approve <request> --key agency.json [--policy @agreement.json]     shulian data refuse <request> --reason … --key …
 *   shulian data requests --owner <did> | --requester <did>
 *   shulian data grant list --grantee <did> | --owner <did>      shulian data grant show <id>
 *   shulian data grant credential <id> --key agency.json  (the owner signs the grant as a VC)
 *   shulian data use <grant> --action read (--request-hash <hex> | --request <text>) --key op.json
 *   shulian data revoke <grant> --key agency.json
 *   shulian data consent give --key me.json --controller <org did> --purpose dpv:… --data dpv-pd:HealthRecord [--source <did>] [--expires …] [--out vc.json]
 *   shulian data consent list --key me.json          shulian data consent withdraw (<digest> | --all) --key me.json
 * Consents are given under a pairwise DID per organisation, derived from the citizen's key; the
 * wallet file ($SHULIAN_HOME/consents.json) remembers the relationships so list and withdraw
 * --all can find every pairwise DID.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { ShulianError, toHex } from '../../codec/index.ts';
import { didFromPublicKey, sm3, type KeyPair } from '../../crypto/index.ts';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, intArg, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

const sdk = async () => import('../../sdk/index.ts');
const client = async (o: CommonOptions) => new (await sdk()).ShulianClient({ baseUrl: apiUrl(o) });
const loadKey = async (file: string, passwordEnv: string | undefined) => (await import('../keyfile.ts')).loadKey(file, passwordEnv);
const chainOption = () => new Option('--chain <id>', 'data chain id').default('data');

type Keyed = CommonOptions & { key: string; passwordEnv?: string; chain: string };

function readJsonArg(v: string, what: string): unknown {
  try {
    return JSON.parse(v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v);
  } catch (err) {
    throw usage(`${what} must be JSON or @file with JSON (${(err as Error).message})`);
  }
}
const num = (v: string, what: string): number => {
  if (!/^[1-9]\d{0,14}$/.test(v)) throw usage(`${what} is a whole number from 1`);
  return Number(v);
};

// ---- wallet of pairwise relationships ----
interface Wallet { relationships: Record<string, { controller: string; subject: string; digests: string[] }> }
const walletPath = () => join(process.env.SHULIAN_HOME ?? join(homedir(), '.shulian'), 'consents.json');
function readWallet(): Wallet {
  return existsSync(walletPath()) ? JSON.parse(readFileSync(walletPath(), 'utf8')) as Wallet : { relationships: {} };
}
function saveWallet(w: Wallet): void {
  mkdirSync(join(walletPath(), '..'), { recursive: true });
  writeFileSync(walletPath(), JSON.stringify(w, null, 2) + '\n', { mode: 0o600 });
}

export function dataCommand(): Command {
  const data = new Command('data').description('the data chain: catalog, requests and grants, uses, citizens\' consents');
  const catalog = data.command('catalog').description('publish and search datasets (DCAT 3)');

  catalog.command('publish').description('publish a dataset described in a JSON file under your DID').argument('<file>', 'the dataset (docs/data.md: id, title, description, themes, frequency, sensitivity, distributions…)')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (file: string, o: Keyed) => {
      const s = await sdk();
      const d = readJsonArg(`@${file}`, 'the dataset file') as Parameters<typeof s.publishDataset>[2];
      const { tx, result } = await s.publishDataset(await client(o), await loadKey(o.key, o.passwordEnv), d, { chain: o.chain });
      emit(o, { ...result, tx: tx.hash, height: tx.height }, () => `published ${result.id} (version ${result.version}) at height ${tx.height} of ${o.chain}`);
    }));
  catalog.command('revise').description('publish a new version of one of your datasets').argument('<file>', 'the dataset JSON')
    .requiredOption('--version <n>', 'the current version (the one you revise)')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (file: string, o: Keyed & { version: string }) => {
      const s = await sdk();
      const d = readJsonArg(`@${file}`, 'the dataset file') as Parameters<typeof s.publishDataset>[2];
      const { result } = await s.reviseDataset(await client(o), await loadKey(o.key, o.passwordEnv), d, num(o.version, '--version'), { chain: o.chain });
      emit(o, result, () => `${result.id} is now at version ${result.version}`);
    }));
  catalog.command('search').description('search the catalog (Chinese or English text, filters), newest first').argument('[text]', 'words to find')
    .option('--theme <code>', 'EU data theme (TRAN, HEAL, ENVI, …)').option('--sensitivity <level>', 'public, conditional or closed').option('--owner <did>', 'publisher DID')
    .option('--limit <n>', 'page size', intArg('--limit', 1), 20).option('--cursor <c>', 'the next page\'s cursor').addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (text: string | undefined, o: CommonOptions & { chain: string; theme?: string; sensitivity?: string; owner?: string; limit: number; cursor?: string }) => {
      const s = await sdk();
      const page = await s.searchCatalog(await client(o), { chain: o.chain, ...(text ? { q: text } : {}), ...(o.theme ? { theme: o.theme as never } : {}), ...(o.sensitivity ? { sensitivity: o.sensitivity as never } : {}), ...(o.owner ? { owner: o.owner } : {}), limit: o.limit, ...(o.cursor ? { cursor: o.cursor } : {}) });
      emit(o, page, () => [
        `${page.total} dataset(s)`,
        ...page.datasets.map((d) => `  ${d.id.padEnd(24)} v${d.version}  ${d.sensitivity.padEnd(11)} ${d.themes.join(',').padEnd(10)} ${d.title.zh ?? d.title.en}`),
        ...(page.next ? [`next page: --cursor ${page.next}`] : []),
      ]);
    }));
  catalog.command('show').description('one dataset, with its standing offer').argument('<id>').option('--version <n>', 'an older version')
    .addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (id: string, o: CommonOptions & { chain: string; version?: string }) => {
      const s = await sdk();
      const r = await s.getDataset(await client(o), id, { chain: o.chain, ...(o.version ? { version: num(o.version, '--version') } : {}) });
      const d = r.dataset;
      emit(o, r, () => [
        `${d.id}  version ${d.version}  ${d.status}  ${d.sensitivity}`, `title       ${[d.title.zh, d.title.en].filter(Boolean).join(' / ')}`, `owner       ${d.owner}`,
        `themes      ${d.themes.join(', ')}   frequency ${d.frequency}`, ...d.distributions.map((x) => `distribution ${x.id}: ${x.mediaType} ${x.accessUrl}`),
        ...d.services.map((x) => `service     ${x.id} (${x.kind}): ${x.endpointUrl}`), `offer       ${r.offer ? JSON.stringify(r.offer) : 'none (the owner decides each request)'}`,
      ]);
    }));
  catalog.command('export').description('the catalog as DCAT-AP 3 (Turtle or JSON-LD)').addOption(new Option('--format <f>', 'turtle or jsonld').choices(['turtle', 'jsonld']).default('turtle'))
    .option('--dataset <id>', 'only this dataset').addOption(chainOption()).addOption(apiOption())
    .action(run(async (o: CommonOptions & { chain: string; format: string; dataset?: string }) => {
      const url = `${apiUrl(o).replace(/\/+$/, '')}/v1/data/dcat?format=${o.format}&chain=${o.chain}${o.dataset ? `&dataset=${encodeURIComponent(o.dataset)}` : ''}`;
      const res = await fetch(url).catch(() => {
        throw new ShulianError('NODE_UNREACHABLE', `cannot reach the node at ${apiUrl(o)}`);
      });
      const text = await res.text();
      if (!res.ok) {
        const e = (JSON.parse(text) as { error?: { code: string; message: string } }).error;
        throw new ShulianError((e?.code ?? 'BAD_RESPONSE') as never, e?.message ?? `HTTP ${res.status}`);
      }
      process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    }));

  data.command('request').description('ask for a dataset: purpose, actions, limits; a standing offer may decide at once')
    .requiredOption('--dataset <id>').requiredOption('--purpose <dpv>', 'DPV purpose, e.g. dpv:AcademicResearch').requiredOption('--actions <list>', 'ODRL actions, comma separated (read, aggregate, derive, …)')
    .option('--count <n>', 'at most this many uses').option('--not-after <dateTime>', 'uses only before this xsd:dateTime').option('--recipient <did>', 'who receives the data, if not you')
    .option('--consents <digests>', 'subjects\' consent digests every use must still have, comma separated')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: Keyed & { dataset: string; purpose: string; actions: string; count?: string; notAfter?: string; recipient?: string; consents?: string }) => {
      const s = await sdk();
      const { tx, result } = await s.requestData(await client(o), await loadKey(o.key, o.passwordEnv), {
        dataset: o.dataset, purpose: o.purpose, actions: o.actions.split(',').map((x) => x.trim()).filter(Boolean),
        ...(o.count ? { count: num(o.count, '--count') } : {}), ...(o.notAfter ? { notAfter: o.notAfter } : {}), ...(o.recipient ? { recipient: o.recipient } : {}),
        ...(o.consents ? { consents: o.consents.split(',') } : {}),
      }, { chain: o.chain });
      emit(o, { ...result, tx: tx.hash, height: tx.height }, () => `request ${result.request}: ${result.status}${'grant' in result ? ` — grant ${result.grant}` : ''}${'reason' in result ? ` — ${result.reason}` : ''}`);
    }));
  data.command('approve').description('grant a request for one of your datasets').argument('<request>')
    .option('--policy <json>', 'an ODRL Agreement to grant instead of the one the request implies (JSON or @file)')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (request: string, o: Keyed & { policy?: string }) => {
      const s = await sdk();
      const { result } = await s.approveRequest(await client(o), await loadKey(o.key, o.passwordEnv), num(request, '<request>'), { chain: o.chain, ...(o.policy ? { policy: readJsonArg(o.policy, '--policy') as never } : {}) });
      emit(o, result, () => `request ${result.request} granted: grant ${result.grant} (revocation entry ${result.statusIndex})`);
    }));
  data.command('refuse').description('refuse a request for one of your datasets').argument('<request>').requiredOption('--reason <text>')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (request: string, o: Keyed & { reason: string }) => {
      const s = await sdk();
      const { result } = await s.refuseRequest(await client(o), await loadKey(o.key, o.passwordEnv), num(request, '<request>'), o.reason, { chain: o.chain });
      emit(o, result, () => `request ${result.request} refused`);
    }));
  data.command('requests').description('requests you made (--requester) or for your datasets (--owner)').option('--owner <did>').option('--requester <did>')
    .addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: CommonOptions & { chain: string; owner?: string; requester?: string }) => {
      const s = await sdk();
      const r = await s.listDataRequests(await client(o), o.owner ? { owner: o.owner } : { requester: o.requester! }, { chain: o.chain });
      emit(o, r, () => r.requests.map((x) => `#${x.id} ${x.dataset} ${x.actions.join(',')} for ${x.purpose} by ${x.requester}: ${x.status}${x.grant ? ` (grant ${x.grant})` : ''}`));
    }));
  data.command('use').description('record a use of your grant; refused when the policy, a consent or a revocation says no').argument('<grant>')
    .requiredOption('--action <a>', 'ODRL action (read, aggregate, …)').option('--request-hash <hex>', 'SM3 of what you asked for').option('--request <text>', 'what you asked for (its SM3 is recorded)')
    .option('--purpose <dpv>').option('--recipient <did>').option('--consent <digest>', 'a further consent this use relies on')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (grant: string, o: Keyed & { action: string; requestHash?: string; request?: string; purpose?: string; recipient?: string; consent?: string }) => {
      const requestHash = o.requestHash ?? (o.request !== undefined ? toHex(sm3(new TextEncoder().encode(o.request))) : undefined);
      if (!requestHash || !/^[0-9a-f]{64}$/.test(requestHash)) throw usage('give --request-hash <64 hex digits> or --request <text>');
      const s = await sdk();
      const { tx, result } = await s.useGrant(await client(o), await loadKey(o.key, o.passwordEnv), {
        grant: num(grant, '<grant>'), action: o.action, requestHash, ...(o.purpose ? { purpose: o.purpose } : {}), ...(o.recipient ? { recipient: o.recipient } : {}), ...(o.consent ? { consent: o.consent } : {}),
      }, { chain: o.chain });
      emit(o, { ...result, tx: tx.hash, height: tx.height }, () => `use ${result.n} of grant ${result.grant} recorded at height ${tx.height}`);
    }));
  data.command('revoke').description('revoke a grant you made (one write to your revocation list)').argument('<grant>')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (grant: string, o: Keyed) => {
      const s = await sdk();
      const { tx, result } = await s.revokeGrant(await client(o), await loadKey(o.key, o.passwordEnv), num(grant, '<grant>'), { chain: o.chain });
      emit(o, { ...result, height: tx.height }, () => `grant ${result.grant} revoked at height ${tx.height}`);
    }));

  const grant = data.command('grant').description('grants you hold or made');
  grant.command('list').option('--grantee <did>').option('--owner <did>').addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: CommonOptions & { chain: string; grantee?: string; owner?: string }) => {
      const s = await sdk();
      const r = await s.listGrants(await client(o), o.owner ? { owner: o.owner } : { grantee: o.grantee! }, { chain: o.chain });
      emit(o, r, () => r.grants.map((g) => `grant ${g.id} ${g.dataset} → ${g.grantee}: ${g.uses} use(s)${g.revoked ? ' REVOKED' : ''}`));
    }));
  grant.command('show').argument('<id>').addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (id: string, o: CommonOptions & { chain: string }) => {
      const s = await sdk();
      const r = await s.getGrant(await client(o), num(id, '<id>'), { chain: o.chain });
      emit(o, r, () => [`grant ${r.grant.id} of ${r.grant.dataset} by ${r.grant.owner} to ${r.grant.grantee}${r.grant.revoked ? ' (REVOKED)' : ''}`, `uses ${r.grant.uses}`, `policy ${JSON.stringify(r.grant.policy)}`]);
    }));
  grant.command('credential').description('sign one of your grants as a VC 2.0 (ODRL policy, revocation entry) for its grantee').argument('<id>').option('--out <file>')
    .addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (id: string, o: Keyed & { out?: string }) => {
      const [s, vc, { grantCredential }] = await Promise.all([sdk(), import('../../did/index.ts'), import('../../modules/dataauth/types.ts')]);
      const key = await loadKey(o.key, o.passwordEnv);
      const { grant: g } = await s.getGrant(await client(o), num(id, '<id>'), { chain: o.chain });
      if (g.owner !== didFromPublicKey(key.publicKey)) throw new ShulianError('DATAAUTH_NOT_OWNER', `grant ${g.id} was made by ${g.owner}; sign it with that DID's key`);
      const statusListUrl = `${apiUrl(o).replace(/\/+$/, '')}/v1/data/status-lists/${encodeURIComponent(g.status.listId)}`;
      const signed = await vc.issueCredential(grantCredential(g, { chain: o.chain, statusListUrl }), vc.keyPairSigner(key, { fragment: 'multikey' }));
      if (o.out) writeFileSync(o.out, JSON.stringify(signed, null, 2) + '\n', { flag: 'wx' });
      emit(o, signed, () => (o.out ? `grant ${g.id} signed as a credential: ${o.out}` : JSON.stringify(signed, null, 2)));
    }));

  const consent = data.command('consent').description('a citizen\'s consents (C2B), each under a pairwise DID per organisation');
  consent.command('give').description('consent that an organisation may use data about you, for a purpose, until a time')
    .requiredOption('--controller <did>', 'the organisation that may use the data').requiredOption('--purpose <dpv>', 'DPV purpose').requiredOption('--data <categories>', 'DPV personal data categories, comma separated (kept off chain)')
    .option('--source <did>', 'the organisation holding the data').option('--expires <dateTime>', 'xsd:dateTime it lapses at').option('--out <file>', 'write the signed consent credential here')
    .addOption(keyOption('citizen\'s master key')).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: Keyed & { controller: string; purpose: string; data: string; source?: string; expires?: string; out?: string }) => {
      const [s, vc] = await Promise.all([sdk(), import('../../did/index.ts')]);
      const master = await loadKey(o.key, o.passwordEnv);
      const pk = s.pairwiseKey(master, o.controller);
      const r = await s.giveConsent(await client(o), pk, {
        controller: o.controller, purpose: o.purpose, personalData: o.data.split(','), ...(o.source ? { source: o.source } : {}), ...(o.expires ? { expires: o.expires } : {}),
      }, async (u) => (await vc.issueCredential(u, vc.keyPairSigner(pk, { fragment: 'multikey' }))) as unknown as Record<string, unknown>, { chain: o.chain });
      const w = readWallet();
      const rel = (w.relationships[`${didFromPublicKey(master.publicKey)}|${o.controller}`] ??= { controller: o.controller, subject: didFromPublicKey(pk.publicKey), digests: [] });
      rel.digests.push(r.digest);
      saveWallet(w);
      if (o.out) writeFileSync(o.out, JSON.stringify(r.credential, null, 2) + '\n', { flag: 'wx' });
      emit(o, { digest: r.digest, subject: rel.subject, height: r.tx.height, credential: r.credential }, () => [`consent ${r.digest} given to ${o.controller} as ${rel.subject} (height ${r.tx.height})`, ...(o.out ? [`credential: ${o.out}`] : [])]);
    }));
  consent.command('list').description('your consents, across your pairwise DIDs').addOption(keyOption('citizen\'s master key')).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (o: Keyed) => {
      const s = await sdk();
      const master = await loadKey(o.key, o.passwordEnv);
      const c = await client(o);
      const rels = relationsOf(master);
      const consents: Array<Record<string, unknown> & { digest: string; controller: string; purpose: string; state: string; withdrawnFrom?: number }> = [];
      for (const r of rels) for (const x of (await s.listConsents(c, r.subject, { chain: o.chain })).consents) consents.push({ ...x, relationship: r.controller });
      emit(o, { consents }, () => consents.length ? consents.map((x) => `${x.digest.slice(0, 16)}… to ${x.controller} for ${x.purpose}: ${x.state}${x.withdrawnFrom ? ` (from height ${x.withdrawnFrom})` : ''}`) : 'no consents');
    }));
  consent.command('withdraw').description('withdraw a consent (from the next block on), or all of them').argument('[digest]').option('--all', 'every consent in force, one transaction per pairwise DID')
    .addOption(keyOption('citizen\'s master key')).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption())
    .action(run(async (digest: string | undefined, o: Keyed & { all?: boolean }) => {
      const s = await sdk();
      const master = await loadKey(o.key, o.passwordEnv);
      const c = await client(o);
      const rels = relationsOf(master);
      if (o.all) {
        const r = await s.withdrawAllConsents(c, rels.map((x) => s.pairwiseKey(master, x.controller)), { chain: o.chain });
        emit(o, { withdrawn: r }, () => r.map((x) => `${x.subject}: ${x.withdrawn.length} withdrawn, effective from height ${x.effectiveFrom}`));
        return;
      }
      if (!digest) throw usage('give the consent digest, or --all');
      const rel = rels.find((x) => x.digests.includes(digest));
      if (!rel) throw new ShulianError('CONSENT_NOT_FOUND', `your wallet (${walletPath()}) has no consent ${digest}`);
      const { result } = await s.withdrawConsent(c, s.pairwiseKey(master, rel.controller), digest, { chain: o.chain });
      emit(o, result, () => `consent ${digest} withdrawn; uses from height ${result.effectiveFrom} on are refused`);
    }));
  return data;
}

function relationsOf(master: KeyPair): Array<{ controller: string; subject: string; digests: string[] }> {
  const me = didFromPublicKey(master.publicKey);
  return Object.entries(readWallet().relationships).filter(([k]) => k.startsWith(`${me}|`)).map(([, v]) => v);
}
