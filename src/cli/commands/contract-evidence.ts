/**
 * Evidence packages of lex contracts (docs/lex.md "Evidence"): everything a court needs to check
 * what happened to a contract with no node and no trust in whoever hands it over.
 *
 * Every item is bound, byte for byte, to what the chain's validators signed:
 * - `genesis` must hash to the trust root the *checker* gives (a pinned hash, or the one a node
 *   they name serves); nothing inside the package vouches for itself;
 * - `validators` are the headers (with commits and proven schedules) that carry a light client
 *   from that genesis through every validator change up to the snapshot height;
 * - `state` is one final header and state proofs under it: the instance, the template source,
 *   the lex state, every log entry (and the absence of the next), every history entry and every
 *   settlement record, in that order and no other;
 * - `txs` are the transactions the history names, each with its signature, receipt, inclusion
 *   proof and block commit; what they carried must be what the proven state records (event
 *   inputs included);
 * - `texts` must be the texts the template renders for the proven parameters, whose fingerprint
 *   every party signed.
 * The file is RFC 8785 canonical JSON, so every byte of it is significant.
 */
import { ShulianError, canonicalize, asJson, stateValue, HEX_RE, type JsonValue, type StateKey } from '../../codec/index.ts';
import { digestSchema as hex64, jsonSchema as json, z } from '../../codec/schemas.ts';
import { compileSource, execute, instantiate, type Contract, type ContractState } from '../../lex/index.ts';
import {
  verifyTxInclusion, LightClientError, checkHeader, headerVerifier, lightStateFromGenesis, trustedThrough,
  verifyHeaderProof, verifyKeyProof, type HeaderProof, type LightState,
} from '../../ledger/index.ts';
import type { BlockHeader, Genesis, Receipt, Tx, MerkleProof } from '../../ledger/index.ts';
import type { ProofBundle } from '../../crosschain/index.ts';
import {
  EVENT_GAS_LIMIT, historyKey, instanceFingerprint, instanceKey, lexStateKey, logKey, renderedTexts, settlementKey, signingTermsOf, stateKey,
  templateKey, type HistoryEntry, type LexInstance, type LexLogEntry,
} from '../../modules/lexcontract/index.ts';

export const EVIDENCE_FORMAT = 'shulian-lex-evidence/2';
/** A package larger than this is refused before it is parsed. */
export const MAX_EVIDENCE_BYTES = 256 * 1024 * 1024;

export interface EvidenceTx {
  /** What the tx did in the contract's life, e.g. `drafted`, `signed:seller`, `event:0`. */
  role: string;
  hash: string;
  height: number;
  index: number;
  tx: Tx;
  receipt: Receipt;
  header: BlockHeader;
  blockHash: string;
  blockSig: string;
  commit?: JsonValue;
  proof: { tx: MerkleProof; receipt: MerkleProof };
}

/** A final header with state proofs at its height: the gateways' proof bundle, its chain aside. */
export type EvidenceState = Omit<ProofBundle, 'chain'>;

export interface EvidencePackage {
  format: typeof EVIDENCE_FORMAT;
  chain: string;
  /** The contract instance id (the hash of its draft tx). */
  contract: string;
  genesis: Genesis;
  validators: HeaderProof[];
  state: EvidenceState;
  txs: EvidenceTx[];
  texts: { en: string; 'zh-CN': string };
}

/** One failed check: which item of the package, why, and the light client's code when it is a proof. */
export interface EvidenceProblem {
  item: string;
  reason: string;
  code?: string;
}

export interface EvidenceReport {
  ok: boolean;
  chain: string | null;
  contract: string | null;
  /** The genesis hash the package was checked against (the checker's trust root). */
  genesisHash: string;
  height: number | null;
  txs: number;
  events: number;
  problems: string[];
  failures: EvidenceProblem[];
}

// ---- the shape, strictly: a field the checks below do not bind is a field the package may not have ----

