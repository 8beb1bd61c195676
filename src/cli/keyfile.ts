import { existsSync, statSync } from 'node:fs';
import { ShulianError } from '../codec/index.ts';
import { readKeystore, type KeyPair } from '../crypto/index.ts';
import { getPassword } from './password.ts';

/** Opens a keystore for signing: checks the file, gets the password (env or terminal), decrypts. */
export async function loadKey(file: string, passwordEnv: string | undefined): Promise<KeyPair> {
  if (!existsSync(file)) {
    throw new ShulianError('KEYSTORE_NOT_FOUND', `no keystore at ${file}; create one with \`shulian keys new --out ${file}\``);
  }
  if (!statSync(file).isFile()) throw new ShulianError('KEYSTORE_NOT_FOUND', `${file} is not a keystore file`);
  const password = await getPassword({ passwordEnv }, `Password for ${file}`);
  return readKeystore(file, password);
}
