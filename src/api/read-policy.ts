/**
 * Who may read a chain through the API (docs/supervision.md#who-reads-a-chain). A business
 * chain registered with `reads: "members"` is served only to: its members by its admission
 * policy (alliance members, or its allowlist), its owner and validators, the gateways registered
 * for it, the regulators whose scope covers it, and console operators. Every other chain is
 * public. The caller is who its bearer token says (a console session or an API key).
 */
import type { FastifyRequest } from 'fastify';
import { ShulianError } from '../codec/index.ts';
import type { ChainView, NodeView } from '../chain/index.ts';
import { govStateKey } from '../modules/governance/keys.ts';
import type { ChainRecord, Gateway, Regulator } from '../modules/governance/types.ts';
import type { ConsoleAuth } from './routes/auth.ts';

interface ReadRule {
  at: number;
  /** Undefined: public. */
  record?: ChainRecord;
}

export class ChainReadPolicy {
  private readonly cache = new Map<string, ReadRule>();

  constructor(private readonly node: NodeView, private readonly auth: ConsoleAuth | undefined) {}

  private gov(): ChainView | undefined {
    return this.node.chains().find((c) => c.genesis.modules.includes('governance'));
  }

  /** The registry record of a chain whose reads are not public, at the governance chain's latest height. */
  private privateRecord(chain: string): ChainRecord | undefined {
    const gov = this.gov();
    if (!gov || chain === gov.id) return undefined;
    const at = gov.height();
    const hit = this.cache.get(chain);
    if (hit && hit.at === at) return hit.record;
    const rec = gov.getState(govStateKey.chain(chain)).value as ChainRecord | null;
    const record = rec && rec.reads === 'members' ? rec : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(chain, { at, ...(record ? { record } : {}) });
    return record;
  }

  /** Whether `chain` is served to anyone. */
  isPublic(chain: string): boolean {
    return this.privateRecord(chain) === undefined;
  }

  /** Throws NOT_AUTHORISED (no caller) or FORBIDDEN unless the caller may read `chain`. */
  async check(req: FastifyRequest, chain: string): Promise<void> {
    const rec = this.privateRecord(chain);
    if (!rec) return;
    const why = `chain ${chain} is not public: it is read by its members, its owner, validators and gateways, the regulators whose scope covers it, and operators`;
    if (!this.auth) throw new ShulianError('NOT_AUTHORISED', `${why}; this node serves no sign-in`);
    if (req.headers.authorization === undefined) throw new ShulianError('NOT_AUTHORISED', `${why}; sign in (POST /v1/auth/login) and send Authorization: Bearer <token>`);
    const p = await this.auth.authenticate(req);
    if (!(await this.mayRead(p.did, p.roles, rec))) throw new ShulianError('FORBIDDEN', `${why}; ${p.did} is none of these`);
  }

  private async mayRead(did: string, roles: readonly string[], rec: ChainRecord): Promise<boolean> {
    if (roles.includes('operator')) return true;
    if (rec.owner === did || rec.validators.some((s) => s.validators.some((v) => v.did === did))) return true;
    const gov = this.gov()!;
    const read = <T>(key: string): T | null => gov.getState(key).value as T | null;
    const a = rec.admission;
    if (a.type === 'open') return true;
    if (a.type === 'members' && read(govStateKey.member(did)) !== null) return true;
    if (a.type === 'allowlist' && a.dids.includes(did)) return true;
    const reg = read<Regulator>(govStateKey.regulator(did));
    if (reg && (reg.chains.includes('*') || reg.chains.includes(rec.id)) && (!reg.orgs || reg.orgs.includes(rec.owner))) return true;
    const gw = read<Gateway>(govStateKey.gateway(did));
    return gw !== null && gw.chains.includes(rec.id);
  }
}
