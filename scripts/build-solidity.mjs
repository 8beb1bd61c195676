#!/usr/bin/env node
// Compiles contracts/solidity/*.sol with the solc npm package (its bundled soljson: no compiler
// is downloaded) into build/solidity/<Contract>.json: { contractName, sourceName, abi, bytecode,
// deployedBytecode, compiler, evmVersion, sourceHash }. build/ is not committed; `npm run build`
// runs this, and tests run it when an artefact is missing or older than its source.
// Target EVM: shanghai, which both the native evm module (cancun) and ganache 7 run.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'contracts', 'solidity');
const OUT = join(ROOT, 'build', 'solidity');
export const EVM_VERSION = 'shanghai';
/** EIP-170: the largest runtime code an Ethereum chain (and ganache) accepts. */
export const MAX_CODE_SIZE = 24_576;

export function buildSolidity({ quiet = false } = {}) {
  const solc = createRequire(import.meta.url)('solc');
  const files = readdirSync(SRC).filter((f) => f.endsWith('.sol')).sort();
  const sources = Object.fromEntries(files.map((f) => [f, { content: readFileSync(join(SRC, f), 'utf8') }]));
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solidity compilation failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  mkdirSync(OUT, { recursive: true });
  const written = [];
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    const sourceHash = createHash('sha256').update(sources[sourceName].content).digest('hex');
    for (const [contractName, c] of Object.entries(contracts)) {
      const size = c.evm.deployedBytecode.object.length / 2;
      // A contract over the EIP-170 limit compiles but can never be deployed on an Ethereum chain.
      if (size > MAX_CODE_SIZE) throw new Error(`${sourceName}:${contractName}: runtime code is ${size} bytes, over the EIP-170 limit of ${MAX_CODE_SIZE}`);
      const artefact = {
        contractName, sourceName, abi: c.abi,
        bytecode: '0x' + c.evm.bytecode.object, deployedBytecode: '0x' + c.evm.deployedBytecode.object,
        compiler: `solc ${solc.version()}`, evmVersion: EVM_VERSION, sourceHash, codeSize: size,
      };
      const path = join(OUT, `${contractName}.json`);
      writeFileSync(path, JSON.stringify(artefact, null, 2) + '\n');
      written.push(path);
    }
  }
  if (!quiet) {
    for (const p of written) console.log(`solidity: wrote ${p.slice(ROOT.length + 1)}`);
    for (const w of (output.errors ?? []).filter((e) => e.severity !== 'error')) console.warn(w.formattedMessage);
  }
  return written;
}

/** The artefact of `name`, compiling first when it is missing or its source changed. */
export function solidityArtefact(name) {
  const path = join(OUT, `${name}.json`);
  const fresh = () => {
    if (!existsSync(path)) return false;
    const a = JSON.parse(readFileSync(path, 'utf8'));
    const src = join(SRC, a.sourceName);
    return existsSync(src) && createHash('sha256').update(readFileSync(src, 'utf8')).digest('hex') === a.sourceHash;
  };
  if (!fresh()) buildSolidity({ quiet: true });
  if (!existsSync(path)) throw new Error(`no contract ${name} in contracts/solidity`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildSolidity();
