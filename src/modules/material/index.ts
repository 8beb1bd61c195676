/**
 * material — the material chain (材料链, white paper §5.1; docs/gov.md): agencies register
 * administrative materials by digest for a holder; the holder grants agencies read/reuse with a
 * purpose and an expiry in block time, and revokes grants; an agency's reuse is a recorded read,
 * checked against the grant, so "a citizen submits a material once and agencies reuse it" and
 * every reuse can be audited. A refused read writes nothing.
 */
import { asJson } from '../../codec/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { materialKey } from './keys.ts';
import {
  MATERIAL, MATERIAL_LIMITS, grantArgs, grantRefusal, idArgs, issueArgs, revokeArgs, revokeGrantArgs, supersedeArgs, useArgs,
  type GrantRecord, type MaterialRecord, type UseRecord,
} from './types.ts';

export * from './types.ts';
export { materialKey, materialStateKey } from './keys.ts';

/** Only member organisations of the alliance act as agencies (read at the block's governance height). */
function requireAgency(ctx: ModuleContext, did: string, what: string): void {
  if (ctx.memberRoles(did) === undefined) {
    throw new ModuleError('MATERIAL_NOT_AGENCY', `${did} is not a member organisation of the alliance, so it may not ${what}; governance admits agencies (an admit-member proposal)`);
  }
}

function current(ctx: ModuleContext, id: string): MaterialRecord {
  const rec = ctx.read(materialKey.material(id));
  if (!rec) throw new ModuleError('MATERIAL_NOT_FOUND', `no material "${id}" on chain ${ctx.chain}`);
  return rec;
}

function issuedBy(ctx: ModuleContext, id: string): MaterialRecord {
  const rec = current(ctx, id);
  if (rec.issuer !== ctx.sender) throw new ModuleError('MATERIAL_NOT_ISSUER', `material "${id}" was issued by ${rec.issuer}; ${ctx.sender} may not change it`);
  if (rec.status === 'revoked') throw new ModuleError('MATERIAL_REVOKED', `material "${id}" was revoked at version ${rec.version}; issue a new material instead`);
  return rec;
}

function heldBy(ctx: ModuleContext, id: string): MaterialRecord {
  const rec = current(ctx, id);
  if (rec.holder !== ctx.sender) throw new ModuleError('MATERIAL_NOT_HOLDER', `material "${id}" belongs to ${rec.holder}; ${ctx.sender} may not grant access to it`);
  return rec;
}

function store(ctx: ModuleContext, rec: MaterialRecord): void {
  ctx.write(materialKey.material(rec.id), rec);
  ctx.write(materialKey.version(rec.id, rec.version), rec);
}

const stamp = (ctx: ModuleContext) => ({ time: ctx.time, height: ctx.height, tx: ctx.txHash });

