/**
 * Where a value stops being plain JSON (what RFC 8785 can canonicalise): the path of the first
 * offending part, '' for the value itself, or undefined when it is all JSON. Cheaper than
 * canonicalising, and bounded in depth so hostile nesting cannot exhaust the stack.
 */
export function nonJsonPath(value: unknown): string | undefined {
  const at = firstNonJson(value, 0);
  if (at === undefined) return undefined;
  let path = '';
  for (const step of at) path = typeof step === 'number' ? `${path}[${step}]` : path === '' ? step : `${path}.${step}`;
  return path;
}

/**
 * The steps (keys and indexes, from the root) to the first part that is not JSON, or undefined.
 * Steps are collected only on the way back from a failure: a clean walk builds no path.
 */
function firstNonJson(value: unknown, depth: number): Array<string | number> | undefined {
  if (depth > 64) return [];
  if (value === null) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : [];
    case 'object': {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const p = firstNonJson(value[i], depth + 1);
          if (p !== undefined) return (p.unshift(i), p);
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return [];
      for (const k in value) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue; // left out, as canonicalisation does
        const p = firstNonJson(v, depth + 1);
        if (p !== undefined) return (p.unshift(k), p);
      }
      return undefined;
    }
    default:
      return [];
  }
}
