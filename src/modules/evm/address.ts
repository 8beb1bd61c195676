import { fromBase58, toBase58, toHex } from '../../codec/index.ts';
import { sm3 } from '../../crypto/index.ts';
import { ModuleError } from '../../runtime/index.ts';

/**
 * Identity mapping between DIDs and EVM addresses.
 *
 * A `did:shulian:<id>` DID's `<id>` is base58btc of the first 20 bytes of SM3(initial public
 * key); those 20 bytes are the DID's EVM address. The mapping needs no lookup, survives key
 * rotation (the DID does not change), and runs both ways: every EVM address is the address of
 * exactly one DID, `did:shulian:` + base58btc(address bytes).
 */
export function evmAddressOfDid(did: string): string {
  const hit = addresses.get(did);
  if (hit !== undefined) return hit;
  const a = addressOf(did);
  if (addresses.size >= MAX_ADDRESSES) addresses.delete(addresses.keys().next().value!);
  addresses.set(did, a);
  return a;
}

/** Addresses of recent senders (a pure function of the DID, asked on every EVM call). */
const addresses = new Map<string, string>();
const MAX_ADDRESSES = 1024;

function addressOf(did: string): string {
  const prefix = 'did:shulian:';
  if (!did.startsWith(prefix)) throw new ModuleError('EVM_BAD_DID', `${did} is not a did:shulian DID`);
  const bytes = fromBase58(did.slice(prefix.length), 'the DID id');
  if (bytes.length !== 20) throw new ModuleError('EVM_BAD_DID', `the id of ${did} decodes to ${bytes.length} bytes, not 20: it has no EVM address`);
  return '0x' + toHex(bytes);
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/** The DID whose EVM address this is (a contract's address maps to a DID nobody holds a key for). */
export function didOfEvmAddress(address: string): string {
  if (!ADDRESS_RE.test(address)) throw new ModuleError('EVM_BAD_ADDRESS', `${address} is not an EVM address (0x and 40 hex digits)`);
  return 'did:shulian:' + toBase58(Buffer.from(address.slice(2), 'hex'));
}

/**
 * The EIP-155 chain id of a native Shulian chain: the first 6 bytes of SM3(UTF-8 of the chain
 * id), read as a big-endian integer (48 bits, so it is a safe JavaScript integer and fits the
 * range wallets accept). Fixed by the chain id alone, so every node and client computes it.
 */
export function evmChainIdOf(chain: string): number {
  const h = sm3(new TextEncoder().encode(chain));
  return parseInt(toHex(h.subarray(0, 6)), 16);
}
