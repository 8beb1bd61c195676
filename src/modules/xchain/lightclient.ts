/**
 * The xchain module's light client: the one in src/ledger/light (also used by the SDK and the CLI),
 * with gas charged for its signature and proof work and its errors as module errors
 * (XCHAIN_BAD_PROOF for a state proof, XCHAIN_BAD_HEADER for everything about a header).
 */
import type { JsonValue } from '../../codec/index.ts';
import {
  LightClientError, verifyHeaderProof as lightVerifyHeaderProof, verifyKeyProof as lightVerifyKeyProof, type LightMeter,
} from '../../ledger/index.ts';
import type { SmtProof } from '../../ledger/index.ts';
import { ModuleError } from '../../runtime/index.ts';
import type { ClientState, HeaderProof } from './types.ts';

/** Gas for one signature check and one proof node, charged by the caller's meter. */
export const SIG_GAS = 3_000;
export const PROOF_NODE_GAS = 30;

type Charge = (gas: number, what: string) => void;

function meterOf(charge: Charge): LightMeter {
  return {
    signatures: (n, of) => charge(SIG_GAS * n, of === 'block' ? 'verifying a block signature' : 'verifying commit signatures'),
    proofNodes: (n, key) => charge(PROOF_NODE_GAS * n, `verifying a proof of ${key}`),
  };
}

function asModuleError<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof LightClientError) throw new ModuleError(err.code === 'LIGHT_BAD_KEY_PROOF' ? 'XCHAIN_BAD_PROOF' : 'XCHAIN_BAD_HEADER', err.message);
    throw err;
  }
}

/**
 * Verifies that a header is final on the chain `client` follows, and returns the client state
 * advanced by it (see src/ledger/light/client.ts for the rules).
 */
export function verifyHeaderProof(client: ClientState, hp: HeaderProof, charge: Charge): ClientState {
  return asModuleError(() => lightVerifyHeaderProof(client, hp, { meter: meterOf(charge) }));
}

/** Checks that `key` holds `value` (or, with null, is absent) under a verified state root. */
export function verifyKeyProof(client: Pick<ClientState, 'suite' | 'chain'>, stateRoot: string, key: string, value: JsonValue | null, proof: SmtProof, charge: Charge): void {
  asModuleError(() => lightVerifyKeyProof(client, stateRoot, key, value, proof, meterOf(charge)));
}
