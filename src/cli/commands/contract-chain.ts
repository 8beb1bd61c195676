/**
 * `shulian contract deploy|draft|sign|submit-event|status|evidence|replay`: executable legal
 * contracts on the signing chain (module lexcontract). Signing recomputes the fingerprint from
 * the template and parameters read with proofs, so a party signs what it can check itself;
 * `evidence` exports everything a court needs, and `replay` checks it on a machine that never
 * saw the chain.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ShulianError, stateValue, type JsonValue, type StateKey } from '../../codec/index.ts';
import { compileSource, summarize, type ContractState } from '../../lex/index.ts';
import { genesisHash } from '../../ledger/index.ts';
import {
  historyKey, instanceFingerprint, lexStateKey, instanceKey, renderedTexts, signingTermsOf, stateKey, templateKey, logKey,
  type LexInstance, type LexLogEntry,
} from '../../modules/lexcontract/index.ts';
import { ShulianClient, contractCall, getContract } from '../../sdk/index.ts';
import { didOf, loadKey } from '../keyfile.ts';
import { parsePartiesArg } from '../parties.ts';
import { emit, usage, type CommonOptions } from '../output.ts';
import { genesisHashArg, verifyingClient } from '../trust.ts';
import {
  EVIDENCE_FORMAT, checkEvidence, expectedStateKeys, expectedTxs, parseEvidence, serializeEvidence, unreadableReport,
  type EvidencePackage, type EvidenceReport, type EvidenceState, type EvidenceTx,
} from './contract-evidence.ts';

export { checkEvidence, parseEvidence, serializeEvidence, type EvidencePackage, type EvidenceReport } from './contract-evidence.ts';

export interface ContractChainOptions extends CommonOptions {
  chain: string;
  key?: string;
  passwordEnv?: string;
  /** `sign` as the notary or court named in the contract. */
  countersign?: boolean;
}

/** Reads that sign or check (contract sign reads with proofs) trust the pinned genesis, or the one pinned on first use. */
const client = (o: CommonOptions): ShulianClient => verifyingClient(o);

async function call(o: ContractChainOptions, method: string, args: JsonValue): Promise<{ hash: string; result: JsonValue | undefined; height: number }> {
  if (!o.key) throw new ShulianError('USAGE', 'this command signs a transaction: give --key FILE');
  const key = await loadKey(o.key, o.passwordEnv);
  const r = await contractCall(client(o), key, method, args, { chain: o.chain });
  return { hash: r.tx, result: r.result, height: r.height };
}

/** A JSON object of terms from a file, with a clear error for a missing or malformed one. */
function readParamsFile(file: string): Record<string, JsonValue> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw usage(`cannot read the parameters file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw usage(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw usage(`${file} must hold a JSON object of the contract's terms`);
  return v as Record<string, JsonValue>;
}

async function read<T>(o: ContractChainOptions, key: StateKey<T>): Promise<T> {
  const full = lexStateKey(key);
  const v = stateValue(full, (await client(o).verifiedState(o.chain, full)).value);
  if (v === undefined) throw new ShulianError('NOT_FOUND', `nothing at ${key} on chain ${o.chain}`);
  return v;
}

export async function contractDeploy(file: string, o: ContractChainOptions): Promise<void> {
  const source = readFileSync(file, 'utf8');
  const r = await call(o, 'deploy', { source });
  emit(o, { tx: r.hash, ...(r.result as object) }, () => [`deployed   ${(r.result as { template: string }).template}`, `tx         ${r.hash} (height ${r.height})`]);
}

export async function contractDraft(o: ContractChainOptions & { template: string; params: string; parties: string; countersigner?: string; countersignerRole?: string; disputeAllows?: string }): Promise<void> {
  const params = readParamsFile(o.params);
  const parties = parsePartiesArg(o.parties);
  // The DIDs come from --parties; a params file that names a party too must agree (the chain checks it).
  for (const [p, d] of Object.entries(parties)) {
    if (params[p] !== undefined && params[p] !== d) {
      throw usage(`${o.params} names ${p} as ${String(params[p])} but --parties says ${d}; drop ${p} from the file (the parties come from --parties)`);
    }
  }
  const args: Record<string, JsonValue> = { template: o.template, params, parties };
  if (o.countersigner) args.countersigner = { did: didOf(o.countersigner, '--countersigner'), role: o.countersignerRole ?? 'notary' };
  if (o.disputeAllows) args.disputeAllows = o.disputeAllows.split(',').map((x) => x.trim()).filter(Boolean);
  const r = await call(o, 'draft', args);
  const res = r.result as { id: string; fingerprint: string };
  emit(o, { tx: r.hash, ...res }, () => [`contract   ${res.id}`, `fingerprint ${res.fingerprint}`, `each party now signs it: shulian contract sign ${res.id} --key KEY`]);
}

