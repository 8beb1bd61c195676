/**
 * evm: Solidity calls/s through the `evm` module — Counter.increment(1) (contracts/solidity),
 * run as a transaction's method runs: a fresh EVM per call over the module's state adapter,
 * which reads the chain state (here a plain map behind a MapContext) and hands back the changed
 * keys, written as canonical JSON.
 *
 * `limit` is the engine alone, measured in the same run: the same call on one reused
 * @ethereumjs/evm instance with its own in-memory SimpleStateManager, no Shulian state and no
 * serialisation — the ceiling the module's adapter can approach.
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
import type { BenchResult } from './result.ts';

const ARTEFACT = fileURLToPath(new URL('../build/solidity/Counter.json', import.meta.url));

async function perSecond(windows: number, ms: number, body: () => Promise<unknown>): Promise<number> {
  let top = 0;
  for (let w = 0; w < windows; w++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      for (let i = 0; i < 20; i++) await body();
      n += 20;
      t = performance.now();
    }
    top = Math.max(top, (n * 1000) / (t - t0));
  }
  return top;
}

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
  const moduleRate = await perSecond(5, 600, () => call.runAsync!(ctx, { to: address, data }));

  // The engine alone.
  const common = createCustomCommon({ chainId: evmChainIdOf('bench') }, Mainnet, { hardfork: EVM_HARDFORK });
  const evm = await createEVM({ common });
  const caller = createAddressFromString(evmAddressOfDid(did));
  const created = await evm.runCall({ caller, data: Buffer.from(code.slice(2), 'hex'), gasLimit: 2_000_000n });
  const to = created.createdAddress!;
  const input = Buffer.from(data.slice(2), 'hex');
  const engineRate = await perSecond(5, 600, () => evm.runCall({ caller, to, data: input, gasLimit: 2_000_000n }));

  return {
    bench: 'evm',
    value: Math.round(moduleRate),
    unit: 'calls/s',
    limit: Math.round(engineRate),
    limitWhat: '@ethereumjs/evm alone: the same call on one reused EVM with its in-memory state manager',
    ratio: Number((moduleRate / engineRate).toFixed(3)),
    call: 'Counter.increment(1)',
  };
}
