/**
 * Executable legal contracts (lex) from the SDK: the template library and the editor routes
 * (compile, render, PDF, scenario tests) of /v1/contracts, reads of contract instances, and
 * helpers that sign and send the `lexcontract` transactions (deploy, draft, sign, countersign,
 * event, dispute, resolve, settle) and wait for their block.
 *
 *   const c = new ShulianClient({ baseUrl });
 *   const { result: { template } } = await deployContractTemplate(c, key, source);
 *   const { result: { id, fingerprint } } = await draftContract(c, key, { template, params, parties });
 *   await signContract(c, sellerKey, id, fingerprint);
 *   await submitContractEvent(c, sellerKey, id, 'Delivered');
 *   const view = await getContract(c, id);
 *
 * A party that must not trust the node recomputes the fingerprint itself from proven state (the
 * CLI's `shulian contract sign` does, with src/lex) before calling signContract.
 */
import { foreign, ShulianError, asJson, type JsonValue } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import type { ShulianClient } from './client.ts';
import type { SendOptions, WaitOptions } from './types.ts';
import type {
  Countersigner, HistoryEntry, InstanceStatus, LexInstance, LexLogEntry, SettlementRecord, SignatureRecord,
} from '../modules/lexcontract/types.ts';
import type { ContractState, Diagnostic, ObligationView, ScenarioReport, TemplateSummary } from '../lex/index.ts';

export type {
  Countersigner, HistoryEntry, InstanceStatus, LexInstance, LexLogEntry, SettlementRecord, SignatureRecord,
  ContractState, Diagnostic, ObligationView, ScenarioReport, TemplateSummary,
};

export const DEFAULT_SIGN_CHAIN = 'sign';
export type ContractLang = 'en' | 'zh-CN';
type Bilingual = { en: string; 'zh-CN': string };
type Texts = Record<ContractLang, { markdown: string; html: string }>;

export interface ContractTemplateListing {
  library: Array<{ name: string; id?: string; version?: string; title?: Bilingual; sourceHash?: string; scenarios?: number; deployed?: boolean; error?: string }>;
  deployed: Array<{ template: string; id: string; version: string; title: Bilingual }>;
}

export interface ContractTemplate {
  name?: string;
  template: string;
  deployed: boolean;
  source: string;
  sample?: Record<string, JsonValue>;
  summary: TemplateSummary;
  diagnostics: Diagnostic[];
  texts: Texts;
  fingerprint?: string;
}

export type CompileResponse =
  | { ok: false; diagnostics: Diagnostic[] }
  | { ok: true; template: string; diagnostics: Diagnostic[]; summary: TemplateSummary; texts: Texts; fingerprint?: string; paramsError?: { code: string; message: string; zh?: string } };

export interface ContractListing {
  party: string;
  total: number;
  instances: Array<{ id: string; template: string; status: InstanceStatus; role: string; parties: Record<string, string>; signed: string[]; createdAt: { height: number; time: number }; countersigner?: Countersigner }>;
}

export interface ContractView {
  instance: LexInstance;
  status: InstanceStatus;
  signatures: Record<string, SignatureRecord>;
  countersignature?: SignatureRecord;
  state: ContractState | null;
  obligations: ObligationView[];
  log: LexLogEntry[];
  history: HistoryEntry[];
  settlements: SettlementRecord[];
  pendingSettlements: SettlementRecord[];
  at: { height: number; time: number };
}

export interface ContractFingerprint {
  id: string;
  template: string;
  fingerprint: string;
  recomputed: string;
  matches: boolean;
  params: Record<string, JsonValue>;
  terms: { countersigner?: Countersigner; disputeAllows?: string[] };
  texts: Record<string, string>;
}

export interface ChainOpt {
  chain?: string;
}

// ---- HTTP ----