export async function contractSign(id: string, o: ContractChainOptions): Promise<void> {
  const inst = await read<LexInstance>(o, instanceKey(id));
  const source = await read<string>(o, templateKey(inst.template));
  // The fingerprint this party signs is recomputed here from proven data, not taken from the node.
  const fp = instanceFingerprint(compileSource(source).contract, inst.params, signingTermsOf(inst));
  if (fp !== inst.fingerprint) throw new ShulianError('LEX_FINGERPRINT_MISMATCH', `the chain's fingerprint ${inst.fingerprint} is not the one the template, parameters and signing terms give (${fp}); do not sign`);
  if (o.countersign && !inst.countersigner) throw new ShulianError('LEX_NO_COUNTERSIGNER', `contract ${id} names no notary or court to countersign; sign without --countersign`);
  const counter = o.countersign === true;
  const r = await call(o, counter ? 'countersign' : 'sign', { id, fingerprint: fp });
  const status = (r.result as { status?: string } | undefined)?.status;
  emit(o, { tx: r.hash, id, fingerprint: fp, status: status ?? null }, () => [`${counter ? 'countersigned' : 'signed'}     ${id}  (${status})`, `fingerprint ${fp}`, `tx         ${r.hash} (height ${r.height})`]);
}

export async function contractDispute(id: string, o: ContractChainOptions & { reason: string }): Promise<void> {
  const r = await call(o, 'dispute', { id, reason: o.reason });
  emit(o, { tx: r.hash, ...(r.result as object) }, () => [`disputed   ${id}: events are refused until the dispute is resolved`, `tx         ${r.hash} (height ${r.height})`]);
}

export async function contractResolve(id: string, outcome: string, o: ContractChainOptions & { note?: string }): Promise<void> {
  const r = await call(o, 'resolve', { id, outcome, ...(o.note ? { note: o.note } : {}) });
  emit(o, { tx: r.hash, ...(r.result as object) }, () => [`resolved   ${id} → ${(r.result as { status: string }).status}`, `tx         ${r.hash} (height ${r.height})`]);
}

export async function contractSettle(id: string, o: ContractChainOptions): Promise<void> {
  const r = await call(o, 'settle', { id });
  const res = r.result as { sent: number; pending: number };
  emit(o, { tx: r.hash, ...res }, () => [`settlement instructions sent ${res.sent}, still pending ${res.pending}`, `tx         ${r.hash} (height ${r.height})`]);
}

export async function contractEvent(id: string, event: string, o: ContractChainOptions & { input?: string }): Promise<void> {
  const input = o.input ? (JSON.parse(o.input) as JsonValue) : {};
  const r = await call(o, 'event', { id, event, input });
  emit(o, { tx: r.hash, ...(r.result as object) }, () => [`event      ${event} → ${JSON.stringify(r.result)}`, `tx         ${r.hash} (height ${r.height})`]);
}

async function logOf(o: ContractChainOptions, id: string): Promise<LexLogEntry[]> {
  const out: LexLogEntry[] = [];
  for (let seq = 0; ; seq++) {
    const key = lexStateKey(logKey(id, seq));
    const v = stateValue(key, (await client(o).state(o.chain, key)).value);
    if (v === undefined) return out;
    out.push(v);
  }
}

/**
 * The events a contract in `status` takes now, from its template: each with who may send it and
 * its inputs (`Tick`, which checks deadlines, from anyone). An active contract takes them all; a
 * disputed one only those its signing terms allow while disputed; any other status none.
 */
export function acceptedEvents(source: string, inst: LexInstance): AcceptedEvent[] {
  if (inst.status !== 'active' && inst.status !== 'disputed') return [];
  const all: AcceptedEvent[] = [
    ...summarize(compileSource(source).contract).events.map((e) => ({
      event: e.name, kind: e.kind, from: e.from === 'anyone' ? 'anyone' as const : e.from.map((p) => ({ party: p, did: inst.parties[p] ?? '' })),
      inputs: e.inputs.map((f) => ({ name: f.name, type: f.type })), label: e.label.en,
    })),
    { event: 'Tick', kind: 'event', from: 'anyone', inputs: [], label: 'checks deadlines (breaches, expiries)' },
  ];
  if (inst.status === 'active') return all;
  const allowed = new Set(inst.disputeAllows ?? []);
  return all.filter((e) => allowed.has(e.event));
}

