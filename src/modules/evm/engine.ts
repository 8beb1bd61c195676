/**
 * Runs EVM bytecode (@ethereumjs/evm) over a Shulian chain's authenticated state.
 *
 * State layout, inside the `evm` module's namespace (full keys are `evm/<key>`):
 * - `acct/<address>`  → `{ nonce, balance }` as decimal strings, plus `codeHash` (hex) for contracts
 * - `code/<address>`  → the runtime code, hex
 * - `gen/<address>`   → the account's storage generation (absent = 0), bumped when its storage is cleared
 * - `st/<address>/<gen>/<slot>` → a non-zero storage word, hex without leading zero bytes
 * Addresses are 40 lowercase hex digits without 0x; slots 64 hex digits.
 *
 * The state manager reads through a backing store (a transaction's ModuleContext, which charges
 * the usual read gas, or committed state for eth_call), keeps every change in memory with
 * checkpoints for the EVM's nested calls, and hands back the changed keys at the end; a
 * transaction writes them only when the EVM call succeeded.
 */
import { createEVM, type EVM, type EVMResult } from '@ethereumjs/evm';
import { createCustomCommon, Hardfork, Mainnet, type AccountFields, type Common, type StateManagerInterface } from '@ethereumjs/common';
import { Account, Address, KECCAK256_NULL, createAddressFromString, hexToBytes } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { canonicalize, type JsonValue } from '../../codec/index.ts';
import { ModuleError, frozenError, type Frozen } from '../../runtime/index.ts';
import { evmChainIdOf } from './address.ts';
import { acctKey, codeKey, genKey, storageKey } from './keys.ts';
import type { AccountRecord, EvmEnv, EvmMessage, EvmOutcome } from './types.ts';

/** Where EVM state comes from: module-relative keys, values as stored. */
export interface EvmBacking {
  get(key: string): JsonValue | undefined;
  /**
   * The governance freeze of the contract at a 0x address, if any: loading its code (a call to
   * it, direct or from another contract, or EXTCODESIZE/EXTCODECOPY of it) then fails the whole
   * run with FROZEN (docs/engines.md#freezing-an-evm-contract).
   */
  frozen?(address: string): Frozen | undefined;
}

export { acctKey, codeKey, genKey, storageKey } from './keys.ts';
export type { AccountRecord, EvmEnv, EvmLog, EvmMessage, EvmOutcome } from './types.ts';

/** ASCII of the high and low hex digit of each byte value. */
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HI[i] = '0123456789abcdef'.charCodeAt(i >> 4);
  HEX_LO[i] = '0123456789abcdef'.charCodeAt(i & 15);
}
/** Scratch for hex digits: hex() writes them here and reads one flat string back. */
const hexOut = Buffer.allocUnsafeSlow(64);
/**
 * Lowercase hex of bytes. Slots, addresses and words (at most 32 bytes) are hexed on every
 * storage access: digits by table into a scratch buffer, one string out (no Buffer object, no
 * string concatenation); longer data goes through a Buffer view.
 */
function hex(b: Uint8Array): string {
  if (b.length > 32) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  let j = 0;
  for (let i = 0; i < b.length; i++) {
    const x = b[i]!;
    hexOut[j++] = HEX_HI[x]!;
    hexOut[j++] = HEX_LO[x]!;
  }
  return hexOut.toString('latin1', 0, j);
}
/**
 * Hex of an address, kept per Address object: the EVM passes the same objects (caller, target,
 * code address) to every storage access of a frame. Addresses are never changed in place.
 */
const addrHex = new WeakMap<Address, string>();
function addrOf(a: Address): string {
  let h = addrHex.get(a);
  if (h === undefined) addrHex.set(a, (h = hex(a.bytes)));
  return h;
}
/** A slot as 64 hex digits. */
const slotOf = (key: Uint8Array): string => (key.length === 32 ? hex(key) : hex(key).padStart(64, '0'));

const HEX_RE = /^(?:[0-9a-f]{2})*$/;
/**
 * Bytes of a stored hex value (as `hex` wrote it) by Node's decoder, into a plain Uint8Array
 * (code is kilobytes and read on every call); anything else goes to @ethereumjs's decoder, which
 * throws as before.
 */
