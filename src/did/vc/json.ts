/**
 * Where a value stops being plain JSON (what RFC 8785 can canonicalise): the path of the first
 * offending part, '' for the value itself, or undefined when it is all JSON. Cheaper than
 * canonicalising, and bounded in depth so hostile nesting cannot exhaust the stack.
 */
export function nonJsonPath(value: unknown, path = '', depth = 0): string | undefined {
  if (depth > 64) return path;
  if (value === null) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : path;
    case 'object': {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const p = nonJsonPath(value[i], `${path}[${i}]`, depth + 1);
          if (p !== undefined) return p;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return path;
      for (const k in value) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue; // left out, as canonicalisation does
        const p = nonJsonPath(v, path === '' ? k : `${path}.${k}`, depth + 1);
        if (p !== undefined) return p;
      }
      return undefined;
    }
    default:
      return path;
  }
}
