/**
 * The off-chain services a scenario runs beside the chains, given to it by its caller: the
 * scenarios folder sits in the services layer with the privacy parties and the metering gateway
 * (scripts/deps/layers.ts) and so does not import them; `shulian scenario run` hands in the real
 * ones (src/privacy's PartyServer and requester, src/market's MeteringGateway), as it hands in
 * the cross-chain relay.
 */
import type { KeyPair } from '../crypto/index.ts';

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/** What a privacy computation's requester asks for (docs/privacy.md, `privacy.request`). */
export interface PrivacyAsk {
  protocol: 'psi-sum';
  receiver: { dataset: string; grant: number };
  sender: { dataset: string; grant: number };
  columns: string[];
  purpose: string;
  consents: string[];
}

export interface PrivacyOutcome {
  run: number;
  count: number;
  sums?: Record<string, string>;
  resultDigest: string;
  durationMs: number;
}

export interface ScenarioServices {
  /** An organisation's privacy-computing party over local dataset files (catalog id → CSV/JSONL keyed by DID). */
  privacyParty(key: KeyPair, datasets: Record<string, string>): Promise<RunningService>;
  /** Asks the data chain for a run and carries it out as its requester, waiting for the result. */
  privacyRun(key: KeyPair, ask: PrivacyAsk): Promise<PrivacyOutcome>;
  /** A metering gateway with its own key and journal directory, in front of the given upstreams. */
  meteringGateway(key: KeyPair, dataDir: string, products: Record<string, { upstream: string }>): Promise<RunningService & { pending(): number }>;
}
