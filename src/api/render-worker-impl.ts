/**
 * RenderPool worker body: the CPU-heavy work the API does for unauthenticated callers — compile
 * a template source, render its texts or its PDF, run a library template's scenarios, run the
 * EVM for eth_call and eth_estimateGas — here, off the thread that serves the node's API (issue
 * #13 item 6). EVM tasks read chain state through the bridge: the worker posts `{read}` and
 * blocks on a shared word until the parent has put the value on the bridge's port.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { ShulianError, type ErrorCode, type ForeignCode, type JsonValue } from '../codec/index.ts';
import { runEvmTask, type EvmTask } from './evm-task.ts';
import { compile, LexError, parseTemplate, render, renderPdf, runScenarios, summarize, type Contract } from '../lex/index.ts';
import { compiledTemplate, instanceFingerprint, renderedTexts, type SigningTerms } from '../modules/lexcontract/index.ts';
import type { ContractLang } from '../sdk/index.ts';

export type Lang = ContractLang;
const LANGS = ['en', 'zh-CN'] as const;

export type RenderTask =
  | { kind: 'pdf'; source: string; params?: Record<string, JsonValue>; lang: Lang }
  | { kind: 'compile'; source: string; params?: Record<string, JsonValue> }
  | { kind: 'scenarios'; dir: string }
  | { kind: 'fingerprint'; source: string; params: Record<string, JsonValue>; terms: SigningTerms }
  | EvmTask;

export interface RenderRequest {
  id: number;
  task: RenderTask;
}

export type RenderResponse =
  | { id: number; ok: true; pdf?: Uint8Array; json?: unknown }
  | { id: number; ok: false; code: ErrorCode | ForeignCode; message: string };

export interface RenderWorkerData {
  /** Tests only: [0] = 1 holds each task at its start until set to 0; [1] counts tasks started. */
  hold?: Int32Array;
  /** State reads: [0] is set to 1 (and notified) when the answer is on `port`. */
  bridge?: { signal: Int32Array; port: MessagePort };
}

/** Worker → parent: a task's answer, readiness, or a state read for task `id`. */
export type WorkerMessage = RenderResponse | { ready: true } | { read: { id: number; key: string } };

/** Parent → worker, on the bridge's port: the value of a state read. */
export type ReadReply = { ok: true; value: JsonValue | undefined } | { ok: false; code: ErrorCode | ForeignCode; message: string };

/** Longest a worker waits for one state read (the main thread answers it between requests). */
const READ_WAIT_MS = 60_000;

function bridgeReader(id: number, bridge: NonNullable<RenderWorkerData['bridge']>): (key: string) => JsonValue | undefined {
  return (key) => {
    Atomics.store(bridge.signal, 0, 0);
    parentPort!.postMessage({ read: { id, key } } satisfies WorkerMessage);
    if (Atomics.wait(bridge.signal, 0, 0, READ_WAIT_MS) === 'timed-out') {
      throw new ShulianError('BUSY', `the node did not answer a state read within ${READ_WAIT_MS / 1000} s; try again`);
    }
    const got = receiveMessageOnPort(bridge.port);
    if (!got) throw new ShulianError('INTERNAL', 'a state read was signalled without an answer');
    const r = got.message as ReadReply;
    if (!r.ok) throw new ShulianError(r.code, r.message);
    return r.value;
  };
}

function compiled(source: string): Contract {
  const { contract, diagnostics } = compile(parseTemplate(source));
  if (!contract) {
    const first = diagnostics.find((d) => d.severity === 'error')!;
    throw new ShulianError('LEX_COMPILE', `the template does not compile: ${first.line}:${first.column}: ${first.message}`);
  }
  return contract;
}

function textsOf(contract: Contract, params: Record<string, JsonValue> | undefined): Record<Lang, { markdown: string; html: string }> {
  const out = {} as Record<Lang, { markdown: string; html: string }>;
  for (const lang of LANGS) out[lang] = { markdown: render(contract, params, { format: 'markdown', lang }), html: render(contract, params, { format: 'html', lang }) };
  return out;
}

/** What POST /v1/contracts/compile answers. */
function compileAnswer(source: string, params: Record<string, JsonValue> | undefined): unknown {
  const { contract, diagnostics } = compile(parseTemplate(source));
  if (!contract) return { ok: false, diagnostics };
  let texts;
  let fingerprint: string | undefined;
  let paramsError: { code: ErrorCode | ForeignCode; message: string; zh: string } | undefined;
  try {
    texts = textsOf(contract, params);
    if (params) fingerprint = instanceFingerprint(contract, params);
  } catch (e) {
    if (!(e instanceof LexError)) throw e;
    paramsError = { code: e.code, message: e.message, zh: e.zh };
    texts = textsOf(contract, undefined);
  }
  return { ok: true, template: contract.sourceHash, diagnostics, summary: summarize(contract), texts, ...(fingerprint ? { fingerprint } : {}), ...(paramsError ? { paramsError } : {}) };
}

async function run(id: number, task: RenderTask, bridge: RenderWorkerData['bridge']): Promise<{ pdf?: Uint8Array; json?: unknown }> {
  switch (task.kind) {
    case 'evm-call':
    case 'evm-estimate':
      if (!bridge) throw new ShulianError('INTERNAL', 'an EVM task needs the state bridge');
      return { json: await runEvmTask(task, bridgeReader(id, bridge)) };
    case 'pdf': return { pdf: new Uint8Array(await renderPdf(compiled(task.source), task.params, { lang: task.lang })) }; // a copy: its own ArrayBuffer to transfer
    case 'compile': return { json: compileAnswer(task.source, task.params) };
    case 'scenarios': return { json: await runScenarios(task.dir) };
    case 'fingerprint': {
      // A contract instance's fingerprint recomputed from its deployed template, with the texts it covers.
      const contract = compiledTemplate(task.source);
      return { json: { recomputed: instanceFingerprint(contract, task.params, task.terms), texts: renderedTexts(contract, task.params) } };
    }
  }
}

export function startRenderWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('render worker must run in a worker thread');
  const { hold, bridge } = (workerData ?? {}) as RenderWorkerData;
  port.on('message', (req: RenderRequest) => {
    if (hold) {
      Atomics.add(hold, 1, 1);
      while (Atomics.load(hold, 0) === 1) Atomics.wait(hold, 0, 1);
    }
    run(req.id, req.task, bridge).then(
      (out) => {
        const res: RenderResponse = { id: req.id, ok: true, ...out };
        port.postMessage(res, out.pdf ? [out.pdf.buffer as ArrayBuffer] : []);
      },
      (err: unknown) => {
        const res: RenderResponse = err instanceof ShulianError
          ? { id: req.id, ok: false, code: err.code, message: err.message }
          : { id: req.id, ok: false, code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
        port.postMessage(res);
      },
    );
  });
  port.postMessage({ ready: true });
}
