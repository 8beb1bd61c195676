/**
 * `shulian vc …`: issue, verify and revoke verifiable credentials.
 *   vc issue <credential.json>   sign locally with a keystore (did:shulian, or did:key for Ed25519),
 *                                naming the key as the issuer's DID document on the identity chain does
 *   vc verify <vc-or-vp.json>    ask the node (VC-API), or --local: check here, DIDs resolved through the
 *                                identity chain with proofs (or from exported documents), status lists over HTTP
 *   vc create-list               create a status list on the identity chain
 *   vc revoke [vc.json]          set a credential's status bit on chain (revoke, or suspend / reinstate)
 * Register with `program.addCommand(vcCommand())`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { foreign, ShulianError, type JsonValue } from '../../codec/index.ts';
import type { KeyPair } from '../../crypto/index.ts';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

// Loaded when a subcommand runs, so registering `vc` costs `shulian --help` nothing.
const client = async (o: CommonOptions) => new (await import('../../sdk/index.ts')).ShulianClient({ baseUrl: apiUrl(o) });
const loadKey = async (file: string, passwordEnv: string | undefined) => (await import('../keyfile.ts')).loadKey(file, passwordEnv);

const DEFAULT_STATUS_CHAIN = 'identity';

function intArg(what: string, min = 0) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${what} must be a whole number.`);
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be at least ${min}.`);
    return n;
  };
}

async function readJson(file: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ShulianError('FILE_NOT_FOUND', code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file} (${code ?? String(err)})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ShulianError('BAD_JSON', `${file} is not valid JSON (${(err as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ShulianError('BAD_JSON', `${file} must hold a JSON object (the ${what})`);
  return v as Record<string, unknown>;
}

// ---- issue ---------------------------------------------------------------------------------

export interface VcIssueOptions extends CommonOptions {
  key: string;
  passwordEnv?: string;
  didMethod: 'shulian' | 'key';
  /** did:shulian verification method fragment: `key-N`, or `multikey` for the key itself; default: as the DID document says. */
  keyId?: string;
  cryptosuite?: string;
  chain: string;
  statusList?: string;
  statusIndex?: number;
  statusPurpose: 'revocation' | 'suspension';
  out?: string;
}

export async function vcIssue(file: string, o: VcIssueOptions): Promise<void> {
  const vc = await import('../../did/index.ts');
  const credential = await readJson(file, 'credential to issue');
  if ((o.statusList === undefined) !== (o.statusIndex === undefined)) throw usage('--status-list and --status-index go together');
  if (o.cryptosuite !== undefined && !vc.isCryptosuite(o.cryptosuite)) throw usage(`--cryptosuite must be one of ${vc.SUPPORTED_CRYPTOSUITES.join(', ')}`);
  const key = await loadKey(o.key, o.passwordEnv);
  if (o.didMethod === 'key' && key.suite !== 'ed25519') throw usage('--did-method key needs an Ed25519 keystore; SM2 keys issue as did:shulian');
  if (o.cryptosuite !== undefined && vc.keySuiteOf(o.cryptosuite as Parameters<typeof vc.keySuiteOf>[0]) !== key.suite) {
    throw usage(`--cryptosuite ${o.cryptosuite} needs ${key.suite === 'sm2' ? 'an Ed25519' : 'an SM2'} key; this keystore holds ${key.suite === 'sm2' ? 'an SM2' : 'an Ed25519'} key`);
  }
  const signer = o.didMethod === 'key' ? vc.keyPairSigner(key, { didMethod: 'key' }) : await shulianSigner(key, credential, o);
  if (credential.issuer === undefined) credential.issuer = signer.controller;
  if (o.statusList !== undefined) {
    const list = `${apiUrl(o).replace(/\/+$/, '')}${vc.STATUS_LIST_PATH}${encodeURIComponent(o.statusList)}`;
    const entry = { id: `${list}#${o.statusIndex}`, type: 'BitstringStatusListEntry', statusPurpose: o.statusPurpose, statusListIndex: String(o.statusIndex), statusListCredential: list };
    const prior = credential.credentialStatus;
    credential.credentialStatus = prior === undefined ? entry : [...(Array.isArray(prior) ? prior : [prior]), entry];
  }
  const signed = await vc.issueCredential(credential, signer, o.cryptosuite !== undefined ? { cryptosuite: o.cryptosuite as Parameters<typeof vc.keySuiteOf>[0] } : {});
  const text = JSON.stringify(signed, null, 2) + '\n';
  if (o.out) {
    await writeFile(o.out, text, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      throw new ShulianError('FILE_EXISTS', err.code === 'EEXIST' ? `${o.out} exists; choose another --out (credentials are never overwritten)` : `cannot write ${o.out} (${err.code ?? err.message})`);
    });
    const proof = signed.proof as { cryptosuite: string; verificationMethod: string };
    emit(o, { out: o.out, issuer: signer.controller, cryptosuite: proof.cryptosuite, verificationMethod: proof.verificationMethod }, () => [
      `issued     ${o.out}`, `issuer     ${signer.controller}`, `suite      ${proof.cryptosuite}`, `key        ${proof.verificationMethod}`,
    ]);
  } else {
    process.stdout.write(text);
  }
}

