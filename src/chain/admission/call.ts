import { ShulianError } from '../../codec/index.ts';
import type { Tx } from '../../ledger/index.ts';
import { parseArgs, type ModuleDef } from '../../runtime/index.ts';

/**
 * The call a tx makes, checked the way execution would (src/runtime/executor.ts) before the tx
 * may wait in the mempool: the module runs on this chain, has the method, and the args parse
 * against the method's schema. Such a tx would only ever execute as failed, so a node refuses it
 * at the door instead of holding it (issue #13 item 2). Same codes as the failed receipt.
 */
export class CallCheck {
  private readonly modules = new Map<string, ModuleDef>();

  constructor(private readonly chain: string, modules: ModuleDef[], enabled: readonly string[]) {
    const on = new Set(enabled);
    for (const m of modules) if (on.has(m.name)) this.modules.set(m.name, m);
  }

  check(tx: Tx): void {
    const mod = this.modules.get(tx.module);
    if (!mod) throw new ShulianError('MODULE_NOT_FOUND', `chain ${this.chain} runs no module "${tx.module}"; it runs ${[...this.modules.keys()].join(', ')}`);
    const m = Object.hasOwn(mod.methods, tx.method) ? mod.methods[tx.method] : undefined;
    if (!m) throw new ShulianError('METHOD_NOT_FOUND', `module ${mod.name} has no method "${tx.method}"; it has ${Object.keys(mod.methods).join(', ')}`);
    parseArgs(m.args, tx.args, `${mod.name}.${tx.method}`);
  }
}