const hex = z.string().regex(HEX_RE, 'lowercase hex');
const uint = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const header = z.strictObject({
  chain: z.string(), height: uint, prev: z.string(), time: uint, txCount: uint, txRoot: hex64, receiptRoot: hex64, stateRoot: hex64, proposer: z.string(),
});
const commit = z.strictObject({
  chain: z.string(), height: uint, round: uint, blockHash: hex64, signatures: z.array(z.strictObject({ validator: z.string(), sig: hex })).max(1000),
});
const smtProof = z.strictObject({ siblings: z.array(hex64).max(256), leaf: z.strictObject({ key: hex64, value: hex64 }).optional() });
const merkle = z.strictObject({ index: uint, total: uint, path: z.array(hex64).max(64) });
const headerProof = z.strictObject({
  header, hash: hex64, sig: hex, commit: commit.optional(), schedule: z.strictObject({ value: json, proof: smtProof }).optional(),
});
const tx = z.strictObject({
  chain: z.string(), from: z.string(), pubkey: hex, nonce: uint, module: z.string(), method: z.string(), args: json, expires: uint, sig: hex,
});
const receipt = z.strictObject({
  tx: hex64, status: z.enum(['ok', 'failed']), code: z.string().optional(), message: z.string().optional(), gasUsed: uint,
  events: z.array(z.strictObject({ module: z.string(), type: z.string(), data: json })), result: json.optional(),
});
const evidenceTx = z.strictObject({
  role: z.string(), hash: hex64, height: uint, index: uint, tx, receipt, header, blockHash: hex64, blockSig: hex, commit: commit.optional(),
  proof: z.strictObject({ tx: merkle, receipt: merkle }),
});
// The genesis is bound by its hash to the trust root, so only the fields the checks use are typed.
const genesis = z.object({
  chain: z.string(), suite: z.enum(['sm2', 'ed25519']), consensus: z.object({ type: z.enum(['solo', 'tbft']) }),
  validators: z.array(z.object({ did: z.string(), publicKey: hex, power: uint })).min(1), modules: z.array(z.string()),
});
const packageSchema = z.strictObject({
  format: z.literal(EVIDENCE_FORMAT),
  chain: z.string(),
  contract: hex64,
  genesis,
  validators: z.array(headerProof).max(100_000),
  state: z.strictObject({
    height: uint, header, hash: hex64, sig: hex, commit: commit.optional(),
    proofs: z.array(z.strictObject({ key: z.string(), value: json, proof: smtProof })).max(1_000_000),
  }),
  txs: z.array(evidenceTx).max(1_000_000),
  texts: z.strictObject({ en: z.string(), 'zh-CN': z.string() }),
});

/** The package as written: canonical JSON, every byte significant. */
export function serializeEvidence(pkg: EvidencePackage): string {
  return canonicalize(asJson(pkg));
}