async function request(client: ShulianClient, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  const url = `${client.baseUrl}/v1${path}`;
  try {
    return await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(client.timeoutMs),
    });
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new ShulianError('NODE_TIMEOUT', `the node at ${client.baseUrl} did not answer ${method} ${path} within ${client.timeoutMs} ms`);
    throw new ShulianError('NODE_UNREACHABLE', `cannot reach the Shulian node at ${client.baseUrl}; start it with \`shulian up\` or point the client at a running node`);
  }
}

async function failure(res: Response, method: string, path: string): Promise<ShulianError> {
  const text = await res.text().catch(() => '');
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') return new ShulianError(foreign(e.code), e.message, { status: res.status });
  } catch {
    // not JSON
  }
  return new ShulianError(foreign(`HTTP_${res.status}`), `the node answered ${method} ${path} with HTTP ${res.status}`, { status: res.status });
}

async function json<T>(client: ShulianClient, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await request(client, method, path, body);
  if (!res.ok) throw await failure(res, method, path);
  try {
    return (await res.json()) as T;
  } catch {
    throw new ShulianError('BAD_RESPONSE', `the node at ${client.baseUrl} answered ${method} ${path} with something that is not JSON`);
  }
}

async function bytes(client: ShulianClient, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Uint8Array> {
  const res = await request(client, method, path, body);
  if (!res.ok) throw await failure(res, method, path);
  return new Uint8Array(await res.arrayBuffer());
}

function q(params: Record<string, string | number | boolean | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, String(v));
  const t = s.toString();
  return t ? `?${t}` : '';
}

const enc = encodeURIComponent;

// ---- templates and the editor ----

export function listContractTemplates(client: ShulianClient, o: ChainOpt = {}): Promise<ContractTemplateListing> {
  return json(client, 'GET', `/contracts/templates${q({ chain: o.chain })}`);
}

/** A library template by folder name (e.g. "late-delivery") or a deployed one by source hash. */
export function getContractTemplate(client: ShulianClient, ref: string, o: ChainOpt = {}): Promise<ContractTemplate> {
  return json(client, 'GET', `/contracts/templates/${enc(ref)}${q({ chain: o.chain })}`);
}

/** Compiles and renders a source without writing anything (the editor's live preview). */
export function compileContract(client: ShulianClient, body: { source: string; params?: Record<string, JsonValue> }): Promise<CompileResponse> {
  return json(client, 'POST', '/contracts/compile', body);
}

export function testContractTemplate(client: ShulianClient, name: string): Promise<ScenarioReport> {
  return json(client, 'POST', `/contracts/templates/${enc(name)}/test`, {});
}

export function contractTemplatePdf(client: ShulianClient, ref: string, o: ChainOpt & { lang?: ContractLang; blank?: boolean } = {}): Promise<Uint8Array> {
  return bytes(client, 'GET', `/contracts/templates/${enc(ref)}/pdf${q({ chain: o.chain, lang: o.lang, blank: o.blank })}`);
}

export function renderContractPdf(client: ShulianClient, body: { source: string; params?: Record<string, JsonValue>; lang?: ContractLang }): Promise<Uint8Array> {
  return bytes(client, 'POST', '/contracts/render/pdf', body);
}

// ---- instances ----

export function listContracts(client: ShulianClient, party: string, o: ChainOpt & { limit?: number } = {}): Promise<ContractListing> {
  return json(client, 'GET', `/contracts/instances${q({ party, chain: o.chain, limit: o.limit })}`);
}

export function getContract(client: ShulianClient, id: string, o: ChainOpt = {}): Promise<ContractView> {
  return json(client, 'GET', `/contracts/instances/${enc(id)}${q({ chain: o.chain })}`);
}

/** The fingerprint as the node recomputes it, with the texts it covers (check it yourself before signing). */
export function getContractFingerprint(client: ShulianClient, id: string, o: ChainOpt = {}): Promise<ContractFingerprint> {
  return json(client, 'GET', `/contracts/instances/${enc(id)}/fingerprint${q({ chain: o.chain })}`);
}

