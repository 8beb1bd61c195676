/**
 * Scenario tests for templates. A template folder holds its source (`*.lex`), sample parameters
 * (`sample.json`) and `scenarios/*.json`, each of the form
 *
 *   { "scenario": "what it shows",
 *     "given": { "params": { …overrides of sample.json… }, "state": { …state values… } },
 *     "steps": [
 *       { "when": { "at": "2024-03-03T12:00:00+08:00", "sender": "seller", "event": "Delivered", "input": {} },
 *         "then": { "response": {…}, "state": {…}, "obligations": { "deliver": "breached" },
 *                   "settlements": [ … ], "status": "active", "events": ["ObligationBreached"] } },
 *       { "when": { … }, "then": { "rejected": "NOT_AUTHORISED" } } ] }
 *
 * A rejection that is expected must really happen, and must leave the state byte-identical.
 * Every scenario file must test at least one rejection.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { canonicalize, asJson, type JsonValue, isJsonObject } from '../codec/index.ts';
import { decode } from './codec.ts';
import { compile, type Contract } from './compiler.ts';
import { LexError, type Diagnostic } from './errors.ts';
import { execute, instantiate, type ContractState, type ExecuteResult } from './interpreter.ts';
import { parseTemplate } from './parser.ts';
import { render } from './render.ts';
import { moneyFromDecimal, parseInstant } from './values.ts';

export interface StepFailure {
  step: number;
  message: string;
}

export interface ScenarioFileReport {
  file: string;
  /** The scenario's "scenario" sentence (else its file name); nameZh its "scenarioZh", when given. */
  name: string;
  nameZh?: string;
  passed: boolean;
  steps: number;
  rejections: number;
  failures: StepFailure[];
}

export interface TemplateReport {
  dir: string;
  id?: string;
  passed: boolean;
  diagnostics: Diagnostic[];
  /** A problem with the template itself (does not compile, bad sample, no scenarios). */
  error?: string;
  files: ScenarioFileReport[];
}

export interface ScenarioReport {
  ok: boolean;
  templates: TemplateReport[];
  passed: number;
  failed: number;
}

const DEFAULT_GAS = 1_000_000;

/** Compares an expectation with an actual value; returns a description of the first difference. */
function mismatch(expected: JsonValue, actual: JsonValue | undefined, path: string, tz: number): string | undefined {
  if (typeof expected === 'string' && isJsonObject(actual) && typeof actual.currency === 'string' && typeof actual.minor === 'number') {
    const m = /^([A-Z]{3})\s+(-?\d+(?:\.\d+)?)$/.exec(expected.trim());
    const money = m ? moneyFromDecimal(m[2]!, m[1]!) : undefined;
    if (money && money.cur === actual.currency && money.a.n === BigInt(actual.minor)) return undefined;
    return `${path}: expected ${expected}, got ${canonicalize(actual)}`;
  }
  if (typeof expected === 'string' && typeof actual === 'string' && expected !== actual) {
    const a = parseInstant(expected, tz);
    const b = parseInstant(actual, tz);
    if (a !== undefined && a === b) return undefined;
    return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected a list, got ${canonicalize(actual ?? null)}`;
    if (expected.length !== actual.length) return `${path}: expected ${expected.length} entries, got ${actual.length}: ${canonicalize(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const d = mismatch(expected[i]!, actual[i], `${path}[${i}]`, tz);
      if (d) return d;
    }
    return undefined;
  }
  if (isJsonObject(expected)) {
    if (!isJsonObject(actual)) return `${path}: expected an object, got ${canonicalize(actual ?? null)}`;
    for (const k of Object.keys(expected)) {
      const d = mismatch(expected[k]!, actual[k], `${path}.${k}`, tz);
      if (d) return d;
    }
    return undefined;
  }
  if (actual === undefined) return `${path}: expected ${canonicalize(expected)}, but there is none`;
  if (canonicalize(expected) !== canonicalize(actual)) return `${path}: expected ${canonicalize(expected)}, got ${canonicalize(actual)}`;
  return undefined;
}

function timeOf(v: unknown, c: Contract): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string') return parseInstant(v, c.timezone);
  return undefined;
}

