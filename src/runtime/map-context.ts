import { canonicalize, type JsonValue, type StateKey } from '../codec/index.ts';
import { ModuleError, type ModuleContext } from './module.ts';
import { freezeKeysOf, type AllianceView, type FreezeSubject, type Frozen } from './alliance.ts';

/**
 * A module context over a plain map of one module's keys, with no gas meter: for unit tests of
 * a module's methods without a chain. `writes` counts changes so a test can assert that a
 * rejected call changed nothing. It has no other modules, so `call` always fails.
 */
export class MapContext implements ModuleContext {
  writes = 0;
  readonly events: Array<{ type: string; data: JsonValue }> = [];
  constructor(
    readonly store: Map<string, string>,
    public sender: string,
    public height = 1,
    public time = 1_700_000_000_000,
    readonly chain = 'identity',
    public txHash = '00'.repeat(32),
  ) {}
  get(key: string): JsonValue | undefined {
    const v = this.store.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as JsonValue);
  }
  has(key: string): boolean {
    return this.store.has(key);
  }
  set(key: string, value: JsonValue): void {
    this.writes++;
    this.store.set(key, canonicalize(value));
  }
  read<T>(key: StateKey<T>): T | undefined {
    return this.get(key) as T | undefined;
  }
  write<T>(key: StateKey<T>, value: NoInfer<T>): void {
    this.writes++;
    this.store.set(key, canonicalize(value));
  }
  delete(key: string): void {
    this.writes++;
    this.store.delete(key);
  }
  emit(type: string, data: JsonValue): void {
    this.events.push({ type, data });
  }
  /** What `frozen` and `templateApproval` answer; a test sets it. */
  alliance: AllianceView | undefined;
  frozen(subject: FreezeSubject): Frozen | undefined {
    for (const k of freezeKeysOf(this.chain, subject)) {
      const f = this.alliance?.frozen(k);
      if (f) return f;
    }
    return undefined;
  }
  templateApproval(hash: string): 'approved' | 'unapproved' | 'not-required' {
    if (!this.alliance?.templateAudit) return 'not-required';
    return this.alliance.templateApproved(hash) ? 'approved' : 'unapproved';
  }
  memberRoles(did: string): readonly string[] | undefined {
    return this.alliance?.memberRoles(did);
  }
  charge(): void {}
  call(module: string, name: string): JsonValue | undefined {
    throw new ModuleError('EXPORT_NOT_FOUND', `a MapContext has no module export ${module}.${name}`);
  }
}