export function contractPdf(client: ShulianClient, id: string, o: ChainOpt & { lang?: ContractLang } = {}): Promise<Uint8Array> {
  return bytes(client, 'GET', `/contracts/instances/${enc(id)}/pdf${q({ chain: o.chain, lang: o.lang })}`);
}

// ---- transactions ----

export interface ContractTxOptions extends ChainOpt, SendOptions {
  wait?: WaitOptions;
}

export interface ContractTx<T> {
  tx: string;
  height: number;
  result: T;
}

/**
 * Signs and sends a lexcontract call and waits for its block; a failed transaction throws
 * ShulianError with the module's code (e.g. LEX_NOT_PARTY, REQUIREMENT_NOT_MET) and message.
 */
export async function contractCall<T = JsonValue>(client: ShulianClient, key: KeyPair, method: string, args: JsonValue, o: ContractTxOptions = {}): Promise<ContractTx<T>> {
  const chain = o.chain ?? DEFAULT_SIGN_CHAIN;
  const hash = await client.send(chain, key, { module: 'lexcontract', method, args }, { ...(o.expiresIn !== undefined ? { expiresIn: o.expiresIn } : {}), ...(o.from ? { from: o.from } : {}) });
  const inc = await client.waitForTx(hash, o.wait ?? { timeoutMs: 60_000 });
  if (inc.receipt.status !== 'ok') throw new ShulianError(foreign(inc.receipt.code) ?? 'TX_FAILED', inc.receipt.message ?? `lexcontract.${method} failed`, { tx: hash });
  return { tx: hash, height: inc.height, result: inc.receipt.result as T };
}

export function deployContractTemplate(client: ShulianClient, key: KeyPair, source: string, o: ContractTxOptions = {}) {
  return contractCall<{ template: string; id: string; version: string; fresh: boolean }>(client, key, 'deploy', { source }, o);
}

export interface DraftArgs {
  template: string;
  params: Record<string, JsonValue>;
  parties: Record<string, string>;
  countersigner?: Countersigner;
  disputeAllows?: string[];
}

export function draftContract(client: ShulianClient, key: KeyPair, args: DraftArgs, o: ContractTxOptions = {}) {
  return contractCall<{ id: string; fingerprint: string }>(client, key, 'draft', asJson(args), o);
}

export function signContract(client: ShulianClient, key: KeyPair, id: string, fingerprint: string, o: ContractTxOptions = {}) {
  return contractCall<{ id: string; party: string; status: InstanceStatus }>(client, key, 'sign', { id, fingerprint }, o);
}

export function countersignContract(client: ShulianClient, key: KeyPair, id: string, fingerprint: string, o: ContractTxOptions = {}) {
  return contractCall<{ id: string; status: InstanceStatus }>(client, key, 'countersign', { id, fingerprint }, o);
}

export function submitContractEvent(client: ShulianClient, key: KeyPair, id: string, event: string, input: Record<string, JsonValue> = {}, o: ContractTxOptions = {}) {
  return contractCall<{ id: string; seq: number; status: InstanceStatus; response: Record<string, JsonValue>; settlements: JsonValue[] }>(client, key, 'event', { id, event, input }, o);
}

export function disputeContract(client: ShulianClient, key: KeyPair, id: string, reason: string, o: ContractTxOptions = {}) {
  return contractCall<{ id: string; status: InstanceStatus }>(client, key, 'dispute', { id, reason }, o);
}

export function resolveContractDispute(client: ShulianClient, key: KeyPair, id: string, outcome: 'resume' | 'complete' | 'terminate', note?: string, o: ContractTxOptions = {}) {
  return contractCall<{ id: string; status: InstanceStatus }>(client, key, 'resolve', { id, outcome, ...(note !== undefined ? { note } : {}) }, o);
}

export function settleContract(client: ShulianClient, key: KeyPair, id: string, o: ContractTxOptions = {}) {
  return contractCall<{ id: string; sent: number; pending: number }>(client, key, 'settle', { id }, o);
}
