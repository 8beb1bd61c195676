/**
 * The trust root of the CLI's verified reads: a genesis hash the user pins with --genesis-hash,
 * else the one pinned on first use (kept in $SHULIAN_HOME/known-genesis.json, see
 * src/sdk/pins.ts), else — the first time — the node's, with a warning on stderr.
 */
import { nodeFetch } from './node-fetch.ts';
import { ShulianError, HEX64_RE as HASH_RE } from '../codec/index.ts';
import { ShulianClient, firstUseWarning, fileGenesisPinStore } from '../sdk/index.ts';
import { apiUrl, type CommonOptions } from './output.ts';

/** Checks a --genesis-hash value. */
export function genesisHashArg(h: string | undefined): string | undefined {
  if (h === undefined) return undefined;
  if (!HASH_RE.test(h)) throw new ShulianError('USAGE', `--genesis-hash must be 64 lowercase hex digits (the SM3/SHA-256 hash of the chain's genesis document), got "${h}"`);
  return h;
}

/** A client for verified reads: pins given (chain → hash), the pin file, and the first-use warning on stderr. */
export function verifyingClient(o: CommonOptions, pins: Record<string, string> = {}): ShulianClient {
  return new ShulianClient({
    baseUrl: apiUrl(o),
    fetch: nodeFetch,
    genesisHashes: pins,
    pinStore: fileGenesisPinStore(),
    onFirstUse: (e) => process.stderr.write(firstUseWarning(e) + '\n'),
  });
}
