/**
 * `shulian did create|resolve|update|deactivate`: DID documents on the identity chain
 * (docs/did-method.md). `didCommand()` builds the subcommand; main.ts adds it with
 * `program.addCommand(didCommand())`.
 */
import { nodeFetch } from '../node-fetch.ts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { foreign, ShulianError, fromHex, toHex, type JsonValue } from '../../codec/index.ts';
import { didFromPublicKey, sign, type KeyPair } from '../../crypto/index.ts';
import { txHashOf, txSigningMessage, type Tx, type TxBody } from '../../ledger/index.ts';
import { ShulianClient, type CommittedTx } from '../../sdk/index.ts';
import {
  checkRawPublicKey, decodeMultikey, encodeMultikey, httpStateSource, parseShulianDid, resolveDid,
  resolutionErrorCode, verifyDidResolution, DID_EXPORT_TYPE, DID_RELATIONSHIPS, MAX_EXPORTED_DIDS,
  type DidExport, type DidResolutionResult, type DidRelationship, type ResolveOptions,
} from '../../did/index.ts';
import { loadKey } from '../keyfile.ts';
import { apiUrl, emit, report, usage, type CommonOptions, action, action1 } from '../output.ts';
import { genesisHashArg, verifyingClient } from '../trust.ts';
import { keyOption } from '../options.ts';

export const DEFAULT_IDENTITY_CHAIN = 'identity';

export interface DidCommonOptions extends CommonOptions {
  chain: string;
}

export interface DidSignOptions extends DidCommonOptions {
  key: string;
  passwordEnv?: string;
  /** Sign as this DID (default: the DID being changed when the key is one of its current keys, else the key's own DID). */
  as?: string;
  timeout: number;
}

// ---- helpers ------------------------------------------------------------------------------------

/** A public key given as publicKeyMultibase ("z…") or hex (SM2 65 bytes, Ed25519 32 bytes) → publicKeyMultibase. */
export function publicKeyArg(s: string): string {
  const t = s.trim();
  try {
    if (t.startsWith('z')) return decodeMultikey(t).publicKeyMultibase;
    if (/^(?:[0-9a-fA-F]{2})+$/.test(t)) {
      const pk = fromHex(t.toLowerCase());
      return encodeMultikey(checkRawPublicKey(pk), pk);
    }
  } catch (err) {
    throw usage(`${JSON.stringify(t.slice(0, 20))}… is not a usable public key: ${(err as Error).message}`);
  }
  throw usage(`give a public key as publicKeyMultibase (z…) or hex (as \`shulian keys show\` prints it), not ${JSON.stringify(t.slice(0, 20))}`);
}

/** `--service id=type=endpoint` → a service. The endpoint may contain "=". */
export function serviceArg(s: string): { id: string; type: string; serviceEndpoint: string } {
  const a = s.indexOf('=');
  const b = a < 0 ? -1 : s.indexOf('=', a + 1);
  if (a <= 0 || b <= a + 1 || b === s.length - 1) throw usage(`--service takes id=type=endpoint, e.g. home=LinkedDomains=https://example.org; got ${JSON.stringify(s)}`);
  return { id: s.slice(0, a), type: s.slice(a + 1, b), serviceEndpoint: s.slice(b + 1) };
}

function didArg(s: string, what = 'DID'): string {
  try {
    return parseShulianDid(s).did;
  } catch (err) {
    throw usage(`${what}: ${(err as Error).message}`);
  }
}

/** Signs a call as `from` (which need not be the key's own DID: a rotated-in key signs for its DID). */
async function sendAs(client: ShulianClient, chain: string, key: KeyPair, from: string, module: string, method: string, args: JsonValue): Promise<string> {
  const [acct, head] = await Promise.all([client.account(chain, from), client.blocks(chain, { limit: 1 })]);
  const body: TxBody = {
    chain, from, pubkey: toHex(key.publicKey), nonce: acct.pendingNonce, module, method, args, expires: (head[0]?.height ?? 0) + 100,
  };
  const hash = txHashOf(key.suite, body);
  const tx: Tx = { ...body, sig: toHex(sign(key.suite, key.privateKey, txSigningMessage(hash))) };
  await client.submit(chain, tx);
  return hash;
}