/**
 * The did:shulian signer of `key` for the credential's issuer (default: the key's own DID): named
 * as the issuer's DID document on the identity chain names it (`#key-N`), or by the
 * self-certifying `#<publicKeyMultibase>` while the DID has no document. --key-id overrides the
 * look-up. When the node cannot be reached the key's own DID is named by its key, which verifiers
 * check against the document all the same.
 */
async function shulianSigner(key: KeyPair, credential: Record<string, unknown>, o: VcIssueOptions) {
  const vc = await import('../../did/index.ts');
  const own = vc.keyPairSigner(key).controller;
  const named = vc.issuerOf(credential);
  const did = named !== undefined && named.startsWith('did:shulian:') ? named : own;
  if (o.keyId !== undefined) {
    if (!/^(?:multikey|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/.test(o.keyId)) throw usage(`--key-id takes a key id such as key-2, or multikey; not ${JSON.stringify(o.keyId)}`);
    if (did !== own && o.keyId === 'multikey') throw usage(`the multikey form names ${own}'s own key; to sign for ${did}, give the key's id in its document (--key-id key-N)`);
    const base = vc.keyPairSigner(key, { fragment: o.keyId });
    return did === own ? base : { ...base, controller: did, verificationMethod: `${did}#${o.keyId}` };
  }
  const where = `the ${o.chain} chain at ${apiUrl(o)}`;
  try {
    return await vc.documentSigner(key, vc.resolveFrom(vc.httpStateSource(apiUrl(o), { chain: o.chain })), { did, where });
  } catch (err) {
    if (err instanceof ShulianError && err.code === 'VC_ISSUER_UNRESOLVABLE' && did === own) {
      process.stderr.write(`note: ${err.message}; naming the key by itself (${own}#<publicKeyMultibase>), which verifiers check against ${own}'s DID document\n`);
      return vc.keyPairSigner(key, { fragment: 'multikey' });
    }
    throw err;
  }
}

// ---- verify --------------------------------------------------------------------------------

export interface VcVerifyOptions extends CommonOptions {
  local?: boolean;
  challenge?: string;
  domain?: string;
  trustStatus?: string[];
  /** With --local: exported DID documents (`shulian did export`) to resolve from instead of the node. */
  didDocuments?: string[];
  /** With --local: the identity chain's id and pinned genesis hash. */
  chain: string;
  genesisHash?: string;
}

interface Verdict {
  verified: boolean;
  checks: string[];
  problems: Array<{ code: string; message: string }>;
}

export async function vcVerify(file: string, o: VcVerifyOptions): Promise<void> {
  const doc = await readJson(file, 'credential or presentation');
  const types = Array.isArray(doc.type) ? doc.type : [doc.type];
  const isVp = types.includes('VerifiablePresentation');
  const verdict = o.local ? await verifyLocally(doc, isVp, o) : await verifyAtNode(doc, isVp, o);
  emit(o, verdict, () => [
    verdict.verified ? `verified   yes (${verdict.checks.join(', ')})` : 'verified   NO',
    ...verdict.problems.map((p) => `problem    ${p.code}: ${p.message}`),
  ]);
  if (!verdict.verified) process.exitCode = 1;
}

async function verifyAtNode(doc: Record<string, unknown>, isVp: boolean, o: VcVerifyOptions): Promise<Verdict> {
  const base = apiUrl(o).replace(/\/+$/, '');
  const path = isVp ? '/presentations/verify' : '/credentials/verify';
  const options: Record<string, string> = {};
  if (o.challenge !== undefined) options.challenge = o.challenge;
  if (o.domain !== undefined) options.domain = o.domain;
  let res: Response;
  try {
    res = await fetch(base + path, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(30_000),
      body: JSON.stringify(isVp ? { verifiablePresentation: doc, options } : { verifiableCredential: doc, options }),
    });
  } catch {
    throw new ShulianError('NODE_UNREACHABLE', `cannot reach a Shulian node at ${base}`);
  }
  const body = (await res.json().catch(() => null)) as { verified?: boolean; checks?: string[]; errors?: Array<{ code: string; message: string; path?: string }>; error?: { code: string; message: string } } | null;
  if (body && typeof body.verified === 'boolean') {
    return { verified: body.verified, checks: body.checks ?? [], problems: (body.errors ?? []).map((e) => ({ code: e.code, message: e.path ? `${e.path}: ${e.message}` : e.message })) };
  }
  if (body?.error) throw new ShulianError(foreign(body.error.code), body.error.message);
  throw new ShulianError(foreign(`HTTP_${res.status}`), `the node at ${base} answered ${path} with HTTP ${res.status}`);
}

