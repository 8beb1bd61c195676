/** Option factories and the action wrapper shared by the CLI's command groups. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { report, type CommonOptions } from './output.ts';

export const apiOption = (): Option => new Option('--api <url>', 'node API URL (default: $SHULIAN_API or http://127.0.0.1:7070)');
export const jsonOption = (): Option => new Option('--json', 'print JSON');
/** --key: a key name from `shulian keys list` ($SHULIAN_HOME/keys/NAME.json) or a keystore file (src/cli/keyfile.ts). */
export const keyOption = (what = 'signing key'): Option =>
  new Option('--key <key>', `the ${what}: a name from \`shulian keys list\` or a keystore file`).makeOptionMandatory();
export const passwordEnvOption = (): Option => new Option('--password-env <var>', 'read the keystore password from this environment variable (default: ask at the terminal)');

/** A whole-number option parser with a clear message. */
export function intArg(what: string, min = 0) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`${what} must be a whole number from ${min}.`);
    return Number(v);
  };
}

/**
 * Wraps a command body for commander: positional arguments, then the options object; any error
 * becomes one line on stderr (or JSON with --json) and an exit code.
 */
export function run<A extends unknown[], O extends CommonOptions>(body: (...args: [...A, O]) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const opts = args.find((a, i) => i < args.length - 1 && a !== null && typeof a === 'object' && !(a instanceof Command)) as O | undefined;
    try {
      await body(...(args.slice(0, -1) as [...A, O]));
    } catch (err) {
      process.exitCode = report(err, opts ?? {});
    }
  };
}
