import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, LIGHT_SCRYPT_N, readKeystore, writeKeystore, type KeyPair, type KeystoreOptions, type Suite } from '../crypto/index.ts';

export const NODE_PASSWORD_ENV = 'SHULIAN_NODE_PASSWORD';
export const LIGHT_KDF_ENV = 'SHULIAN_LIGHT_KDF';

/**
 * scrypt cost of the keystores this process writes (node keys, `keys new`, `cluster init`):
 * OWASP's N = 2^17 unless SHULIAN_LIGHT_KDF=1 asks for the light cost of throwaway alliances
 * (the test suite, demos). Reading a keystore always uses the cost its file records.
 */
export function newKeystoreOptions(env: NodeJS.ProcessEnv = process.env): KeystoreOptions {
  return env[LIGHT_KDF_ENV] === '1' ? { scryptN: LIGHT_SCRYPT_N } : {};
}

/**
 * The node's own key (its DID signs blocks), kept in an encrypted keystore. The password comes
 * from SHULIAN_NODE_PASSWORD; without it (a developer's embedded alliance) a random password is
 * generated once into key.pass (mode 0600) beside the keystore and a warning says so.
 */
export function loadOrCreateNodeKey(dataDir: string, suite: Suite, log: (line: string) => void): KeyPair {
  const dir = join(dataDir, 'node');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'key.json');
  const passPath = join(dir, 'key.pass');
  let password = process.env[NODE_PASSWORD_ENV];
  if (!password) {
    if (!existsSync(passPath)) {
      if (existsSync(keyPath)) {
        throw new Error(`${keyPath} exists but ${passPath} does not: set ${NODE_PASSWORD_ENV} to the node key's password`);
      }
      writeFileSync(passPath, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
      log(`warning: no ${NODE_PASSWORD_ENV} set; the node key's password was generated into ${passPath} (fine for a development alliance, not for production)`);
    }
    password = readFileSync(passPath, 'utf8').trim();
  }
  if (existsSync(keyPath)) return readKeystore(keyPath, password);
  const key = generateKeyPair(suite);
  writeKeystore(keyPath, key, password, newKeystoreOptions());
  return key;
}
