/**
 * evm: Solidity calls/s through the `evm` module — Counter.increment(1) (contracts/solidity),
 * run as a transaction's method runs: an EVM of the module's pool (engine.ts) over the module's state adapter,
 * which reads the chain state (here a plain map behind a MapContext) and hands back the changed
 * keys, written as canonical JSON.
 *
 * `limit` is the engine alone, measured in the same run: the same call on one reused
 * @ethereumjs/evm instance with its own in-memory SimpleStateManager, no Shulian state and no
 * serialisation — the ceiling the module's adapter can approach. The two run in ten alternating
 * 0.4 s rounds; the ratio is also given per CPU-second of the process (`cpuRatio`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Interface } from 'ethers';
import { createEVM } from '@ethereumjs/evm';
import { createCustomCommon, Mainnet } from '@ethereumjs/common';
import { createAddressFromString } from '@ethereumjs/util';
import { createEvmModule, evmAddressOfDid, evmChainIdOf } from '../src/modules/index.ts';
import { EVM_HARDFORK } from '../src/modules/evm/engine.ts';
import { MapContext } from '../src/runtime/index.ts';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { sample, sideBySide } from './lib/sample.ts';
import type { BenchResult } from './result.ts';

const ARTEFACT = fileURLToPath(new URL('../build/solidity/Counter.json', import.meta.url));

export default async function run(): Promise<BenchResult> {
  if (!existsSync(ARTEFACT)) execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build-solidity.mjs', import.meta.url))]);
  const art = JSON.parse(readFileSync(ARTEFACT, 'utf8')) as { abi: never; bytecode: string };
  const iface = new Interface(art.abi);
  const code = art.bytecode + iface.encodeDeploy([0]).slice(2);
  const data = iface.encodeFunctionData('increment', [1]);

  // The module, as the executor runs it.
  const mod = createEvmModule({ maxTxGas: 2_000_000 });
  const did = didFromPublicKey(generateKeyPair('sm2').publicKey);
  const ctx = new MapContext(new Map(), did, 1, 1_700_000_000_000, 'bench');
  const { address } = await mod.methods.deploy!.runAsync!(ctx, { code }) as { address: string };
  const call = mod.methods.call!;
  const viaModule = () => call.runAsync!(ctx, { to: address, data });

  // The engine alone.
  const common = createCustomCommon({ chainId: evmChainIdOf('bench') }, Mainnet, { hardfork: EVM_HARDFORK });
  const evm = await createEVM({ common });
  const caller = createAddressFromString(evmAddressOfDid(did));
  const created = await evm.runCall({ caller, data: Buffer.from(code.slice(2), 'hex'), gasLimit: 2_000_000n });
  const to = created.createdAddress!;
  const input = Buffer.from(data.slice(2), 'hex');
  const engineAlone = () => evm.runCall({ caller, to, data: input, gasLimit: 2_000_000n });
  await sample(300, viaModule);
  await sample(300, engineAlone);
  const [m, e] = await sideBySide(10, 400, viaModule, engineAlone);
  const moduleRate = (m.n * 1000) / m.ms;
  const engineRate = (e.n * 1000) / e.ms;

  return {
    bench: 'evm',
    value: Math.round(moduleRate),
    unit: 'calls/s',
    limit: Math.round(engineRate),
    limitWhat: '@ethereumjs/evm alone: the same call on one reused EVM with its in-memory state manager',
    ratio: Number((moduleRate / engineRate).toFixed(3)),
    call: 'Counter.increment(1)',
    // The same comparison per CPU-second of this process: steadier when other work shares the machine.
    perCpuSecond: Math.round((m.n * 1000) / m.cpuMs),
    limitPerCpuSecond: Math.round((e.n * 1000) / e.cpuMs),
    cpuRatio: Number(((m.n / m.cpuMs) / (e.n / e.cpuMs)).toFixed(3)),
  };
}
