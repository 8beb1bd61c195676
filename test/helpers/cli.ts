/**
 * The `shulian` command as a user runs it: `node bin/shulian.mjs …` in a child process, its exit
 * code and output captured. Shared by every CLI test (test/cli*.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, writeKeystore, type Suite } from '../../src/crypto/index.ts';
import { cliPath, repoRoot } from './node-process.ts';

/**
 * SHULIAN_HOME of every CLI run in this test process, unless the caller sets one: genesis pins
 * learned on first use stay here, never in ~/.shulian, where a port reused by another test's node
 * would meet an old pin (GENESIS_MISMATCH).
 */
const home = mkdtempSync(join(tmpdir(), 'shulian-home-'));
process.once('exit', () => rmSync(home, { recursive: true, force: true }));

/** The keystore password the CLI tests pass with `--password-env PW`. */
export const PW = 'correct horse battery staple';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `shulian ARGS` (in `cwd`, the checkout by default) and resolves with its exit code and
 * output (never rejects on a non-zero exit; rejects if it does not finish within `timeoutMs`). SHULIAN_API and SHULIAN_DEBUG are
 * cleared and SHULIAN_HOME is this process's own unless `env` sets them, so the caller's
 * environment does not leak in.
 */
export function cli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 120_000, cwd = repoRoot): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd,
      env: { ...process.env, SHULIAN_DEBUG: undefined, SHULIAN_API: undefined, SHULIAN_HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shulian ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** The JSON a successful `--json` run printed; fails the test (with its output) on a non-zero exit. */
export function json<T = Record<string, unknown>>(r: CliRun): T {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The `{"error": {code, message}}` a failed `--json` run printed on stderr, after checking its exit code. */
export function jsonError(r: CliRun, exitCode = 1): { code: string; message: string } {
  assert.equal(r.code, exitCode, `expected exit ${exitCode}, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return (JSON.parse(r.stderr) as { error: { code: string; message: string } }).error;
}

/** A human-mode failure: the exit code, and one line on stderr saying what went wrong (no stack trace). */
export function oneLineError(r: CliRun, exitCode = 1): string {
  assert.equal(r.code, exitCode, `expected exit ${exitCode}, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without SHULIAN_DEBUG');
  return r.stderr;
}

/** scrypt cost of fixture keystores: 2^10 instead of the CLI's 2^17 (about 0.8 s of CPU per use). */
const FIXTURE_SCRYPT_N = 1 << 10;

/**
 * A keystore for a test whose subject is not key creation (`keys new` has its own tests in
 * test/cli.test.ts): what `keys new --out FILE --json` prints, written in process with a low scrypt
 * cost. The CLI reads the cost from the file, so every later `--key FILE` run decrypts it through
 * the same code as any keystore, about 0.8 s of CPU sooner.
 */
export function fixtureKey(file: string, password = PW, suite: Suite = 'sm2'): { did: string; suite: Suite; publicKey: string; file: string } {
  const kp = generateKeyPair(suite);
  writeKeystore(file, kp, password, { scryptN: FIXTURE_SCRYPT_N });
  return { did: didFromPublicKey(kp.publicKey), suite, publicKey: toHex(kp.publicKey), file: resolve(file) };
}