export interface AcceptedEvent {
  event: string;
  kind: 'event' | 'permission';
  label: string;
  from: 'anyone' | Array<{ party: string; did: string }>;
  inputs: Array<{ name: string; type: string }>;
}

export async function contractStatus(id: string, o: ContractChainOptions): Promise<void> {
  const v = await getContract(client(o), id, { chain: o.chain });
  const inst = v.instance;
  const source = await read<string>(o, templateKey(inst.template));
  const accepts = acceptedEvents(source, inst);
  emit(o, { instance: inst, state: v.state, obligations: v.obligations, accepts, events: v.log, history: v.history, settlements: v.settlements }, () => [
    `contract   ${id}  (${inst.status})`,
    `template   ${inst.template}`,
    ...Object.entries(inst.parties).map(([p, d]) => `party      ${p}: ${d}  ${inst.signatures[p] ? `signed at height ${inst.signatures[p]!.height}` : 'not signed'}`),
    ...(inst.countersigner ? [`${inst.countersigner.role.padEnd(10)} ${inst.countersigner.did}  ${inst.countersignature ? `countersigned at height ${inst.countersignature.height}` : 'not countersigned'}`] : []),
    ...(inst.dispute ? [`dispute    raised by ${inst.dispute.party}: ${inst.dispute.reason}`] : []),
    ...v.obligations.map((x) => `obligation ${x.id}: ${x.status} (due ${x.due})`),
    ...(accepts.length
      ? accepts.map((e) => `accepts    ${e.event.padEnd(18)} from ${e.from === 'anyone' ? 'anyone' : e.from.map((f) => f.party).join(' or ')}${e.inputs.length ? `  input {${e.inputs.map((f) => `${f.name}: ${f.type}`).join(', ')}}` : ''}  — ${e.label}`)
      : [`accepts    no events while ${inst.status}${inst.status === 'draft' ? ' (every party signs first: shulian contract sign)' : ''}`]),
    ...(accepts.length ? [`           send one with: shulian contract submit-event ${id} EVENT --input '{…}' --key KEY`] : []),
    ...v.log.map((e, i) => `event ${i}    ${e.event} by ${e.sender} at height ${e.height}`),
    ...v.settlements.map((x) => `settlement ${x.instruction.idempotencyKey} ${x.instruction.kind} ${x.instruction.amount.minor} ${x.instruction.amount.currency} minor units: ${x.status}${x.note ? ` (${x.note})` : ''}`),
    ...v.history.map((h) => `history ${String(h.n).padEnd(3)} ${h.action} ${h.from ?? '-'} → ${h.to} by ${h.role ?? h.by} at height ${h.height}`),
  ]);
}

/** A final header with state proofs of `keys` at one height (GET …/xchain/proof), in URL-sized batches. */
async function proofsAt(c: ShulianClient, chain: string, height: number | undefined, keys: string[]): Promise<EvidenceState> {
  const batches: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const k of keys) {
    const l = encodeURIComponent(k).length + 3;
    if (cur.length && (len + l > 6_000 || cur.length >= 200)) {
      batches.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(k);
    len += l;
  }
  batches.push(cur);
  let out: EvidenceState | undefined;
  for (const b of batches) {
    const q = new URLSearchParams({ keys: b.join(','), ...(out ? { height: String(out.height) } : height !== undefined ? { height: String(height) } : {}) });
    const r = await c.getJson<EvidenceState & { chain: string }>(`/chains/${encodeURIComponent(chain)}/xchain/proof?${q.toString()}`);
    if (!out) {
      out = { height: r.height, header: r.header, hash: r.hash, sig: r.sig, ...(r.commit === undefined ? {} : { commit: r.commit }), proofs: [] };
    } else if (r.height !== out.height || r.hash !== out.hash) {
      throw new ShulianError('PROOF_INVALID', `the node answered for block ${r.height} when asked for ${out.height}`);
    }
    out.proofs.push(...r.proofs.map((p) => ({ key: p.key, value: p.value, proof: p.proof })));
  }
  return out!;
}

/**
 * Builds the evidence package of contract `id` from a node, at its current height, and checks it
 * (as `replay` will) against the genesis this client trusts before returning it.
 */
