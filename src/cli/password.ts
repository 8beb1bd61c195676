import { ShulianError } from '../codec/index.ts';

export interface PasswordSource {
  /** Name of an environment variable holding the password (`--password-env VAR`). */
  passwordEnv?: string;
  env?: NodeJS.ProcessEnv;
  /** Terminal streams; defaults to process.stdin / process.stderr. */
  input?: NodeJS.ReadStream;
  output?: NodeJS.WritableStream;
}

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Gets a keystore password: from the variable named by --password-env when given, else by asking
 * at the terminal without echo. No terminal and no --password-env is a usage error (exit 2).
 * With `confirm`, asks twice (for new keystores) and refuses an empty password.
 */
export async function getPassword(src: PasswordSource, prompt: string, confirm = false): Promise<string> {
  const env = src.env ?? process.env;
  if (src.passwordEnv !== undefined) {
    if (!ENV_NAME_RE.test(src.passwordEnv)) {
      throw new ShulianError('USAGE', `--password-env takes the NAME of an environment variable (such as SHULIAN_PASSWORD), not "${src.passwordEnv}"`);
    }
    const v = env[src.passwordEnv];
    if (v === undefined) {
      throw new ShulianError('PASSWORD_REQUIRED', `environment variable ${src.passwordEnv} is not set; export it with the keystore password or drop --password-env to be asked`);
    }
    if (confirm && v === '') throw new ShulianError('PASSWORD_REQUIRED', `environment variable ${src.passwordEnv} is empty; a keystore needs a non-empty password`);
    return v;
  }
  const input = src.input ?? process.stdin;
  const output = src.output ?? process.stderr;
  if (!input.isTTY) {
    throw new ShulianError('PASSWORD_REQUIRED', 'no terminal to ask the keystore password at; pass --password-env VAR and put the password in that environment variable');
  }
  const pw = await askHidden(input, output, `${prompt}: `);
  if (confirm) {
    if (pw === '') throw new ShulianError('PASSWORD_REQUIRED', 'a keystore needs a non-empty password');
    const again = await askHidden(input, output, 'Repeat the password: ');
    if (again !== pw) throw new ShulianError('PASSWORD_MISMATCH', 'the two passwords differ; run the command again');
  }
  return pw;
}

/** Reads one line from a TTY in raw mode, echoing nothing. Ctrl-C aborts with exit code 130. */
export function askHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(prompt);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    let buf = '';
    const done = (err: Error | null): void => {
      input.removeListener('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        switch (ch) {
          case '\r':
          case '\n':
          case '\u0004': // Ctrl-D
            done(null);
            return;
          case '\u0003': // Ctrl-C
            done(new ShulianError('INTERRUPTED', 'interrupted'));
            return;
          case '\u007f':
          case '\b':
            buf = Array.from(buf).slice(0, -1).join('');
            break;
          case '\u0015': // Ctrl-U
            buf = '';
            break;
          default:
            if (ch >= ' ') buf += ch;
        }
      }
    };
    input.on('data', onData);
  });
}
