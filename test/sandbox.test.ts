/**
 * The SANDBOX of `shulian up` (issue #15 item 3): a fresh node comes with a sandbox issuer, a
 * tax policy, the faucet, and the sandbox rail with its deposit watcher running in the node's
 * process; all of it labelled SANDBOX. A restart sends nothing again and keeps what was changed;
 * `--no-sandbox` has none of it. Real processes: `shulian up` and the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { didFromPublicKey, generateKeyPair, readKeystore, writeKeystore } from '../src/crypto/index.ts';
import { sandboxKeys } from '../src/node/index.ts';
import { ShulianClient, settleBalances, settleFaucetInfo, settleIssuers, settleTax, settleTaxPolicy, settleWithdraw } from '../src/sdk/index.ts';
import { cli, json, PW } from './helpers/cli.ts';
import { startNodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

test('a fresh `shulian up` has a SANDBOX issuer, tax policy, faucet and rail; a restart adds nothing; --no-sandbox has none', { timeout: 600_000 }, async (t) => {
  const tmp = tempDir('sandbox-');
  t.after(() => tmp.cleanup());
  const dataDir = join(tmp.dir, 'node');
  let node = await startNodeProcess(dataDir);
  t.after(() => node.kill9());
  const c = new ShulianClient({ baseUrl: node.url });
  const operator = readKeystore(join(dataDir, 'node', 'key.json'), readFileSync(join(dataDir, 'node', 'key.pass'), 'utf8').trim());
  const sb = sandboxKeys(operator);
  const issuer = didFromPublicKey(sb.issuer.publicKey);

  // The banner names the faucet and the rail; the chain has the records, sent once by the node.
  const rail = /^ {11}rail (http:\/\/127\.0\.0\.1:\d+) /m.exec(node.output())?.[1];
  assert.ok(rail, node.output());
  const issuers = await settleIssuers(c, { verified: true });
  assert.deepEqual(issuers.map((i) => [i.did, i.sandbox, i.rail, i.currencies.join(',')]), [[issuer, true, 'sandbox', 'CNY,EUR,USD']]);
  assert.match(issuers[0]!.name, /SANDBOX/);
  assert.deepEqual((await settleTax(c))?.rates, { service: 600, goods: 1300, exempt: 0 });
  assert.equal((await settleFaucetInfo(c)).policy?.perDid, '1000000');
  // The operator's settlement calls on the settle chain (its gateway sends xchain txs there too).
  const operatorCalls = async (client: ShulianClient): Promise<string[]> => {
    const { txs } = await client.getJson<{ txs: Array<{ hash: string }> }>(`/chains/settle/accounts/${didFromPublicKey(operator.publicKey)}/txs?limit=200`);
    const all = await Promise.all(txs.map((x) => client.tx(x.hash)));
    return all.flatMap((x) => (x.status === 'committed' && x.tx.module === 'settlement' ? [x.tx.method] : [])).sort();
  };
  assert.deepEqual(await operatorCalls(c), ['faucetPolicy', 'registerIssuer', 'taxPolicy']);

  // A user's test money: the faucet (signed by the user, limited per DID), SANDBOX everywhere.
  const keyFile = join(tmp.dir, 'user.json');
  const user = generateKeyPair('sm2');
  writeKeystore(keyFile, user, PW);
  const me = didFromPublicKey(user.publicKey);
  const as = ['--key', keyFile, '--password-env', 'PW', '--api', node.url];
  const f = await cli(['settle', 'faucet', ...as, '--amount', '9999.00'], { PW });
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stdout, new RegExp(`^SANDBOX faucet: 9999\\.00 CNY to ${me} — test money, not real funds$`, 'm'));
  const over = await cli(['settle', 'faucet', ...as, '--amount', '1.01'], { PW });
  assert.equal(over.code, 1);
  assert.match(over.stderr, new RegExp(`up to 10000\\.00 CNY; ${me} has had 9999\\.00 CNY, so ask for at most 1\\.00 CNY`));
  const bal = await cli(['settle', 'balance', me, '--api', node.url]);
  assert.match(bal.stdout, /^CNY\s+available 9999\.00/m);
  assert.match(bal.stdout, /^SANDBOX\s+.*test money, not real funds$/m);

  // The rail and its deposit watcher run in the node: a deposit is minted, a withdrawal paid out.
  const dep = json<{ sandbox: boolean; minted: boolean; deposit: string }>(await cli(['settle', 'deposit', '--rail', rail, '--to', me, '--amount', '0.99', '--currency', 'CNY', '--wait', '--api', node.url, '--json']));
  assert.deepEqual([dep.sandbox, dep.minted, dep.deposit], [true, true, 'sbx-dep-1']);
  assert.equal((await settleBalances(c, me)).balances[0]!.available, String(999_900 + 99));
  await settleWithdraw(c, user, { issuer, currency: 'CNY', amount: '50', ref: 'w-1' });
  const ledger = await waitFor(async () => {
    const l = (await (await fetch(`${rail}/v1/sandbox/ledger`)).json()) as { payouts: Array<{ account: string; amount: string }>; notice: string };
    return l.payouts.length > 0 ? l : undefined;
  }, 'the in-process watcher to pay the withdrawal out on the rail', 60_000);
  assert.deepEqual(ledger.payouts.map((p) => [p.account, p.amount]), [[me, '50']]);
  assert.match(ledger.notice, /SANDBOX/);

  // The operator changes the tax policy; a restart keeps it and sends no setup again.
  await settleTaxPolicy(c, operator, { authority: me, rates: { service: 900 } });
  assert.equal(await node.stop('SIGINT'), 0);
  node = await startNodeProcess(dataDir);
  const c2 = new ShulianClient({ baseUrl: node.url });
  assert.deepEqual((await settleTax(c2))?.rates, { service: 900 });
  assert.equal((await settleIssuers(c2)).length, 1);
  assert.deepEqual(await operatorCalls(c2), ['faucetPolicy', 'registerIssuer', 'taxPolicy', 'taxPolicy'], 'nothing sent again');
  assert.match(node.output(), /^ {2}SANDBOX {2}/m);
  assert.equal(await node.stop('SIGINT'), 0);

  // Without the sandbox: no issuer, no faucet, no rail; the faucet command says why.
  const bare = await startNodeProcess(join(tmp.dir, 'bare'), undefined, ['--no-sandbox']);
  t.after(() => bare.kill9());
  assert.doesNotMatch(bare.output(), /SANDBOX/);
  assert.deepEqual(await settleIssuers(new ShulianClient({ baseUrl: bare.url })), []);
  const closed = await cli(['settle', 'faucet', '--key', keyFile, '--password-env', 'PW', '--api', bare.url], { PW });
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /runs no SANDBOX faucet: only a development alliance started with `shulian up` has one/);
  assert.equal(await bare.stop('SIGINT'), 0);
});
