/**
 * Keys the preset and the demo keep in the data dir: `<dir>/<name>.json` keystores under one
 * password in `<dir>/password` (mode 0600, generated on first use, as the node key's key.pass), made
 * on first use and opened on later starts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, readKeystore, writeKeystore, type KeyPair, type KeystoreOptions } from '../crypto/index.ts';

export function keysIn<N extends string>(dir: string, names: readonly N[], keystore: KeystoreOptions = {}, suite: KeyPair['suite'] = 'sm2'): Record<N, KeyPair> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passPath = join(dir, 'password');
  if (!existsSync(passPath)) writeFileSync(passPath, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  const password = readFileSync(passPath, 'utf8').trim();
  const out = {} as Record<N, KeyPair>;
  for (const n of names) {
    const file = join(dir, `${n}.json`);
    if (existsSync(file)) {
      out[n] = readKeystore(file, password);
    } else {
      const k = generateKeyPair(suite);
      writeKeystore(file, k, password, keystore);
      out[n] = k;
    }
  }
  return out;
}
