/**
 * The execution half of freezes and the contract audit (docs/supervision.md#freezes), through the
 * real Executor and the real alliance view a node builds from the governance chain's state
 * (src/node/admission.ts governanceAllianceRule): a frozen sender, account, token, contract or
 * party is refused with FROZEN naming the proposal, nothing is written; an emergency freeze past
 * its end no longer holds; where the policy audits templates, drafts need an approved template.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { canonicalize, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sha256 } from '../../src/crypto/index.ts';
import { toHex } from '../../src/codec/index.ts';
import type { Receipt, Tx } from '../../src/ledger/index.ts';
import type { StateAt } from '../../src/chain/index.ts';
import { createSettlementModule } from '../../src/modules/settlement/index.ts';
import { lexcontractModule } from '../../src/modules/lexcontract/index.ts';
import { xtransferModule } from '../../src/modules/xtransfer/index.ts';
import { createEvmModule } from '../../src/modules/evm/index.ts';
import { Interface } from 'ethers';
import { solidityArtefact } from '../helpers/solidity.ts';
import { DEFAULT_POLICY, govStateKey, type FreezeRecord } from '../../src/modules/governance/index.ts';
import { supStateKey } from '../../src/modules/supervision/index.ts';
import { governanceAllianceRule } from '../../src/node/index.ts';
import { Executor, NONCE_PREFIX, type AllianceView } from '../../src/runtime/index.ts';

const did = () => didFromPublicKey(generateKeyPair('ed25519').publicKey);
const [validator, bank, alice, bob, frozen] = [did(), did(), did(), did(), did()];
const SOURCE = readFileSync(new URL('../../contracts/late-delivery/contract.lex', import.meta.url), 'utf8');

/** The governance chain's state at one height, as the chains read it. */
function govAt(height: number, freezes: FreezeRecord[], extra: Array<[string, JsonValue]> = []): AllianceView {
  const m = new Map<string, JsonValue>([...freezes.map((f): [string, JsonValue] => [govStateKey.freeze(f.key), f as unknown as JsonValue]), ...extra]);
  const state: StateAt = { chain: 'gov', height, getState: (key) => ({ key, value: m.get(key) ?? null, height, stateRoot: '00'.repeat(32) }) };
  return governanceAllianceRule('sign', { id: 'gov', height: () => height, getState: () => { throw new Error('unused'); }, onBlock: () => () => {} }).view(state);
}

const freeze = (key: string, over: Partial<FreezeRecord> = {}): FreezeRecord => ({
  key, target: { type: 'did', did: frozen }, reason: 'transfer burst', proposal: 7, how: 'vote', since: 5, by: [validator], ...over,
});

class Chain {
  readonly state = new Map<string, string>();
  private readonly exec = new Executor([createSettlementModule({ chain: 'sign', validators: [{ did: validator, publicKey: '', power: 1 }] }), lexcontractModule, xtransferModule, createEvmModule({ maxTxGas: 2_000_000 })], new Set(['settlement', 'lexcontract', 'xtransfer', 'evm']));
  private height = 0;
  async run(from: string, module: string, method: string, args: JsonValue, alliance?: AllianceView): Promise<Receipt> {
    this.height++;
    const nonce = Number(this.state.get(NONCE_PREFIX + from) ?? 0);
    const tx: Tx = { chain: 'sign', from, pubkey: '', nonce, module, method, args, expires: 1e9, sig: '' };
    const r = await this.exec.executeBlock({ get: (k) => this.state.get(k) },
      { chain: 'sign', height: this.height, time: 1_700_000_000_000 + this.height * 1000, maxTxGas: 2_000_000, ...(alliance ? { alliance } : {}) },
      [{ tx, hash: toHex(sha256(Buffer.from(`${this.height}${canonicalize(args)}`))), bytes: 300 }]);
    for (const [k, v] of r.writes) {
      if (v === null) this.state.delete(k);
      else this.state.set(k, v);
    }
    return r.receipts[0]!;
  }
  snapshot(): string {
    return canonicalize([...this.state].filter(([k]) => !k.startsWith(NONCE_PREFIX)).sort());
  }
}

const ok = (r: Receipt): Receipt => {
  assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
  return r;
};
const refused = (r: Receipt, proposal = 7): void => {
  assert.equal(r.status, 'failed');
  assert.equal(r.code, 'FROZEN', r.message ?? '');
  assert.match(r.message!, new RegExp(`proposal #${proposal}`));
};