async function waitOk(client: ShulianClient, hash: string, timeoutMs: number): Promise<CommittedTx> {
  const inc = await client.waitForTx(hash, { timeoutMs });
  if (inc.receipt.status !== 'ok') {
    throw new ShulianError(foreign(inc.receipt.code) ?? 'TX_FAILED', `${inc.tx.module}.${inc.tx.method} was rejected in block ${inc.height}: ${inc.receipt.message ?? inc.receipt.code ?? 'no reason given'}`);
  }
  return inc;
}

/** Who signs a change of `target` with `key`: --as, else the target when the key is one of its current keys, else the key's own DID. */
async function signerFor(o: DidSignOptions, client: ShulianClient, key: KeyPair, target: string): Promise<string> {
  if (o.as !== undefined) return didArg(o.as, '--as');
  const own = didFromPublicKey(key.publicKey);
  if (own === target) return own;
  const r = await resolveDid(httpStateSource(apiUrl(o), { chain: o.chain }), target);
  const pk = toHex(key.publicKey);
  const listed = (r.didDocument?.verificationMethod ?? []).some((vm) => {
    try {
      return decodeMultikey(vm.publicKeyMultibase).publicKeyHex === pk;
    } catch {
      return false;
    }
  });
  return listed ? target : own;
}

function documentLines(r: DidResolutionResult): string[] {
  const doc = r.didDocument;
  const m = r.didDocumentMetadata;
  if (!doc) return [];
  const lines = [`did        ${doc.id}`];
  if (m.deactivated) lines.push('status     DEACTIVATED');
  lines.push(`version    ${m.versionId} (created ${m.created} at height ${m.createdHeight}, updated ${m.updated} at height ${m.updatedHeight})`);
  for (const vm of doc.verificationMethod ?? []) {
    const rels = DID_RELATIONSHIPS.filter((rel) => doc[rel]?.includes(vm.id));
    lines.push(`key        ${vm.id.slice(doc.id.length)} ${decodeMultikey(vm.publicKeyMultibase).suite} ${vm.publicKeyMultibase} [${rels.join(', ')}]`);
  }
  for (const s of doc.service ?? []) lines.push(`service    ${s.id.slice(doc.id.length)} ${Array.isArray(s.type) ? s.type.join(',') : s.type} ${JSON.stringify(s.serviceEndpoint)}`);
  for (const c of (doc.controller ?? []).filter((c) => c !== doc.id)) lines.push(`controller ${c}`);
  return lines;
}

// ---- commands -----------------------------------------------------------------------------------

export interface DidCreateOptions extends DidSignOptions {
  service?: string[];
  controller?: string[];
}

export async function didCreateCmd(o: DidCreateOptions): Promise<void> {
  const services = (o.service ?? []).map(serviceArg);
  const controllers = (o.controller ?? []).map((c) => didArg(c, '--controller'));
  const client = new ShulianClient({ baseUrl: apiUrl(o), fetch: nodeFetch });
  const key = await loadKey(o.key, o.passwordEnv);
  const did = didFromPublicKey(key.publicKey);
  const args: Record<string, JsonValue> = { publicKeyMultibase: encodeMultikey(key.suite, key.publicKey) };
  if (services.length) args.services = services;
  if (controllers.length) args.controllers = controllers;
  const hash = await sendAs(client, o.chain, key, did, 'did', 'create', args);
  const inc = await waitOk(client, hash, o.timeout);
  const r = await resolveDid(httpStateSource(apiUrl(o), { chain: o.chain }), did);
  emit(o, { did, tx: hash, height: inc.height, didDocument: r.didDocument, didDocumentMetadata: r.didDocumentMetadata }, () => [
    `created    ${did}`, `tx         ${hash} (height ${inc.height} on chain ${o.chain})`, ...documentLines(r).slice(1),
  ]);
}

export interface DidResolveOptions extends DidCommonOptions {
  height?: number;
  versionTime?: string;
  versionId?: string;
  proof?: boolean;
  verify?: boolean;
  genesisHash?: string;
}

/** What a verified resolution needs: the node, the identity chain, and a pinned genesis hash if any. */
export interface VerifiedResolveOptions extends CommonOptions {
  chain: string;
  genesisHash?: string;
}

/**
 * Resolves `did` at the node with its state proof and checks the proof here against the identity
 * chain's validators (light client from the pinned genesis, as `did resolve --verify` does).
 * Throws PROOF_INVALID when it does not verify; errors such as NOT_FOUND come back in the
 * (verified) result.
 */
