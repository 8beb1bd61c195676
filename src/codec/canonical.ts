import { ShulianError } from './errors.ts';

/** A JSON value as it may appear in anything Shulian hashes or signs. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object: any non-null object that is not an array (what a decoded `{...}` is). */
export type JsonObject = { [key: string]: JsonValue };

/** Whether `v` is a JSON object (not null, not an array): the check every decoder of untrusted input starts with. */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The same check, typed as a record of values not yet checked (input that may hold more than JSON). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return isJsonObject(v);
}

/**
 * RFC 8785 (JSON Canonicalization Scheme).
 * §3.2.2.3: numbers are serialised as ECMAScript Number.prototype.toString does;
 * §3.2.2.2: strings are escaped as JSON.stringify does (only the mandatory escapes);
 * §3.2.3: object members are sorted by the UTF-16 code units of their names,
 * which is JavaScript's default string comparison.
 * Values JSON cannot carry (undefined, functions, NaN, Infinity, BigInt, symbols) are rejected.
 */
export function canonicalize(value: unknown): string {
  return write(value, [], 0);
}

/**
 * Deepest nesting canonicalised. JSON.parse takes any depth, a recursive walk does not: past this
 * a typed error says so instead of a stack overflow. Nothing Shulian hashes nests near it (tx args
 * stop at 16 levels, network frames at 64).
 */
export const MAX_CANONICAL_DEPTH = 1000;

/**
 * The JSON path of the value being written (`$`, `[i]`, `.key`), built only for an error
 * message: `at` holds the keys and indexes from the root (pushed and popped as the walk goes).
 */
function pathOf(at: ReadonlyArray<string | number>): string {
  let path = '$';
  for (const x of at) path += typeof x === 'number' ? `[${x}]` : `.${x}`;
  return path;
}

function write(value: unknown, at: Array<string | number>, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) {
        throw new ShulianError('CANONICAL_JSON_NUMBER', `${pathOf(at)}: ${value} is not a finite number and cannot be canonicalised (RFC 8785 §3.2.2.3)`);
      }
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (depth >= MAX_CANONICAL_DEPTH) {
        const path = pathOf(at);
        const where = path.length > 60 ? `${path.slice(0, 60)}…` : path;
        throw new ShulianError('CANONICAL_JSON_DEPTH', `${where}: nested deeper than ${MAX_CANONICAL_DEPTH} levels, more than canonical JSON in Shulian takes; flatten the value`);
      }
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          at.push(i);
          out += write(value[i], at, depth + 1);
          at.pop();
        }
        return out + ']';
      }
      if (value instanceof Uint8Array) {
        throw new ShulianError('CANONICAL_JSON_TYPE', `${pathOf(at)}: binary data must be hex-encoded before canonicalisation`);
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new ShulianError('CANONICAL_JSON_TYPE', `${pathOf(at)}: only plain objects can be canonicalised`);
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (i > 0) out += ',';
        at.push(k);
        out += JSON.stringify(k) + ':' + write(obj[k], at, depth + 1);
        at.pop();
      }
      return out + '}';
    }
    default:
      throw new ShulianError('CANONICAL_JSON_TYPE', `${pathOf(at)}: a ${typeof value} cannot be part of canonical JSON`);
  }
}

/** Canonical JSON as UTF-8 bytes: what gets hashed and signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return Buffer.from(canonicalize(value), 'utf8');
}