export async function buildEvidence(c: ShulianClient, chain: string, id: string): Promise<{ pkg: EvidencePackage; report: EvidenceReport }> {
  const genesis = await c.genesis(chain);
  const head = await proofsAt(c, chain, undefined, [lexStateKey(instanceKey(id)), lexStateKey(stateKey(id))]);
  const inst = stateValue(lexStateKey(instanceKey(id)), head.proofs[0]!.value);
  if (inst === undefined) throw new ShulianError('NOT_FOUND', `no contract ${id} on chain ${chain}`);
  const lexState = stateValue(lexStateKey(stateKey(id)), head.proofs[1]!.value) ?? null;
  const state = await proofsAt(c, chain, head.height, expectedStateKeys(id, inst, lexState));
  const value = <T>(key: StateKey<T>): T => stateValue(key, state.proofs.find((p) => p.key === key)?.value)!;
  const history = Array.from({ length: inst.history ?? 0 }, (_, n) => value(lexStateKey(historyKey(id, n))));
  const log = Array.from({ length: lexState?.seq ?? 0 }, (_, i) => value(lexStateKey(logKey(id, i))));
  const validators: EvidencePackage['validators'] = [];
  for (let from = 0, more = true; more;) {
    const v = await c.validatorsAt(chain, state.height, from);
    validators.push(...v.headers);
    more = v.more && v.headers.length > 0;
    if (more) from = v.headers.at(-1)!.header.height;
  }
  const txs: EvidenceTx[] = [];
  for (const { role, hash } of expectedTxs(inst, history, log)) {
    const t = await c.tx(hash);
    if (t.status !== 'committed') throw new ShulianError('NOT_FOUND', `tx ${hash} (${role}) is not committed`);
    txs.push({
      role, hash: t.hash, height: t.height, index: t.index, tx: t.tx, receipt: t.receipt, header: t.header, blockHash: t.blockHash, blockSig: t.blockSig,
      ...(t.commit === undefined ? {} : { commit: t.commit }), proof: t.proof,
    });
  }
  const source = value(lexStateKey(templateKey(inst.template)));
  if (typeof source !== 'string') throw new ShulianError('NOT_FOUND', `template ${inst.template} of contract ${id} is not on chain ${chain}`);
  const texts = renderedTexts(compileSource(source).contract, inst.params) as EvidencePackage['texts'];
  const pkg: EvidencePackage = { format: EVIDENCE_FORMAT, chain, contract: id, genesis, validators, state, txs, texts };
  const report = checkEvidence(pkg, genesisHash(genesis));
  if (!report.ok) {
    throw new ShulianError('PROOF_INVALID', `the node's answers for contract ${id} do not verify; no package written: ${report.problems.join('; ')}`);
  }
  return { pkg, report };
}

export async function contractEvidence(id: string, o: ContractChainOptions & { out: string; genesisHash?: string }): Promise<void> {
  const pin = genesisHashArg(o.genesisHash);
  const c = verifyingClient(o, pin ? { [o.chain]: pin } : {});
  const { pkg, report } = await buildEvidence(c, o.chain, id);
  writeFileSync(o.out, serializeEvidence(pkg));
  emit(o, { out: o.out, txs: report.txs, events: report.events, height: report.height, genesisHash: report.genesisHash }, () => [
    `wrote ${o.out}: ${report.txs} transactions with proofs, ${report.events} events, state at height ${report.height}`,
    `genesis    ${report.genesisHash} (replay with --genesis-hash ${report.genesisHash} once you have compared it with one you trust)`,
  ]);
}

/**
 * Checks a package file against a trust root the checker gives: --genesis-hash, or the genesis a
 * node they name serves (--api; trusted on first use, then pinned). Prints which item failed;
 * exit code 1 unless everything verifies.
 */
export async function contractReplay(file: string, o: CommonOptions & { genesisHash?: string }): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ShulianError('NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const pin = genesisHashArg(o.genesisHash);
  if (pin === undefined && o.api === undefined) {
    throw usage('replay needs a trust root from you, not from the package: --genesis-hash HASH (from a source you trust), or --api URL of a node to take the chain\'s genesis from (trusted on first use, then pinned)');
  }
  const r = await replayText(text, pin, o);
  emit(o, r, () => (r.ok
    ? [`verified and replayed: ${r.txs} transactions, ${r.events} events; the final state matches`, `genesis    ${r.genesisHash} (the trust root you gave)`]
    : ['NOT verified:', ...r.problems.map((p) => `  ${p}`)]));
  if (!r.ok) process.exitCode = 1;
}

async function replayText(text: string, pin: string | undefined, o: CommonOptions): Promise<EvidenceReport> {
  let pkg: EvidencePackage;
  try {
    pkg = parseEvidence(text);
  } catch (err) {
    if (!(err instanceof ShulianError)) throw err;
    return unreadableReport(err.message, pin ?? '');
  }
  const root = pin ?? genesisHash(await verifyingClient(o).genesis(pkg.chain));
  return checkEvidence(pkg, root);
}
