/**
 * Password-protected key files on disk (the format and its checks: keystore-format.ts, shared
 * with the browser console). Node gives scrypt and HMAC-SM3 from its OpenSSL.
 */
import { closeSync, existsSync, fsyncSync, fchmodSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import { ShulianError } from '../codec/index.ts';
import {
  checkKeyPair, checkPassword, openKeystore, parseKeystore, scryptNFor, sealKeystore, SCRYPT_P, SCRYPT_R,
  type HmacSm3, type KeystoreFile, type KeystoreOptions,
} from './keystore-format.ts';
import type { KeyPair } from './types.ts';

export {
  MAX_SCRYPT_N, MAX_SCRYPT_R, MAX_SCRYPT_P, MAX_SCRYPT_MEMORY, DEFAULT_SCRYPT_N, LIGHT_SCRYPT_N,
  type KeystoreCrypto, type KeystoreFile, type KeystoreOptions,
} from './keystore-format.ts';

export interface WriteKeystoreOptions extends KeystoreOptions {
  /** Replace an existing file (default: refuse). */
  overwrite?: boolean;
}

/** scrypt (RFC 7914) over the NFKC-normalised password: 32 bytes, wiped by the format's code. */
function derive(password: string, salt: Uint8Array, n: number, r: number, p: number): Uint8Array {
  return scryptSync(password.normalize('NFKC'), salt, 32, { N: n, r, p, maxmem: 256 * n * r + (1 << 20) });
}

const hmacSm3: HmacSm3 = (key, data) => createHmac('sm3', key).update(data).digest();

function invalid(what: string): ShulianError {
  return new ShulianError('KEYSTORE_INVALID', `invalid keystore: ${what}`);
}

export function encryptKeystore(kp: KeyPair, password: string, opts: KeystoreOptions = {}): KeystoreFile {
  checkPassword(password);
  checkKeyPair(kp);
  const n = scryptNFor(opts);
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  return sealKeystore(kp, derive(password, salt, n, SCRYPT_R, SCRYPT_P), { n, salt, iv }, hmacSm3);
}

export function decryptKeystore(file: unknown, password: string): KeyPair {
  checkPassword(password);
  const ks = parseKeystore(file);
  return openKeystore(ks, derive(password, ks.salt, ks.n, ks.r, ks.p), hmacSm3);
}

/**
 * Writes a keystore with mode 0600, atomically: a temporary file in the same directory is
 * written and fsynced, then linked (no overwrite) or renamed (overwrite) into place.
 */
export function writeKeystore(path: string, kp: KeyPair, password: string, opts: WriteKeystoreOptions = {}): void {
  if (typeof path !== 'string' || path === '') throw new ShulianError('BAD_ARGUMENT', 'keystore path must be a non-empty string');
  const data = JSON.stringify(encryptKeystore(kp, password, opts), null, 2) + '\n';
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o600);
  } catch (err) {
    throw new ShulianError('KEYSTORE_WRITE_FAILED', `cannot create keystore in ${dirname(path)}: ${(err as Error).message}`);
  }
  try {
    try {
      fchmodSync(fd, 0o600); // exactly 0600 whatever the umask
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.overwrite) {
      renameSync(tmp, path);
    } else {
      // link() fails with EEXIST if the target exists: atomic "create only".
      const exists = () => new ShulianError('KEYSTORE_EXISTS', `keystore file already exists: ${path} (pass overwrite to replace it)`);
      try {
        linkSync(tmp, path);
        unlinkSync(tmp);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw exists();
        // Filesystems without hard links: check, then rename (a small race, but no partial file).
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
        if (existsSync(path)) throw exists();
        renameSync(tmp, path);
      }
    }
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    if (err instanceof ShulianError) throw err;
    throw new ShulianError('KEYSTORE_WRITE_FAILED', `cannot write keystore ${path}: ${(err as Error).message}`);
  }
}

export function readKeystore(path: string, password: string): KeyPair {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ShulianError('KEYSTORE_NOT_FOUND', `keystore file not found: ${path}`);
    throw new ShulianError('KEYSTORE_READ_FAILED', `cannot read keystore ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(`${path} is not valid JSON`);
  }
  return decryptKeystore(json, password);
}
