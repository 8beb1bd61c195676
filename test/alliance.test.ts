/**
 * The embedded alliance's geneses (src/node/alliance.ts): the routing chain registers every chain
 * with the consensus and validator tracking the chain really runs. Issue #15: `shulian up
 * --validators 4` registered its chains as `solo` and then switched them to tbft, so every relay
 * failed the light client (XCHAIN_BAD_HEADER "not the chain's only validator").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import type { Genesis } from '../src/ledger/index.ts';
import type { RouteRecord } from '../src/modules/index.ts';
import { embeddedGeneses, prepareCluster, type AllianceFile } from '../src/node/index.ts';
import { tempDir } from './helpers/tmp.ts';

function routesOf(chains: Genesis[]): RouteRecord[] {
  const xr = chains.find((g) => g.chain === 'xroute')!;
  return (xr.crossChain?.routes ?? []) as unknown as RouteRecord[];
}

test('a local tbft cluster registers each chain as tbft, tracking its validators, like its genesis says', () => {
  const tmp = tempDir('alliance-');
  try {
    const layout = prepareCluster(tmp.dir, 4, 47000, 48000);
    const alliance = JSON.parse(readFileSync(layout.alliancePath, 'utf8')) as AllianceFile;
    const routes = routesOf(alliance.chains);
    assert.deepEqual(routes.map((r) => r.chain).sort(), ['data', 'notary', 'settle', 'sign']);
    for (const r of routes) {
      const g = alliance.chains.find((c) => c.chain === r.chain)!;
      assert.equal(g.consensus.type, 'tbft');
      assert.equal(r.consensus, g.consensus.type, `route of ${r.chain}`);
      assert.equal(r.tracksValidators, g.modules.includes('validators'), `route of ${r.chain}`);
      assert.equal(r.tracksValidators, true);
      assert.deepEqual(r.validators.map((v) => v.did), layout.nodes.map((n) => n.did));
      assert.deepEqual(r.gateways.map((x) => x.did), layout.nodes.map((n) => n.did), 'every node\'s gateway relays');
    }
    // The chains' trust root of the routing chain says the same.
    for (const g of alliance.chains.filter((c) => c.crossChain)) assert.equal(g.crossChain!.routeConsensus, 'tbft', g.chain);
  } finally {
    tmp.cleanup();
  }
});

test('the one-node embedded alliance registers its chains as solo', () => {
  const k = generateKeyPair('sm2');
  const v = { did: didFromPublicKey(k.publicKey), publicKey: toHex(k.publicKey), power: 1 };
  const chains = embeddedGeneses({ alliance: 'a', validators: [v], time: 1 });
  for (const r of routesOf(chains)) {
    assert.equal(r.consensus, 'solo');
    assert.equal(r.tracksValidators, false);
  }
  assert.ok(chains.every((g) => g.consensus.type === 'solo' && !g.modules.includes('validators')));
});