function bytesOfHex(h: string): Uint8Array {
  if (h.length <= 64) return wordOfHex(h);
  return HEX_RE.test(h) ? new Uint8Array(Buffer.from(h, 'hex')) : hexToBytes(`0x${h}`);
}

/** Value of each lowercase hex digit by char code; -1 for anything else. */
const HEX_VAL = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VAL['0123456789abcdef'.charCodeAt(i)] = i;
/** A storage word or hash (at most 32 bytes) by table, read on every SLOAD; bad hex as bytesOfHex. */
function wordOfHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX_VAL[h.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_VAL[h.charCodeAt(2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) return hexToBytes(`0x${h}`);
    out[i] = (hi << 4) | lo;
  }
  return (h.length & 1) === 0 ? out : hexToBytes(`0x${h}`);
}

/**
 * Decoded contract code by its stored hex, across runs (issue #20: decoding it was a good part of
 * a call's cost). The key is the value itself, so no write can leave an entry stale and a dry run
 * (eth_call) over other state finds only what its own reads return. The EVM only reads code
 * (as @ethereumjs's own state manager, it gets the cached array itself). At most CODE_CACHE_BYTES
 * of code are kept; the oldest entry goes first.
 */
const codeCache = new Map<string, Uint8Array>();
const CODE_CACHE_BYTES = 8 * 1024 * 1024;
let codeCacheBytes = 0;
function codeOfHex(h: string): Uint8Array {
  const hit = codeCache.get(h);
  if (hit !== undefined) return hit;
  const code = bytesOfHex(h);
  if (code.length * 2 > CODE_CACHE_BYTES) return code;
  while (codeCacheBytes + code.length > CODE_CACHE_BYTES) {
    const [oldest, bytes] = codeCache.entries().next().value!;
    codeCache.delete(oldest);
    codeCacheBytes -= bytes.length;
  }
  codeCache.set(h, code);
  codeCacheBytes += code.length;
  return code;
}

/**
 * `make` of a string, remembered for the `max` latest strings asked (the oldest forgotten first):
 * for pure functions of the string whose result is never changed in place.
 */
function memo<V>(max: number, make: (s: string) => V): (s: string) => V {
  const cache = new Map<string, V>();
  return (s) => {
    let v = cache.get(s);
    if (v === undefined) {
      v = make(s);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(s, v);
    }
    return v;
  };
}

/** Code hashes (32 bytes, read with every account) by their hex, likewise. */
const hashOfHex = memo(4096, bytesOfHex);

/** Strips leading zero bytes: storage words are kept minimal, and zero means absent. */
function trimWord(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  return v.subarray(i);
}

type Val = JsonValue | null;

/** A StateManagerInterface over a backing store, with an in-memory journal for checkpoints. */
export class ShulianStateManager implements StateManagerInterface {
  private readonly cache = new Map<string, Val>();
  private readonly original = new Map<string, Val>();
  private readonly journals: Array<Array<[string, Val]>> = [];
  /** Addresses whose storage this call wrote. */
  private readonly stored = new Set<string>();
  /** The first error the backing store raised (e.g. out of gas); rethrown after the EVM returns. */
  failure: unknown;

  constructor(private readonly backing: EvmBacking) {}

  readonly originalStorageCache = {
    get: async (address: Address, key: Uint8Array): Promise<Uint8Array> => {
      const a = addrOf(address);
      const g = this.originalOf(genKey(a));
      const v = this.originalOf(storageKey(a, typeof g === 'number' ? g : 0, slotOf(key)));
      return typeof v === 'string' ? bytesOfHex(v) : new Uint8Array(0);
    },
    clear: (): void => {},
  };

  private originalOf(key: string): Val {
    this.read(key);
    return this.original.get(key) ?? null;
  }

