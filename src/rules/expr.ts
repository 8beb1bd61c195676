/**
 * CEL expressions of supervision rules (https://github.com/google/cel-spec), through
 * @marcbachmann/cel-js, bounded before they are accepted (docs/supervision.md#bounds):
 *
 * - at most RULE_LIMITS.exprChars characters, exprNodes AST nodes and exprDepth levels;
 * - names: the observation's variables (observation.ts VARIABLES) and comprehension variables;
 * - functions from an allowlist: no `matches` (a backtracking regex can run for ages on a crafted
 *   input), no timestamps or time zones (they read the host's zone data), no `cel.bind`;
 * - comprehensions (all, exists, exists_one, map, filter) are not nested, so one expression does
 *   at most one pass over a list of the tx (whose size the chain bounds): linear in the tx.
 *
 * CEL has no loops, no I/O and no clock: with these bounds an expression's cost is linear in its
 * own size and the tx's, and the same expression gives the same answer on every machine.
 */
import { Environment, type ASTNode, type ParseResult } from '@marcbachmann/cel-js';
import { ShulianError } from '../codec/index.ts';
import { VARIABLES } from './observation.ts';
import { RULE_LIMITS } from './spec.ts';

/** Global functions an expression may call: conversions, size, has(). */
const CALLS = new Set(['size', 'int', 'uint', 'double', 'string', 'bool', 'has', 'dyn']);
/** Methods: string and list helpers, and the comprehension macros. */
const METHODS = new Set(['size', 'contains', 'startsWith', 'endsWith', 'join', 'indexOf', 'lastIndexOf', 'substring', 'all', 'exists', 'exists_one', 'map', 'filter']);
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

let env: Environment | undefined;
function environment(): Environment {
  if (!env) {
    const e = new Environment({
      limits: { maxAstNodes: RULE_LIMITS.exprNodes, maxDepth: RULE_LIMITS.exprDepth, maxListElements: 64, maxMapEntries: 64, maxCallArguments: 4 },
    });
    for (const v of VARIABLES) e.registerVariable(v, 'dyn');
    env = e;
  }
  return env;
}

/** A checked expression: call it with an observation's activation (observation.ts). */
export interface Expr {
  readonly source: string;
  evaluate(vars: Record<string, unknown>): unknown;
}

/**
 * Parses and bounds one expression; throws RULE_EXPR_INVALID (does not parse, unknown name) or
 * RULE_UNBOUNDED (too long, too deep, a forbidden function, nested comprehensions), naming
 * `where` (e.g. "window.by").
 */
export function compileExpr(source: string, where: string): Expr {
  if (source.length > RULE_LIMITS.exprChars) {
    throw new ShulianError('RULE_UNBOUNDED', `${where}: the expression is ${source.length} characters long; at most ${RULE_LIMITS.exprChars}`);
  }
  let parsed: ParseResult;
  try {
    parsed = environment().parse(source);
  } catch (err) {
    const msg = firstLine(err);
    const code = /limit|exceed|depth|too many|maximum/i.test(msg) ? 'RULE_UNBOUNDED' : 'RULE_EXPR_INVALID';
    throw new ShulianError(code, `${where}: ${msg}`);
  }
  const stats = { nodes: 0 };
  walk(parsed.ast, where, new Set(), 0, 0, stats);
  const checked = parsed.check();
  if (!checked.valid) throw new ShulianError('RULE_EXPR_INVALID', `${where}: ${firstLine(checked.error)}`);
  return { source, evaluate: (vars) => parsed(vars) };
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 300);
}

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && 'op' in x && 'args' in x;
}

/** Checks names, functions and comprehension nesting; counts nodes and depth on the way. */
function walk(node: ASTNode, where: string, bound: ReadonlySet<string>, depth: number, comprehension: number, stats: { nodes: number }): void {
  stats.nodes++;
  if (stats.nodes > RULE_LIMITS.exprNodes) throw new ShulianError('RULE_UNBOUNDED', `${where}: more than ${RULE_LIMITS.exprNodes} expression nodes`);
  if (depth > RULE_LIMITS.exprDepth) throw new ShulianError('RULE_UNBOUNDED', `${where}: nested deeper than ${RULE_LIMITS.exprDepth} levels`);
  const at = `${where} (at character ${node.pos + 1})`;
  switch (node.op) {
    case 'id': {
      const name = node.args;
      if (!bound.has(name) && !(VARIABLES as readonly string[]).includes(name)) {
        throw new ShulianError('RULE_EXPR_INVALID', `${at}: unknown name "${name}"; an expression sees ${VARIABLES.join(', ')}`);
      }
      return;
    }
    case 'value':
      return;
    case 'call': {
      const [name, args] = node.args;
      if (!CALLS.has(name)) throw new ShulianError('RULE_UNBOUNDED', `${at}: function ${name}() is not allowed in rules; allowed: ${[...CALLS].join(', ')}`);
      for (const a of args) walk(a, where, bound, depth + 1, comprehension, stats);
      return;
    }
    case 'rcall': {
      const [name, receiver, args] = node.args;
      if (!METHODS.has(name)) throw new ShulianError('RULE_UNBOUNDED', `${at}: method .${name}() is not allowed in rules; allowed: ${[...METHODS].join(', ')}`);
      walk(receiver, where, bound, depth + 1, comprehension, stats);
      if (COMPREHENSIONS.has(name)) {
        if (comprehension > 0) throw new ShulianError('RULE_UNBOUNDED', `${at}: .${name}() inside another comprehension; rules may not nest all/exists/exists_one/map/filter`);
        const v = args[0];
        if (!v || v.op !== 'id') throw new ShulianError('RULE_EXPR_INVALID', `${at}: .${name}() takes a variable name first`);
        const inner = new Set(bound).add(v.args as string);
        for (const a of args.slice(1)) walk(a, where, inner, depth + 1, comprehension + 1, stats);
        return;
      }
      for (const a of args) walk(a, where, bound, depth + 1, comprehension, stats);
      return;
    }
    default: {
      // Operators, field access, indexing, list and map literals: visit every sub-expression.
      for (const child of children(node.args)) walk(child, where, bound, depth + 1, comprehension, stats);
    }
  }
}

function children(args: unknown): ASTNode[] {
  if (isNode(args)) return [args];
  if (!Array.isArray(args)) return [];
  const out: ASTNode[] = [];
  for (const a of args) {
    if (isNode(a)) out.push(a);
    else if (Array.isArray(a)) out.push(...children(a));
  }
  return out;
}
