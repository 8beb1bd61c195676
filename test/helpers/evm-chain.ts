/**
 * An EVM business chain on a running node whose operator holds the whole electorate (the
 * embedded alliance of `shulian up`): the policy allows the evm module, then the chain is created
 * by vote and waited for.
 */
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../../src/crypto/index.ts';
import { govPropose, govProposal, govVote, type ProposalInput, type ShulianClient } from '../../src/sdk/index.ts';
import { waitFor } from './tmp.ts';

/** Proposes with the SDK and approves with the operator's vote; the proposal's id. */
export async function passAsOperator(client: ShulianClient, operator: KeyPair, input: ProposalInput): Promise<number> {
  const { id } = await govPropose(client, operator, input, { timeoutMs: 60_000 });
  await govVote(client, operator, id, 'yes', { timeoutMs: 60_000 });
  await waitFor(async () => (await govProposal(client, id))?.status === 'approved', `proposal ${id} approved`, 60_000);
  return id;
}

/** Creates the solo business chain `chain` running `evm`, validated by the operator, open to all. */
export async function createEvmChain(client: ShulianClient, operator: KeyPair, chain: string): Promise<void> {
  await passAsOperator(client, operator, { kind: 'set-policy', policy: { modules: ['notary', 'evm'] } });
  await passAsOperator(client, operator, {
    kind: 'create-chain',
    genesis: { chain, name: 'EVM business chain', suite: 'sm2', consensus: { type: 'solo' }, validators: [{ did: didFromPublicKey(operator.publicKey), publicKey: toHex(operator.publicKey), power: 1 }], modules: ['evm'] },
    admission: { type: 'open' },
  });
  await waitFor(async () => (await client.chains()).some((c) => c.id === chain), `the ${chain} chain to start`, 90_000);
}
