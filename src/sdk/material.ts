/**
 * The material chain (材料链) through the SDK (docs/gov.md): agencies issue, supersede and revoke
 * administrative materials; holders grant and revoke agencies' access; agencies reuse a material,
 * each read recorded. Writes wait for their block and throw the module's code (MATERIAL_NO_GRANT,
 * MATERIAL_NOT_HOLDER, …) when the chain refused them. Reads take the light client.
 */
import { stateValue } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import { materialStateKey } from '../modules/material/keys.ts';
import type { GrantRecord, MaterialKind, MaterialRecord, UseRecord } from '../modules/material/types.ts';
import type { ShulianClient } from './client.ts';
import type { ShulianHttp } from './http.ts';
import { sendToken, type TokenSendOptions } from './tokens.ts';
import type { SendOptions, WaitOptions } from './types.ts';

export type { GrantRecord, MaterialKind, MaterialRecord, UseRecord };
export { MATERIAL_KINDS, MATERIAL_LIMITS, grantRefusal } from '../modules/material/types.ts';

/** The government system's material chain (`shulian up --preset gov`). */
export const DEFAULT_MATERIAL_CHAIN = 'gov-material';

export type MaterialSendOptions = { chain?: string } & SendOptions & WaitOptions;
const at = (o: MaterialSendOptions): TokenSendOptions => ({ ...o, chain: o.chain ?? DEFAULT_MATERIAL_CHAIN });

export const materialIssue = (c: ShulianClient, key: KeyPair, m: { id: string; kind: MaterialKind; title: string; digest: string; holder: string }, o: MaterialSendOptions = {}) =>
  sendToken<{ id: string; version: number; seq: number }>(c, key, 'material', 'issue', m, at(o));
export const materialSupersede = (c: ShulianClient, key: KeyPair, a: { id: string; digest: string; version: number; title?: string }, o: MaterialSendOptions = {}) =>
  sendToken<{ id: string; version: number }>(c, key, 'material', 'supersede', a, at(o));
export const materialRevoke = (c: ShulianClient, key: KeyPair, id: string, reason: string, o: MaterialSendOptions = {}) =>
  sendToken<{ id: string; version: number }>(c, key, 'material', 'revoke', { id, reason }, at(o));
export const materialGrant = (c: ShulianClient, key: KeyPair, a: { id: string; grantee: string; purpose: string; expires: number }, o: MaterialSendOptions = {}) =>
  sendToken<{ id: string; grantee: string; expires: number }>(c, key, 'material', 'grant', a, at(o));
export const materialRevokeGrant = (c: ShulianClient, key: KeyPair, id: string, grantee: string, o: MaterialSendOptions = {}) =>
  sendToken<{ id: string; grantee: string }>(c, key, 'material', 'revokeGrant', { id, grantee }, at(o));
/** An agency reads a material under its grant; the answer is the reuse-log entry (version and digest read). */
export const materialUse = (c: ShulianClient, key: KeyPair, id: string, purpose: string, o: MaterialSendOptions = {}) =>
  sendToken<UseRecord>(c, key, 'material', 'use', { id, purpose }, at(o));

const chainOf = (o: { chain?: string }) => o.chain ?? DEFAULT_MATERIAL_CHAIN;

/** A material with every version and every grant ever given (revoked ones with their status). */
export interface MaterialView {
  material: MaterialRecord;
  versions: MaterialRecord[];
  grants: GrantRecord[];
}

export async function getMaterial(c: ShulianHttp, id: string, o: { chain?: string } = {}): Promise<MaterialView | undefined> {
  const chain = chainOf(o);
  const material = stateValue(materialStateKey.material(id), (await c.state(chain, materialStateKey.material(id))).value);
  if (!material) return undefined;
  const grantees = stateValue(materialStateKey.grantees(id), (await c.state(chain, materialStateKey.grantees(id))).value) ?? [];
  const [versions, grants] = await Promise.all([
    Promise.all(Array.from({ length: material.version }, async (_, i) => stateValue(materialStateKey.version(id, i + 1), (await c.state(chain, materialStateKey.version(id, i + 1))).value))),
    Promise.all(grantees.map(async (g) => stateValue(materialStateKey.grant(id, g), (await c.state(chain, materialStateKey.grant(id, g))).value))),
  ]);
  return { material, versions: versions.filter((v): v is MaterialRecord => v !== undefined), grants: grants.filter((g): g is GrantRecord => g !== undefined) };
}

/** The latest materials, newest first (at most `limit`, default 50), current versions. */
export async function listMaterials(c: ShulianHttp, o: { chain?: string; limit?: number } = {}): Promise<MaterialRecord[]> {
  const chain = chainOf(o);
  const n = stateValue(materialStateKey.count(), (await c.state(chain, materialStateKey.count())).value) ?? 0;
  const seqs = Array.from({ length: Math.min(n, o.limit ?? 50) }, (_, i) => n - i);
  const ids = await Promise.all(seqs.map(async (k) => stateValue(materialStateKey.seq(k), (await c.state(chain, materialStateKey.seq(k))).value)));
  const recs = await Promise.all(ids.filter((x): x is string => x !== undefined).map(async (id) => stateValue(materialStateKey.material(id), (await c.state(chain, materialStateKey.material(id))).value)));
  return recs.filter((r): r is MaterialRecord => r !== undefined);
}

/** The reuse log, newest first (at most `limit`, default 50). */
export async function materialUses(c: ShulianHttp, o: { chain?: string; limit?: number } = {}): Promise<UseRecord[]> {
  const chain = chainOf(o);
  const n = stateValue(materialStateKey.uses(), (await c.state(chain, materialStateKey.uses())).value) ?? 0;
  const out = await Promise.all(Array.from({ length: Math.min(n, o.limit ?? 50) }, async (_, i) => stateValue(materialStateKey.use(n - i), (await c.state(chain, materialStateKey.use(n - i))).value)));
  return out.filter((u): u is UseRecord => u !== undefined);
}