test('frozen senders, accounts and tokens are refused in execution, naming the proposal; nothing is written', async () => {
  const c = new Chain();
  ok(await c.run(validator, 'settlement', 'registerIssuer', { issuer: bank, name: 'Bank', currencies: ['CNY', 'USD'], rail: 'sandbox', sandbox: true }));
  ok(await c.run(bank, 'settlement', 'mint', { to: alice, currency: 'CNY', amount: '1000', ref: 'a' }));
  ok(await c.run(bank, 'settlement', 'mint', { to: alice, currency: 'USD', amount: '1000', ref: 'b' }));
  const before = c.snapshot();
  const view = govAt(10, [
    freeze(`did/${frozen}`),
    freeze(`account/sign/${bob}/CNY`, { target: { type: 'account', chain: 'sign', did: bob, currency: 'CNY' } }),
    freeze('token/*/USD', { target: { type: 'token', chain: '*', denom: 'USD' }, proposal: 8 }),
  ]);
  refused(await c.run(frozen, 'settlement', 'transfer', { to: alice, currency: 'CNY', amount: '1' }, view));
  refused(await c.run(alice, 'settlement', 'transfer', { to: frozen, currency: 'CNY', amount: '1' }, view));
  refused(await c.run(alice, 'settlement', 'transfer', { to: bob, currency: 'CNY', amount: '1' }, view));
  refused(await c.run(alice, 'settlement', 'transfer', { to: alice === bob ? frozen : did(), currency: 'USD', amount: '1' }, view), 8);
  refused(await c.run(bank, 'settlement', 'mint', { to: frozen, currency: 'CNY', amount: '5', ref: 'c' }, view));
  assert.equal(c.snapshot(), before);
  // Bob's USD account is not frozen, only his CNY one; no view at all: nothing frozen.
  ok(await c.run(alice, 'settlement', 'transfer', { to: bob, currency: 'CNY', amount: '1' }));
  ok(await c.run(bank, 'settlement', 'mint', { to: bob, currency: 'USD', amount: '5', ref: 'd' }, govAt(10, [freeze(`account/sign/${bob}/CNY`)])));
  // An emergency freeze past its end no longer holds.
  const lapsed = govAt(20, [freeze(`did/${frozen}`, { how: 'emergency', until: 19 })]);
  ok(await c.run(alice, 'settlement', 'transfer', { to: frozen, currency: 'CNY', amount: '1' }, lapsed));
  refused(await c.run(alice, 'settlement', 'transfer', { to: frozen, currency: 'CNY', amount: '1' }, govAt(19, [freeze(`did/${frozen}`, { how: 'emergency', until: 19 })])));
  // xtransfer: a frozen token on this chain.
  ok(await c.run(alice, 'xtransfer', 'issue', { denom: 'PTS' }));
  ok(await c.run(alice, 'xtransfer', 'mint', { denom: 'PTS', to: alice, amount: '10' }));
  refused(await c.run(alice, 'xtransfer', 'transfer', { denom: 'PTS', to: bob, amount: '1' }, govAt(10, [freeze('token/sign/PTS', { target: { type: 'token', chain: 'sign', denom: 'PTS' } })])));
});

