import { nodeFetch } from '../node-fetch.ts';
import { basename, resolve } from 'node:path';
import { ShulianError } from '../../codec/index.ts';
import { ShulianClient, notaryPut, notaryVerify, sm3File } from '../../sdk/index.ts';
import { loadKey } from '../keyfile.ts';
import { apiUrl, emit, type CommonOptions } from '../output.ts';
import { genesisHashArg, verifyingClient } from '../trust.ts';

export interface NotaryPutOptions extends CommonOptions {
  key: string;
  passwordEnv?: string;
  chain: string;
  name?: string;
  mime?: string;
  timeout: number;
}

export async function notaryPutCmd(file: string, o: NotaryPutOptions): Promise<void> {
  const { hash, size } = await sm3File(file);
  const client = new ShulianClient({ baseUrl: apiUrl(o), fetch: nodeFetch });
  const key = await loadKey(o.key, o.passwordEnv);
  let inc;
  try {
    inc = await notaryPut(client, key, { hash, size, name: o.name, mime: o.mime }, { chain: o.chain, timeoutMs: o.timeout });
  } catch (err) {
    if (err instanceof ShulianError && err.code === 'NOTARY_EXISTS') {
      throw new ShulianError('NOTARY_EXISTS', `${basename(file)} (sm3 ${hash}) is already recorded on chain ${o.chain}; see the record with \`shulian notary verify ${file}\``);
    }
    throw err;
  }
  const out = { file: resolve(file), hash, size, chain: inc.chain, tx: inc.hash, height: inc.height, blockHash: inc.blockHash, owner: inc.tx.from, time: inc.header.time };
  emit(o, out, () => [
    `recorded   ${basename(file)}`,
    `sm3        ${hash}`,
    `tx         ${inc.hash}`,
    `height     ${inc.height} on chain ${inc.chain}`,
    `owner      ${inc.tx.from}`,
    `time       ${new Date(inc.header.time).toISOString()}`,
  ]);
}

export interface NotaryVerifyOptions extends CommonOptions {
  chain: string;
  genesisHash?: string;
}

export async function notaryVerifyCmd(file: string, o: NotaryVerifyOptions): Promise<void> {
  const { hash } = await sm3File(file);
  const pin = genesisHashArg(o.genesisHash);
  const client = verifyingClient(o, pin ? { [o.chain]: pin } : {});
  let p;
  try {
    p = await notaryVerify(client, hash, { chain: o.chain });
  } catch (err) {
    if (err instanceof ShulianError && err.code === 'NOTARY_NOT_RECORDED') {
      throw new ShulianError('NOTARY_NOT_RECORDED', `not recorded: ${basename(file)} (sm3 ${hash}) was never recorded on chain ${o.chain} (verified non-inclusion proof at height ${String(err.details?.height)})`);
    }
    throw err;
  }
  const out = {
    file: resolve(file),
    hash,
    chain: o.chain,
    record: p.record,
    state: { height: p.state.height, stateRoot: p.state.stateRoot, blockHash: p.state.blockHash },
    tx: { hash: p.tx.hash, height: p.tx.height, index: p.tx.index, blockHash: p.tx.blockHash },
    proofVerified: true as const,
  };
  emit(o, out, () => [
    `recorded   ${basename(file)}`,
    `sm3        ${hash}`,
    `owner      ${p.record.owner}`,
    ...(p.record.name !== undefined ? [`name       ${p.record.name}`] : []),
    ...(p.record.size !== undefined ? [`size       ${p.record.size} bytes`] : []),
    ...(p.record.mime !== undefined ? [`mime       ${p.record.mime}`] : []),
    `time       ${new Date(p.record.time).toISOString()}`,
    `tx         ${p.tx.hash} (height ${p.tx.height} on chain ${o.chain})`,
    `proof      verified locally: state proof at height ${p.state.height} and the tx inclusion proof, each under a block final by the validators of its height (followed from the chain's genesis)`,
    // The same words as --json: a script or a reader of the docs looks for this line.
    'proofVerified true',
  ]);
}
