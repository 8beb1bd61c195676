import { ShulianError } from '../codec/index.ts';

/** Error codes that mean "you called it wrong" or a password problem: exit code 2. */
const USAGE_CODES = new Set(['USAGE', 'KEYSTORE_BAD_PASSWORD', 'PASSWORD_REQUIRED', 'PASSWORD_MISMATCH', 'BAD_ARGUMENT', 'BAD_OPTIONS']);

export const DEFAULT_API = 'http://127.0.0.1:7070';

export interface CommonOptions {
  json?: boolean;
  api?: string;
}

export function apiUrl(opts: CommonOptions): string {
  return opts.api ?? process.env.SHULIAN_API ?? DEFAULT_API;
}

/** Prints a result: the object as JSON with --json, else the human lines. */
export function emit(opts: CommonOptions, value: unknown, human: () => string | string[]): void {
  if (opts.json) {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    return;
  }
  const h = human();
  process.stdout.write((Array.isArray(h) ? h.join('\n') : h) + '\n');
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof ShulianError) {
    if (err.code === 'INTERRUPTED') return 130;
    return USAGE_CODES.has(err.code) ? 2 : 1;
  }
  return 1;
}

/** The one line a person sees for an error. */
export function messageOf(err: unknown, api?: string): string {
  if (err instanceof ShulianError) {
    if (err.code === 'KEYSTORE_BAD_PASSWORD') return 'wrong password';
    if (err.code === 'NODE_UNREACHABLE' && api !== undefined) {
      return `cannot reach a Shulian node at ${api}; start one with \`shulian up\`, or point --api / SHULIAN_API at a running node`;
    }
    return oneLine(err.message);
  }
  if (err instanceof Error) return oneLine(`unexpected ${err.name}: ${err.message} (rerun with SHULIAN_DEBUG=1 for details)`);
  return oneLine(String(err));
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Reports an error on stderr (JSON with --json) and sets the exit code. */
export function report(err: unknown, opts: CommonOptions = {}): number {
  const code = exitCodeOf(err);
  const api = err instanceof ShulianError && err.code === 'NODE_UNREACHABLE' ? apiUrl(opts) : undefined;
  const message = messageOf(err, api);
  if (opts.json) {
    const c = err instanceof ShulianError ? err.code : 'INTERNAL';
    process.stderr.write(JSON.stringify({ error: { code: c, message } }) + '\n');
  } else {
    process.stderr.write(`error: ${message}\n`);
  }
  if (process.env.SHULIAN_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  return code;
}

export function usage(message: string): ShulianError {
  return new ShulianError('USAGE', message);
}

/** Runs a command body, turning any error into one line on stderr and an exit code. */
export function action<O extends CommonOptions>(body: (opts: O) => Promise<void>) {
  return async (opts: O): Promise<void> => {
    try {
      await body(opts);
    } catch (err) {
      process.exitCode = report(err, opts);
    }
  };
}

/** The same for a command with one positional argument. */
export function action1<O extends CommonOptions>(body: (arg: string, opts: O) => Promise<void>) {
  return async (arg: string, opts: O): Promise<void> => {
    try {
      await body(arg, opts);
    } catch (err) {
      process.exitCode = report(err, opts);
    }
  };
}
