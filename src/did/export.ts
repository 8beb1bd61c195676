/**
 * Exported DID documents: a node's resolution results for some DIDs, each with its state proof,
 * together with the identity chain's genesis (its validators are the trust root), written by
 * `shulian did export` and read by `shulian vc verify --local --did-documents FILE` to resolve
 * DIDs with no node at hand. Nothing in a file is believed until its proof checks out against
 * the genesis it carries, and that genesis against the hash the verifier pinned.
 */
import { z } from '../codec/schemas.ts';
import { ShulianError } from '../codec/index.ts';
import { hashJson, type Genesis } from '../ledger/index.ts';
import { parseShulianDid } from '../crypto/index.ts';
import { verifyDidResolution, type DidResolutionResult } from './resolver.ts';
import type { ResolveDid } from './key-resolver.ts';

export const DID_EXPORT_TYPE = 'ShulianDidExport';
/** At most this many DIDs in one file. */
export const MAX_EXPORTED_DIDS = 1_000;

/** What `shulian did export` writes. */
export interface DidExport {
  type: typeof DID_EXPORT_TYPE;
  version: 1;
  /** The identity chain the documents were read from, its genesis and the genesis hash. */
  chain: string;
  genesisHash: string;
  genesis: Genesis;
  /** The node they were read from, and when (informative only). */
  node?: string;
  exported?: string;
  /** Resolution results with `didResolutionMetadata.stateProof`. */
  resolutions: DidResolutionResult[];
}

const exportSchema = z.looseObject({
  type: z.literal(DID_EXPORT_TYPE),
  version: z.literal(1),
  chain: z.string().min(1).max(64),
  genesisHash: z.string().regex(/^[0-9a-f]{64}$/),
  genesis: z.looseObject({ chain: z.string(), suite: z.enum(['sm2', 'ed25519']), validators: z.array(z.looseObject({})).min(1).max(1000) }),
  node: z.string().max(2048).optional(),
  exported: z.string().max(64).optional(),
  resolutions: z.array(z.looseObject({ didResolutionMetadata: z.looseObject({}) })).min(1).max(MAX_EXPORTED_DIDS),
});

const bad = (what: string, why: string): ShulianError => new ShulianError('DID_EXPORT_INVALID', `${what} is not a usable DID export: ${why}`);

/** Checks the shape of an export read from `what` (a file name, for messages). Throws DID_EXPORT_INVALID. */
export function parseDidExport(value: unknown, what: string): DidExport {
  const v = value as { didResolutionMetadata?: unknown; type?: unknown } | null;
  if (v && typeof v === 'object' && v.didResolutionMetadata !== undefined && v.type === undefined) {
    throw bad(what, 'it holds a single resolution result, which carries no trust root; write a file with `shulian did export <did…>`, which adds the identity chain\'s genesis');
  }
  const r = exportSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw bad(what, `${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  const e = r.data as unknown as DidExport;
  if (e.genesis.chain !== e.chain) throw bad(what, `its genesis is of chain ${e.genesis.chain}, not ${e.chain}`);
  if (hashJson(e.genesis.suite, e.genesis) !== e.genesisHash) throw bad(what, 'its genesis does not hash to its genesisHash');
  return e;
}

export interface ExportResolveOptions {
  /** The identity chain genesis hash the verifier trusts: each file's must equal it. */
  genesisHash?: string;
  /** Names of the files, for messages (same order as the exports). */
  names?: string[];
}

/**
 * Resolution from exported documents. The genesis hash of every export must be the same (and
 * equal `opts.genesisHash` when given); each result's state proof is checked against that
 * genesis's validators before it is used, so a tampered file resolves nothing. A DID the files
 * do not hold fails with a message saying how to export it.
 */
export function resolveFromExports(exports: readonly DidExport[], opts: ExportResolveOptions = {}): ResolveDid {
  const names = opts.names ?? exports.map((_, i) => `export ${i + 1}`);
  const first = exports[0];
  if (!first) throw new ShulianError('DID_EXPORT_INVALID', 'no DID export was given');
  exports.forEach((e, i) => {
    if (e.genesisHash !== first.genesisHash || e.chain !== first.chain) {
      throw new ShulianError('DID_EXPORT_INVALID', `${names[i]} is from identity chain ${e.chain} with genesis ${e.genesisHash}, but ${names[0]} is from ${first.chain} with ${first.genesisHash}`);
    }
  });
  if (opts.genesisHash !== undefined && opts.genesisHash !== first.genesisHash) {
    throw new ShulianError('GENESIS_MISMATCH', `the exported documents are from an identity chain with genesis ${first.genesisHash}, not the trusted ${opts.genesisHash}`);
  }
  const byDid = new Map<string, { result: DidResolutionResult; file: string }>();
  exports.forEach((e, i) => {
    for (const result of e.resolutions) {
      const did = result.didResolutionMetadata.stateProof?.did;
      if (typeof did === 'string') byDid.set(did, { result, file: names[i]! });
    }
  });
  const where = names.join(', ');
  return async (did) => {
    const sd = parseShulianDid(did).did;
    const hit = byDid.get(sd);
    if (!hit) throw new Error(`the exported documents (${where}) do not include ${sd}; export it with \`shulian did export ${sd}\``);
    const check = verifyDidResolution(hit.result, first.genesis.validators, { did: sd, chain: first.chain, suite: first.genesis.suite });
    if (!check.ok) {
      throw new Error(`the exported document of ${sd} in ${hit.file} does not verify against the identity chain's genesis validators: ${check.reason}${/signature|validator|commit/i.test(check.reason ?? '') ? ' (if the identity chain\'s validator set has changed since genesis, resolve online instead)' : ''}`);
    }
    return hit.result;
  };
}
