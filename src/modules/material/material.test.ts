/**
 * The `material` module on a MapContext (docs/gov.md): issue, supersede, revoke, grants and
 * reuse, with the refusals — a non-member issuer, a holder granting what is not theirs, a read
 * without a grant, after expiry, after revocation — each changing nothing; and a fast-check fuzz
 * of the decoding of its transactions (decodeTx, then the method's args), which either yields a
 * typed error or a call the module runs without an untyped throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShulianError, canonicalize, type JsonValue } from '../../codec/index.ts';
import { decodeTx } from '../../ledger/index.ts';
import { MapContext, ModuleError, NO_ALLIANCE, parseArgs, runExport, type AllianceView } from '../../runtime/index.ts';
import { materialModule, materialKey, type GrantRecord, type MaterialRecord, type UseRecord } from './index.ts';

const did = (n: string) => `did:shulian:${n.padEnd(24, 'x')}`;
const HEALTH = did('HeaLth');
const MARKET = did('MarKet');
const POLICE = did('PoLice');
const CITIZEN = did('CitiZen');
const OTHER = did('AnotherCitiZen');
const MEMBERS = new Map<string, string[]>([[HEALTH, ['service-provider']], [MARKET, ['service-provider']], [POLICE, ['service-provider']]]);
const alliance: AllianceView = { ...NO_ALLIANCE, govHeight: 5, memberRoles: (d) => MEMBERS.get(d) };
const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);

type Outcome = { ok: true; result: JsonValue | undefined } | { ok: false; code: string; message: string };

/** Calls a method as the executor does (args parsed, then run); a refusal must have written nothing. */
function call(store: Map<string, string>, sender: string, method: string, args: unknown, time = T0): Outcome {
  const m = materialModule.methods[method]!;
  const before = new Map(store);
  const ctx = new MapContext(store, sender, 1, time, 'gov-material');
  ctx.alliance = alliance;
  try {
    const a = parseArgs(m.args, args, `material.${method}`);
    return { ok: true, result: m.run(ctx, a) ?? undefined };
  } catch (err) {
    assert.ok(err instanceof ModuleError || err instanceof ShulianError, `untyped error from ${method}: ${String(err)}`);
    assert.ok((err as Error).message.length > 10, 'a message that says what was wrong');
    assert.equal(ctx.writes, 0, `${method} wrote before refusing with ${(err as ShulianError).code}`);
    assert.deepEqual(store, before);
    return { ok: false, code: (err as ShulianError).code, message: (err as Error).message };
  }
}
const ok = (o: Outcome): JsonValue | undefined => {
  assert.ok(o.ok, o.ok ? '' : `${o.code}: ${o.message}`);
  return o.result;
};
const refused = (o: Outcome, code: string): void => {
  assert.equal(o.ok, false, `expected ${code}, the call succeeded`);
  if (!o.ok) assert.equal(o.code, code, o.message);
};
const rec = <T>(store: Map<string, string>, key: string): T | undefined => {
  const v = store.get(key);
  return v === undefined ? undefined : (JSON.parse(v) as T);
};
const licence = { id: 'biz-licence-1', kind: 'licence', title: '营业执照 business licence', digest: D1, holder: CITIZEN };

