import { ShulianError, canonicalize, type JsonValue } from '../codec/index.ts';
import type { Receipt, Tx, TxEvent } from '../ledger/index.ts';
import { invokeExport, parseArgs } from './calls.ts';
import { GAS } from './gas.ts';
import { NO_ALLIANCE, freezeKeysOf, frozenError, type AllianceView, type FreezeSubject, type Frozen } from './alliance.ts';
import { ModuleError, type ModuleContext, type ModuleDef } from './module.ts';

/** Read access to committed state, as canonical JSON. */
export interface StateReader {
  get(key: string): string | undefined;
}

export interface BlockEnv {
  chain: string;
  height: number;
  time: number;
  maxTxGas: number;
  /** Freezes and template approvals for this block (alliance.ts); none when absent. */
  alliance?: AllianceView;
}

export interface ExecutedBlock {
  receipts: Receipt[];
  /** Every key the block changed: canonical JSON, or null when deleted. */
  writes: Map<string, string | null>;
}

export const NONCE_PREFIX = 'sys/nonce/';

/** How deeply module exports may call one another within one transaction. */
const MAX_CALL_DEPTH = 4;

interface CallEnv {
  env: BlockEnv;
  tx: Tx;
  hash: string;
  charge: (gas: number, what: string) => void;
  depth: number;
}

class OutOfGas extends ShulianError<'OUT_OF_GAS'> {
  constructor(limit: number, what: string) {
    super('OUT_OF_GAS', `out of gas (limit ${limit}) while ${what}`);
  }
}

/**
 * Executes a block's transactions in order over a write overlay. A failed tx (module error or
 * out of gas) keeps none of its writes but still uses its nonce, so it cannot be replayed.
 * Signatures were checked once when the txs were admitted and are not checked again here.
 */
export class Executor {
  private readonly modules = new Map<string, ModuleDef>();

  constructor(modules: ModuleDef[], private readonly enabled: ReadonlySet<string>) {
    for (const m of modules) this.modules.set(m.name, m);
  }

  /**
   * An executor over the same modules, some replaced by `map` (a simulation fork's xchain with
   * its proof-less delivery, src/sandbox/relay.ts); this one is unchanged.
   */
  withModules(map: (modules: readonly ModuleDef[]) => ModuleDef[]): Executor {
    return new Executor(map([...this.modules.values()]), this.enabled);
  }

  nonceKey(did: string): string {
    return NONCE_PREFIX + did;
  }

  /** The parties a call names that freezes refuse at submission (MethodDef.freezesAtAdmission); none when its args do not parse. */
  namedParties(tx: Pick<Tx, 'module' | 'method' | 'args'>): FreezeSubject[] {
    const mod = this.enabled.has(tx.module) ? this.modules.get(tx.module) : undefined;
    const m = mod && Object.hasOwn(mod.methods, tx.method) ? mod.methods[tx.method] : undefined;
    if (!m?.freezesAtAdmission) return [];
    const parsed = m.args.safeParse(tx.args);
    return parsed.success ? m.freezesAtAdmission(parsed.data) : [];
  }

  /**
   * `pause` is awaited every `pauseEvery` txs so a node stays responsive while a large block
   * executes; it has no effect on the result.
   */
  async executeBlock(
    state: StateReader, env: BlockEnv, txs: Array<{ tx: Tx; hash: string; bytes: number }>,
    pause: () => Promise<void> = async () => {}, pauseEvery = 64,
  ): Promise<ExecutedBlock> {
    const block = new Map<string, string | null>();
    const read = (key: string): string | undefined => {
      const v = block.get(key);
      if (v === null) return undefined;
      return v ?? state.get(key);
    };
    const receipts: Receipt[] = [];
    let sincePause = 0;
    for (const { tx, hash, bytes } of txs) {
      if (++sincePause >= pauseEvery) {
        sincePause = 0;
        await pause();
      }
      const nonceKey = this.nonceKey(tx.from);
      const expected = Number(read(nonceKey) ?? 0);
      if (tx.nonce !== expected) {
        throw new ShulianError('BLOCK_INVALID', `tx ${hash} has nonce ${tx.nonce}, expected ${expected}`);
      }
      // Only methods with runAsync (the evm module) give a promise; it is settled before the next tx.
      const receipt = this.executeTx(read, block, env, tx, hash, bytes);
      receipts.push(receipt instanceof Promise ? await receipt : receipt);
      block.set(nonceKey, String(expected + 1));
    }
    return { receipts, writes: block };
  }

