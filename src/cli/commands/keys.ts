import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ShulianError, toHex } from '../../codec/index.ts';
import { didFromPublicKey, generateKeyPair, writeKeystore, type KeyPair, type Suite } from '../../crypto/index.ts';
import { newKeystoreOptions } from '../../node/index.ts';
import { KEY_NAME_RE, keysDir, keystorePath, listKeys, loadKey, namedKeyPath } from '../keyfile.ts';
import { emit, usage } from '../output.ts';
import { getPassword } from '../password.ts';

function describe(kp: KeyPair, file: string): { did: string; suite: Suite; publicKey: string; file: string } {
  return { did: didFromPublicKey(kp.publicKey), suite: kp.suite, publicKey: toHex(kp.publicKey), file: resolve(file) };
}

/**
 * `keys new NAME` writes $SHULIAN_HOME/keys/NAME.json (never into the current folder);
 * `keys new --out FILE` writes exactly FILE.
 */
export async function keysNew(name: string | undefined, o: { out?: string; suite: Suite; passwordEnv?: string; json?: boolean }): Promise<void> {
  if (name !== undefined && o.out !== undefined) throw usage('give a key name (kept in the keys folder) or --out FILE, not both');
  if (name === undefined && o.out === undefined) throw usage(`name the key (\`shulian keys new alice\` writes ${namedKeyPath('alice')}) or give --out FILE`);
  if (name !== undefined && !KEY_NAME_RE.test(name)) throw usage(`"${name}" is not a key name: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit (for a path, use --out)`);
  const out = o.out ?? namedKeyPath(name!);
  if (existsSync(out)) {
    throw new ShulianError('KEYSTORE_EXISTS', `${out} already exists; keys new never overwrites a keystore, choose another ${o.out ? '--out' : 'name'}`);
  }
  const password = await getPassword({ passwordEnv: o.passwordEnv }, `Password for the new keystore ${out}`, true);
  const kp = generateKeyPair(o.suite);
  if (o.out === undefined) mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
  writeKeystore(out, kp, password, newKeystoreOptions());
  const d = describe(kp, out);
  emit(o, { ...d, ...(name ? { name } : {}) }, () => [
    `Created ${d.file}`,
    `  did        ${d.did}`,
    `  suite      ${d.suite}`,
    `  publicKey  ${d.publicKey}`,
    ...(name ? [`Other commands take it as \`--key ${name}\`, and \`${name}\` where they ask for a DID.`] : []),
    'Keep the file and its password safe: together they are the key.',
  ]);
}

export async function keysShow(o: { key: string; passwordEnv?: string; json?: boolean }): Promise<void> {
  const kp = await loadKey(o.key, o.passwordEnv);
  const d = describe(kp, keystorePath(o.key));
  emit(o, d, () => [
    `did        ${d.did}`,
    `suite      ${d.suite}`,
    `publicKey  ${d.publicKey}`,
    `file       ${d.file}`,
  ]);
}

/** `keys list`: the named keys in $SHULIAN_HOME/keys, with their DIDs (no password needed). */
export async function keysList(o: { json?: boolean }): Promise<void> {
  const keys = listKeys();
  emit(o, { dir: keysDir(), keys }, () => keys.length === 0
    ? `no keys in ${keysDir()}; create one with \`shulian keys new NAME\``
    : [`keys in ${keysDir()}`, ...keys.map((k) => `  ${k.name.padEnd(16)} ${k.did}`)]);
}
