/** A numeric benchmark option from the command line (`--name N` or `--name=N`), else the environment, else `fallback`. */
export function numberOption(name: string, env: string, fallback: number): number {
  const args = process.argv.slice(2);
  let raw: string | undefined;
  args.forEach((a, i) => {
    if (a === `--${name}`) raw = args[i + 1];
    else if (a.startsWith(`--${name}=`)) raw = a.slice(name.length + 3);
  });
  raw ??= process.env[env];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} (or ${env}) must be a positive number, not ${JSON.stringify(raw)}`);
  return n;
}
