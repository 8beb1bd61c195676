import { fullKeys, stateKey } from '../../codec/index.ts';
import type { AccountRecord } from './types.ts';

/** State layout of the `evm` module, by lowercase hex address (no 0x). */
export const EVM_MODULE = 'evm';

export const evmKey = {
  acct: (addr: string) => stateKey<AccountRecord>(`acct/${addr}`),
  /** Contract code, hex. */
  code: (addr: string) => stateKey<string>(`code/${addr}`),
  /** Generation of an address's storage: raised when the account is destroyed, so old slots are never read again. */
  gen: (addr: string) => stateKey<number>(`gen/${addr}`),
  /** A storage word, hex without leading zero bytes; zero is no key. */
  storage: (addr: string, gen: number, slot: string) => stateKey<string>(`st/${addr}/${gen}/${slot}`),
};

export const evmStateKey = fullKeys(EVM_MODULE, evmKey);
/** Earlier names, kept for importers. */
export const acctKey = evmKey.acct;
export const codeKey = evmKey.code;
export const genKey = evmKey.gen;
export const storageKey = evmKey.storage;