/** Largest exported-documents file read. */
const MAX_EXPORT_BYTES = 8 * 1024 * 1024;

/**
 * did:shulian resolution for --local: from the exported documents given (offline, each proof
 * checked against the genesis they carry, which must match the pinned one), else from the node
 * at --api with each answer's state proof checked here against the identity chain's validators.
 */
async function localDidResolver(o: VcVerifyOptions) {
  const vc = await import('../../did/index.ts');
  if (o.didDocuments && o.didDocuments.length > 0) {
    const { stat } = await import('node:fs/promises');
    const exports = [];
    for (const f of o.didDocuments) {
      const size = await stat(f).then((s) => s.size, () => 0);
      if (size > MAX_EXPORT_BYTES) throw new ShulianError('DID_EXPORT_INVALID', `${f} is larger than ${MAX_EXPORT_BYTES} bytes; export fewer DIDs per file`);
      exports.push(vc.parseDidExport(await readJson(f, 'exported DID documents'), f));
    }
    const { genesisHashArg } = await import('../trust.ts');
    const pinned = genesisHashArg(o.genesisHash);
    const resolve = vc.resolveFromExports(exports, { names: o.didDocuments, ...(pinned ? { genesisHash: pinned } : {}) });
    if (!pinned) process.stderr.write(`note: trusting the identity chain genesis ${exports[0]!.genesisHash} the exported documents carry; pin it with --genesis-hash\n`);
    return vc.didDocumentKeyResolver(resolve, { where: `the exported documents (${o.didDocuments.join(', ')})` });
  }
  const { resolveVerified } = await import('./did.ts');
  const where = `the ${o.chain} chain at ${apiUrl(o)} (state proofs checked here)`;
  return vc.didDocumentKeyResolver(async (did) => {
    try {
      return await resolveVerified({ ...o, chain: o.chain }, did);
    } catch (err) {
      if (err instanceof ShulianError && err.code === 'NODE_UNREACHABLE') {
        throw new Error(`${did} cannot be resolved: the node at ${apiUrl(o)} is unreachable, and no exported documents were given (--did-documents FILE from \`shulian did export ${did}\`)`);
      }
      throw err;
    }
  }, { where });
}

async function verifyLocally(doc: Record<string, unknown>, isVp: boolean, o: VcVerifyOptions): Promise<Verdict> {
  const vc = await import('../../did/index.ts');
  let trusted = o.trustStatus ?? [];
  if (trusted.length === 0) {
    // Status lists served by the node at --api are signed by its key: trust that node's DID.
    try {
      trusted = [(await (await client(o)).health()).node];
    } catch {
      trusted = [];
    }
  }
  const opts = {
    resolver: vc.combineResolvers(await localDidResolver(o), vc.didKeyResolver()),
    statusSource: vc.httpStatusListSource(), trustedStatusIssuers: trusted,
    ...(o.challenge !== undefined ? { challenge: o.challenge } : {}),
    ...(o.domain !== undefined ? { domain: o.domain } : {}),
  };
  const r = isVp ? await vc.verifyPresentation(doc, opts) : await vc.verifyCredential(doc, opts);
  return { verified: r.verified, checks: r.checks, problems: r.errors.map((e) => ({ code: e.code, message: e.path ? `${e.path}: ${e.message}` : e.message })) };
}