  /**
   * A module's view of state: its own namespace over `overlay`, which sits over `below`.
   * Exports called through `ctx.call` get a child overlay and event list of their own, merged
   * into the caller's only if the export returns normally.
   */
  private context(
    run: CallEnv, mod: ModuleDef, overlay: Map<string, string | null>,
    below: (key: string) => string | undefined, events: TxEvent[], caller?: string,
  ): ModuleContext {
    const { env, tx, hash, charge } = run;
    const prefix = mod.name + '/';
    const lookup = (full: string): string | undefined => {
      const v = overlay.get(full);
      if (v === null) return undefined;
      return v ?? below(full);
    };
    const ctxRead = (key: string): string | undefined => lookup(prefix + key);
    const get = (key: string): JsonValue | undefined => {
      const v = ctxRead(key);
      charge(GAS.read + GAS.readByte * (v?.length ?? 0), `reading ${key}`);
      return v === undefined ? undefined : (JSON.parse(v) as JsonValue);
    };
    // Typed records are JSON by their key's type; canonicalize still refuses anything that is not.
    const set = (key: string, value: unknown): void => {
      const s = canonicalize(value);
      charge(GAS.write + GAS.writeByte * (s.length + key.length), `writing ${key}`);
      overlay.set(prefix + key, s);
    };
    return {
      chain: env.chain,
      height: env.height,
      time: env.time,
      sender: tx.from,
      txHash: hash,
      caller,
      get,
      has(key) {
        charge(GAS.read, `reading ${key}`);
        return ctxRead(key) !== undefined;
      },
      set,
      read: <T>(key: string) => get(key) as T | undefined,
      write: set,
      delete(key) {
        charge(GAS.delete, `deleting ${key}`);
        overlay.set(prefix + key, null);
      },
      emit(type, data) {
        charge(GAS.event + GAS.eventByte * canonicalize(data).length, `emitting ${type}`);
        events.push({ module: mod.name, type, data });
      },
      charge,
      frozen: (subject) => {
        const alliance = env.alliance ?? NO_ALLIANCE;
        for (const k of freezeKeysOf(env.chain, subject)) {
          charge(GAS.read, `reading the freeze of ${k}`);
          const f: Frozen | undefined = alliance.frozen(k);
          if (f) return f;
        }
        return undefined;
      },
      templateApproval: (h) => {
        const alliance = env.alliance ?? NO_ALLIANCE;
        if (!alliance.templateAudit) return 'not-required';
        charge(GAS.read, `reading the approval of template ${h}`);
        return alliance.templateApproved(h) ? 'approved' : 'unapproved';
      },
      memberRoles: (did) => {
        charge(GAS.read, `reading the member record of ${did}`);
        return (env.alliance ?? NO_ALLIANCE).memberRoles(did);
      },
      call: (target, name, args) => {
        const callee = this.enabled.has(target) ? this.modules.get(target) : undefined;
        const exp = callee?.exports && Object.hasOwn(callee.exports, name) ? callee.exports[name] : undefined;
        if (!callee || !exp) throw new ModuleError('EXPORT_NOT_FOUND', `chain ${env.chain} has no module export ${target}.${name}`);
        if (run.depth >= MAX_CALL_DEPTH) throw new ModuleError('CALL_TOO_DEEP', `module calls nest deeper than ${MAX_CALL_DEPTH} at ${target}.${name}`);
        charge(GAS.call + exp.gas, `calling ${target}.${name}`);
        const childOverlay = new Map<string, string | null>();
        const childEvents: TxEvent[] = [];
        const child = this.context({ ...run, depth: run.depth + 1 }, callee, childOverlay, lookup, childEvents, mod.name);
        const result = invokeExport(exp, `${target}.${name}`, child, args);
        for (const [k, v] of childOverlay) overlay.set(k, v);
        events.push(...childEvents);
        return result;
      },
    };
  }

  private executeTx(
    read: (key: string) => string | undefined,
    block: Map<string, string | null>,
    env: BlockEnv,
    tx: Tx,
    hash: string,
    bytes: number,
  ): Receipt | Promise<Receipt> {
    const overlay = new Map<string, string | null>();
    const events: TxEvent[] = [];
    let gasUsed = 0;
    const charge = (gas: number, what: string): void => {
      gasUsed += gas;
      if (gasUsed > env.maxTxGas) throw new OutOfGas(env.maxTxGas, what);
    };
    const finish = (result: JsonValue | void): Receipt => {
      for (const [k, v] of overlay) block.set(k, v);
      const receipt: Receipt = { tx: hash, status: 'ok', gasUsed, events };
      if (result !== undefined) receipt.result = result;
      return receipt;
    };
    const fail = (err: unknown): Receipt => {
      if (err instanceof ShulianError) {
        return { tx: hash, status: 'failed', code: err.code, message: err.message, gasUsed: Math.min(gasUsed, env.maxTxGas), events: [] };
      }
      // A bug in a module must not fork the chain: every node fails the tx the same way.
      return { tx: hash, status: 'failed', code: 'MODULE_FAULT', message: `module fault: ${(err as Error).message}`, gasUsed: Math.min(gasUsed, env.maxTxGas), events: [] };
    };
    try {
      charge(GAS.txBase + GAS.txByte * bytes, 'paying for the transaction bytes');
      // A frozen sender is refused at admission already (the chain's gate, at the same refs);
      // refused here too, so execution never depends on admission having run.
      const sender = { type: 'did', did: tx.from } as const;
      const f = env.alliance?.frozen(freezeKeysOf(env.chain, sender)[0]!);
      if (f) throw frozenError(sender, f);
      const mod = this.enabled.has(tx.module) ? this.modules.get(tx.module) : undefined;
      if (!mod) throw new ModuleError('MODULE_NOT_FOUND', `chain ${env.chain} runs no module "${tx.module}"`);
      const m = Object.hasOwn(mod.methods, tx.method) ? mod.methods[tx.method] : undefined;
      if (!m) throw new ModuleError('METHOD_NOT_FOUND', `module ${mod.name} has no method "${tx.method}"`);
      // Access rules as they stand at the block's governance height, not at admission: a rule
      // changed while the tx waited applies to it (docs/permissions.md).
      const denied = env.alliance?.accessRefusal(tx.module, tx.method, tx.from);
      if (denied !== undefined) throw new ModuleError('ACCESS_DENIED', denied);
      const args = parseArgs(m.args, tx.args, `${mod.name}.${tx.method}`);
      charge(m.gas, `running ${mod.name}.${tx.method}`);
      const ctx = this.context({ env, tx, hash, charge, depth: 0 }, mod, overlay, read, events);
      if (m.runAsync) return m.runAsync(ctx, args).then(finish, fail);
      return finish(m.run(ctx, args));
    } catch (err) {
      return fail(err);
    }
  }
}
