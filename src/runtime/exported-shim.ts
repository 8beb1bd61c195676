/**
 * TEMPORARY (branch `data`, until the typed runtime of branch `faces` is merged): exports that
 * check their callers and parse their args as faces' `exported` does, and typed reads/writes.
 * Replaced by `exported`, `stateKey` and `ctx.read`/`ctx.write` at the merge.
 */
import type { z } from 'zod';
import type { JsonValue } from '../codec/index.ts';
import { ModuleError, type ExportDef, type ModuleContext } from './module.ts';
import type { ModuleErrorCode } from './errors.ts';

export function parseArgsShim<A>(schema: z.ZodType<A>, args: unknown, where: string, code: ModuleErrorCode = 'BAD_ARGS'): A {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ModuleError(code, `${where} args${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`);
}

export function exportedShim<A>(where: string, def: { doc: string; gas: number; callers?: readonly string[]; args: z.ZodType<A>; argsError?: ModuleErrorCode; run(ctx: ModuleContext, args: A): JsonValue | void }): ExportDef {
  return {
    doc: def.doc,
    gas: def.gas,
    run(ctx, raw) {
      if (def.callers && (ctx.caller === undefined || !def.callers.includes(ctx.caller))) {
        throw new ModuleError('FORBIDDEN', `${where} is called by ${def.callers.map((m) => `module ${m}`).join(' or ')} only, ${ctx.caller ? `not by module ${ctx.caller}` : 'never by a transaction'}`);
      }
      return def.run(ctx, parseArgsShim(def.args, raw, where, def.argsError));
    },
  };
}

export function readShim<T>(ctx: ModuleContext, key: string): T | undefined {
  return ctx.get(key) as T | undefined;
}
export function writeShim<T>(ctx: ModuleContext, key: string, value: T): void {
  ctx.set(key, value as unknown as JsonValue);
}
