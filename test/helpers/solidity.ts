import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SolidityArtefact {
  contractName: string;
  sourceName: string;
  abi: Array<Record<string, unknown>>;
  bytecode: string;
  deployedBytecode: string;
  compiler: string;
  evmVersion: string;
  sourceHash: string;
}

/** The compiled artefact of a contract in contracts/solidity, compiling (solc npm package) when missing or stale. */
export function solidityArtefact(name: string): SolidityArtefact {
  const path = join(ROOT, 'build', 'solidity', `${name}.json`);
  const fresh = (): boolean => {
    if (!existsSync(path)) return false;
    const a = JSON.parse(readFileSync(path, 'utf8')) as SolidityArtefact;
    const src = join(ROOT, 'contracts', 'solidity', a.sourceName);
    return existsSync(src) && createHash('sha256').update(readFileSync(src, 'utf8')).digest('hex') === a.sourceHash;
  };
  if (!fresh()) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-solidity.mjs')], { stdio: 'pipe' });
  return JSON.parse(readFileSync(path, 'utf8')) as SolidityArtefact;
}
