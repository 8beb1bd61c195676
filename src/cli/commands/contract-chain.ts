/**
 * `shulian contract deploy|draft|sign|submit-event|status|evidence|replay`: executable legal
 * contracts on the signing chain (module lexcontract). Signing recomputes the fingerprint from
 * the template and parameters read with proofs, so a party signs what it can check itself;
 * `evidence` exports everything a court needs, and `replay` checks it on a machine that never
 * saw the chain.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ShulianError, canonicalize, type JsonValue } from '../../codec/index.ts';
import { compileSource, execute, instantiate } from '../../lex/index.ts';
import { hashJson } from '../../ledger/hashing.ts';
import { verifyStateLookup, verifyTxInclusion } from '../../ledger/verify.ts';
import type { Genesis, StateLookup, TxInclusion } from '../../ledger/types.ts';
import {
  historyKey, instanceFingerprint, lexStateKey, instanceKey, signingTermsOf, stateKey, templateKey, logKey,
  type HistoryEntry, type LexInstance, type LexLogEntry,
} from '../../modules/lexcontract/index.ts';
import { ShulianClient } from '../../sdk/client.ts';
import { contractCall, getContract } from '../../sdk/contracts.ts';
import { loadKey } from '../keyfile.ts';
import { apiUrl, emit, type CommonOptions } from '../output.ts';

export interface ContractChainOptions extends CommonOptions {
  chain: string;
  key?: string;
  passwordEnv?: string;
  /** `sign` as the notary or court named in the contract. */
  countersign?: boolean;
}

const client = (o: CommonOptions): ShulianClient => new ShulianClient({ baseUrl: apiUrl(o) });

async function call(o: ContractChainOptions, method: string, args: JsonValue): Promise<{ hash: string; result: JsonValue | undefined; height: number }> {
  if (!o.key) throw new ShulianError('USAGE', 'this command signs a transaction: give --key FILE');
  const key = await loadKey(o.key, o.passwordEnv);
  const r = await contractCall(client(o), key, method, args, { chain: o.chain });
  return { hash: r.tx, result: r.result, height: r.height };
}

async function read<T>(o: ContractChainOptions, key: string): Promise<T> {
  const v = await client(o).verifiedState(o.chain, lexStateKey(key));
  if (v.value === null) throw new ShulianError('NOT_FOUND', `nothing at ${key} on chain ${o.chain}`);
  return v.value as unknown as T;
}

export async function contractDeploy(file: string, o: ContractChainOptions): Promise<void> {
  const source = readFileSync(file, 'utf8');
  const r = await call(o, 'deploy', { source });
  emit(o, { tx: r.hash, ...(r.result as object) }, () => [`deployed   ${(r.result as { template: string }).template}`, `tx         ${r.hash} (height ${r.height})`]);
}

export async function contractDraft(o: ContractChainOptions & { template: string; params: string; parties: string; countersigner?: string; countersignerRole?: string; disputeAllows?: string }): Promise<void> {
  const params = JSON.parse(readFileSync(o.params, 'utf8')) as JsonValue;
  const parties = JSON.parse(o.parties) as JsonValue;
  const args: Record<string, JsonValue> = { template: o.template, params, parties };
  if (o.countersigner) args.countersigner = { did: o.countersigner, role: o.countersignerRole ?? 'notary' };
  if (o.disputeAllows) args.disputeAllows = o.disputeAllows.split(',').map((x) => x.trim()).filter(Boolean);
  const r = await call(o, 'draft', args);
  const res = r.result as { id: string; fingerprint: string };
  emit(o, { tx: r.hash, ...res }, () => [`contract   ${res.id}`, `fingerprint ${res.fingerprint}`, 'each party now signs it: shulian contract sign <id> --key FILE']);
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
    const v = await client(o).state(o.chain, lexStateKey(logKey(id, seq)));
    if (v.value === null) return out;
    out.push(v.value as unknown as LexLogEntry);
  }
}