  private read(key: string): Val {
    const hit = this.cache.get(key); // absent values are kept as null, never undefined
    if (hit !== undefined) return hit;
    let v: JsonValue | undefined;
    try {
      v = this.backing.get(key);
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
    const val = v === undefined ? null : v;
    this.original.set(key, val);
    this.cache.set(key, val);
    return val;
  }

  private write(key: string, v: Val): void {
    const prev = this.read(key);
    this.journals[this.journals.length - 1]?.push([key, prev]);
    this.cache.set(key, v);
  }

  /** Keys whose value differs from the backing store's: what a successful call writes. */
  changes(): Map<string, Val> {
    const out = new Map<string, Val>();
    for (const [k, v] of this.cache) {
      const o = this.original.get(k) ?? null;
      if (!sameValue(v, o)) out.set(k, v);
    }
    return out;
  }

  private gen(a: string): number {
    const g = this.read(genKey(a));
    return typeof g === 'number' ? g : 0;
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const r = this.read(acctKey(addrOf(address))) as AccountRecord | null;
    if (!r) return undefined;
    return new Account(BigInt(r.nonce), BigInt(r.balance), undefined, r.codeHash ? hashOfHex(r.codeHash) : KECCAK256_NULL);
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    if (account === undefined) return this.deleteAccount(address);
    const rec: Record<string, string> = { nonce: account.nonce.toString(), balance: account.balance.toString() };
    if (!equalBytes(account.codeHash, KECCAK256_NULL)) rec.codeHash = hex(account.codeHash);
    this.write(acctKey(addrOf(address)), rec);
  }

  /**
   * Removes an account, its code and its storage: words this call wrote are deleted outright;
   * if the account existed before the call, its generation moves on so older words are
   * unreachable too.
   */
  async deleteAccount(address: Address): Promise<void> {
    const a = addrOf(address);
    const had = this.read(acctKey(a)) as AccountRecord | null;
    this.write(acctKey(a), null);
    if (had?.codeHash) this.write(codeKey(a), null);
    const prefix = `st/${a}/`;
    for (const [k, v] of [...this.cache]) if (v !== null && k.startsWith(prefix)) this.write(k, null);
    if (this.originalOf(acctKey(a)) !== null) this.write(genKey(a), this.gen(a) + 1);
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const acc = (await this.getAccount(address)) ?? new Account();
    if (fields.nonce !== undefined) acc.nonce = fields.nonce;
    if (fields.balance !== undefined) acc.balance = fields.balance;
    if (fields.codeHash !== undefined) acc.codeHash = fields.codeHash;
    await this.putAccount(address, acc);
  }

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    this.write(codeKey(addrOf(address)), value.length === 0 ? null : hex(value));
    await this.modifyAccountFields(address, { codeHash: keccak_256(value) });
  }

  /** Addresses whose freeze was looked up in this run (each is looked up once). */
  private readonly checked = new Set<string>();

