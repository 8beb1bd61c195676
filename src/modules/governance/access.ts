/**
 * Fine-grained permissions of business chains (issue #25 item 5, docs/permissions.md): the
 * alliance policy's `access` rules, their shape and how one call is judged. Pure: the node's
 * alliance view (src/node/admission.ts) applies it at admission and in execution.
 */
import { z } from '../../codec/schemas.ts';
import { CHAIN_ID_RE, DID_RE, NAME_RE } from '../../codec/index.ts';
import { ROLES, type AccessRule, type Role } from './types.ts';

/** Most rules per chain, DIDs per rule: the policy is read by every block of the chain. */
export const MAX_ACCESS_RULES = 64;
export const MAX_ACCESS_DIDS = 256;

const nameOrAny = (what: string) => z.string().refine((s) => s === '*' || NAME_RE.test(s), `must be a ${what} name, or "*" for any`);

export const accessRuleSchema: z.ZodType<AccessRule> = z.strictObject({
  module: nameOrAny('module'),
  method: nameOrAny('method'),
  dids: z.array(z.string().regex(DID_RE, 'must be a DID such as did:shulian:…')).max(MAX_ACCESS_DIDS, `at most ${MAX_ACCESS_DIDS} DIDs; grant a role instead`)
    .refine((a) => new Set(a).size === a.length, 'a DID is listed twice').optional(),
  members: z.boolean().optional(),
  roles: z.array(z.enum(ROLES)).max(ROLES.length).refine((a) => new Set(a).size === a.length, 'a role is listed twice').optional(),
}).refine((r) => r.module !== '*' || r.method === '*', { message: 'a rule for any module ("*") must be for any method too', path: ['method'] });

export const accessRulesSchema = z.array(accessRuleSchema).max(MAX_ACCESS_RULES, `at most ${MAX_ACCESS_RULES} rules per chain`)
  .refine((a) => new Set(a.map((r) => `${r.module}.${r.method}`)).size === a.length, 'two rules name the same module and method');

export const accessSchema = z.record(z.string(), accessRulesSchema).superRefine((r, ctx) => {
  const ids = Object.keys(r);
  if (ids.length > 1_000) ctx.addIssue({ code: 'custom', message: 'at most 1000 chains' });
  for (const id of ids) if (!CHAIN_ID_RE.test(id)) ctx.addIssue({ code: 'custom', path: [id], message: 'must be a chain id such as "biz"' });
});

/** The rule that decides a call: module.method, else module.*, else *.*; undefined: the call is open. */
export function ruleFor(rules: readonly AccessRule[], module: string, method: string): AccessRule | undefined {
  let moduleWide: AccessRule | undefined;
  let any: AccessRule | undefined;
  for (const r of rules) {
    if (r.module === module && r.method === method) return r;
    if (r.module === module && r.method === '*') moduleWide = r;
    else if (r.module === '*') any = r;
  }
  return moduleWide ?? any;
}

/** Who a rule lets call, in words. */
export function grantees(r: AccessRule): string {
  const parts: string[] = [];
  if (r.dids?.length) parts.push(`${r.dids.length} listed DID${r.dids.length === 1 ? '' : 's'}`);
  if (r.members) parts.push('member organisations');
  if (r.roles?.length) parts.push(`members with role ${r.roles.join(' or ')}`);
  return parts.length === 0 ? 'no one' : parts.join(', ');
}

/**
 * Why `did` may not call `module`.`method` under `rules`, or undefined if it may. `roles`: the
 * sender's roles as a member organisation (null: not a member); asked only when a rule needs it.
 */
export function accessRefusal(
  rules: readonly AccessRule[] | undefined, module: string, method: string, did: string, roles: () => readonly Role[] | null,
): string | undefined {
  const r = rules && ruleFor(rules, module, method);
  if (!r) return undefined;
  if (r.dids?.includes(did)) return undefined;
  if (r.members || r.roles?.length) {
    const held = roles();
    if (held !== null && (r.members || r.roles!.some((x) => held.includes(x)))) return undefined;
  }
  return `${did} may not call ${module}.${method}: the rule ${r.module}.${r.method} allows ${grantees(r)}`;
}
