/**
 * Genesis pins learned on first use, kept in a JSON file (Node only; the browser SDK has none).
 * Keyed by node URL and chain id, like SSH's known_hosts: a node that later serves another genesis
 * for the same chain fails loudly (GENESIS_MISMATCH) instead of being trusted anew.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ShulianError, HEX64_RE as HASH_RE } from '../codec/index.ts';
import type { GenesisPinStore } from './types.ts';

/** A pin file larger than this is not ours: refuse it rather than parse it. */
const MAX_FILE_BYTES = 1 << 20;

interface PinFile {
  version: 1;
  pins: Record<string, { genesisHash: string; firstSeen: string }>;
}

/**
 * The default pin file: $SHULIAN_TRUST_FILE, else known-genesis.json in $SHULIAN_HOME, else in
 * ~/.shulian.
 */
export function defaultPinFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHULIAN_TRUST_FILE) return env.SHULIAN_TRUST_FILE;
  return join(env.SHULIAN_HOME || join(homedir(), '.shulian'), 'known-genesis.json');
}

const keyOf = (baseUrl: string, chain: string): string => `${baseUrl.replace(/\/+$/, '')} ${chain}`;

function load(path: string): PinFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, pins: {} };
    throw new ShulianError('PIN_FILE_UNREADABLE', `cannot read the genesis pin file ${path}: ${(err as Error).message}`);
  }
  const bad = (why: string): never => {
    throw new ShulianError('PIN_FILE_INVALID', `the genesis pin file ${path} ${why}; fix or remove it (its pins are trust roots: check them before removing)`);
  };
  if (text.length > MAX_FILE_BYTES) bad(`is larger than ${MAX_FILE_BYTES} bytes`);
  let f: unknown;
  try {
    f = JSON.parse(text);
  } catch {
    bad('is not JSON');
  }
  const o = f as PinFile;
  if (!o || typeof o !== 'object' || o.version !== 1 || !o.pins || typeof o.pins !== 'object' || Array.isArray(o.pins)) bad('is not a version 1 pin file');
  for (const [k, v] of Object.entries(o.pins)) {
    if (!v || typeof v !== 'object' || !HASH_RE.test(String(v.genesisHash))) bad(`has a malformed pin for ${k}`);
  }
  return o;
}

/** A pin store in a JSON file (created, with its folder, on the first pin). */
export function fileGenesisPinStore(path = defaultPinFile()): GenesisPinStore {
  return {
    where: path,
    get: (baseUrl, chain) => load(path).pins[keyOf(baseUrl, chain)]?.genesisHash,
    set: (baseUrl, chain, genesisHash) => {
      if (!HASH_RE.test(genesisHash)) throw new ShulianError('BAD_GENESIS_HASH', 'a genesis hash is 64 lowercase hex digits');
      const f = load(path);
      f.pins[keyOf(baseUrl, chain)] = { genesisHash, firstSeen: new Date().toISOString() };
      try {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(f, null, 2) + '\n', { mode: 0o600 });
        renameSync(tmp, path);
      } catch (err) {
        throw new ShulianError('PIN_FILE_UNWRITABLE', `cannot store the genesis pin in ${path}: ${(err as Error).message}`);
      }
    },
  };
}