  private refuseFrozen(a: string): void {
    if (!this.backing.frozen || this.checked.has(a)) return;
    let f: Frozen | undefined;
    try {
      f = this.backing.frozen(`0x${a}`);
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
    if (f) {
      const err = frozenError({ type: 'evm-contract', address: `0x${a}` }, f);
      this.failure ??= err;
      throw err;
    }
    this.checked.add(a);
  }

  async getCode(address: Address): Promise<Uint8Array> {
    this.refuseFrozen(addrOf(address));
    const c = this.read(codeKey(addrOf(address)));
    return typeof c === 'string' ? codeOfHex(c) : new Uint8Array(0);
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const a = addrOf(address);
    const v = this.read(storageKey(a, this.gen(a), slotOf(key)));
    return typeof v === 'string' ? bytesOfHex(v) : new Uint8Array(0);
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const a = addrOf(address);
    const w = trimWord(value);
    this.stored.add(a);
    this.write(storageKey(a, this.gen(a), slotOf(key)), w.length === 0 ? null : hex(w));
  }

  /**
   * Old slots stay in the tree under the previous generation, unreachable. An address with no
   * account before this call, and no storage written during it, has none reachable (deleting a
   * contract moves its generation on), so a new contract keeps generation 0 and no `gen` key.
   */
  async clearStorage(address: Address): Promise<void> {
    const a = addrOf(address);
    if (this.originalOf(acctKey(a)) === null && !this.stored.has(a)) return;
    this.write(genKey(a), this.gen(a) + 1);
  }

  async checkpoint(): Promise<void> {
    this.journals.push([]);
  }

  async commit(): Promise<void> {
    const top = this.journals.pop() ?? [];
    this.journals[this.journals.length - 1]?.push(...top);
  }

  async revert(): Promise<void> {
    const top = this.journals.pop() ?? [];
    for (let i = top.length - 1; i >= 0; i--) this.cache.set(top[i]![0], top[i]![1]);
  }

  /** The EVM's own roots are not kept: the chain's state root covers these keys. */
  async getStateRoot(): Promise<Uint8Array> {
    return new Uint8Array(32);
  }

  async setStateRoot(): Promise<void> {
    throw new Error('a Shulian EVM state has no separate state root to set');
  }

  async hasStateRoot(): Promise<boolean> {
    return false;
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    throw new Error('a Shulian EVM state manager is not copied');
  }
}

/**
 * Whether two stored values are the same JSON: strings and numbers by value, account records
 * field by field (without encoding them), anything else by canonical JSON.
 */
function sameValue(v: Val, o: Val): boolean {
  if (v === o) return true; // the same string, number or record object
  if (v === null || o === null || typeof v !== 'object' || typeof o !== 'object') return false;
  if (Array.isArray(v) || Array.isArray(o)) return canonicalize(v) === canonicalize(o);
  const vk = Object.keys(v);
  if (vk.length !== Object.keys(o).length) return false;
  for (const k of vk) {
    const a = v[k];
    const b = (o as Record<string, JsonValue>)[k];
    if (a === b) continue;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || !Object.hasOwn(o, k)) return false;
    if (canonicalize(a) !== canonicalize(b)) return false;
  }
  return true;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const commons = new Map<number, Common>();

/** Hardfork of the EVM native chains run. Contracts compiled for it or earlier (e.g. shanghai) run. */
export const EVM_HARDFORK = Hardfork.Cancun;

function commonFor(chain: string): Common {
  const id = evmChainIdOf(chain);
  let c = commons.get(id);
  if (!c) {
    c = createCustomCommon({ chainId: id, name: `shulian-${chain}` }, Mainnet, { hardfork: EVM_HARDFORK });
    commons.set(id, c);
  }
  return c;
}

/**
 * EVMs at rest, by chain, for reuse (issue #20: building one — params, opcode tables,
 * precompiles — cost more than the call it ran). A run takes one for itself, so runs that
 * interleave (a block's transaction and an eth_call) never share one, and gives it back when it
 * ends normally; one the engine threw out of is dropped. Nothing of a run is left for the next:
 * takeEvm gives the EVM the run's state manager, a clean journal (warm addresses and slots,
 * EIP-2929) and new transient storage (EIP-1153); the rest of an EVM is fixed by its chain's
 * Common (hardfork, chain id), and `runCall` sets the block and transaction context each time.
 */
const idleEvms = new Map<string, EVM[]>();
/** EVMs kept at rest per chain: as many as runs that overlap, more are built as needed. */
const MAX_IDLE_EVMS = 4;
let evmsBuilt = 0;
/** EVMs built so far (not reused): test/evm-reuse.test.ts keeps it at one per chain for sequential runs. */
export const evmInstancesBuilt = (): number => evmsBuilt;


async function takeEvm(chain: string, sm: ShulianStateManager): Promise<EVM> {
  const evm = idleEvms.get(chain)?.pop();
  if (!evm) {
    evmsBuilt++;
    return createEVM({ common: commonFor(chain).copy(), stateManager: sm });
  }
  // The journal starts clean (what its constructor does, without building its debug logger
  // again); it never reports access lists or preimages here (startReporting* is not called).
  const journal = evm.journal as unknown as { cleanJournal(): void; stateManager: StateManagerInterface; accessList?: unknown; preimages?: unknown };
  journal.cleanJournal();
  journal.stateManager = sm;
  delete journal.accessList;
  delete journal.preimages;
  const Transient = evm.transientStorage.constructor as new () => EVM['transientStorage'];
  evm.stateManager = sm;
  (evm as { transientStorage: EVM['transientStorage'] }).transientStorage = new Transient();
  return evm;
}

function giveBack(chain: string, evm: EVM): void {
  let list = idleEvms.get(chain);
  if (!list) idleEvms.set(chain, (list = []));
  if (list.length < MAX_IDLE_EVMS) list.push(evm);
}

/** Runs one message (a deploy when `to` is absent) and returns the outcome with the changed keys. */
export async function runEvm(backing: EvmBacking, env: EvmEnv, msg: EvmMessage): Promise<EvmOutcome> {
  const sm = new ShulianStateManager(backing);
  const evm = await takeEvm(env.chain, sm);
  const out = await runOn(evm, sm, env, msg);
  giveBack(env.chain, evm);
  return out;
}

// No blobs on Shulian: BLOBBASEFEE reads 0, like BASEFEE.
const noBlobGasPrice = (): bigint | undefined => 0n;

/**
 * Address objects by their 0x hex, for reuse across runs (the same sender and contract are
 * called again and again; an Address is never changed in place, and addrOf keeps its hex).
 */
const addressOf = memo(1024, createAddressFromString);

async function runOn(evm: EVM, sm: ShulianStateManager, env: EvmEnv, msg: EvmMessage): Promise<EvmOutcome> {
  const caller = addressOf(msg.from);
  const to = msg.to === undefined ? undefined : addressOf(msg.to);
  // As a transaction would (EIP-2929): the sender, the target and the precompiles start warm.
  evm.journal.addAlwaysWarmAddress(addrOf(caller));
  if (to) evm.journal.addAlwaysWarmAddress(addrOf(to));
  for (const p of evm.precompiles.keys()) evm.journal.addAlwaysWarmAddress(p);
  const block = {
    header: {
      number: BigInt(env.height), coinbase: new Address(new Uint8Array(20)), timestamp: BigInt(Math.floor(env.time / 1000)),
      difficulty: 0n, prevRandao: new Uint8Array(32), gasLimit: BigInt(env.blockGasLimit), baseFeePerGas: 0n,
      getBlobGasPrice: noBlobGasPrice,
    },
  };
  let r: EVMResult;
  try {
    r = await evm.runCall({ caller, origin: caller, ...(to ? { to } : {}), data: msg.data, value: msg.value, gasLimit: msg.gasLimit, gasPrice: 0n, block });
  } catch (err) {
    // The state (e.g. out of Shulian gas) or the engine itself gave up: every node does the same.
    throw sm.failure ?? new ModuleError('EVM_FAILED', `the EVM stopped: ${(err as Error).message}`);
  }
  if (sm.failure) throw sm.failure;
  const ex = r.execResult;
  // As a transaction does after its call: contracts that self-destructed in the transaction that
  // created them (EIP-6780) are removed.
  if (!ex.exceptionError) {
    for (const hexAddr of ex.selfdestruct?.keys() ?? []) {
      if (ex.createdAddresses?.has(hexAddr)) await sm.deleteAccount(createAddressFromString(hexAddr));
    }
    if (sm.failure) throw sm.failure;
  }
  const returnData = `0x${hex(ex.returnValue)}`;
  const err = ex.exceptionError;
  let gasUsed = ex.executionGasUsed;
  if (!err && ex.gasRefund) gasUsed -= ex.gasRefund < gasUsed / 5n ? ex.gasRefund : gasUsed / 5n;
  const out: EvmOutcome = {
    ok: !err, gasUsed, gasSpent: ex.executionGasUsed, returnData,
    logs: (ex.logs ?? []).map(([address, topics, data]) => ({ address: `0x${hex(address)}`, topics: topics.map((t) => `0x${hex(t)}`), data: `0x${hex(data)}` })),
    changes: err ? new Map() : sm.changes(),
  };
  if (r.createdAddress && !err) out.createdAddress = r.createdAddress.toString();
  if (err) {
    out.error = err.error;
    out.reason = revertReason(ex.returnValue);
  }
  return out;
}

const ERROR_SELECTOR = '08c379a0';
const PANIC_SELECTOR = '4e487b71';

/** Decodes revert data: Error(string) → its message, Panic(uint256) → "panic 0x..", other data → hex. */
export function revertReason(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  const h = hex(data);
  if (h.startsWith(ERROR_SELECTOR) && data.length >= 68) {
    const len = Number(BigInt('0x' + h.slice(8 + 64, 8 + 128)));
    const start = 4 + 64;
    if (start + len <= data.length) return Buffer.from(data.subarray(start, start + len)).toString('utf8');
  }
  if (h.startsWith(PANIC_SELECTOR) && data.length === 36) return `panic 0x${BigInt('0x' + h.slice(8)).toString(16)}`;
  return '0x' + h;
}
