/**
 * Where the CLI's keystores live, and how a command names one. A keystore is named by a path
 * (`./alice.json`, `/keys/alice.json`), or by a bare name (`alice`), which means
 * `$SHULIAN_HOME/keys/alice.json` (`~/.shulian/keys/` by default): `shulian keys new alice`
 * writes there, so keys never land in the folder a command happens to run in (a checkout, issue
 * #15). Wherever a command takes a DID of someone (parties, payees, an account), a key name or
 * keystore path stands for that keystore's DID: it is read from the file without the password.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DID_RE, ShulianError } from '../codec/index.ts';
import { didFromPublicKey, readKeystore, type KeyPair } from '../crypto/index.ts';
import { getPassword } from './password.ts';

/** A key's name: what `keys new NAME` takes (the file is NAME.json in the keys folder). */
export const KEY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** $SHULIAN_HOME, else ~/.shulian. */
export function shulianHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHULIAN_HOME || join(homedir(), '.shulian');
}

/** The folder of named keys: $SHULIAN_HOME/keys. */
export function keysDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(shulianHome(env), 'keys');
}

const isBareName = (ref: string): boolean => KEY_NAME_RE.test(ref) && !ref.includes('/') && !ref.includes('\\');

/** The keys folder's file for a bare name (`alice` and `alice.json` are the same key). */
export function namedKeyPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(keysDir(env), name.endsWith('.json') ? name : `${name}.json`);
}

/**
 * The keystore file `ref` names: a file that exists at that path, else, for a bare name, the
 * keys folder's. Throws KEYSTORE_NOT_FOUND saying where it looked and how to make one.
 */
export function keystorePath(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  if (existsSync(ref)) {
    if (!statSync(ref).isFile()) throw new ShulianError('KEYSTORE_NOT_FOUND', `${ref} is not a keystore file`);
    return ref;
  }
  if (isBareName(ref)) {
    const named = namedKeyPath(ref, env);
    if (existsSync(named)) return named;
    throw new ShulianError('KEYSTORE_NOT_FOUND', `no key "${ref}": neither ${resolve(ref)} nor ${named} exists; create it with \`shulian keys new ${ref.replace(/\.json$/, '')}\` (\`shulian keys list\` shows your keys)`);
  }
  throw new ShulianError('KEYSTORE_NOT_FOUND', `no keystore at ${ref}; create one with \`shulian keys new --out ${ref}\`, or name a key of \`shulian keys list\``);
}

/** Opens a keystore for signing: finds the file, gets the password (env or terminal), decrypts. */
export async function loadKey(ref: string, passwordEnv: string | undefined): Promise<KeyPair> {
  const file = keystorePath(ref);
  const password = await getPassword({ passwordEnv }, `Password for ${file}`);
  return readKeystore(file, password);
}

/** The DID a keystore file holds, read without its password (the file states it beside the public key; both are checked). */
export function keystoreDid(file: string): string {
  let f: { did?: unknown; publicKey?: unknown };
  try {
    f = JSON.parse(readFileSync(file, 'utf8')) as { did?: unknown; publicKey?: unknown };
  } catch (e) {
    throw new ShulianError('KEYSTORE_INVALID', `${file} is not a keystore (${(e as Error).message})`);
  }
  if (typeof f.did !== 'string' || typeof f.publicKey !== 'string' || !/^[0-9a-f]+$/.test(f.publicKey) || f.publicKey.length % 2 !== 0) {
    throw new ShulianError('KEYSTORE_INVALID', `${file} is not a keystore: it has no did and publicKey`);
  }
  if (didFromPublicKey(Buffer.from(f.publicKey, 'hex')) !== f.did) throw new ShulianError('KEYSTORE_INVALID', `${file}: its did does not match its public key`);
  return f.did;
}

/**
 * A DID given on the command line: a DID as it is, or a key name / keystore path standing for
 * its DID. `what` names the place for the error (e.g. "--parties seller").
 */
export function didOf(ref: string, what: string): string {
  if (DID_RE.test(ref)) return ref;
  if (ref.startsWith('did:')) throw new ShulianError('USAGE', `${what}: ${ref} is not a valid DID`);
  try {
    return keystoreDid(keystorePath(ref));
  } catch (e) {
    if (e instanceof ShulianError && e.code === 'KEYSTORE_NOT_FOUND') {
      throw new ShulianError('USAGE', `${what}: "${ref}" is neither a DID (did:shulian:…) nor one of your keys (${keysDir()}; \`shulian keys list\`)`);
    }
    throw e;
  }
}

/** The named keys: file name without .json, path and DID (unreadable files are left out). */
export function listKeys(env: NodeJS.ProcessEnv = process.env): Array<{ name: string; file: string; did: string }> {
  const dir = keysDir(env);
  if (!existsSync(dir)) return [];
  const out: Array<{ name: string; file: string; did: string }> = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    try {
      out.push({ name: f.slice(0, -5), file: join(dir, f), did: keystoreDid(join(dir, f)) });
    } catch {
      // not a keystore: not listed
    }
  }
  return out;
}
