import type { JsonValue } from './canonical.ts';

/**
 * Typed module state (docs/modules.md). A module declares every key it keeps, with the type of
 * the record stored under it, in its `keys.ts`:
 *
 *   export const xferKey = { hold: (id: string) => stateKey<HoldRecord>(`hold/${id}`) };
 *
 * and reads and writes through the context: `ctx.read(xferKey.hold(id))` is a
 * `HoldRecord | undefined`, `ctx.write(xferKey.hold(id), record)` accepts only a HoldRecord. The
 * key is the contract, checked at compile time on every write; a read is not parsed again,
 * because a module's namespace holds only what that module wrote through its keys (the runtime
 * confines each module to its own prefix). Values from anywhere else — args, packets, proofs —
 * go through zod schemas instead.
 */

/**
 * The JSON shape of T: T itself for strings, numbers, booleans, null, arrays and plain records of
 * those (optional fields allowed: canonical JSON leaves out undefined members); `never` inside
 * wherever T holds a bigint, a function, a Date, bytes… — so `JsonChecked` can refuse it. A field
 * typed `unknown` passes: it holds JSON a module received as is (a payload), which canonicalize
 * checks when it is written.
 */
export type JsonLike<T> = unknown extends T ? T
  : T extends string | number | boolean | null | undefined ? T
    : T extends readonly (infer E)[] ? readonly JsonLike<E>[]
      : T extends bigint | symbol | ((...args: never[]) => unknown) ? never
        : { [K in keyof T]: JsonLike<T[K]> };

/** T if it is JSON-shaped; otherwise a type no record has, so a key for it cannot be written. */
export type JsonChecked<T> = [T] extends [JsonLike<T>] ? T : { readonly 'is not JSON': T };

declare const stored: unique symbol;

/**
 * A state key (a string) that carries the type of the record stored under it. The brand is
 * invariant, so a key for one record type never passes for another.
 */
export type StateKey<T> = string & { readonly [stored]: (record: T) => T };

/** Declares a key and the record type kept under it (in a module's keys.ts). */
export function stateKey<T>(key: string): StateKey<JsonChecked<T>> {
  return key as StateKey<JsonChecked<T>>;
}

/** A table of key builders, as a module's keys.ts exports it. */
export type KeyBuilders = Record<string, (...args: never[]) => string>;

/**
 * The same key builders giving full chain-state keys (`<module>/<key>`): what readers pass to a
 * chain's getState and what proofs name. Types are kept, so a reader knows what it reads.
 */
export function fullKeys<M extends KeyBuilders>(module: string, keys: M): M {
  const out: Record<string, (...args: never[]) => string> = {};
  for (const [name, build] of Object.entries(keys)) out[name] = (...args: never[]) => `${module}/${build(...args)}`;
  return out as M;
}

/**
 * A JSON-shaped value (a record, a list of records) as a JsonValue, for results, events and
 * packet payloads. Checked at compile time; no copy, no runtime cost.
 */
export function asJson<T>(value: T & JsonLike<T>): JsonValue {
  return value as JsonValue;
}

/**
 * A call's result (a receipt's, or another module's export through ctx.call) as the type that
 * method declares it returns: the module wrote it, through asJson, from a value of that type.
 */
export function resultAs<T>(value: JsonValue | undefined): T {
  return value as T;
}

/**
 * A value a reader got from chain state under a typed full key (see fullKeys): what the module
 * wrote there, as the type the key declares. For off-chain readers of a node they trust (their
 * own, or one whose answer they verify with a proof).
 */
export function stateValue<T>(_key: StateKey<T>, value: JsonValue | null | undefined): T | undefined {
  return value === null || value === undefined ? undefined : (value as T);
}