export async function resolveVerified(o: VerifiedResolveOptions, did: string, opts: Omit<ResolveOptions, 'proof'> = {}): Promise<DidResolutionResult> {
  const r = await resolveDid(httpStateSource(apiUrl(o), { chain: o.chain }), did, { ...opts, proof: true });
  const parsed = resolutionErrorCode(r);
  // A DID that cannot be resolved at all (bad syntax, another method) has no state to prove.
  if (parsed === 'INVALID_DID' || parsed === 'METHOD_NOT_SUPPORTED' || parsed === 'INVALID_OPTIONS') return r;
  if (parsed === 'INTERNAL_ERROR') throw new ShulianError('NODE_UNREACHABLE', `the node at ${apiUrl(o)} could not resolve ${did}: ${r.didResolutionMetadata.error?.detail ?? ''}`);
  const pin = genesisHashArg(o.genesisHash);
  const client = verifyingClient(o, pin ? { [o.chain]: pin } : {});
  const g = await client.genesis(o.chain);
  const p = r.didResolutionMetadata.stateProof;
  const heights = [p?.lookup?.header?.height, p?.next?.header?.height].filter((h): h is number => typeof h === 'number' && Number.isSafeInteger(h) && h >= 0);
  const trust = await client.headerVerifier(o.chain, Math.max(0, ...heights));
  const check = verifyDidResolution(r, trust, { suite: g.suite, chain: o.chain, did: p?.did ?? did });
  if (!check.ok) throw new ShulianError('PROOF_INVALID', `the resolution of ${did} does not verify: ${check.reason}`);
  return r;
}

export async function didResolveCmd(did: string, o: DidResolveOptions): Promise<void> {
  const opts: Omit<ResolveOptions, 'proof'> = {
    ...(o.height !== undefined ? { height: o.height } : {}),
    ...(o.versionTime !== undefined ? { versionTime: o.versionTime } : {}),
    ...(o.versionId !== undefined ? { versionId: o.versionId } : {}),
  };
  const verified = o.verify === true;
  const r = verified ? await resolveVerified(o, did, opts)
    : await resolveDid(httpStateSource(apiUrl(o), { chain: o.chain }), did, { ...opts, proof: o.proof === true });
  const code = resolutionErrorCode(r);
  if (code) {
    const detail = r.didResolutionMetadata.error!.detail;
    const suffix = verified ? ' (verified against the identity chain validators)' : '';
    if (o.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    throw new ShulianError(code === 'NOT_FOUND' ? 'DID_NOT_FOUND' : code === 'METHOD_NOT_SUPPORTED' || code === 'INVALID_DID' ? 'USAGE' : code, `${detail}${suffix}`);
  }
  emit(o, verified ? { ...r, proofVerified: true } : r, () => [
    ...documentLines(r),
    `height     resolved at identity chain height ${r.didResolutionMetadata.height}`,
    ...(verified ? ['proof      verified locally: state proof under a block final by the identity chain validators of its height, document recomputed from the proven state'] : []),
  ]);
}

export interface DidExportOptions extends VerifiedResolveOptions {
  out: string;
}

/**
 * `shulian did export <did…> --out FILE`: the DIDs' documents (or proven absence) with their
 * state proofs and the identity chain's genesis, for `shulian vc verify --local
 * --did-documents FILE` where no node is at hand. Each proof is checked before it is written.
 */
export async function didExportCmd(dids: string[], o: DidExportOptions): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  const { genesisHashOf } = await import('../../sdk/index.ts');
  if (dids.length === 0) throw usage('name at least one DID to export');
  if (dids.length > MAX_EXPORTED_DIDS) throw usage(`export at most ${MAX_EXPORTED_DIDS} DIDs per file`);
  const resolutions: DidResolutionResult[] = [];
  for (const did of dids) {
    const target = didArg(did);
    const r = await resolveVerified(o, target);
    const code = resolutionErrorCode(r);
    if (code && code !== 'NOT_FOUND') throw new ShulianError(code, `${target}: ${r.didResolutionMetadata.error?.detail}`);
    resolutions.push(r);
  }
  const genesis = await verifyingClient(o, o.genesisHash ? { [o.chain]: o.genesisHash } : {}).genesis(o.chain);
  const bundle: DidExport = {
    type: DID_EXPORT_TYPE, version: 1, chain: o.chain, genesisHash: genesisHashOf(genesis), genesis,
    node: apiUrl(o), exported: new Date().toISOString(), resolutions,
  };
  await writeFile(o.out, JSON.stringify(bundle, null, 2) + '\n', { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    throw new ShulianError('FILE_EXISTS', err.code === 'EEXIST' ? `${o.out} exists; choose another --out (exports are never overwritten)` : `cannot write ${o.out} (${err.code ?? err.message})`);
  });
  emit(o, { out: o.out, chain: o.chain, genesisHash: bundle.genesisHash, dids: resolutions.map((r) => ({ did: r.didResolutionMetadata.stateProof?.did, found: r.didDocument !== null, height: r.didResolutionMetadata.height })) }, () => [
    `exported   ${resolutions.length} DID${resolutions.length === 1 ? '' : 's'} to ${o.out}`,
    `chain      ${o.chain} (genesis ${bundle.genesisHash})`,
    ...resolutions.map((r) => `did        ${r.didResolutionMetadata.stateProof?.did} ${r.didDocument ? `version ${r.didDocumentMetadata.versionId}` : '(no document: its self-certifying key alone)'} at height ${r.didResolutionMetadata.height}, proof verified`),
  ]);
}

