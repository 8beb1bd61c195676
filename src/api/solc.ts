/**
 * Solidity compiles for the console's contract IDE (issue #25 item 3): POST /v1/evm/compile runs
 * the project's `solc` package (its bundled soljson, nothing downloaded) on a worker thread of its
 * own, off the thread that serves the API and drives consensus. Why on the node and not in the
 * browser: soljson is ~9 MB of asm.js that the console would ship to every visitor, and the node
 * already has it; the bounds below keep one caller from hogging it. Bounds: the source is at most
 * `maxSourceBytes`; one compile runs at a time and at most `queue` wait (more: BUSY at once); a
 * compile longer than `timeoutMs` is ended by terminating its worker (SOLC_TIMEOUT), and the next
 * compile starts a fresh one. The output is the ABI and bytecode of each contract, and every
 * diagnostic with its line and column (1-based), for the editor.
 */
import { Worker } from 'node:worker_threads';
import { ShulianError } from '../codec/index.ts';
import type { SolcContract, SolcDiagnostic, SolcResult } from '../sdk/index.ts';

export interface SolcOptions {
  /** Largest source, bytes of UTF-8 (default 64 KiB). */
  maxSourceBytes?: number;
  /** Longest one compile may run, ms (default 30 000). */
  timeoutMs?: number;
  /** Compiles that may wait while one runs (default 2). */
  queue?: number;
}

export const SOLC_DEFAULTS = { maxSourceBytes: 64 * 1024, timeoutMs: 30_000, queue: 2 } as const;
/** The EVM version compiled for: what both the native evm module and ganache 7 run (scripts/build-solidity.mjs). */
export const SOLC_EVM_VERSION = 'shanghai';

export type { SolcContract, SolcDiagnostic, SolcResult };

// The worker's body: plain JS evaluated in the thread (no TypeScript, no project imports).
const WORKER = `
const { parentPort } = require('node:worker_threads');
const solc = require('solc');
parentPort.on('message', ({ source, evmVersion }) => {
  const input = { language: 'Solidity', sources: { 'Contract.sol': { content: source } },
    settings: { evmVersion, optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } } } };
  let out;
  try { out = JSON.parse(solc.compile(JSON.stringify(input))); }
  catch (e) { parentPort.postMessage({ crash: String(e && e.message || e) }); return; }
  const lines = source.split('\\n');
  const starts = [0];
  for (const l of lines) starts.push(starts[starts.length - 1] + Buffer.byteLength(l, 'utf8') + 1);
  const place = (off) => { let i = 0; while (i + 1 < starts.length && starts[i + 1] <= off) i++;
    return { line: i + 1, column: Buffer.from(source, 'utf8').subarray(starts[i], off).toString('utf8').length + 1 }; };
  const diagnostics = (out.errors || []).map((e) => ({ severity: e.severity === 'error' ? 'error' : e.severity === 'warning' ? 'warning' : 'info',
    message: e.message, formatted: e.formattedMessage || e.message,
    ...(e.sourceLocation && e.sourceLocation.start >= 0 ? place(e.sourceLocation.start) : {}) }));
  const contracts = [];
  for (const [name, c] of Object.entries((out.contracts || {})['Contract.sol'] || {}))
    contracts.push({ name, abi: c.abi, bytecode: '0x' + c.evm.bytecode.object, deployedBytecode: '0x' + c.evm.deployedBytecode.object });
  parentPort.postMessage({ result: { ok: !diagnostics.some((d) => d.severity === 'error'), compiler: 'solc ' + solc.version(), evmVersion, contracts, diagnostics } });
});
`;

interface Job {
  source: string;
  resolve(r: SolcResult): void;
  reject(e: Error): void;
}

/** One solc worker, one compile at a time, a bounded queue, a time limit per compile. */
export class SolcCompiler {
  readonly maxSourceBytes: number;
  readonly timeoutMs: number;
  readonly queueLimit: number;
  #worker: Worker | undefined;
  #running: Job | undefined;
  #waiting: Job[] = [];
  #closed = false;

  constructor(opts: SolcOptions = {}) {
    this.maxSourceBytes = opts.maxSourceBytes ?? SOLC_DEFAULTS.maxSourceBytes;
    this.timeoutMs = opts.timeoutMs ?? SOLC_DEFAULTS.timeoutMs;
    this.queueLimit = opts.queue ?? SOLC_DEFAULTS.queue;
  }

  compile(source: string): Promise<SolcResult> {
    if (this.#closed) return Promise.reject(new ShulianError('POOL_CLOSED', 'the node is shutting down'));
    const size = Buffer.byteLength(source, 'utf8');
    if (size === 0) return Promise.reject(new ShulianError('BAD_ARGUMENT', 'source: empty; paste or upload a Solidity source'));
    if (size > this.maxSourceBytes) {
      return Promise.reject(new ShulianError('BODY_TOO_LARGE', `source: ${size} bytes, more than the ${this.maxSourceBytes} this node compiles; split it or compile it yourself and deploy the bytecode`));
    }
    if (this.#running && this.#waiting.length >= this.queueLimit) {
      return Promise.reject(new ShulianError('BUSY', `the Solidity compiler is busy (1 compiling, ${this.#waiting.length} waiting); try again in a few seconds`));
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ source, resolve, reject });
      this.#next();
    });
  }

  #next(): void {
    if (this.#running || this.#closed) return;
    const job = this.#waiting.shift();
    if (!job) return;
    this.#running = job;
    const w = this.#worker ??= new Worker(WORKER, { eval: true });
    w.unref();
    const done = (): void => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      this.#running = undefined;
      this.#next();
    };
    const kill = (): void => {
      if (this.#worker === w) this.#worker = undefined;
      void w.terminate();
    };
    const timer = setTimeout(() => {
      kill();
      job.reject(new ShulianError('SOLC_TIMEOUT', `the Solidity compile took longer than ${this.timeoutMs / 1000} s and was stopped; make the source smaller`));
      done();
    }, this.timeoutMs);
    const onMessage = (m: { result?: SolcResult; crash?: string }): void => {
      if (m.result) job.resolve(m.result);
      else job.reject(new ShulianError('INTERNAL', `solc failed: ${m.crash ?? 'no answer'}`));
      done();
    };
    const onError = (e: Error): void => {
      kill();
      job.reject(new ShulianError('INTERNAL', `the Solidity compiler stopped: ${e.message}`));
      done();
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.ref();
    w.postMessage({ source: job.source, evmVersion: SOLC_EVM_VERSION });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const j of this.#waiting.splice(0)) j.reject(new ShulianError('POOL_CLOSED', 'the node is shutting down'));
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }
}