test('lex: drafts need an approved template where the policy audits them; frozen contracts and parties are refused', async () => {
  const c = new Chain();
  const template = (ok(await c.run(alice, 'lexcontract', 'deploy', { source: SOURCE })).result as { template: string }).template;
  const sample = JSON.parse(readFileSync(new URL('../../contracts/late-delivery/sample.json', import.meta.url), 'utf8')) as Record<string, JsonValue>;
  const params = Object.fromEntries(Object.entries(sample).filter(([k]) => k !== 'seller' && k !== 'buyer'));
  const draft = { template, params, parties: { seller: alice, buyer: bob } };
  const audited: Array<[string, JsonValue]> = [[govStateKey.policy(), { ...DEFAULT_POLICY, templateAudit: ['sign'] } as unknown as JsonValue]];
  const unapproved = await c.run(alice, 'lexcontract', 'draft', draft, govAt(10, [], audited));
  assert.equal(unapproved.code, 'TEMPLATE_NOT_APPROVED');
  assert.match(unapproved.message!, /approved/);
  const approval: [string, JsonValue] = [supStateKey.approval('lex-template', template), { kind: 'lex-template', hash: template, name: 'Late delivery', by: validator, at: 3, tx: '00' }];
  const id = (ok(await c.run(alice, 'lexcontract', 'draft', draft, govAt(10, [], [...audited, approval]))).result as { id: string }).id;
  // Revoked approvals no longer count; another chain's audit does not apply here.
  const revoked: [string, JsonValue] = [approval[0], { ...(approval[1] as Record<string, JsonValue>), revokedAt: 9 }];
  assert.equal((await c.run(alice, 'lexcontract', 'draft', draft, govAt(10, [], [...audited, revoked]))).code, 'TEMPLATE_NOT_APPROVED');
  ok(await c.run(alice, 'lexcontract', 'draft', draft, govAt(10, [], [[govStateKey.policy(), { ...DEFAULT_POLICY, templateAudit: ['other'] } as unknown as JsonValue]])));
  // A frozen party cannot be drafted in; a frozen contract cannot be signed.
  refused(await c.run(alice, 'lexcontract', 'draft', { ...draft, parties: { seller: alice, buyer: frozen } }, govAt(10, [freeze(`did/${frozen}`)])));
  const fp = (JSON.parse(c.state.get(`lexcontract/inst/${id}`)!) as { fingerprint: string }).fingerprint;
  refused(await c.run(alice, 'lexcontract', 'sign', { id, fingerprint: fp }, govAt(10, [freeze(`contract/sign/${id}`, { target: { type: 'contract', chain: 'sign', id } })])));
  ok(await c.run(alice, 'lexcontract', 'sign', { id, fingerprint: fp }));
});

test('evm: a frozen contract is refused on its own chain only, called directly or through another contract; nothing is written', async () => {
  const c = new Chain();
  const counter = solidityArtefact('Counter');
  const forwarder = solidityArtefact('Forwarder');
  const ci = new Interface(counter.abi as never);
  const fi = new Interface(forwarder.abi as never);
  const deploy = async (code: string): Promise<string> => (ok(await c.run(alice, 'evm', 'deploy', { code })).result as { address: string }).address;
  const target = await deploy(counter.bytecode + ci.encodeDeploy([1]).slice(2));
  const fwd = await deploy(forwarder.bytecode);
  const inc = ci.encodeFunctionData('increment', [1]);
  const via = fi.encodeFunctionData('forward', [target, inc]);
  const on = (chain: string) => govAt(10, [freeze(`evm-contract/${chain}/${target}`, { target: { type: 'evm-contract', chain, address: target } })]);
  const before = c.snapshot();
  refused(await c.run(alice, 'evm', 'call', { to: target, data: inc }, on('sign')));
  refused(await c.run(alice, 'evm', 'call', { to: target.toUpperCase().replace('0X', '0x'), data: inc }, on('sign')));
  refused(await c.run(bob, 'evm', 'call', { to: fwd, data: via }, on('sign')));
  assert.equal(c.snapshot(), before, 'nothing written');
  // The same address frozen on another chain: not this chain's contract.
  ok(await c.run(alice, 'evm', 'call', { to: target, data: inc }, on('biz')));
  ok(await c.run(bob, 'evm', 'call', { to: fwd, data: via }, on('biz')));
  // Unfrozen (no record): it runs again.
  ok(await c.run(alice, 'evm', 'call', { to: target, data: inc }, govAt(11, [])));
});

test('evm: a call names its contract for the admission check; a deploy or malformed args name nothing', () => {
  const exec = new Executor([createEvmModule({ maxTxGas: 2_000_000 })], new Set(['evm']));
  const addr = '0x' + 'ab'.repeat(20);
  assert.deepEqual(exec.namedParties({ module: 'evm', method: 'call', args: { to: addr.toUpperCase().replace('0X', '0x'), data: '0x' } }), [{ type: 'evm-contract', address: addr }]);
  assert.deepEqual(exec.namedParties({ module: 'evm', method: 'deploy', args: { code: '0x00' } }), []);
  assert.deepEqual(exec.namedParties({ module: 'evm', method: 'call', args: { to: '0x12', data: '0x' } }), []);
  assert.deepEqual(new Executor([createEvmModule({ maxTxGas: 2_000_000 })], new Set()).namedParties({ module: 'evm', method: 'call', args: { to: addr, data: '0x' } }), [], 'a module the chain does not run');
});