export interface DidUpdateOptions extends DidSignOptions {
  addKey?: string;
  relationship?: string[];
  keyId?: string;
  removeKey?: string;
  rotate?: string;
  addService?: string;
  removeService?: string;
  addController?: string;
  removeController?: string;
}

/** The one module call an update invocation asks for. */
export function updateCall(did: string, o: DidUpdateOptions): { method: string; args: Record<string, JsonValue> } {
  const chosen = [o.addKey, o.removeKey, o.rotate, o.addService, o.removeService, o.addController, o.removeController].filter((x) => x !== undefined).length;
  if (chosen !== 1) {
    throw usage('give exactly one change: --add-key, --remove-key, --rotate, --add-service, --remove-service, --add-controller or --remove-controller');
  }
  if (o.addKey !== undefined) {
    const rels = o.relationship ?? ['authentication'];
    for (const r of rels) if (!DID_RELATIONSHIPS.includes(r as DidRelationship)) throw usage(`--relationship ${r} is not one of ${DID_RELATIONSHIPS.join(', ')}`);
    const args: Record<string, JsonValue> = { did, publicKeyMultibase: publicKeyArg(o.addKey), relationships: rels };
    if (o.keyId !== undefined) args.id = o.keyId;
    return { method: 'addKey', args };
  }
  if (o.removeKey !== undefined) return { method: 'removeKey', args: { did, keyId: o.removeKey } };
  if (o.rotate !== undefined) {
    const args: Record<string, JsonValue> = { did, publicKeyMultibase: publicKeyArg(o.rotate) };
    if (o.keyId !== undefined) args.keyId = o.keyId;
    return { method: 'rotate', args };
  }
  if (o.addService !== undefined) return { method: 'addService', args: { did, ...serviceArg(o.addService) } };
  if (o.removeService !== undefined) return { method: 'removeService', args: { did, id: o.removeService } };
  if (o.addController !== undefined) return { method: 'addController', args: { did, controller: didArg(o.addController, '--add-controller') } };
  return { method: 'removeController', args: { did, controller: didArg(o.removeController!, '--remove-controller') } };
}

async function change(did: string, o: DidSignOptions, method: string, args: Record<string, JsonValue>): Promise<void> {
  const client = new ShulianClient({ baseUrl: apiUrl(o), fetch: nodeFetch });
  const key = await loadKey(o.key, o.passwordEnv);
  const from = await signerFor(o, client, key, did);
  const hash = await sendAs(client, o.chain, key, from, 'did', method, args);
  const inc = await waitOk(client, hash, o.timeout);
  const r = await resolveDid(httpStateSource(apiUrl(o), { chain: o.chain }), did);
  emit(o, { did, method, tx: hash, height: inc.height, signer: from, didDocument: r.didDocument, didDocumentMetadata: r.didDocumentMetadata }, () => [
    `${method.padEnd(10)} ok, tx ${hash} (height ${inc.height}, signed as ${from})`, ...documentLines(r),
  ]);
}

export async function didUpdateCmd(did: string, o: DidUpdateOptions): Promise<void> {
  const target = didArg(did);
  const { method, args } = updateCall(target, o);
  await change(target, o, method, args);
}

export interface DidDeactivateOptions extends DidSignOptions {
  yes?: boolean;
}

