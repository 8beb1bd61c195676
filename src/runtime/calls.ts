import type { z } from 'zod';
import type { JsonValue } from '../codec/index.ts';
import type { ModuleErrorCode } from './errors.ts';
import { ModuleError, type ExportDef, type ModuleContext, type ModuleDef } from './module.ts';

/**
 * Call args parsed against a method's or an export's schema, or the one error every call refuses
 * bad args with: `<module>.<name> args.<path>: <what is wrong>`, code BAD_ARGS unless the
 * export declares its own (ExportDef.argsError). The mempool's admission check uses it too.
 */
export function parseArgs<A>(schema: z.ZodType<A>, args: unknown, where: string, code: ModuleErrorCode = 'BAD_ARGS'): A {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ModuleError(code, `${where} args${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`);
}

/** Runs an export as `ctx.call` does once its gas is paid: who may call it, its args, then `run`. */
export function invokeExport(exp: ExportDef, where: string, ctx: ModuleContext, args: unknown): JsonValue | undefined {
  if (exp.callers && (ctx.caller === undefined || !exp.callers.includes(ctx.caller))) {
    const who = exp.callers.map((m) => `module ${m}`).join(' or ');
    throw new ModuleError('FORBIDDEN', `${where} is called by ${who} only, ${ctx.caller ? `not by module ${ctx.caller}` : 'never by a transaction'}`);
  }
  const result = exp.run(ctx, parseArgs(exp.args, args, where, exp.argsError));
  return result === undefined ? undefined : result;
}

/**
 * A module's export run on a context of one's own (a MapContext in a unit test) exactly as the
 * runtime runs it for `ctx.call`: callers, args, run (gas aside).
 */
export function runExport(mod: ModuleDef, name: string, ctx: ModuleContext, args: unknown): JsonValue | undefined {
  const exp = mod.exports && Object.hasOwn(mod.exports, name) ? mod.exports[name] : undefined;
  if (!exp) throw new ModuleError('EXPORT_NOT_FOUND', `module ${mod.name} has no export ${name}`);
  return invokeExport(exp, `${mod.name}.${name}`, ctx, args);
}