// ---- status lists --------------------------------------------------------------------------

export interface VcListOptions extends CommonOptions {
  key: string;
  passwordEnv?: string;
  chain: string;
  timeout: number;
}

async function sendStatusTx(o: VcListOptions, method: string, args: JsonValue): Promise<{ hash: string; height: number; result: JsonValue | undefined }> {
  const c = await client(o);
  const key = await loadKey(o.key, o.passwordEnv);
  const hash = await c.send(o.chain, key, { module: 'vcstatus', method, args });
  const inc = await c.waitForTx(hash, { timeoutMs: o.timeout });
  if (inc.receipt.status !== 'ok') throw new ShulianError(foreign(inc.receipt.code) ?? 'TX_FAILED', inc.receipt.message ?? `vcstatus.${method} failed`);
  return { hash, height: inc.height, result: inc.receipt.result };
}

export interface VcCreateListOptions extends VcListOptions {
  list: string;
  purpose: 'revocation' | 'suspension';
  size?: number;
}

export async function vcCreateList(o: VcCreateListOptions): Promise<void> {
  const args: Record<string, JsonValue> = { listId: o.list, purpose: o.purpose };
  if (o.size !== undefined) args.size = o.size;
  const r = await sendStatusTx(o, 'createList', args);
  const url = `${apiUrl(o).replace(/\/+$/, '')}/v1/status-lists/${encodeURIComponent(o.list)}`;
  emit(o, { ...r, list: o.list, purpose: o.purpose, statusListCredential: url }, () => [
    `created    status list ${o.list} (${o.purpose})`, `served at  ${url}`, `tx         ${r.hash} (height ${r.height} on ${o.chain})`,
  ]);
}

export interface VcRevokeOptions extends VcListOptions {
  list?: string;
  index?: number;
  purpose: 'revocation' | 'suspension';
  unset?: boolean;
}

/** The list and index of a credential's status entry for `purpose`. */
function entryOf(vcDoc: Record<string, unknown>, purpose: string): { list: string; index: number } {
  const raw = vcDoc.credentialStatus;
  const entries = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) as Array<Record<string, unknown>>;
  const e = entries.find((x) => x && x.type === 'BitstringStatusListEntry' && x.statusPurpose === purpose);
  if (!e) throw usage(`the credential has no ${purpose} status entry; pass --list and --index instead`);
  const url = String(e.statusListCredential);
  const at = url.lastIndexOf('/v1/status-lists/');
  if (at < 0) throw usage(`its status list ${url} is not a Shulian node's list; pass --list and --index instead`);
  return { list: decodeURIComponent(url.slice(at + '/v1/status-lists/'.length)), index: Number(e.statusListIndex) };
}

export async function vcRevoke(file: string | undefined, o: VcRevokeOptions): Promise<void> {
  let list = o.list;
  let index = o.index;
  if (file !== undefined) {
    if (list !== undefined || index !== undefined) throw usage('give either a credential file or --list and --index, not both');
    ({ list, index } = entryOf(await readJson(file, 'credential'), o.purpose));
  }
  if (list === undefined || index === undefined) throw usage('say which status to change: a credential file, or --list <id> --index <n>');
  if (o.unset && o.purpose === 'revocation') throw usage('revocation cannot be undone; --unset lifts a suspension (--purpose suspension)');
  const value = !o.unset;
  const r = await sendStatusTx(o, 'setStatus', { listId: list, index, value });
  const verb = o.purpose === 'revocation' ? 'revoked' : value ? 'suspended' : 'reinstated';
  emit(o, { ...r, list, index, purpose: o.purpose, value }, () => [
    `${verb.padEnd(10)} entry ${index} of status list ${list}`, `tx         ${r.hash} (height ${r.height} on ${o.chain})`,
  ]);
}

// ---- the command ---------------------------------------------------------------------------



