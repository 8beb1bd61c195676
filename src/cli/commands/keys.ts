import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ShulianError, toHex } from '../../codec/index.ts';
import { didFromPublicKey, generateKeyPair, writeKeystore, type KeyPair, type Suite } from '../../crypto/index.ts';
import { loadKey } from '../keyfile.ts';
import { emit } from '../output.ts';
import { getPassword } from '../password.ts';

function describe(kp: KeyPair, file: string): { did: string; suite: Suite; publicKey: string; file: string } {
  return { did: didFromPublicKey(kp.publicKey), suite: kp.suite, publicKey: toHex(kp.publicKey), file: resolve(file) };
}

export async function keysNew(o: { out: string; suite: Suite; passwordEnv?: string; json?: boolean }): Promise<void> {
  if (existsSync(o.out)) {
    throw new ShulianError('KEYSTORE_EXISTS', `${o.out} already exists; keys new never overwrites a keystore, choose another --out`);
  }
  const password = await getPassword({ passwordEnv: o.passwordEnv }, `Password for the new keystore ${o.out}`, true);
  const kp = generateKeyPair(o.suite);
  writeKeystore(o.out, kp, password);
  const d = describe(kp, o.out);
  emit(o, d, () => [
    `Created ${d.file}`,
    `  did        ${d.did}`,
    `  suite      ${d.suite}`,
    `  publicKey  ${d.publicKey}`,
    'Keep the file and its password safe: together they are the key.',
  ]);
}

export async function keysShow(o: { key: string; passwordEnv?: string; json?: boolean }): Promise<void> {
  const kp = await loadKey(o.key, o.passwordEnv);
  const d = describe(kp, o.key);
  emit(o, d, () => [
    `did        ${d.did}`,
    `suite      ${d.suite}`,
    `publicKey  ${d.publicKey}`,
    `file       ${d.file}`,
  ]);
}
