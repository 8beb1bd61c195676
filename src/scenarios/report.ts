/**
 * What a scenario run reports (issue #19 item 6): each step with the chain, the transaction and
 * links to it and to a state proof, so a reader can check every claim on the node; refusals the
 * scenario provokes on purpose are steps too, with their error code.
 */
import { ShulianError } from '../codec/index.ts';

export interface ScenarioStep {
  n: number;
  title: string;
  chain?: string;
  tx?: string;
  height?: number;
  /** What happened, in one or two sentences. */
  detail: string;
  /** The code of an intended refusal. */
  refused?: string;
  /** Links: the tx (with its inclusion proof) and a state key's proof. */
  links: string[];
}

export interface ScenarioReport {
  scenario: string;
  api: string;
  steps: ScenarioStep[];
  /** The numbers a reader (and the CI test) checks. */
  outcome: Record<string, string | number | boolean>;
}

export class Reporter {
  readonly steps: ScenarioStep[] = [];
  constructor(readonly api: string, private readonly onStep?: (s: ScenarioStep) => void) {}

  txLink(hash: string): string {
    return `${this.api}/v1/txs/${hash}`;
  }
  stateLink(chain: string, key: string): string {
    return `${this.api}/v1/chains/${chain}/state?key=${encodeURIComponent(key)}&proof=true`;
  }
  step(s: Omit<ScenarioStep, 'n' | 'links'> & { links?: string[]; state?: string }): ScenarioStep {
    const links = [...(s.tx ? [this.txLink(s.tx)] : []), ...(s.chain && s.state ? [this.stateLink(s.chain, s.state)] : []), ...(s.links ?? [])];
    const { state: _state, ...rest } = s;
    const full: ScenarioStep = { ...rest, n: this.steps.length + 1, links };
    this.steps.push(full);
    this.onStep?.(full);
    return full;
  }
  /** Runs a call the scenario expects the chain to refuse with `code`; a success or another code is a failed run. */
  async refusal(title: string, chain: string, code: string, call: () => Promise<unknown>): Promise<ScenarioStep> {
    try {
      await call();
    } catch (e) {
      if (e instanceof ShulianError && e.code === code) {
        const tx = (e.details as { tx?: string } | undefined)?.tx;
        return this.step({ title, chain, refused: code, detail: e.message, ...(tx ? { tx } : {}) });
      }
      throw e;
    }
    throw new ShulianError('SCENARIO_FAILED', `${title}: the chain accepted what it should have refused with ${code}`);
  }
}

/** Lines a person reads: each step, its links, then the outcome. */
export function formatReport(r: ScenarioReport): string[] {
  const out = [`scenario ${r.scenario} against ${r.api}`, ''];
  for (const s of r.steps) {
    out.push(`${String(s.n).padStart(2)}. ${s.title}${s.chain ? `  [${s.chain}${s.height !== undefined ? ` @${s.height}` : ''}]` : ''}${s.refused ? `  refused: ${s.refused}` : ''}`);
    out.push(`    ${s.detail}`);
    for (const l of s.links) out.push(`    ${l}`);
  }
  out.push('', 'outcome:');
  for (const [k, v] of Object.entries(r.outcome)) out.push(`  ${k.padEnd(32)} ${String(v)}`);
  return out;
}