/** Parses a package file's text; ShulianError BAD_EVIDENCE with the first item that is not as it must be. */
export function parseEvidence(text: string): EvidencePackage {
  if (text.length > MAX_EVIDENCE_BYTES) throw new ShulianError('BAD_EVIDENCE', `the package is larger than ${MAX_EVIDENCE_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ShulianError('BAD_EVIDENCE', `the package is not JSON (${(err as Error).message}): it was damaged or edited`);
  }
  const fmt = (raw as { format?: unknown } | null)?.format;
  if (fmt !== EVIDENCE_FORMAT) {
    throw new ShulianError('BAD_EVIDENCE', fmt === 'shulian-lex-evidence/1'
      ? 'this is a version 1 package, whose trust root came from inside it: export it again with this version of `shulian contract evidence`'
      : `not a Shulian lex evidence package (format ${JSON.stringify(fmt)}, expected ${EVIDENCE_FORMAT})`);
  }
  const r = packageSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new ShulianError('BAD_EVIDENCE', `${where || 'package'}: ${issue.message} (the package was damaged or edited)`);
  }
  return raw as EvidencePackage;
}

// ---- what the package must hold, computed from proven values ----

/** The state keys of the snapshot, in order, given the proven instance and lex state. */
export function expectedStateKeys(id: string, inst: LexInstance, state: ContractState | null): string[] {
  const seq = state?.seq ?? 0;
  return [
    lexStateKey(instanceKey(id)),
    lexStateKey(templateKey(inst.template)),
    lexStateKey(stateKey(id)),
    ...Array.from({ length: seq + 1 }, (_, i) => lexStateKey(logKey(id, i))),
    ...Array.from({ length: inst.history ?? 0 }, (_, n) => lexStateKey(historyKey(id, n))),
    ...Array.from({ length: inst.settlements ?? 0 }, (_, n) => lexStateKey(settlementKey(id, n))),
  ];
}

/** The role a history step gives the tx that made it. */
function roleOfStep(e: HistoryEntry): string {
  if (e.action === 'signed') return `signed:${e.role ?? e.by}`;
  if (e.action === 'event') return `event:${String(e.detail?.seq ?? '?')}`;
  return e.action;
}

/**
 * The transactions of the contract's life, in order, each once: the draft, then every tx its
 * history names (or, for instances drafted before histories were kept, its signatures and events).
 */
export function expectedTxs(inst: LexInstance, history: HistoryEntry[], log: LexLogEntry[]): Array<{ role: string; hash: string }> {
  const out: Array<{ role: string; hash: string }> = [];
  const add = (role: string, hash: string): void => {
    if (!out.some((x) => x.hash === hash)) out.push({ role, hash });
  };
  add('drafted', inst.id);
  for (const e of history) add(roleOfStep(e), e.tx);
  for (const [p, s] of Object.entries(inst.signatures).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) add(`signed:${p}`, s.tx);
  if (inst.countersignature) add('countersigned', inst.countersignature.tx);
  if (inst.dispute) add('disputed', inst.dispute.tx);
  log.forEach((e, i) => add(`event:${i}`, e.tx));
  return out;
}

/** How a state key of the package is named in problems: the item a person recognises. */
function itemOfKey(id: string, key: string, value: JsonValue | null): string {
  const rest = key.startsWith('lexcontract/') ? key.slice('lexcontract/'.length) : key;
  if (rest === instanceKey(id)) return 'instance';
  if (rest === stateKey(id)) return 'final state';
  if (rest.startsWith('tpl/')) return 'template';
  const m = /^(log|hist|stl)\/[0-9a-f]{64}\/(\d+)$/.exec(rest);
  if (m) {
    const name = m[1] === 'log' ? 'event' : m[1] === 'hist' ? 'history' : 'settlement';
    const ev = m[1] === 'log' && value !== null && typeof value === 'object' && !Array.isArray(value) && typeof value.event === 'string' ? ` (${value.event})` : '';
    return `${name} ${m[2]}${ev}`;
  }
  return `state ${key}`;
}

/** How a tx of the package is named in problems. */
function itemOfTx(i: number, role: string, log: ReadonlyArray<LexLogEntry | null>): string {
  const m = /^event:(\d+)$/.exec(role);
  const e = m ? log[Number(m[1])] : undefined;
  return m ? `event ${m[1]}${e ? ` (${e.event})` : ''} transaction (tx ${i})` : `tx ${i} (${role})`;
}

const same = (a: unknown, b: unknown): boolean => {
  try {
    return canonicalize(a) === canonicalize(b);
  } catch {
    return false;
  }
};

/**
 * Checks a package against the trust root `genesisHash` (given by the checker, never taken from
 * the package): proofs, bindings, the fingerprint, and a replay of every event to the final state.
 */
export function checkEvidence(pkg: EvidencePackage, genesisHash: string): EvidenceReport {
  const failures: EvidenceProblem[] = [];
  const problem = (item: string, reason: string, code?: string): void => {
    failures.push({ item, reason, ...(code ? { code } : {}) });
  };
  let events = 0;
  const report = (): EvidenceReport => ({
    ok: failures.length === 0, chain: pkg.chain, contract: pkg.contract, genesisHash, height: pkg.state.height, txs: pkg.txs.length, events,
    problems: failures.map((f) => `${f.item}: ${f.reason}`), failures,
  });

  // 1. The trust root: the package's genesis must be the one the checker trusts.
  if (pkg.genesis.chain !== pkg.chain) {
    problem('genesis', `it is the genesis of chain ${pkg.genesis.chain}, the package is about ${pkg.chain}`);
    return report();
  }
  let light: LightState;
  try {
    light = lightStateFromGenesis(pkg.genesis, genesisHash);
  } catch (err) {
    problem('genesis', err instanceof Error ? err.message : String(err), err instanceof LightClientError ? err.code : undefined);
    return report();
  }
  // 2. The validator sets, followed from that genesis to the snapshot.
  for (const [i, hp] of pkg.validators.entries()) {
    try {
      light = verifyHeaderProof(light, hp, { reader: true });
    } catch (err) {
      problem(`validators[${i}] (header ${hp.header.height})`, err instanceof LightClientError ? err.reason : String(err), err instanceof LightClientError ? err.code : undefined);
      return report();
    }
  }
  if (trustedThrough(light) < pkg.state.height) {
    problem('validators', `the headers prove the validator sets only up to height ${trustedThrough(light)}, the snapshot is at ${pkg.state.height}`, 'LIGHT_HEIGHT_NOT_TRUSTED');
    return report();
  }
  // 3. The snapshot header, then each state proof under it.
  const st = pkg.state;
  if (st.header.height !== st.height) {
    problem('state', `its header is of height ${st.header.height}, not ${st.height}`);
    return report();
  }
  const anchor = checkHeader(light, { header: st.header, hash: st.hash, sig: st.sig, commit: st.commit });
  if (!anchor.ok) {
    problem(`state header ${st.height}`, anchor.reason, anchor.code);
    return report();
  }
  const proven = new Map<string, JsonValue | null>();
  for (const [i, p] of st.proofs.entries()) {
    try {
      verifyKeyProof(light, st.header.stateRoot, p.key, p.value, p.proof);
    } catch (err) {
      problem(itemOfKey(pkg.contract, p.key, p.value), `${err instanceof LightClientError ? err.reason : String(err)}: it is not what the chain holds`, err instanceof LightClientError ? err.code : undefined);
      continue;
    }
    if (proven.has(p.key)) problem(`state[${i}] ${p.key}`, 'the key appears twice');
    proven.set(p.key, p.value);
  }
  const id = pkg.contract;
  /** A proven value under its typed full key (undefined when absent or not proven). */
  const provenValue = <T>(key: StateKey<T>): T | undefined => stateValue(key, proven.get(key));
  const inst = provenValue(lexStateKey(instanceKey(id)));
  if (!inst || typeof inst !== 'object' || inst.id !== id) {
    problem('instance', `the package holds no proven instance of contract ${id}`);
    return report();
  }
  const lexState = provenValue(lexStateKey(stateKey(id))) ?? null;
  const want = expectedStateKeys(id, inst, lexState);
  const got = st.proofs.map((p) => p.key);
  if (!same(got, want)) {
    const i = want.findIndex((k, j) => got[j] !== k);
    const at = i < 0 ? want.length : i;
    problem(`state[${at}]`, got[at] === undefined ? `missing: the package must prove ${want[at]}` : `the package proves ${got[at]} where it must prove ${want[at] ?? 'nothing more'}`);
    return report();
  }
  const seq = lexState?.seq ?? 0;
  if (proven.get(lexStateKey(logKey(id, seq))) !== null) problem(`event ${seq}`, 'the contract has more events than its state counts');
  if (failures.length) return report();
  const log = Array.from({ length: seq }, (_, i) => provenValue(lexStateKey(logKey(id, i))) ?? null);
  const history = Array.from({ length: inst.history ?? 0 }, (_, n) => provenValue(lexStateKey(historyKey(id, n))));
  const settlements = Array.from({ length: inst.settlements ?? 0 }, (_, n) => provenValue(lexStateKey(settlementKey(id, n))));
  events = log.length;
  log.forEach((e, i) => { if (!e) problem(`event ${i}`, 'its log entry is absent from the proven state'); });
  history.forEach((e, n) => { if (!e || e.n !== n) problem(`history ${n}`, 'not the entry it claims'); });
  settlements.forEach((s, n) => { if (!s || s.n !== n) problem(`settlement ${n}`, 'not the record it claims'); });
  if (failures.length) return report();

  // 4. The transactions: exactly those the proven history names, each included under a final header.
  const trust = headerVerifier(light);
  const suite = pkg.genesis.suite;
  const expected = expectedTxs(inst, history as HistoryEntry[], log as LexLogEntry[]);
  const byHash = new Map<string, EvidenceTx>();
  expected.forEach((x, i) => {
    const t = pkg.txs[i];
    const item = itemOfTx(i, x.role, log);
    if (!t) return problem(item, 'missing from the package');
    if (t.role !== x.role || t.hash !== x.hash) return problem(itemOfTx(i, t.role, log), `the package holds ${t.role} ${t.hash} where the contract's history names ${x.role} ${x.hash}`);
    if (t.tx.chain !== pkg.chain) return problem(item, `a transaction of chain ${t.tx.chain}`);
    if (t.height > st.height) return problem(item, `in block ${t.height}, after the snapshot at ${st.height}`);
    const check = verifyTxInclusion(suite, t, trust);
    if (!check.ok) return problem(item, check.reason ?? 'its inclusion proof does not verify', check.code);
    if (t.receipt.status !== 'ok') return problem(item, 'the transaction failed on chain');
    byHash.set(t.hash, t);
  });
  if (pkg.txs.length > expected.length) problem(`tx ${expected.length} (${pkg.txs[expected.length]!.role})`, 'the contract\'s history names no such transaction');
  // What follows binds the proven state to the transactions: only meaningful once they verify.
  if (failures.length) return report();
  const txOf = (hash: string): EvidenceTx | undefined => byHash.get(hash);
  const argsOf = (t: EvidenceTx): Record<string, JsonValue> => (t.tx.args !== null && typeof t.tx.args === 'object' && !Array.isArray(t.tx.args) ? t.tx.args : {});
  const call = (t: EvidenceTx, method: string): boolean => t.tx.module === 'lexcontract' && t.tx.method === method;

  // 5. What the txs carried is what the proven state records.
  const draft = txOf(inst.id);
  if (draft) {
    const a = argsOf(draft);
    const params: Record<string, JsonValue> = { ...(a.params as Record<string, JsonValue> | undefined) };
    for (const [p, did] of Object.entries((a.parties as Record<string, JsonValue> | undefined) ?? {})) params[p] = did;
    if (!call(draft, 'draft')) problem('tx 0 (drafted)', `it is ${draft.tx.module}.${draft.tx.method}, not lexcontract.draft`);
    else if (a.template !== inst.template || !same(a.parties, inst.parties) || !same(params, inst.params)
      || !same(a.countersigner ?? null, inst.countersigner ?? null) || !same(a.disputeAllows ?? null, inst.disputeAllows ?? null)) {
      problem('instance', 'its template, parties, parameters or signing terms are not what the draft transaction carried');
    } else if (inst.createdAt.height !== draft.height || inst.createdAt.time !== draft.header.time) {
      problem('instance', 'it was not created at the draft transaction\'s block');
    }
  }
  for (const [p, s] of Object.entries(inst.signatures)) {
    const t = txOf(s.tx);
    const a = t ? argsOf(t) : {};
    if (t && (!call(t, 'sign') || t.tx.from !== inst.parties[p] || a.id !== inst.id || a.fingerprint !== inst.fingerprint || s.height !== t.height || s.time !== t.header.time)) {
      problem(`signature of ${p}`, `not made by ${inst.parties[p]} signing fingerprint ${inst.fingerprint} in the transaction it names`);
    }
  }
  if (inst.countersignature) {
    const s = inst.countersignature;
    const t = txOf(s.tx);
    const a = t ? argsOf(t) : {};
    if (t && (!call(t, 'countersign') || t.tx.from !== inst.countersigner?.did || a.id !== inst.id || a.fingerprint !== inst.fingerprint || s.height !== t.height || s.time !== t.header.time)) {
      problem('countersignature', 'not made by the named countersigner signing the fingerprint in the transaction it names');
    }
  }
  history.forEach((h, n) => {
    const e = h!;
    const t = txOf(e.tx);
    if (t && (t.tx.from !== e.by || t.header.time !== e.time || t.height !== e.height)) problem(`history ${n} (${e.action})`, 'not made by the transaction it names');
  });
  const last = history.at(-1);
  if (last && last.to !== inst.status) problem(`history ${history.length - 1}`, `it leads to ${last.to}, but the contract is ${inst.status}`);

  // 6. The template, its rendered texts and the fingerprint every party signed.
  const source = proven.get(lexStateKey(templateKey(inst.template)));
  let contract: Contract | undefined;
  if (typeof source !== 'string') problem('template', 'the proven template source is not text');
  else {
    try {
      contract = compileSource(source).contract;
    } catch (err) {
      problem('template', `it does not compile (${(err as Error).message})`);
    }
  }
  if (contract) {
    if (contract.sourceHash !== inst.template) problem('template', 'it is not the template the contract names');
    if (instanceFingerprint(contract, inst.params, signingTermsOf(inst)) !== inst.fingerprint) problem('fingerprint', 'it does not match the template, parameters and signing terms');
    const texts = renderedTexts(contract, inst.params);
    for (const lang of ['en', 'zh-CN'] as const) {
      if (texts[lang] !== pkg.texts[lang]) problem(`texts.${lang}`, 'not the text the template renders for the signed parameters');
    }
  }

  // 7. Each event is the one its transaction carried, input and all; replayed in order, they give the final state.
  if (contract && inst.activatedAt) {
    let state: ContractState = instantiate(contract, inst.params, { instance: inst.id });
    let stl = 0;
    for (const [i, entry] of log.entries()) {
      const e = entry!;
      const item = `event ${i} (${e.event})`;
      const t = txOf(e.tx);
      const a = t ? argsOf(t) : {};
      if (!t || !call(t, 'event') || a.id !== inst.id || a.event !== e.event || !same(a.input ?? {}, e.input)
        || t.tx.from !== e.sender || t.header.time !== e.time || t.height !== e.height) {
        problem(item, 'not what the transaction it names carried (event, input, sender, block or time differ)');
        break;
      }
      const r = execute(contract, state, { event: e.event, input: e.input }, { time: e.time, gasLimit: EVENT_GAS_LIMIT, sender: e.sender });
      if (!r.ok) {
        problem(item, `rejected on replay (${r.rejection.code})`);
        break;
      }
      for (const s of r.settlements) {
        const rec = settlements[stl];
        if (!rec || rec.seq !== i || !same(rec.instruction, s)) problem(`settlement ${stl}`, `not the instruction event ${i} emits on replay`);
        stl++;
      }
      state = r.state;
    }
    if (stl !== settlements.length && failures.length === 0) problem(`settlement ${stl}`, 'no event emits it on replay');
    if (!same(state, lexState)) problem('final state', 'replaying the events does not give the final state on chain');
  } else if (lexState !== null || log.length > 0) {
    problem('final state', 'the contract was never activated, yet it has a state or events');
  }
  return report();
}

/** A failing report for a package that could not be read at all. */
export function unreadableReport(reason: string, genesisHash: string): EvidenceReport {
  return { ok: false, chain: null, contract: null, genesisHash, height: null, txs: 0, events: 0, problems: [`package: ${reason}`], failures: [{ item: 'package', reason }] };
}
