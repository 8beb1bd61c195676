import type { z } from 'zod';
import { ShulianError, type JsonValue } from '../codec/index.ts';

/**
 * What a module method sees while it runs. It is the only door to the world: no clock but the
 * block time, no randomness, no I/O. Keys are relative to the module's own namespace.
 */
export interface ModuleContext {
  readonly chain: string;
  readonly height: number;
  /** Block time, ms since the Unix epoch. */
  readonly time: number;
  /** DID of the transaction's sender, authenticated before execution. */
  readonly sender: string;
  readonly txHash: string;
  get(key: string): JsonValue | undefined;
  has(key: string): boolean;
  set(key: string, value: JsonValue): void;
  delete(key: string): void;
  emit(type: string, data: JsonValue): void;
  /** Charge extra gas for work proportional to input; throws OUT_OF_GAS past the limit. */
  charge(gas: number, what: string): void;
}

export interface MethodDef<A> {
  /** One line for docs and the console. */
  doc: string;
  args: z.ZodType<A>;
  /** Base gas of a call, charged before it runs. */
  gas: number;
  run(ctx: ModuleContext, args: A): JsonValue | void;
}

/** A module (system contract): deterministic, gas-metered, confined to its state namespace. */
export interface ModuleDef {
  name: string;
  description: string;
  methods: Record<string, MethodDef<unknown>>;
}

/** Keeps each method's argument type while storing it in the method table. */
export function method<A>(def: MethodDef<A>): MethodDef<unknown> {
  return def as MethodDef<unknown>;
}

/** Raised by a module to reject a call: the tx is included as failed and changes nothing. */
export class ModuleError extends ShulianError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'ModuleError';
  }
}
