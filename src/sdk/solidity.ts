/**
 * Solidity on EVM-enabled business chains (issue #25 item 3): compile a source on the node
 * (POST /v1/evm/compile), deploy its init code with a signed `evm.deploy` tx, call a function
 * with a signed `evm.call` tx, or read one without a tx through the chain's eth_call
 * (POST /v1/chains/:chain/eth). ABI encoding is the caller's (the console uses ethers' Interface).
 */
import { ShulianError, foreign } from '../codec/index.ts';
import type { ShulianClient } from './client.ts';
import { enc } from './http.ts';

export interface SolcDiagnostic {
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** 1-based; absent when solc names no place in the source. */
  line?: number;
  column?: number;
  formatted: string;
}

export interface SolcContract {
  name: string;
  abi: Array<Record<string, unknown>>;
  /** Init code, 0x-hex (constructor arguments are appended to it to deploy). */
  bytecode: string;
  deployedBytecode: string;
}

export interface SolcResult {
  ok: boolean;
  compiler: string;
  evmVersion: string;
  contracts: SolcContract[];
  diagnostics: SolcDiagnostic[];
}

/** Compiles one Solidity source on the node (bounded in size, time and concurrency). */
export function compileSolidity(client: ShulianClient, source: string): Promise<SolcResult> {
  return client.postJson('/evm/compile', { source });
}

/** eth_call on a chain running the evm module: the return data (0x-hex) of a read at the latest height. */
export async function ethCall(client: ShulianClient, chain: string, msg: { to: string; data: string; from?: string }): Promise<string> {
  const r = await client.postJson<{ result?: string; error?: { code: number; message: string; data?: string } }>(
    `/chains/${enc(chain)}/eth`, { jsonrpc: '2.0', id: 1, method: 'eth_call', params: [msg, 'latest'] },
  );
  // A contract the call reaches is frozen by governance (docs/engines.md#freezing-an-evm-contract).
  if (r.error?.data === 'FROZEN') throw new ShulianError('FROZEN', `eth_call on ${chain}: ${r.error.message.replace(/^FROZEN: /, '')}`);
  if (r.error) throw new ShulianError(foreign(r.error.code === 3 ? 'RPC_EXECUTION_REVERTED' : 'RPC_SERVER'), `eth_call on ${chain}: ${r.error.message}${r.error.data ? ` (${r.error.data})` : ''}`);
  return r.result ?? '0x';
}