/** Runs one scenario file against a compiled template. */
export function runScenarioFile(c: Contract, sample: Record<string, JsonValue>, file: string): ScenarioFileReport {
  const report: ScenarioFileReport = { file, name: basename(file), passed: false, steps: 0, rejections: 0, failures: [] };
  const failAt = (step: number, message: string): ScenarioFileReport => {
    report.failures.push({ step, message });
    return report;
  };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return failAt(0, `cannot read the scenario: ${(e as Error).message}`);
  }
  if (!isJsonObject(doc) || !Array.isArray(doc.steps)) return failAt(0, 'a scenario is an object with "scenario", optional "given" and a list of "steps"');
  if (typeof doc.scenario === 'string') report.name = doc.scenario;
  if (typeof doc.scenarioZh === 'string') report.nameZh = doc.scenarioZh;
  const given = isJsonObject(doc.given) ? doc.given : {};
  const params: Record<string, JsonValue> = { ...sample, ...(isJsonObject(given.params) ? given.params : {}) };
  let state: ContractState;
  try {
    state = instantiate(c, params);
  } catch (e) {
    if (e instanceof LexError) return failAt(0, `the parameters do not fit the template: ${e.message}`);
    throw e;
  }
  if (isJsonObject(given.state)) {
    const vars = { ...state.vars };
    for (const [k, v] of Object.entries(given.state)) {
      const sd = c.states.find((s) => s.name === k);
      if (!sd) return failAt(0, `given.state: "${k}" is not a state of this contract`);
      try {
        decode(v, sd.t!, c, k);
      } catch (e) {
        if (e instanceof LexError) return failAt(0, `given.state.${k}: ${e.message}`);
        throw e;
      }
      vars[k] = v;
    }
    state = { ...state, vars };
  }
  const steps = doc.steps;
  for (let i = 0; i < steps.length; i++) {
    const n = i + 1;
    report.steps++;
    const step = steps[i];
    if (!isJsonObject(step) || !isJsonObject(step.when) || !isJsonObject(step.then)) return failAt(n, 'each step has "when" (the event) and "then" (what must follow)');
    const when = step.when;
    const then = step.then;
    const at = timeOf(when.at, c);
    if (at === undefined) return failAt(n, 'when.at must be a date-time such as "2024-03-01T10:00:00+08:00"');
    if (typeof when.event !== 'string') return failAt(n, 'when.event names the event or permission');
    let sender = typeof when.sender === 'string' ? when.sender : '';
    if (c.parties.some((p) => p.name === sender)) sender = params[sender] as string;
    const request = when.input === undefined ? { event: when.event } : { event: when.event, input: when.input as Record<string, JsonValue> };
    const before = canonicalize(state);
    const gasLimit = typeof when.gasLimit === 'number' ? when.gasLimit : DEFAULT_GAS;
    const r: ExecuteResult = execute(c, state, request, { time: at, gasLimit, sender });
    if (canonicalize(state) !== before) return failAt(n, 'the state passed in was modified (execute must never change its input)');
    if (then.rejected !== undefined) {
      report.rejections++;
      const want = typeof then.rejected === 'string' ? { code: then.rejected } : then.rejected;
      if (!isJsonObject(want) || typeof want.code !== 'string') return failAt(n, 'then.rejected is a rejection code, or {"code": …, "message": "words it contains"}');
      if (r.ok) return failAt(n, `expected the request to be refused with ${want.code}, but it was accepted (response ${canonicalize(r.response)})`);
      if (r.rejection.code !== want.code) return failAt(n, `expected rejection ${want.code}, got ${r.rejection.code}: ${r.rejection.message.en}`);
      if (typeof want.message === 'string' && !r.rejection.message.en.includes(want.message) && !r.rejection.message['zh-CN'].includes(want.message)) {
        return failAt(n, `the rejection says "${r.rejection.message.en}", which does not contain "${want.message}"`);
      }
      continue;
    }
    if (!r.ok) return failAt(n, `expected the request to be accepted, but it was refused: ${r.rejection.code}: ${r.rejection.message.en}`);
    const checks: Array<[string, JsonValue | undefined, JsonValue]> = [];
    if (then.response !== undefined) {
      if (!isJsonObject(then.response)) return failAt(n, 'then.response is an object');
      const d = mismatch(then.response, r.response, 'response', c.timezone);
      if (d) return failAt(n, d);
      const extra = Object.keys(r.response).filter((k) => !(k in (then.response as Record<string, JsonValue>)));
      if (extra.length) return failAt(n, `the response also states ${extra.join(', ')}, which the scenario does not expect`);
    }
    if (then.state !== undefined) checks.push(['state', then.state, r.state.vars]);
    if (then.status !== undefined) checks.push(['status', then.status, r.state.status]);
    if (then.settlements !== undefined) checks.push(['settlements', then.settlements, asJson(r.settlements)]);
    if (then.obligations !== undefined) {
      const actual: Record<string, JsonValue> = {};
      for (const o of r.obligations) actual[o.id] = o.status;
      checks.push(['obligations', then.obligations, actual]);
    }
    if (then.events !== undefined) {
      if (!Array.isArray(then.events)) return failAt(n, 'then.events lists event types');
      const types = r.events.map((e) => e.type);
      for (const t of then.events) {
        if (!types.includes(t as never)) return failAt(n, `expected an event ${String(t)}; the events were ${types.join(', ') || 'none'}`);
      }
    }
    for (const [what, exp, act] of checks) {
      const d = mismatch(exp!, act, what, c.timezone);
      if (d) return failAt(n, d);
    }
    state = r.state;
  }
  if (report.rejections === 0) return failAt(report.steps, 'this scenario file tests no rejection; add a step that must be refused (then.rejected), so the template\'s limits are tested too');
  report.passed = report.failures.length === 0;
  return report;
}

