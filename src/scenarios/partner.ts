/**
 * A partner network on another engine (an EVM chain with XEndpoint) for the trade scenario
 * (scenarios/trade/README.md): what the runner is given to reach it, and its registration on the
 * routing chain by governance as an attested engine whose one gateway is the operator.
 */
import { toHex } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import { routeStateKey } from '../modules/xroute/keys.ts';
import { TRADE_CHAINS, type ShulianClient } from '../sdk/index.ts';
import { decide, until } from './chain.ts';
import type { Reporter } from './report.ts';

/**
 * A partner network on an EVM engine (an XEndpoint contract), given by the runner: the scenario
 * registers it on the routing chain as an attested engine with the operator as its one gateway,
 * starts that gateway, and has the partner bank's account pay the buyer across it.
 */
export interface PartnerEvm {
  /** Its chain id in the alliance (the route's name, XEndpoint's chainName). */
  id: string;
  /** XEndpoint's address and the account the runner signs with (its gateway; in this demo also the partner bank). */
  address: string;
  account: string;
  /** Starts the attested gateway (operator DID + the account) between these native chains and the EVM chain. */
  startGateway(natives: string[]): Promise<{ stop(): Promise<void> }>;
  /** Issues `denom` on XEndpoint unless the account already did, and mints `amount` to the account. */
  fund(denom: string, amount: bigint): Promise<{ hash?: string; height?: number }>;
  /** XEndpoint.send to a DID on a native chain. */
  send(dst: string, denom: string, amount: bigint, receiver: string, timeoutMs: number): Promise<{ status: string; hash?: string; height?: number; error?: string; sequence?: number }>;
  balanceOf(denom: string, account: string): Promise<bigint>;
}

/** Registers the partner EVM chain on the routing chain (once): attested, k = 1, the operator its gateway. */
export async function ensureEvmRoute(c: ShulianClient, operator: KeyPair, partner: PartnerEvm, r: Reporter): Promise<void> {
  const xroute = (await c.genesis(TRADE_CHAINS.trade)).crossChain?.routeChain ?? 'xroute';
  if ((await c.state(xroute, routeStateKey(partner.id))).value !== null) {
    r.step({ title: `partner network ${partner.id} (EVM) is registered`, chain: xroute, detail: 'registered by an earlier run: attested engine, the operator its gateway', state: routeStateKey(partner.id) });
    return;
  }
  const route = {
    chain: partner.id, engine: 'ethereum', suite: operator.suite, consensus: 'attested', validators: [], tracksValidators: false,
    gateways: [{ did: didFromPublicKey(operator.publicKey), publicKey: toHex(operator.publicKey) }], attestThreshold: 1,
    inbound: [{ srcChain: '*', dstPort: 'xtransfer', senders: ['*'] }], status: 'active',
  };
  const d = await decide(c, operator, { kind: 'register-route', title: `Register partner network ${partner.id} (EVM)`, route } as never);
  await until(`the routing chain to register ${partner.id}`, 60_000, async () => ((await c.state(xroute, routeStateKey(partner.id))).value !== null ? true : undefined));
  r.step({ title: `governance registers partner network ${partner.id} (EVM, XEndpoint ${partner.address}) as an attested engine`, chain: 'gov', tx: d.tx, height: d.height, detail: `register-route proposal #${d.id}: k = 1 of 1 gateway (the operator's DID, EVM account ${partner.account}); inbound tokens only`, links: [r.stateLink(xroute, routeStateKey(partner.id))] });
}
