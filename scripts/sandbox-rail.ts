/**
 * The SANDBOX payment rail as its own process (test money only, not real funds):
 *
 *   node --import tsx scripts/sandbox-rail.ts --data-dir DIR --webhook URL [--port N] [--host H]
 *
 * Its DID key is kept in DIR/sandbox-rail-key.json (created on first start; password from
 * SHULIAN_SANDBOX_PASSWORD, default "sandbox" — it guards test money). Prints
 * `READY <url> <did> <publicKeyHex>` when serving.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toHex } from '../src/codec/index.ts';
import { generateKeyPair, readKeystore, writeKeystore } from '../src/crypto/index.ts';
import { startSandboxRail, SANDBOX_NOTICE } from '../src/rails/index.ts';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, webhook: { type: 'string' }, port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
if (!values['data-dir'] || !values.webhook) {
  console.error('usage: sandbox-rail.ts --data-dir DIR --webhook URL [--port N]');
  process.exit(2);
}
const dir = values['data-dir'];
mkdirSync(dir, { recursive: true });
const keyPath = join(dir, 'sandbox-rail-key.json');
const password = process.env.SHULIAN_SANDBOX_PASSWORD ?? 'sandbox';
const key = existsSync(keyPath) ? readKeystore(keyPath, password) : generateKeyPair('sm2');
if (!existsSync(keyPath)) writeKeystore(keyPath, key, password);
const rail = await startSandboxRail({ key, dataDir: dir, port: Number(values.port), host: values.host!, webhookUrl: values.webhook });
console.error(SANDBOX_NOTICE);
console.log(`READY ${rail.url} ${rail.did} ${toHex(key.publicKey)}`);
const stop = (): void => {
  void rail.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
