/**
 * The layers of src/ (DESIGN.md §3, docs/layout.md), bottom to top: the one place where the
 * dependency rules' data lives. scripts/check-deps.ts reads it; test/deps.test.ts runs the check.
 *
 * A folder may import folders of lower layers only, and only through their faces. Folders in one
 * layer do not import each other unless a line of `SIDEWAYS` says so (and never in a circle).
 */

export interface Layer {
  folders: string[];
  note: string;
}

/** Bottom first. */
export const LAYERS: Layer[] = [
  { folders: ['codec'], note: 'canonical JSON, hex/base58, ShulianError, shared patterns and schemas, typed state keys' },
  { folders: ['crypto'], note: 'SM2/SM3/SM4, Ed25519, keystores; DID syntax, Multikey, X.509 parsing' },
  { folders: ['ledger'], note: 'wire face (browser-safe): tx, block, hashing, Merkle/state proofs, light client; storage face: ledger/store' },
  // lex sits below the modules because the lexcontract module runs its interpreter on chain.
  { folders: ['lex', 'odrl'], note: 'pure libraries the modules run: the legal contract language; the ODRL 2.2 policy evaluator (browser-safe)' },
  // rules sits below the modules because the supervision module checks rules when they are published.
  { folders: ['rules'], note: 'the supervision rule language: rule documents, bounded CEL expressions (pure)' },
  { folders: ['runtime'], note: 'deterministic execution: module context, gas, the Executor' },
  { folders: ['modules'], note: 'one folder per module; types.ts + keys.ts are its face for clients' },
  { folders: ['consensus'], note: 'solo and tbft' },
  { folders: ['chain'], note: 'a chain: admission, mempool, block execution, proofs' },
  { folders: ['net'], note: 'node-to-node links, gossip, sync' },
  { folders: ['did', 'governance', 'settlement', 'data'], note: 'off-chain libraries: DID method and VCs; readers of the governance, settlement and data-chain modules (catalog search, DCAT export)' },
  { folders: ['sdk'], note: 'typed client; owns the wire types; browser-safe core plus Node extras; imports nothing of the server' },
  // Services speak to chains through the SDK or in-process readers; the API serves some of what
  // they read (cross-chain proofs), so they sit below it.
  { folders: ['crosschain', 'rails', 'supervision', 'indexer', 'market', 'scenarios', 'privacy', 'alarms'], note: 'services: gateways and engine adapters, settlement rails (client daemons over the SDK), the supervision rule engine, the PostgreSQL explorer index, ops alarms (webhooks, SMTP), the market\'s metering gateway, scenario runners (over the SDK), privacy-computing parties' },
  // The simulation sandbox applies the supervision rules to its risk reports, so it sits above them.
  { folders: ['sandbox'], note: 'the simulation sandbox: copy-on-write forks of chain state, simulation, risk reports (not the SANDBOX settlement rail)' },
  { folders: ['api'], note: 'HTTP + WebSocket server; its request/response types are the SDK\'s' },
  { folders: ['node'], note: 'assembles a node: chains, network, API, embedded services' },
  { folders: ['cli'], note: 'the shulian command' },
];

/** Same-layer imports that are allowed: [from, to]. */
export const SIDEWAYS: Array<[string, string]> = [];

/**
 * Each folder's faces: the files other folders may import. A folder not named here has
 * `index.ts` alone. For modules/<m>, `index.ts` (its ModuleDef, for the server side) plus the
 * client faces `types.ts` and `keys.ts`.
 */
export const FACES: Record<string, string[]> = {
  codec: ['index.ts', 'schemas.ts', 'worker.ts'],
  crypto: ['index.ts', 'x509/index.ts'],
  ledger: ['index.ts', 'store/index.ts'],
  sdk: ['index.ts', 'browser.ts', 'http.ts'],
  crosschain: ['index.ts', 'evm/index.ts', 'adapters/index.ts'],
};
export const MODULE_FACES: string[] = ['index.ts', 'types.ts', 'keys.ts'];
/** What a client (sdk/, console/) may reach of a module: its face without execution code. */
export const MODULE_CLIENT_FACES: string[] = ['types.ts', 'keys.ts'];

/** Folders a client (src/sdk, console/) must never reach, directly or through anything it imports. */
export const SERVER_FOLDERS: string[] = ['runtime', 'consensus', 'chain', 'net', 'node', 'api', 'cli', 'crosschain', 'rails', 'supervision', 'indexer', 'market', 'privacy', 'sandbox', 'alarms'];

/** console/shims are browser builds of crypto files: they may import these folders' files. */
export const SHIMS_MAY_IMPORT: string[] = ['codec', 'crypto'];

/** Where code that runs over the SDK only lives, outside src/ (the console's face is sdk/browser.ts). */
export const CLIENTS: string[] = ['console/src', 'console/shims'];

/** The whole layout, as the check takes it (a test may hand it another). */
export interface Layout {
  LAYERS: Layer[];
  SIDEWAYS: Array<[string, string]>;
  FACES: Record<string, string[]>;
  MODULE_FACES: string[];
  MODULE_CLIENT_FACES: string[];
  SERVER_FOLDERS: string[];
  SHIMS_MAY_IMPORT: string[];
  CLIENTS: string[];
}
export const LAYOUT: Layout = { LAYERS, SIDEWAYS, FACES, MODULE_FACES, MODULE_CLIENT_FACES, SERVER_FOLDERS, SHIMS_MAY_IMPORT, CLIENTS };
