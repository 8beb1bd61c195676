/**
 * A chain that dies (SIGKILL, no cleanup) the moment it acknowledges a block: run as
 * `node --import tsx ack-then-die.ts DIR VALIDATOR_PRIVATE_HEX SALT N`. It commits blocks of one
 * notary tx each; when block N is announced (the chain's block event, which the API's stream and
 * tx reads follow) it writes `ACK <height> <hash>` to stdout and kills itself in the same turn.
 * test/crash.test.ts then checks that what was acknowledged is on disk.
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { AdmissionPool, Chain } from '../../src/chain/index.ts';
import { generateKeyPair, publicKeyFromPrivate, type KeyPair } from '../../src/crypto/index.ts';
import { fromHex } from '../../src/codec/index.ts';
import { signTx } from '../../src/ledger/index.ts';
import { builtinModules } from '../../src/modules/index.ts';
import { testGenesis } from './chain.ts';

const [dir, privateHex, salt, count] = process.argv.slice(2);
const privateKey = fromHex(privateHex!);
const validator: KeyPair = { suite: 'sm2', privateKey, publicKey: publicKeyFromPrivate('sm2', privateKey) };
const genesis = testGenesis('sm2', validator);
const chain = await Chain.open({ genesis, dir: join(dir!, 'chain'), modules: builtinModules, admission: new AdmissionPool({ threads: 1 }), validatorKey: validator });
const user = generateKeyPair('sm2');
const last = chain.height() + Number(count);
chain.onBlock((block) => {
  if (block.header.height !== last) return;
  writeSync(1, `ACK ${block.header.height} ${block.hash}\n`);
  process.kill(process.pid, 'SIGKILL');
});
for (let i = 0; chain.height() < last; i++) {
  const { tx } = signTx(user, { chain: 'notary', module: 'notary', method: 'put', args: { hash: (salt! + i.toString(16)).padStart(64, '0') }, nonce: i, expires: chain.height() + 100 });
  await chain.submit([tx]);
  await chain.produceBlock(Date.now());
}