export async function contractStatus(id: string, o: ContractChainOptions): Promise<void> {
  const v = await getContract(client(o), id, { chain: o.chain });
  const inst = v.instance;
  emit(o, { instance: inst, state: v.state, obligations: v.obligations, events: v.log, history: v.history, settlements: v.settlements }, () => [
    `contract   ${id}  (${inst.status})`,
    `template   ${inst.template}`,
    ...Object.entries(inst.parties).map(([p, d]) => `party      ${p}: ${d}  ${inst.signatures[p] ? `signed at height ${inst.signatures[p]!.height}` : 'not signed'}`),
    ...(inst.countersigner ? [`${inst.countersigner.role.padEnd(10)} ${inst.countersigner.did}  ${inst.countersignature ? `countersigned at height ${inst.countersignature.height}` : 'not countersigned'}`] : []),
    ...(inst.dispute ? [`dispute    raised by ${inst.dispute.party}: ${inst.dispute.reason}`] : []),
    ...v.obligations.map((x) => `obligation ${x.id}: ${x.status} (due ${x.due})`),
    ...v.log.map((e, i) => `event ${i}    ${e.event} by ${e.sender} at height ${e.height}`),
    ...v.settlements.map((x) => `settlement ${x.instruction.idempotencyKey} ${x.instruction.kind} ${x.instruction.amount.minor} ${x.instruction.amount.currency} minor units: ${x.status}${x.note ? ` (${x.note})` : ''}`),
    ...v.history.map((h) => `history ${String(h.n).padEnd(3)} ${h.action} ${h.from ?? '-'} → ${h.to} by ${h.role ?? h.by} at height ${h.height}`),
  ]);
}

/** Everything a third party needs to check and replay a contract offline. */
export interface EvidencePackage {
  format: 'shulian-lex-evidence/1';
  chain: string;
  genesis: Genesis;
  template: string;
  instance: StateLookup;
  finalState: StateLookup | null;
  /** The draft, every signature and every event, each with its inclusion proof. */
  txs: Array<{ role: string } & TxInclusion>;
  events: LexLogEntry[];
  /** Every transition (draft, signatures, events, disputes, settlement results), each with its state proof. */
  history?: StateLookup[];
}

export async function contractEvidence(id: string, o: ContractChainOptions & { out: string }): Promise<void> {
  const c = client(o);
  const genesis = (await c.chain(o.chain)).genesis;
  const instance = await c.state(o.chain, lexStateKey(instanceKey(id)), { proof: true });
  if (instance.value === null) throw new ShulianError('NOT_FOUND', `no contract ${id} on chain ${o.chain}`);
  const inst = instance.value as unknown as LexInstance;
  const source = (await c.state(o.chain, lexStateKey(templateKey(inst.template)))).value as string;
  const events = await logOf(o, id);
  const finalState = inst.status === 'signing' || inst.status === 'draft' ? null : await c.state(o.chain, lexStateKey(stateKey(id)), { proof: true });
  const history: StateLookup[] = [];
  for (let n = 0; n < (inst.history ?? 0); n++) history.push(await c.state(o.chain, lexStateKey(historyKey(id, n)), { proof: true }));
  const txs: EvidencePackage['txs'] = [];
  const roles: Array<[string, string]> = [
    ['draft', id], ...Object.entries(inst.signatures).map(([p, s]) => [`signature:${p}`, s.tx] as [string, string]),
    ...(inst.countersignature ? [['countersignature', inst.countersignature.tx] as [string, string]] : []),
    ...events.map((e, i) => [`event:${i}`, e.tx] as [string, string]),
  ];
  for (const h of history) {
    const e = h.value as unknown as HistoryEntry;
    if (!roles.some(([, x]) => x === e.tx)) roles.push([`history:${e.n}`, e.tx]);
  }
  for (const [role, hash] of roles) {
    const t = await c.tx(hash);
    if (t.status !== 'committed') throw new ShulianError('NOT_FOUND', `tx ${hash} is not committed`);
    txs.push({ role, ...(t as unknown as TxInclusion) });
  }
  const pkg: EvidencePackage = { format: 'shulian-lex-evidence/1', chain: o.chain, genesis, template: source, instance, finalState, txs, events, history };
  writeFileSync(o.out, JSON.stringify(pkg, null, 2) + '\n');
  emit(o, { out: o.out, txs: txs.length, events: events.length }, () => [`wrote ${o.out}: ${txs.length} transactions with proofs, ${events.length} events`]);
}

/**
 * Checks an evidence package with nothing but the package: every tx and state value against
 * block headers signed by the chain's validators (from the genesis it carries, whose hash the
 * checker should compare with one it trusts), the fingerprint against the template and
 * parameters, and the final state by re-running every event through the interpreter.
 */