/** The `vc` command with its subcommands. */
export function vcCommand(): Command {
  const vc = new Command('vc').description('verifiable credentials (W3C VC 2.0, Data Integrity proofs): issue, verify, revoke');
  vc.command('issue')
    .description('sign a credential with a local key (sm2-jcs-2024 for SM2 keys, eddsa-jcs-2022 for Ed25519) and print it')
    .argument('<file>', 'the credential to issue, as JSON (issuer defaults to the key\'s DID)')
    .addOption(keyOption('issuer'))
    .addOption(passwordEnvOption())
    .addOption(new Option('--did-method <method>', 'issue as did:shulian or (Ed25519 only) did:key').choices(['shulian', 'key']).default('shulian'))
    .option('--key-id <id>', 'did:shulian verification method: key-N, or multikey for the key itself (default: as the issuer\'s DID document names the key, looked up at --api)')
    .option('--cryptosuite <suite>', 'eddsa-rdfc-2022 or eddsa-jcs-2022 for Ed25519 keys (default eddsa-jcs-2022), sm2-jcs-2024 for SM2 keys')
    .option('--chain <id>', 'identity chain where the issuer\'s DID document is looked up', DEFAULT_STATUS_CHAIN)
    .option('--status-list <id>', 'add a status entry in this list, served by the node at --api')
    .option('--status-index <n>', 'the entry\'s index in the list', intArg('--status-index'))
    .addOption(new Option('--status-purpose <purpose>', 'what the list records').choices(['revocation', 'suspension']).default('revocation'))
    .option('--out <file>', 'write the credential here (never overwritten) instead of printing it')
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(run<[string], VcIssueOptions>(vcIssue));
  vc.command('verify')
    .description('verify a credential or presentation: by the node at --api, or --local on this machine')
    .argument('<file>', 'credential or presentation JSON')
    .option('--local', 'verify here: did:shulian DIDs resolved at --api with their state proofs checked here (or from --did-documents), status lists fetched over HTTP')
    .option('--did-documents <file...>', 'with --local: resolve DIDs from these exports (`shulian did export`) instead of the node')
    .option('--chain <id>', 'with --local: the identity chain', DEFAULT_STATUS_CHAIN)
    .option('--genesis-hash <hex>', 'with --local: pin the identity chain genesis hash')
    .option('--challenge <text>', 'the challenge a presentation must carry')
    .option('--domain <text>', 'the domain a presentation must carry')
    .option('--trust-status <did...>', 'with --local: status services to trust (default: the node at --api)')
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(run<[string], VcVerifyOptions>(vcVerify));
  vc.command('create-list')
    .description('create a status list on the identity chain, owned by the key\'s DID')
    .requiredOption('--list <id>', 'list id (letters, digits, ".", "_", "-")')
    .addOption(new Option('--purpose <purpose>', 'revocation (final) or suspension (reversible)').choices(['revocation', 'suspension']).default('revocation'))
    .option('--size <n>', 'entries (at least 131072, a multiple of 8)', intArg('--size', 1))
    .addOption(keyOption('list owner (the issuer)'))
    .addOption(passwordEnvOption())
    .option('--chain <id>', 'chain with the vcstatus module', DEFAULT_STATUS_CHAIN)
    .option('--timeout <ms>', 'how long to wait for the block', intArg('--timeout', 1), 30000)
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(run<[], VcCreateListOptions>(vcCreateList));
  vc.command('revoke')
    .description('revoke a credential on chain (final), or with --purpose suspension suspend it (--unset reinstates)')
    .argument('[file]', 'the credential, whose status entry names the list and index')
    .option('--list <id>', 'status list id (instead of a credential file)')
    .option('--index <n>', 'entry index (instead of a credential file)', intArg('--index'))
    .addOption(new Option('--purpose <purpose>', 'which status to change').choices(['revocation', 'suspension']).default('revocation'))
    .option('--unset', 'clear the bit: lift a suspension')
    .addOption(keyOption('list owner (the issuer)'))
    .addOption(passwordEnvOption())
    .option('--chain <id>', 'chain with the vcstatus module', DEFAULT_STATUS_CHAIN)
    .option('--timeout <ms>', 'how long to wait for the block', intArg('--timeout', 1), 30000)
    .addOption(apiOption())
    .addOption(jsonOption())
    .action(run<[string | undefined], VcRevokeOptions>(vcRevoke));
  return vc;
}
