/**
 * `shulian contract status` lists the events a contract takes now (issue #15), from its template:
 * who may send each and its inputs; none before it is active; while disputed, only those its
 * signing terms allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acceptedEvents } from '../src/cli/commands/contract-chain.ts';
import type { LexInstance } from '../src/modules/lexcontract/index.ts';
import { repoRoot } from './helpers/node-process.ts';

const source = readFileSync(join(repoRoot, 'contracts/late-delivery/contract.lex'), 'utf8');
const inst = (over: Partial<LexInstance>): LexInstance => ({
  id: 'c1', template: 't', params: {}, parties: { seller: 'did:shulian:seller', buyer: 'did:shulian:buyer' }, fingerprint: 'f', status: 'active', signatures: {}, ...over,
} as LexInstance);

test('an active contract accepts its events (with who sends them and their inputs) and Tick; a draft none; a disputed one what its terms allow', () => {
  const active = acceptedEvents(source, inst({}));
  assert.deepEqual(active.map((e) => [e.event, e.from === 'anyone' ? 'anyone' : e.from.map((f) => `${f.party}=${f.did}`).join(',')]), [
    ['Delivered', 'seller=did:shulian:seller'],
    ['ForceMajeure', 'seller=did:shulian:seller'],
    ['Terminate', 'buyer=did:shulian:buyer'],
    ['Tick', 'anyone'],
  ]);
  assert.deepEqual(active.find((e) => e.event === 'ForceMajeure')!.inputs, [{ name: 'description', type: 'Text' }]);
  assert.deepEqual(acceptedEvents(source, inst({ status: 'draft' })), []);
  assert.deepEqual(acceptedEvents(source, inst({ status: 'completed' })), []);
  assert.deepEqual(acceptedEvents(source, inst({ status: 'disputed', disputeAllows: ['Tick'] })).map((e) => e.event), ['Tick']);
  assert.deepEqual(acceptedEvents(source, inst({ status: 'disputed' })), []);
});