export async function didDeactivateCmd(did: string, o: DidDeactivateOptions): Promise<void> {
  const target = didArg(did);
  if (!o.yes) throw usage(`deactivating ${target} cannot be undone: every key stops signing for it for good; pass --yes to go ahead`);
  await change(target, o, 'deactivate', { did: target });
}

// ---- commander ----------------------------------------------------------------------------------

function intArg(what: string) {
  return (v: string): number => {
    if (!/^\d{1,15}$/.test(v)) throw new InvalidArgumentError(`${what} must be a whole number.`);
    return Number(v);
  };
}
const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

const common = (c: Command): Command => c
  .option('--chain <id>', 'identity chain id', DEFAULT_IDENTITY_CHAIN)
  .addOption(new Option('--api <url>', 'node API URL (default: $SHULIAN_API or http://127.0.0.1:7070)'))
  .addOption(new Option('--json', 'print JSON'));
const signing = (c: Command): Command => common(c)
  .addOption(keyOption())
  .option('--password-env <var>', 'read the keystore password from this environment variable (default: ask at the terminal)')
  .option('--as <did>', 'sign as this DID (default: the DID being changed if the key is one of its current keys, else the key\'s own DID)')
  .option('--timeout <ms>', 'how long to wait for the block', intArg('--timeout'), 30000);

/** `shulian did …`. */
export function didCommand(): Command {
  const did = new Command('did').description('DIDs on the identity chain: create, resolve (with proofs), update keys, services and controllers, deactivate');

  signing(did.command('create'))
    .description('record the DID document of the key\'s self-certifying DID')
    .option('--service <id=type=endpoint>', 'a service to include (repeatable)', collect)
    .option('--controller <did>', 'another DID that may update this one (repeatable)', collect)
    .action(action<DidCreateOptions>(didCreateCmd));

  common(did.command('resolve'))
    .description('resolve a DID; --verify checks the state proof against the identity chain validators')
    .argument('<did>', 'did:shulian:…')
    .option('--height <n>', 'resolve as of this identity chain height', intArg('--height'))
    .option('--version-time <datetime>', 'resolve as of this time, e.g. 2024-05-01T08:00:00Z')
    .option('--version-id <n>', 'resolve this version of the document')
    .option('--proof', 'include the state proof in the output')
    .option('--verify', 'check the proof locally (implies --proof)')
    .option('--genesis-hash <hex>', 'pin the identity chain genesis hash for --verify')
    .action(action1<DidResolveOptions>(didResolveCmd));

  common(did.command('export'))
    .description('write DIDs\' documents with their state proofs and the identity chain\'s genesis to a file, for `vc verify --local --did-documents` without a node')
    .argument('<did...>', 'did:shulian:… (a DID with no document is exported as proven absent: its self-certifying key alone)')
    .requiredOption('--out <file>', 'file to write (never overwritten)')
    .option('--genesis-hash <hex>', 'pin the identity chain genesis hash')
    .action(async (dids: string[], o: DidExportOptions) => {
      try {
        await didExportCmd(dids, o);
      } catch (err) {
        process.exitCode = report(err, o);
      }
    });

  signing(did.command('update'))
    .description('change a DID document: exactly one of the options below per call')
    .argument('<did>', 'the DID to change (signed by it or by one of its controllers)')
    .option('--add-key <publicKey>', 'add a key (publicKeyMultibase z…, or hex as `shulian keys show` prints)')
    .option('--relationship <name>', `relationship for --add-key (repeatable; ${DID_RELATIONSHIPS.join(', ')}; default authentication)`, collect)
    .option('--key-id <id>', 'id for --add-key, or the key --rotate replaces')
    .option('--remove-key <id>', 'revoke a key, e.g. key-2')
    .option('--rotate <publicKey>', 'replace the signing key with this new key; the old one stops signing at this block')
    .option('--add-service <id=type=endpoint>', 'add a service')
    .option('--remove-service <id>', 'remove a service')
    .option('--add-controller <did>', 'let another DID update this one')
    .option('--remove-controller <did>', 'stop another DID from updating this one')
    .action(action1<DidUpdateOptions>(didUpdateCmd));

  signing(did.command('deactivate'))
    .description('deactivate a DID for good (irreversible)')
    .argument('<did>', 'the DID to deactivate')
    .option('--yes', 'confirm: deactivation cannot be undone')
    .action(action1<DidDeactivateOptions>(didDeactivateCmd));

  return did;
}