/** The example DIDs a template folder's scenarios and previews play its parties with (see readSample). */
export const EXAMPLE_PARTIES_FILE = 'parties.example.json';

/**
 * A template folder's sample parameters for scenarios and previews: the terms of `sample.json`
 * with its parties' example DIDs from `parties.example.json`. The sample itself names no one
 * (issue #15), so `shulian contract draft --params sample.json --parties …` drafts it for real
 * parties as it is.
 */
export function readSample(dir: string): Record<string, JsonValue> {
  const read = (name: string, required: boolean): Record<string, JsonValue> => {
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch (e) {
      if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    const v = JSON.parse(text) as unknown;
    if (!isJsonObject(v)) throw new Error(`${name} is not an object`);
    return v;
  };
  return { ...read(EXAMPLE_PARTIES_FILE, false), ...read('sample.json', true) };
}

function templateFile(dir: string): string | undefined {
  const lex = readdirSync(dir).filter((f) => f.endsWith('.lex')).sort();
  return lex[0] ? join(dir, lex[0]) : undefined;
}

/** Runs the scenarios of one template folder. */
export function runTemplate(dir: string): TemplateReport {
  const rep: TemplateReport = { dir, passed: false, diagnostics: [], files: [] };
  const file = templateFile(dir);
  if (!file) {
    rep.error = 'no .lex template in this folder';
    return rep;
  }
  const { contract, diagnostics } = compile(parseTemplate(readFileSync(file, 'utf8'), file));
  rep.diagnostics = diagnostics;
  if (!contract) {
    rep.error = `${basename(file)} does not compile`;
    return rep;
  }
  rep.id = contract.id;
  let sample: Record<string, JsonValue> = {};
  try {
    sample = readSample(dir);
    instantiate(contract, sample);
    for (const format of ['markdown', 'html'] as const) for (const lang of ['en', 'zh-CN'] as const) render(contract, sample, { format, lang });
  } catch (e) {
    rep.error = `sample.json: ${(e as Error).message}`;
    return rep;
  }
  const sdir = join(dir, 'scenarios');
  let files: string[] = [];
  try {
    files = readdirSync(sdir).filter((f) => f.endsWith('.json')).sort().map((f) => join(sdir, f));
  } catch {
    files = [];
  }
  if (files.length === 0) {
    rep.error = 'no scenarios (scenarios/*.json)';
    return rep;
  }
  for (const f of files) rep.files.push(runScenarioFile(contract, sample, f));
  rep.passed = rep.files.every((f) => f.passed);
  return rep;
}

/**
 * Runs every template's scenarios under `dir`: `dir` itself if it holds a `.lex` file,
 * otherwise each sub-folder that does.
 */
export function runScenarios(dir: string): ScenarioReport {
  const dirs: string[] = [];
  if (templateFile(dir)) dirs.push(dir);
  else {
    for (const name of readdirSync(dir).sort()) {
      const d = join(dir, name);
      if (statSync(d).isDirectory() && templateFile(d)) dirs.push(d);
    }
  }
  const templates = dirs.map(runTemplate);
  const passed = templates.reduce((n, t) => n + t.files.filter((f) => f.passed).length, 0);
  const failed = templates.reduce((n, t) => n + t.files.filter((f) => !f.passed).length + (t.error ? 1 : 0), 0);
  return { ok: templates.length > 0 && templates.every((t) => t.passed), templates, passed, failed };
}