export const materialModule: ModuleDef = {
  name: MATERIAL,
  description: 'The material chain (材料链): administrative materials by digest, issued by member agencies for a holder DID, with versions, holder grants (purpose, expiry) and a log of every reuse.',
  methods: {
    issue: method({
      doc: 'Register a material (version 1) for a holder; the sender, the issuing agency, must be a member organisation. MATERIAL_EXISTS if the id is taken.',
      args: issueArgs,
      gas: 5_000,
      run(ctx, a) {
        requireAgency(ctx, ctx.sender, 'issue materials');
        const prior = ctx.read(materialKey.material(a.id));
        if (prior) throw new ModuleError('MATERIAL_EXISTS', `material "${a.id}" was issued by ${prior.issuer} at height ${prior.height}; ${prior.issuer === ctx.sender ? 'supersede it with material.supersede' : 'pick another id'}`);
        const rec: MaterialRecord = { ...a, issuer: ctx.sender, version: 1, status: 'valid', issued: ctx.time, ...stamp(ctx) };
        store(ctx, rec);
        const n = (ctx.read(materialKey.count()) ?? 0) + 1;
        ctx.write(materialKey.count(), n);
        ctx.write(materialKey.seq(n), a.id);
        ctx.emit('MaterialIssued', { id: a.id, kind: a.kind, issuer: ctx.sender, holder: a.holder, digest: a.digest, version: 1 });
        return { id: a.id, version: 1, seq: n };
      },
    }),
    supersede: method({
      doc: 'Issue a new version of a material (a new digest, optionally a new title); only its issuer; `version` must be the current one. Grants carry over; earlier versions stay readable.',
      args: supersedeArgs,
      gas: 4_000,
      run(ctx, a) {
        const prior = issuedBy(ctx, a.id);
        if (a.version !== prior.version) throw new ModuleError('MATERIAL_STALE_VERSION', `material "${a.id}" is at version ${prior.version}, not ${a.version}; read it again`);
        const { reason: _r, ...base } = prior;
        const rec: MaterialRecord = { ...base, digest: a.digest, title: a.title ?? prior.title, version: prior.version + 1, ...stamp(ctx) };
        store(ctx, rec);
        ctx.emit('MaterialSuperseded', { id: a.id, issuer: ctx.sender, version: rec.version, digest: a.digest });
        return { id: a.id, version: rec.version };
      },
    }),
    revoke: method({
      doc: 'Revoke a material (a new version with status revoked and the reason); only its issuer. Reads are refused from then on.',
      args: revokeArgs,
      gas: 3_000,
      run(ctx, a) {
        const prior = issuedBy(ctx, a.id);
        const rec: MaterialRecord = { ...prior, version: prior.version + 1, status: 'revoked', reason: a.reason, ...stamp(ctx) };
        store(ctx, rec);
        ctx.emit('MaterialRevoked', { id: a.id, issuer: ctx.sender, version: rec.version, reason: a.reason });
        return { id: a.id, version: rec.version };
      },
    }),
    grant: method({
      doc: 'The holder grants an agency (a member organisation) read/reuse of a material for a purpose until `expires` (block time, ms); replaces an earlier grant to that agency.',
      args: grantArgs,
      gas: 3_000,
      run(ctx, a) {
        const m = heldBy(ctx, a.id);
        if (m.status === 'revoked') throw new ModuleError('MATERIAL_REVOKED', `material "${a.id}" was revoked by its issuer; it cannot be granted`);
        requireAgency(ctx, a.grantee, 'receive grants of materials');
        if (a.expires <= ctx.time || a.expires > ctx.time + MATERIAL_LIMITS.maxGrantMs) {
          throw new ModuleError('MATERIAL_BAD_EXPIRY', `expires ${a.expires} must be after the block time ${ctx.time} and at most ${MATERIAL_LIMITS.maxGrantMs / 86_400_000} days after it`);
        }
        const list = ctx.read(materialKey.grantees(a.id)) ?? [];
        if (!list.includes(a.grantee)) {
          if (list.length >= MATERIAL_LIMITS.grants) throw new ModuleError('MATERIAL_TOO_MANY_GRANTS', `material "${a.id}" was granted to ${list.length} agencies, the most a material may be; revoke and re-grant an existing agency's grant instead`);
          ctx.write(materialKey.grantees(a.id), [...list, a.grantee]);
        }
        const prior = ctx.read(materialKey.grant(a.id, a.grantee));
        const g: GrantRecord = { material: a.id, grantee: a.grantee, purpose: a.purpose, expires: a.expires, status: 'active', granted: ctx.time, height: ctx.height, tx: ctx.txHash, uses: prior?.uses ?? 0 };
        ctx.write(materialKey.grant(a.id, a.grantee), g);
        ctx.emit('MaterialGranted', { id: a.id, holder: ctx.sender, grantee: a.grantee, purpose: a.purpose, expires: a.expires });
        return { id: a.id, grantee: a.grantee, expires: a.expires };
      },
    }),
    revokeGrant: method({
      doc: 'The holder revokes an agency\'s grant; its reads are refused from the next transaction on.',
      args: revokeGrantArgs,
      gas: 2_000,
      run(ctx, a) {
        heldBy(ctx, a.id);
        const g = ctx.read(materialKey.grant(a.id, a.grantee));
        if (!g) throw new ModuleError('MATERIAL_NO_GRANT', `material "${a.id}" was never granted to ${a.grantee}`);
        if (g.status === 'revoked') throw new ModuleError('MATERIAL_GRANT_REVOKED', `the grant of material "${a.id}" to ${a.grantee} is already revoked`);
        ctx.write(materialKey.grant(a.id, a.grantee), { ...g, status: 'revoked', revokedAt: ctx.time });
        ctx.emit('MaterialGrantRevoked', { id: a.id, holder: ctx.sender, grantee: a.grantee });
        return { id: a.id, grantee: a.grantee };
      },
    }),
    use: method({
      doc: 'An agency reads (reuses) a material under its grant: recorded in the reuse log with the version and digest read. Refused, and recorded nowhere, without a grant, after its expiry or revocation, or once the material is revoked.',
      args: useArgs,
      gas: 3_000,
      run(ctx, a) {
        const m = current(ctx, a.id);
        const g = ctx.read(materialKey.grant(a.id, ctx.sender));
        const no = grantRefusal(m, g, ctx.sender, ctx.time);
        if (no) throw new ModuleError(no.code, no.message);
        const n = (ctx.read(materialKey.uses()) ?? 0) + 1;
        const use: UseRecord = { n, material: a.id, version: m.version, digest: m.digest, holder: m.holder, agency: ctx.sender, purpose: a.purpose, ...stamp(ctx) };
        ctx.write(materialKey.uses(), n);
        ctx.write(materialKey.use(n), use);
        ctx.write(materialKey.grant(a.id, ctx.sender), { ...g!, uses: g!.uses + 1 });
        ctx.emit('MaterialUsed', { id: a.id, agency: ctx.sender, holder: m.holder, version: m.version, digest: m.digest, purpose: a.purpose, n });
        return asJson(use);
      },
    }),
  },
  exports: {
    material: exported({
      doc: 'The current record of a material ({id}) for other modules on the chain; MATERIAL_NOT_FOUND when there is none.',
      gas: 500,
      args: idArgs,
      run(ctx, { id }) {
        return asJson(current(ctx, id));
      },
    }),
  },
};
