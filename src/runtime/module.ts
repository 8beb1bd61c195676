import type { z } from 'zod';
import { ShulianError, type JsonValue, type StateKey } from '../codec/index.ts';
import type { ModuleErrorCode } from './errors.ts';
import type { FreezeSubject, Frozen } from './alliance.ts';

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
  /**
   * The record stored under a typed key (see codec/state-key.ts), as the key's type: not parsed again, since
   * only this module writes its namespace, through the same keys. Gas as `get`.
   */
  read<T>(key: StateKey<T>): T | undefined;
  /** Stores a record under its typed key; the compiler checks it is the key's type. Gas as `set`. */
  write<T>(key: StateKey<T>, value: NoInfer<T>): void;
  delete(key: string): void;
  emit(type: string, data: JsonValue): void;
  /** Charge extra gas for work proportional to input; throws OUT_OF_GAS past the limit. */
  charge(gas: number, what: string): void;
  /**
   * Calls an export of another module on this chain, inside the same transaction: it runs in
   * that module's namespace with the same sender and gas meter, and learns this module's name as
   * its caller. If it throws, none of its writes or events are kept (the caller may catch).
   */
  call(module: string, name: string, args: JsonValue): JsonValue | undefined;
  /** Name of the module that called this export, or undefined when a transaction called a method. */
  readonly caller?: string;
  /**
   * The governance freeze in force on a party for this block, if any (alliance.ts: read from the
   * governance chain at the height the block names). Use `refuseFrozen` to refuse with FROZEN.
   */
  frozen(subject: FreezeSubject): Frozen | undefined;
  /**
   * For lex templates: `not-required` unless the alliance policy makes this chain accept only
   * approved templates; then whether a regulator approved the template with this source hash.
   */
  templateApproval(hash: string): 'approved' | 'unapproved' | 'not-required';
  /**
   * The roles of a member organisation of the alliance, read like freezes from the governance
   * chain at the height the block names (alliance.ts); undefined for a DID that is no member, and
   * on a chain that follows no governance chain.
   */
  memberRoles(did: string): readonly string[] | undefined;
}

export interface MethodDef<A> {
  /** One line for docs and the console. */
  doc: string;
  args: z.ZodType<A>;
  /** Base gas of a call, charged before it runs. */
  gas: number;
  run(ctx: ModuleContext, args: A): JsonValue | void;
  /**
   * For the few methods whose engine is asynchronous (the `evm` module): when present, the
   * executor awaits this instead of calling `run`, before it starts the block's next tx, so the
   * result is as deterministic as a synchronous method's. Build such methods with `asyncMethod`.
   */
  runAsync?(ctx: ModuleContext, args: A): Promise<JsonValue | void>;
  /**
   * Parties the call names that a freeze refuses already when the tx is submitted (TX_FROZEN),
   * besides its sender: the `evm` module's call names its contract. Execution checks them again
   * at the block's governance height (FROZEN), so a freeze voted while the tx waited applies.
   */
  freezesAtAdmission?(args: A): FreezeSubject[];
}

/**
 * An entry point other modules on the same chain may call (never a transaction). Cross-chain
 * delivery uses these: `xchain` calls a port's `onRecvPacket`, `onAcknowledgementPacket` and
 * `onTimeoutPacket`. Like a method's, its args are parsed by the runtime before `run` (after the
 * `callers` check), so `run` sees typed args; build one with `exported`.
 */
export interface ExportDef<A = unknown> {
  doc: string;
  /** Base gas of a call, charged before anything else. */
  gas: number;
  /**
   * The modules that may call it; any other caller is refused with FORBIDDEN before its args are
   * parsed. Absent: any module may (the export may still look at `ctx.caller`).
   */
  callers?: readonly string[];
  args: z.ZodType<A>;
  /** Code of the error for args that fail `args`: BAD_ARGS unless the export keeps its own (e.g. XTRANSFER_BAD_PACKET). */
  argsError?: ModuleErrorCode;
  run(ctx: ModuleContext, args: A): JsonValue | void;
}

/**
 * A module that is a cross-chain port (its name is the port): the ports on the other side it is
 * bound to, as an IBC channel end is bound to its counterparty port. The `xchain` module sends
 * from this port only to these ports, and delivers to it only packets from these ports, before
 * any handler runs (docs/crosschain.md, "Ports and exports: who may call"). A module without a
 * port declaration neither sends nor receives packets.
 */
export interface PortDef {
  /** Port names (module names) on other chains; both directions. */
  counterparts: readonly string[];
}

/** A module (system contract): deterministic, gas-metered, confined to its state namespace. */
export interface ModuleDef {
  name: string;
  description: string;
  methods: Record<string, MethodDef<unknown>>;
  exports?: Record<string, ExportDef>;
  /** Present on modules that send or receive cross-chain packets (see PortDef). */
  port?: PortDef;
}

/** Keeps each method's argument type while storing it in the method table. */
export function method<A>(def: MethodDef<A>): MethodDef<unknown> {
  return def as MethodDef<unknown>;
}

/** Keeps each export's argument type while storing it in the export table. */
export function exported<A>(def: ExportDef<A>): ExportDef {
  return def as ExportDef;
}

/**
 * A method that runs asynchronously (see MethodDef.runAsync). Its `run` refuses to be called
 * synchronously; module exports (`ctx.call`) stay synchronous and cannot reach it.
 */
export function asyncMethod<A>(def: Omit<MethodDef<A>, 'run' | 'runAsync'> & { runAsync(ctx: ModuleContext, args: A): Promise<JsonValue | void> }): MethodDef<unknown> {
  const full: MethodDef<A> = {
    ...def,
    run() {
      throw new ModuleError('ASYNC_METHOD', 'this method runs asynchronously: call runAsync (the executor does)');
    },
  };
  return full as MethodDef<unknown>;
}

/** Raised by a module to reject a call: the tx is included as failed and changes nothing. */
export class ModuleError<C extends ModuleErrorCode = ModuleErrorCode> extends ShulianError<C> {
  constructor(code: C, message: string) {
    super(code, message);
    this.name = 'ModuleError';
  }
}
