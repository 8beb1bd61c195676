import type { JsonValue, StateKey } from '../../codec/index.ts';
import { exported, method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import { collectibleKey as k } from './keys.ts';
import {
  COLLECTIBLE, attestArgs, xqueryArgs, claimAlbumArgs, createAlbumArgs, createClassArgs, giftArgs, mayMove, mintArgs, revokeAttestArgs,
  type ClassAnswer, type ClassRecord, type TokenRecord,
} from './types.ts';

export * from './types.ts';
export { collectibleKey, collectibleStateKey } from './keys.ts';

function classOf(ctx: ModuleContext, id: string): ClassRecord {
  const c = ctx.read(k.class(id));
  if (!c) throw new ModuleError('COLLECTIBLE_NOT_FOUND', `no collectible class "${id}" on chain ${ctx.chain}`);
  return c;
}

function hold(ctx: ModuleContext, owner: string, cls: string, by: number): void {
  const n = (ctx.read(k.held(owner, cls)) ?? 0) + by;
  if (n === 0) ctx.delete(k.held(owner, cls));
  else ctx.write(k.held(owner, cls), n);
}

/** Appends an id to a listing (a count and the id at each position). */
function list(ctx: ModuleContext, count: StateKey<number>, at: (n: number) => StateKey<string>, id: string): void {
  const n = (ctx.read(count) ?? 0) + 1;
  ctx.write(count, n);
  ctx.write(at(n), id);
}

/** Mints the next serial of a class to `to`; refuses past the supply. */
function mintTo(ctx: ModuleContext, c: ClassRecord, to: string, album?: string): TokenRecord {
  if (c.minted >= c.supply) throw new ModuleError('COLLECTIBLE_SOLD_OUT', `class ${c.id} has minted all ${c.supply} tokens`);
  const token: TokenRecord = { class: c.id, serial: c.minted + 1, owner: to, acquired: ctx.time, gifts: 0, ...(album ? { album } : {}) };
  ctx.write(k.class(c.id), { ...c, minted: token.serial });
  ctx.write(k.token(c.id, token.serial), token);
  hold(ctx, to, c.id, 1);
  ctx.emit('CollectibleMinted', { class: c.id, serial: token.serial, to, ...(album ? { album } : {}) });
  return token;
}

/**
 * collectible — digital collectibles with their transfer rules enforced on chain (types.ts):
 * classes by an issuer with a fixed supply and an off-chain media digest, gifts under the class's
 * rules, real-name attestations by verifiers, and albums whose completion mints a reward.
 */
export const collectibleModule: ModuleDef = {
  name: COLLECTIBLE,
  description: 'Digital collectibles (数字藏品): classes with a supply and transfer rules (soulbound, holding period, real-name recipients, gift limits, cooldown, no sale), and albums (集邮册).',
  methods: {
    createClass: method({
      doc: 'Create a class of collectibles; the sender is its issuer, the only one who mints it. Its rules cannot change later.',
      args: createClassArgs,
      gas: 3_000,
      run(ctx, a): JsonValue {
        if (ctx.has(k.class(a.id))) throw new ModuleError('COLLECTIBLE_EXISTS', `class "${a.id}" already exists on chain ${ctx.chain}; pick another id`);
        const rules = { transferable: a.rules.transferable, holdDays: a.rules.holdDays, cooldownDays: a.rules.cooldownDays, ...(a.rules.realNameVerifier ? { realNameVerifier: a.rules.realNameVerifier } : {}), ...(a.rules.maxGifts ? { maxGifts: a.rules.maxGifts } : {}) };
        ctx.write(k.class(a.id), { id: a.id, issuer: ctx.sender, name: a.name, supply: a.supply, minted: 0, metadata: a.metadata, rules, height: ctx.height, time: ctx.time });
        list(ctx, k.classes(), k.classAt, a.id);
        ctx.emit('CollectibleClassCreated', { id: a.id, issuer: ctx.sender, supply: a.supply });
        return { id: a.id };
      },
    }),
    mint: method({
      doc: 'Mint the next token of a class to a DID (the class issuer only); refused past the supply.',
      args: mintArgs,
      gas: 2_000,
      run(ctx, a): JsonValue {
        const c = classOf(ctx, a.class);
        if (c.issuer !== ctx.sender) throw new ModuleError('COLLECTIBLE_NOT_ISSUER', `class ${c.id} is issued by ${c.issuer}; ${ctx.sender} may not mint it`);
        const t = mintTo(ctx, c, a.to);
        return { class: c.id, serial: t.serial };
      },
    }),
    gift: method({
      doc: 'Give a token to another DID, if the class\'s rules allow it now (holding period, real-name recipient, gift limit, cooldown); never for a price.',
      args: giftArgs,
      gas: 2_000,
      run(ctx, a): JsonValue {
        const c = classOf(ctx, a.class);
        const t = ctx.read(k.token(a.class, a.serial));
        if (!t) throw new ModuleError('COLLECTIBLE_NOT_FOUND', `class ${a.class} has no token #${a.serial}`);
        const v = c.rules.realNameVerifier;
        const verdict = mayMove(c, t, ctx.sender, a.to, ctx.time, { realName: v !== undefined && ctx.has(k.realName(v, a.to)), lastGift: ctx.read(k.lastGift(ctx.sender, c.id)) });
        if (!verdict.ok) throw new ModuleError(verdict.code, verdict.reason);
        ctx.write(k.token(c.id, t.serial), { ...t, owner: a.to, acquired: ctx.time, gifts: t.gifts + 1 });
        ctx.write(k.lastGift(ctx.sender, c.id), ctx.time);
        hold(ctx, ctx.sender, c.id, -1);
        hold(ctx, a.to, c.id, 1);
        ctx.emit('CollectibleGifted', { class: c.id, serial: t.serial, from: ctx.sender, to: a.to });
        return { class: c.id, serial: t.serial, gifts: t.gifts + 1 };
      },
    }),
    attest: method({
      doc: 'As a real-name verifier, attest that a DID passed real-name verification (the digest of the credential checked; the credential stays off chain).',
      args: attestArgs,
      gas: 1_500,
      run(ctx, a) {
        ctx.write(k.realName(ctx.sender, a.subject), { verifier: ctx.sender, subject: a.subject, credential: a.credential, time: ctx.time });
        ctx.emit('RealNameAttested', { verifier: ctx.sender, subject: a.subject });
      },
    }),
    revokeAttestation: method({
      doc: 'As a verifier, withdraw a real-name attestation the sender made.',
      args: revokeAttestArgs,
      gas: 1_000,
      run(ctx, a) {
        if (!ctx.has(k.realName(ctx.sender, a.subject))) throw new ModuleError('COLLECTIBLE_NOT_FOUND', `${ctx.sender} has not attested ${a.subject}`);
        ctx.delete(k.realName(ctx.sender, a.subject));
        ctx.emit('RealNameRevoked', { verifier: ctx.sender, subject: a.subject });
      },
    }),
    createAlbum: method({
      doc: 'Create an album (集邮册) of classes; completing it mints one token of the reward class, which must be the sender\'s.',
      args: createAlbumArgs,
      gas: 3_000,
      run(ctx, a): JsonValue {
        if (ctx.has(k.album(a.id))) throw new ModuleError('COLLECTIBLE_EXISTS', `album "${a.id}" already exists on chain ${ctx.chain}`);
        for (const c of a.classes) classOf(ctx, c);
        const reward = classOf(ctx, a.reward);
        if (reward.issuer !== ctx.sender) throw new ModuleError('COLLECTIBLE_NOT_ISSUER', `the reward class ${reward.id} is issued by ${reward.issuer}; an album's creator rewards with a class of their own`);
        ctx.write(k.album(a.id), { id: a.id, issuer: ctx.sender, name: a.name, classes: a.classes, reward: a.reward, claimed: 0 });
        list(ctx, k.albums(), k.albumAt, a.id);
        ctx.emit('AlbumCreated', { id: a.id, issuer: ctx.sender, classes: a.classes, reward: a.reward });
        return { id: a.id };
      },
    }),
    claimAlbum: method({
      doc: 'Claim an album\'s reward: the sender holds a token of every class of it; once per DID.',
      args: claimAlbumArgs,
      gas: 3_000,
      run(ctx, a): JsonValue {
        const al = ctx.read(k.album(a.album));
        if (!al) throw new ModuleError('COLLECTIBLE_NOT_FOUND', `no album "${a.album}" on chain ${ctx.chain}`);
        const prior = ctx.read(k.claimed(al.id, ctx.sender));
        if (prior !== undefined) throw new ModuleError('COLLECTIBLE_ALBUM_CLAIMED', `${ctx.sender} received reward ${al.reward}#${prior} for album ${al.id} already`);
        const missing = al.classes.filter((c) => (ctx.read(k.held(ctx.sender, c)) ?? 0) < 1);
        if (missing.length > 0) throw new ModuleError('COLLECTIBLE_ALBUM_INCOMPLETE', `album ${al.id} needs a token of ${missing.join(', ')}, which ${ctx.sender} does not hold`);
        const t = mintTo(ctx, classOf(ctx, al.reward), ctx.sender, al.id);
        ctx.write(k.claimed(al.id, ctx.sender), t.serial);
        ctx.write(k.album(al.id), { ...al, claimed: al.claimed + 1 });
        return { album: al.id, class: al.reward, serial: t.serial };
      },
    }),
  },
  exports: {
    xquery: exported({
      doc: 'Answer a cross-chain call (xcall): {query: "class", args: {id}} gives the class\'s issuer, supply and tokens minted (or null); {query: "held", args: {owner, class}} how many tokens of a class a DID holds.',
      gas: 500,
      args: xqueryArgs,
      argsError: 'COLLECTIBLE_BAD_QUERY',
      run(ctx, q): JsonValue {
        if (q.query === 'held') return ctx.read(k.held(q.args.owner, q.args.class)) ?? 0;
        const c = ctx.read(k.class(q.args.id));
        const answer: ClassAnswer | null = c ? { id: c.id, issuer: c.issuer, name: c.name, supply: c.supply, minted: c.minted, metadata: c.metadata } : null;
        return answer;
      },
    }),
  },
};
