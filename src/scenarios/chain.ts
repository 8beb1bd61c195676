/**
 * A business chain for a scenario, made through governance as any member would (the operator's
 * key is the embedded alliance's founder: it proposes and its vote decides): the alliance policy
 * is widened to allow the token modules on business chains, then the chain is created with the
 * operator as its validator (so it is also the carbon module's governor) and waited for.
 */
import { ShulianError, toHex } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import { govPolicy, govPropose, govVote, type Genesis, type ShulianClient } from '../sdk/index.ts';
import { routeStateKey } from '../modules/xroute/keys.ts';
import type { Reporter } from './report.ts';

export interface ChainSpec {
  chain: string;
  name: string;
  nameZh: string;
  modules: string[];
  /**
   * The chain takes part in cross-chain messages: its genesis follows the alliance's routing chain
   * (as the embedded chains do) and a register-route proposal registers it there, with the
   * operator's DID as its gateway (ScenarioOptions.relay runs that gateway).
   */
  crossChain?: boolean;
  /** What the report says the operator is on this chain (validator, and for carbon its governor). */
  operatorRole?: string;
}

export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new ShulianError('SCENARIO_FAILED', `${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Proposes and votes (yes) as the operator; fails unless the proposal is approved. */
export async function decide(c: ShulianClient, operator: KeyPair, input: Parameters<typeof govPropose>[2]): Promise<{ id: number; tx: string; height: number }> {
  const p = await govPropose(c, operator, input);
  const v = await govVote(c, operator, p.id, 'yes');
  if (v.status !== 'approved') throw new ShulianError('SCENARIO_FAILED', `governance proposal #${p.id} (${input.kind}) is ${v.status} after the operator's vote; the scenario needs an alliance whose operator decides alone (shulian up)`);
  return { id: p.id, tx: v.tx.hash, height: v.tx.height };
}

export async function ensureBusinessChain(c: ShulianClient, operator: KeyPair, spec: ChainSpec, r: Reporter): Promise<void> {
  const policy = await govPolicy(c);
  const missing = spec.modules.filter((m) => !(policy?.modules ?? []).includes(m));
  if (missing.length > 0) {
    const d = await decide(c, operator, { kind: 'set-policy', title: `Allow ${missing.join(', ')} on business chains`, policy: { modules: [...(policy?.modules ?? []), ...missing] } } as never);
    r.step({ title: `governance allows ${missing.join(', ')} on business chains`, chain: 'gov', tx: d.tx, height: d.height, detail: `set-policy proposal #${d.id} approved`, state: 'governance/policy' });
  }
  if ((await c.chains()).some((x) => x.id === spec.chain)) {
    r.step({ title: `business chain ${spec.chain} (${spec.nameZh}) is running`, chain: 'gov', detail: `created by an earlier run; its registry entry is governance/chain/${spec.chain}`, state: `governance/chain/${spec.chain}` });
  } else {
    const crossChain = spec.crossChain ? await routingChainOf(c) : undefined;
    const genesis = {
      chain: spec.chain, name: spec.name, nameZh: spec.nameZh, suite: operator.suite, consensus: { type: 'solo' }, modules: spec.modules,
      validators: [{ did: didFromPublicKey(operator.publicKey), publicKey: toHex(operator.publicKey), power: 1 }],
      ...(crossChain ? { crossChain } : {}),
    };
    const d = await decide(c, operator, { kind: 'create-chain', title: spec.name, genesis, admission: { type: 'open' } } as never);
    await until(`chain ${spec.chain} to start`, 120_000, async () => ((await c.chains()).some((x) => x.id === spec.chain) ? true : undefined));
    r.step({ title: `governance creates business chain ${spec.chain} (${spec.nameZh})`, chain: 'gov', tx: d.tx, height: d.height, detail: `create-chain proposal #${d.id} approved; modules ${spec.modules.join(', ')}; validator${spec.operatorRole ? ` and ${spec.operatorRole}` : ''}: the operator${crossChain ? `; follows the routing chain ${crossChain.routeChain}` : ''}`, state: `governance/chain/${spec.chain}` });
  }
  if (spec.crossChain) await ensureRoute(c, operator, spec.chain, r);
}

/** The routing chain every embedded cross-chain chain follows, as the notarisation chain's genesis names it. */
async function routingChainOf(c: ShulianClient): Promise<NonNullable<Genesis['crossChain']>> {
  const cc = (await c.genesis('notary')).crossChain;
  if (!cc) throw new ShulianError('SCENARIO_FAILED', 'the alliance\'s notarisation chain follows no routing chain, so a new chain cannot join cross-chain messaging');
  const { routes: _routes, ...follow } = cc as NonNullable<Genesis['crossChain']> & { routes?: unknown };
  return follow;
}

/**
 * Registers a business chain on the routing chain by a register-route proposal (docs/crosschain.md):
 * verified by light client from its genesis validators, relayed by the operator's gateway, open to
 * any sender. The routing chain's validator applies it once the proposal is approved.
 */
async function ensureRoute(c: ShulianClient, operator: KeyPair, chain: string, r: Reporter): Promise<void> {
  const routing = (await routingChainOf(c)).routeChain;
  if ((await c.state(routing, routeStateKey(chain))).value !== null) return;
  const g = await c.genesis(chain);
  const route = {
    chain, engine: 'shulian', suite: g.suite, consensus: g.consensus.type, validators: g.validators, tracksValidators: g.modules.includes('validators'),
    gateways: [{ did: didFromPublicKey(operator.publicKey), publicKey: toHex(operator.publicKey) }],
    inbound: [{ srcChain: '*', dstPort: '*', senders: ['*'] }], status: 'active',
  };
  const d = await decide(c, operator, { kind: 'register-route', title: `Register ${chain} for cross-chain messages`, route } as never);
  await until(`the routing chain to register ${chain}`, 60_000, async () => ((await c.state(routing, routeStateKey(chain))).value !== null ? true : undefined));
  r.step({ title: `governance registers ${chain} on the routing chain`, chain: 'gov', tx: d.tx, height: d.height, detail: `register-route proposal #${d.id} approved and applied by ${routing}'s validators; gateway: the operator; inbound open to any sender`, links: [r.stateLink(routing, routeStateKey(chain))] });
}
