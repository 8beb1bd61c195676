import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from '../codec/schemas.ts';
import { ShulianError } from '../codec/index.ts';
import { checkPublicUrl } from '../api/index.ts';

const perMinute = z.number().int().min(1).max(10_000_000);

/**
 * A node's configuration file (`shulian node --config FILE`): where its data lives, where it
 * serves the API (and the public URL clients reach it at, and its request budgets), the p2p
 * port, which peers it dials, and which alliance file holds the genesis documents of the chains
 * it hosts. Relative paths are relative to the file.
 */
export const nodeConfigSchema = z.strictObject({
  dataDir: z.string().min(1),
  alliance: z.string().min(1).describe('path of the alliance file (genesis of every chain)'),
  api: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535),
    /** Where clients reach the API (as `shulian up --public-url`): status-list URLs and console sign-in origins. */
    publicUrl: z.string().superRefine((url, ctx) => {
      try {
        checkPublicUrl(url);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    }).optional(),
    /** Requests per minute per client address by route class (docs/operations.md). */
    rateLimits: z.strictObject({ reads: perMinute, writes: perMinute, auth: perMinute }).partial().optional(),
  }),
  p2p: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535),
    peers: z.array(z.string().regex(/^wss?:\/\/[^\s]+$/, 'a ws:// or wss:// address')).default([]),
  }),
  /**
   * The credential issuer (docs/credentials.md): the keystore POST /credentials/issue signs with,
   * as that key's DID, and the environment variable holding its password. Default: the node key.
   */
  vc: z.strictObject({
    issuerKey: z.string().min(1),
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
  }).optional(),
  /**
   * Start the tbft chains that hold no blocks yet from a peer's verified snapshot
   * (docs/operations.md#state-sync); `{}` turns it on with the defaults.
   */
  stateSync: z.strictObject({
    minHeight: z.number().int().min(1).optional(),
    timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
    /** Only these chains (default: every tbft chain); the others sync blocks as usual. */
    chains: z.array(z.string().min(1).max(64)).min(1).max(256).optional(),
  }).optional(),
  /** Blocks past the snapshot served to peers before a new one is taken (default 1000). */
  snapshotInterval: z.number().int().min(1).max(100_000_000).optional(),
  /** Free disk space each chain store keeps in reserve before it refuses writes (default 64 MiB; 0 = no reserve). */
  minFreeBytes: z.number().int().min(0).max(2 ** 50).optional(),
  /** This node's mempool policy (docs/operations.md#limits); omitted fields keep their defaults. */
  mempool: z.strictObject({
    maxExpiryBlocks: z.number().int().min(1).max(100_000_000).optional(),
    maxSenderBytes: z.number().int().min(1024).max(16 * 1024 ** 3).optional(),
    maxSenderGapped: z.number().int().min(0).max(1_000_000).optional(),
  }).optional(),
});

export type NodeConfig = z.infer<typeof nodeConfigSchema>;

export function loadNodeConfig(path: string): NodeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ShulianError('CONFIG_INVALID', `cannot read node config ${path}: ${(err as Error).message}`);
  }
  const parsed = nodeConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ShulianError('CONFIG_INVALID', `${path}: ${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  const base = dirname(resolve(path));
  const vc = parsed.data.vc ? { ...parsed.data.vc, issuerKey: resolve(base, parsed.data.vc.issuerKey) } : undefined;
  return { ...parsed.data, dataDir: resolve(base, parsed.data.dataDir), alliance: resolve(base, parsed.data.alliance), ...(vc ? { vc } : {}) };
}