export function replayEvidence(pkg: EvidencePackage): { ok: boolean; genesisHash: string; problems: string[] } {
  const problems: string[] = [];
  const { genesis } = pkg;
  const suite = genesis.suite;
  const genesisHash = hashJson(suite, genesis);
  for (const t of pkg.txs) {
    const check = verifyTxInclusion(suite, t, genesis.validators);
    if (!check.ok) problems.push(`${t.role}: ${check.reason}`);
    if (t.receipt.status !== 'ok') problems.push(`${t.role}: the transaction failed on chain`);
  }
  const instCheck = verifyStateLookup(suite, pkg.instance, genesis.validators);
  if (!instCheck.ok) problems.push(`instance: ${instCheck.reason}`);
  const inst = pkg.instance.value as unknown as LexInstance;
  const compiled = compileSource(pkg.template).contract;
  if (compiled.sourceHash !== inst.template) problems.push('the template in the package is not the one the contract names');
  if (instanceFingerprint(compiled, inst.params, signingTermsOf(inst)) !== inst.fingerprint) problems.push('the fingerprint does not match the template, parameters and signing terms');
  // Each transition: proven in state, and made by a committed tx from the signer it names, at that block's time.
  (pkg.history ?? []).forEach((h, n) => {
    const check = verifyStateLookup(suite, h, genesis.validators);
    const e = h.value as unknown as HistoryEntry | null;
    if (!check.ok || !e || h.key !== lexStateKey(historyKey(inst.id, n))) {
      problems.push(`history ${n}: ${check.ok ? 'not the entry it claims' : check.reason}`);
      return;
    }
    const t = pkg.txs.find((x) => x.hash === e.tx);
    if (!t || t.tx.from !== e.by || t.header.time !== e.time || t.height !== e.height) problems.push(`history ${n} (${e.action}): not made by the transaction it names`);
  });
  const last = (pkg.history ?? []).at(-1)?.value as unknown as HistoryEntry | undefined;
  if (pkg.history && pkg.history.length !== (inst.history ?? 0)) problems.push(`the package holds ${pkg.history.length} history entries; the contract has ${inst.history}`);
  if (last && last.to !== inst.status) problems.push(`the last transition leads to ${last.to}, but the contract is ${inst.status}`);
  // Each event must be the one its tx carried, in order, then re-run at its block time.
  let state = instantiate(compiled, inst.params, { instance: inst.id });
  pkg.events.forEach((e, i) => {
    const t = pkg.txs.find((x) => x.role === `event:${i}`);
    const args = t?.tx.args as { id?: string; event?: string; input?: JsonValue } | undefined;
    if (!t || args?.event !== e.event || args.id !== inst.id || t.tx.from !== e.sender || t.header.time !== e.time) {
      problems.push(`event ${i}: not the transaction it claims`);
      return;
    }
    const r = execute(compiled, state, { event: e.event, input: e.input }, { time: e.time, gasLimit: 1_000_000, sender: e.sender });
    if (!r.ok) problems.push(`event ${i}: rejected on replay (${r.rejection.code})`);
    else state = r.state;
  });
  if (pkg.finalState) {
    const fc = verifyStateLookup(suite, pkg.finalState, genesis.validators);
    if (!fc.ok) problems.push(`final state: ${fc.reason}`);
    if (canonicalize(state) !== canonicalize(pkg.finalState.value)) problems.push('replaying the events does not give the final state on chain');
  }
  return { ok: problems.length === 0, genesisHash, problems };
}

export async function contractReplay(file: string, o: CommonOptions): Promise<void> {
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as EvidencePackage;
  if (pkg.format !== 'shulian-lex-evidence/1') throw new ShulianError('BAD_EVIDENCE', `${file} is not a Shulian lex evidence package`);
  const r = replayEvidence(pkg);
  emit(o, r, () => (r.ok
    ? [`verified and replayed: ${pkg.txs.length} transactions, ${pkg.events.length} events; the final state matches`, `genesis    ${r.genesisHash} (compare with one you trust)`]
    : ['NOT verified:', ...r.problems.map((p) => `  ${p}`)]));
  if (!r.ok) process.exitCode = 1;
}