test('an agency issues; the holder grants; an agency reuses and the read is logged; a new version supersedes', () => {
  const s = new Map<string, string>();
  assert.deepEqual(ok(call(s, MARKET, 'issue', licence)), { id: 'biz-licence-1', version: 1, seq: 1 });
  refused(call(s, MARKET, 'issue', licence), 'MATERIAL_EXISTS');
  ok(call(s, CITIZEN, 'grant', { id: licence.id, grantee: HEALTH, purpose: '卫生许可审批 health permit', expires: T0 + 30 * DAY }));
  const use = ok(call(s, HEALTH, 'use', { id: licence.id, purpose: '卫生许可审批' }, T0 + DAY)) as unknown as UseRecord;
  assert.equal(use.n, 1);
  assert.equal(use.digest, D1);
  assert.equal(use.agency, HEALTH);
  assert.equal(rec<GrantRecord>(s, materialKey.grant(licence.id, HEALTH))!.uses, 1);
  // Only the issuer supersedes, at the current version; history kept; the grant carries over.
  refused(call(s, HEALTH, 'supersede', { id: licence.id, digest: D2, version: 1 }), 'MATERIAL_NOT_ISSUER');
  refused(call(s, MARKET, 'supersede', { id: licence.id, digest: D2, version: 2 }), 'MATERIAL_STALE_VERSION');
  assert.deepEqual(ok(call(s, MARKET, 'supersede', { id: licence.id, digest: D2, version: 1 })), { id: licence.id, version: 2 });
  assert.equal(rec<MaterialRecord>(s, materialKey.version(licence.id, 1))!.digest, D1);
  assert.equal(rec<MaterialRecord>(s, materialKey.material(licence.id))!.digest, D2);
  const use2 = ok(call(s, HEALTH, 'use', { id: licence.id, purpose: 'renewal' }, T0 + 2 * DAY)) as unknown as UseRecord;
  assert.deepEqual([use2.n, use2.version, use2.digest], [2, 2, D2]);
  assert.equal(rec<number>(s, materialKey.uses()), 2);
  assert.deepEqual(runExport(materialModule, 'material', Object.assign(new MapContext(s, HEALTH, 1, T0, 'gov-material'), { alliance }), { id: licence.id }), rec(s, materialKey.material(licence.id)));
});

test('reads without a grant, after expiry, after the grant is revoked, or of a revoked material are refused and recorded nowhere', () => {
  const s = new Map<string, string>();
  ok(call(s, MARKET, 'issue', licence));
  refused(call(s, POLICE, 'use', { id: licence.id, purpose: 'check' }), 'MATERIAL_NO_GRANT');
  ok(call(s, CITIZEN, 'grant', { id: licence.id, grantee: POLICE, purpose: 'check', expires: T0 + DAY }));
  refused(call(s, POLICE, 'use', { id: licence.id, purpose: 'check' }, T0 + DAY), 'MATERIAL_GRANT_EXPIRED');
  ok(call(s, POLICE, 'use', { id: licence.id, purpose: 'check' }, T0 + DAY - 1));
  ok(call(s, CITIZEN, 'revokeGrant', { id: licence.id, grantee: POLICE }));
  refused(call(s, CITIZEN, 'revokeGrant', { id: licence.id, grantee: POLICE }), 'MATERIAL_GRANT_REVOKED');
  refused(call(s, POLICE, 'use', { id: licence.id, purpose: 'check' }), 'MATERIAL_GRANT_REVOKED');
  // A new grant restores access; the issuer's revocation of the material ends it for everyone.
  ok(call(s, CITIZEN, 'grant', { id: licence.id, grantee: POLICE, purpose: 'again', expires: T0 + 2 * DAY }));
  refused(call(s, HEALTH, 'revoke', { id: licence.id, reason: 'not mine' }), 'MATERIAL_NOT_ISSUER');
  ok(call(s, MARKET, 'revoke', { id: licence.id, reason: '吊销 licence withdrawn' }));
  refused(call(s, POLICE, 'use', { id: licence.id, purpose: 'check' }), 'MATERIAL_REVOKED');
  refused(call(s, MARKET, 'supersede', { id: licence.id, digest: D2, version: 2 }), 'MATERIAL_REVOKED');
  refused(call(s, CITIZEN, 'grant', { id: licence.id, grantee: HEALTH, purpose: 'x', expires: T0 + DAY }), 'MATERIAL_REVOKED');
  assert.equal(rec<number>(s, materialKey.uses()), 1, 'only the one granted read is in the log');
  refused(call(s, POLICE, 'use', { id: 'nothing', purpose: 'check' }), 'MATERIAL_NOT_FOUND');
});

