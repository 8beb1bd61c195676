/**
 * The `evm` module: Solidity (EVM bytecode) contracts on a native business chain, called with
 * SM2-signed Shulian transactions. See docs/engines.md.
 *
 * - `deploy {code, value?, gas?}` runs `code` as init code; the new contract's address is the
 *   usual CREATE address of the sender's EVM address and EVM nonce.
 * - `call {to, data, value?, gas?}` calls a contract.
 * The sender's EVM address is the 20 bytes behind its DID (address.ts). `gas` is the EVM gas
 * limit of the call (default and most: the chain's maxTxGas); the EVM gas used is charged as
 * Shulian gas, on top of the usual fees for the state keys read and written. A call that reverts
 * or runs out of gas fails the transaction and changes nothing. Logs become `Log` events.
 */
import { z } from '../../codec/schemas.ts';
import { asJson, type JsonValue } from '../../codec/index.ts';
import type { ChainParams } from '../../ledger/index.ts';
import { asyncMethod, ModuleError, type Frozen, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { evmAddressOfDid } from './address.ts';
import type { EvmBacking } from './engine.ts';
import { EVM_MODULE } from './keys.ts';
import type { EvmEnv, EvmOutcome } from './types.ts';

export * from './types.ts';
export * from './keys.ts';
export { evmAddressOfDid, didOfEvmAddress, evmChainIdOf } from './address.ts';
export type { EvmBacking } from './engine.ts';

let engine: Promise<typeof import('./engine.ts')> | undefined;
/**
 * The EVM itself (@ethereumjs, about half a second of CPU to load) is loaded by the first deploy,
 * call or eth_call, not by every process that lists the modules; its hardfork (EVM_HARDFORK) and
 * revertReason are in ./engine.ts.
 */
const runEvm = async (...args: Parameters<typeof import('./engine.ts').runEvm>): Promise<EvmOutcome> => (await (engine ??= import('./engine.ts'))).runEvm(...args);

const HEX_RE = /^(0x)?([0-9a-fA-F]{2})*$/;
const hexBytes = (what: string) => z.string().regex(HEX_RE, `${what}: hex bytes, with or without 0x`);
const value = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'a whole number of wei as a decimal string').optional();
const gas = z.number().int().min(21_000).max(Number.MAX_SAFE_INTEGER).optional();

const deployArgs = z.strictObject({ code: hexBytes('code').refine((s) => s.replace(/^0x/, '').length > 0, 'code is empty'), value, gas });
const callArgs = z.strictObject({ to: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an EVM address: 0x and 40 hex digits'), data: hexBytes('data'), value, gas });

const bytesOf = (h: string): Uint8Array => Buffer.from(h.replace(/^0x/, ''), 'hex');

export interface EvmModuleOptions {
  /** The chain's largest gas per transaction: the default and largest EVM gas limit. */
  maxTxGas: number;
}

/** Base gas of a deploy or call, before the EVM's own gas. */
const BASE_GAS = 1_000;

async function execute(ctx: ModuleContext, opts: EvmModuleOptions, args: { to?: string; data: string; value?: string | undefined; gas?: number | undefined }): Promise<EvmOutcome> {
  const limit = Math.min(args.gas ?? opts.maxTxGas, opts.maxTxGas);
  const env: EvmEnv = { chain: ctx.chain, height: ctx.height, time: ctx.time, blockGasLimit: opts.maxTxGas };
  const backing: EvmBacking = { get: (k) => ctx.get(k), frozen: (address) => ctx.frozen({ type: 'evm-contract', address }) };
  const out = await runEvm(backing, env, {
    from: evmAddressOfDid(ctx.sender), ...(args.to ? { to: args.to.toLowerCase() } : {}),
    data: bytesOf(args.data), value: BigInt(args.value ?? '0'), gasLimit: BigInt(limit),
  });
  ctx.charge(Number(out.gasUsed), 'running EVM code');
  if (!out.ok) {
    if (out.error === 'out of gas') throw new ModuleError('OUT_OF_GAS', `the EVM ran out of gas (limit ${limit}); give a larger gas, at most the chain's maxTxGas ${opts.maxTxGas}`);
    if (out.error === 'revert') throw new ModuleError('EVM_REVERT', `execution reverted${out.reason ? `: ${out.reason}` : ''}`);
    throw new ModuleError('EVM_FAILED', `the EVM stopped: ${out.error}${out.reason ? ` (${out.reason})` : ''}`);
  }
  for (const [k, v] of out.changes) {
    if (v === null) ctx.delete(k);
    else ctx.set(k, v);
  }
  for (const log of out.logs) ctx.emit('Log', asJson(log));
  return out;
}

/** The evm module with the chain's gas limit. */
export function createEvmModule(opts: EvmModuleOptions): ModuleDef {
  return {
    name: EVM_MODULE,
    description: 'EVM (Solidity) contracts on a business chain, called with SM2-signed transactions; state in the chain\'s authenticated state.',
    methods: {
      deploy: asyncMethod({
        doc: 'Deploy a contract: code is the init code (constructor arguments appended), hex. Returns the contract address.',
        args: deployArgs,
        gas: BASE_GAS,
        async runAsync(ctx, args) {
          const out = await execute(ctx, opts, { data: args.code, value: args.value, gas: args.gas });
          ctx.emit('Deployed', { address: out.createdAddress!, by: ctx.sender });
          return { address: out.createdAddress!, gasUsed: Number(out.gasUsed) };
        },
      }),
      call: asyncMethod({
        doc: 'Call a contract with ABI-encoded data, hex. Returns the return data, hex.',
        args: callArgs,
        gas: BASE_GAS,
        // A frozen contract's callers hear it at submission (TX_FROZEN); execution refuses it too (FROZEN).
        freezesAtAdmission: (a) => [{ type: 'evm-contract', address: a.to.toLowerCase() }],
        async runAsync(ctx, args) {
          const out = await execute(ctx, opts, { to: args.to, data: args.data, value: args.value, gas: args.gas });
          return { returnData: out.returnData, gasUsed: Number(out.gasUsed) };
        },
      }),
    },
  };
}

export function evmModuleFor(params: Pick<ChainParams, 'maxTxGas'>): ModuleDef {
  return createEvmModule({ maxTxGas: params.maxTxGas });
}

/**
 * A read-only call against committed state (eth_call, eth_estimateGas): nothing is written.
 * `frozen`: the chain's frozen EVM contracts by 0x address, refused as a transaction would be.
 */
export async function evmView(
  read: (key: string) => JsonValue | undefined,
  env: EvmEnv,
  msg: { from?: string; to?: string; data: string; value?: bigint; gas?: number },
  frozen: Readonly<Record<string, Frozen>> = {},
): Promise<EvmOutcome> {
  const limit = Math.min(msg.gas ?? env.blockGasLimit, env.blockGasLimit);
  return runEvm({ get: read, frozen: (a) => (Object.hasOwn(frozen, a) ? frozen[a] : undefined) }, env, {
    from: (msg.from ?? '0x' + '00'.repeat(20)).toLowerCase(), ...(msg.to ? { to: msg.to.toLowerCase() } : {}),
    data: bytesOf(msg.data), value: msg.value ?? 0n, gasLimit: BigInt(limit),
  });
}