test('attacks: a non-member issuer, a holder granting what is not theirs, grants to a non-member, bad expiry, bad args', () => {
  const s = new Map<string, string>();
  refused(call(s, CITIZEN, 'issue', { ...licence, id: 'forged' }), 'MATERIAL_NOT_AGENCY');
  ok(call(s, MARKET, 'issue', licence));
  refused(call(s, OTHER, 'grant', { id: licence.id, grantee: HEALTH, purpose: 'x', expires: T0 + DAY }), 'MATERIAL_NOT_HOLDER');
  refused(call(s, MARKET, 'grant', { id: licence.id, grantee: HEALTH, purpose: 'x', expires: T0 + DAY }), 'MATERIAL_NOT_HOLDER');
  refused(call(s, OTHER, 'revokeGrant', { id: licence.id, grantee: HEALTH }), 'MATERIAL_NOT_HOLDER');
  refused(call(s, CITIZEN, 'grant', { id: licence.id, grantee: OTHER, purpose: 'x', expires: T0 + DAY }), 'MATERIAL_NOT_AGENCY');
  refused(call(s, CITIZEN, 'grant', { id: licence.id, grantee: HEALTH, purpose: 'x', expires: T0 }), 'MATERIAL_BAD_EXPIRY');
  refused(call(s, CITIZEN, 'grant', { id: licence.id, grantee: HEALTH, purpose: 'x', expires: T0 + 400 * DAY }), 'MATERIAL_BAD_EXPIRY');
  refused(call(s, MARKET, 'issue', { ...licence, id: 'x2', digest: 'not hex' }), 'BAD_ARGS');
  refused(call(s, MARKET, 'issue', { ...licence, id: 'x3', extra: 1 }), 'BAD_ARGS');
  refused(call(s, CITIZEN, 'grant', { id: licence.id, grantee: HEALTH, purpose: 'p'.repeat(201), expires: T0 + DAY }), 'BAD_ARGS');
  // With no alliance (a chain following no governance chain) nobody is an agency.
  const ctx = new MapContext(new Map(), MARKET, 1, T0, 'gov-material');
  assert.throws(() => materialModule.methods.issue!.run(ctx, licence), (e: unknown) => (e as ShulianError).code === 'MATERIAL_NOT_AGENCY');
});

test('a material is granted to at most MATERIAL_LIMITS.grants agencies', () => {
  const s = new Map<string, string>();
  ok(call(s, MARKET, 'issue', licence));
  const many = Array.from({ length: 65 }, (_, i) => did(`Agency${'ABCDEFGHJK'[Math.floor(i / 10)]}${'abcdefghij'[i % 10]}`));
  for (const d of many) MEMBERS.set(d, ['member']);
  try {
    for (const d of many.slice(0, 64)) ok(call(s, CITIZEN, 'grant', { id: licence.id, grantee: d, purpose: 'x', expires: T0 + DAY }));
    refused(call(s, CITIZEN, 'grant', { id: licence.id, grantee: many[64]!, purpose: 'x', expires: T0 + DAY }), 'MATERIAL_TOO_MANY_GRANTS');
    ok(call(s, CITIZEN, 'grant', { id: licence.id, grantee: many[0]!, purpose: 'renewed', expires: T0 + 2 * DAY }));
  } finally {
    for (const d of many) MEMBERS.delete(d);
  }
});

test('fuzz: decoding a material tx and its args gives a typed refusal or a call that runs without an untyped throw', () => {
  const methods = Object.keys(materialModule.methods);
  const arg = fc.oneof(
    fc.record({ id: fc.oneof(fc.constantFrom(licence.id, 'x'), fc.string()), kind: fc.constantFrom('licence', 'certificate', 'bogus'), title: fc.string(), digest: fc.oneof(fc.constant(D1), fc.string()), holder: fc.constantFrom(CITIZEN, 'did:x', '') }, { requiredKeys: [] }),
    fc.record({ id: fc.constantFrom(licence.id), grantee: fc.constantFrom(HEALTH, OTHER, 'nope'), purpose: fc.string(), expires: fc.oneof(fc.integer(), fc.double(), fc.constant(T0 + DAY)), version: fc.integer(), reason: fc.string() }, { requiredKeys: [] }),
    fc.jsonValue(),
  );
  fc.assert(fc.property(fc.constantFrom(...methods), arg, fc.constantFrom(MARKET, CITIZEN, HEALTH, OTHER), fc.jsonValue(), (m, args, sender, junk) => {
    // The wire form first: decodeTx takes a tx object or refuses it with a typed error.
    const wire = { chain: 'gov-material', from: sender, nonce: 1, module: 'material', method: m, args, junk };
    try {
      decodeTx(JSON.parse(canonicalize(wire as JsonValue)));
    } catch (e) {
      assert.ok(e instanceof ShulianError, `untyped error from decodeTx: ${String(e)}`);
    }
    const s = new Map<string, string>();
    ok(call(s, MARKET, 'issue', licence));
    call(s, sender, m, args);
  }), { numRuns: 400 });
});
