/**
 * Tokens for city life (docs/tokens.md), on a business chain running the modules (--chain):
 *   shulian collectible class create --id <id> --name <n> --supply <n> --metadata <sm3> [--transferable] [--hold-days 180] [--real-name <verifier did>] [--max-gifts K] [--cooldown-days N] --key issuer.json
 *   shulian collectible mint <class> --to <did>      shulian collectible gift <class> <serial> --to <did>
 *   shulian collectible may-move <class> <serial> --to <did>    (whether it may be gifted now, and why not)
 *   shulian collectible show <class> [serial]        shulian collectible attest <did> --credential <sm3>
 *   shulian collectible album create --id <id> --name <n> --classes a,b --reward <class>     shulian collectible album claim <id>
 *   shulian coupon campaign create <campaign.json>   shulian coupon issue <campaign> --to <did>
 *   shulian coupon authorize <coupon> --merchant <did>   shulian coupon redeem <coupon[,coupon]> --holder <did> --amount <fen>
 *   shulian coupon expire <coupon>    shulian coupon refund <coupon>    shulian coupon show <campaign|coupon>
 *   shulian carbon propose <methodology.json>   shulian carbon approve <proposal>
 *   shulian carbon issue --methodology <id> --version <v> --activity <activity.json|@file>
 *   shulian carbon transfer --to <did> --amount <n>   shulian carbon retire --amount <n> --purpose <text>
 *   shulian carbon exchange <campaign>   shulian carbon balance <did>   shulian carbon stats <id> <version>
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { apiUrl, emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, passwordEnvOption, run } from '../options.ts';

const sdk = async () => import('../../sdk/index.ts');
const client = async (o: CommonOptions) => new (await sdk()).ShulianClient({ baseUrl: apiUrl(o) });
const loadKey = async (o: Keyed) => (await import('../keyfile.ts')).loadKey(o.key, o.passwordEnv);
const chainOption = () => new Option('--chain <id>', 'the business chain that runs the token modules').makeOptionMandatory();

type Chained = CommonOptions & { chain: string };
type Keyed = Chained & { key: string; passwordEnv?: string };

function json(v: string, what: string): unknown {
  try {
    return JSON.parse(v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : readFileSync(v, 'utf8'));
  } catch (err) {
    try {
      return JSON.parse(v);
    } catch {
      throw usage(`${what} must be a JSON file, @file or JSON (${(err as Error).message})`);
    }
  }
}
const whole = (v: string, what: string, min = 1): number => {
  if (!/^\d{1,15}$/.test(v) || Number(v) < min) throw usage(`${what} is a whole number from ${min}, not ${JSON.stringify(v)}`);
  return Number(v);
};
const amount = (v: string, what: string): string => {
  if (!/^[1-9][0-9]{0,37}$/.test(v)) throw usage(`${what} is a positive whole number of minor units (分 or points), not ${JSON.stringify(v)}`);
  return v;
};
/** A signed command: key, chain, API and --json options. */
const signed = (c: Command): Command => c.addOption(keyOption()).addOption(passwordEnvOption()).addOption(chainOption()).addOption(apiOption()).addOption(jsonOption());
const reading = (c: Command): Command => c.addOption(chainOption()).addOption(apiOption()).addOption(jsonOption());
const at = (o: Chained, h: { tx: { hash: string; height: number } }) => `tx ${h.tx.hash} at height ${h.tx.height} of ${o.chain}`;

export function collectibleCommand(): Command {
  const cmd = new Command('collectible').description('digital collectibles (数字藏品): classes with transfer rules, gifts, albums');
  const cls = cmd.command('class').description('collectible classes');
  signed(cls.command('create').description('create a class; you are its issuer')
    .requiredOption('--id <id>').requiredOption('--name <name>').requiredOption('--supply <n>').requiredOption('--metadata <sm3>', 'SM3 of the media and metadata (kept off chain)')
    .option('--transferable', 'tokens may be gifted (default: soulbound)', false).option('--hold-days <n>', 'days of holding before a gift', '0')
    .option('--real-name <did>', 'recipients need a real-name attestation by this verifier').option('--max-gifts <k>', 'most gifts of one token').option('--cooldown-days <n>', 'days between one holder\'s gifts', '0'))
    .action(run(async (o: Keyed & { id: string; name: string; supply: string; metadata: string; transferable: boolean; holdDays: string; realName?: string; maxGifts?: string; cooldownDays: string }) => {
      const rules = { transferable: o.transferable, holdDays: whole(o.holdDays, '--hold-days', 0), cooldownDays: whole(o.cooldownDays, '--cooldown-days', 0), ...(o.realName ? { realNameVerifier: o.realName } : {}), ...(o.maxGifts ? { maxGifts: whole(o.maxGifts, '--max-gifts') } : {}) };
      const r = await (await sdk()).createCollectibleClass(await client(o), await loadKey(o), { id: o.id, name: o.name, supply: whole(o.supply, '--supply'), metadata: o.metadata, rules }, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `created class ${o.id}: ${at(o, r)}`);
    }));
  signed(cmd.command('mint').description('mint the next token of your class').argument('<class>').requiredOption('--to <did>'))
    .action(run(async (c: string, o: Keyed & { to: string }) => {
      const r = await (await sdk()).mintCollectible(await client(o), await loadKey(o), c, o.to, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `minted ${c}#${r.result.serial} to ${o.to}: ${at(o, r)}`);
    }));
  signed(cmd.command('gift').description('gift one of your tokens, if its class allows it now').argument('<class>').argument('<serial>').requiredOption('--to <did>'))
    .action(run(async (c: string, serial: string, o: Keyed & { to: string }) => {
      const r = await (await sdk()).giftCollectible(await client(o), await loadKey(o), c, whole(serial, '<serial>'), o.to, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `gave ${c}#${serial} to ${o.to} (gift ${r.result.gifts}): ${at(o, r)}`);
    }));
  reading(cmd.command('may-move').description('whether a token may be gifted now, and why not').argument('<class>').argument('<serial>').requiredOption('--to <did>').option('--from <did>', 'the giver (default: the holder)'))
    .action(run(async (c: string, serial: string, o: Chained & { to: string; from?: string }) => {
      const v = await (await sdk()).collectibleMayMove(await client(o), o.chain, { class: c, serial: whole(serial, '<serial>'), to: o.to, ...(o.from ? { from: o.from } : {}) });
      emit(o, v, () => (v.ok ? `${c}#${serial} may be gifted to ${o.to} now` : `no (${v.code}): ${v.reason}`));
    }));
  reading(cmd.command('show').description('a class and its tokens, or one token').argument('<class>').argument('[serial]'))
    .action(run(async (c: string, serial: string | undefined, o: Chained) => {
      const s = await sdk();
      const http = await client(o);
      if (serial !== undefined) {
        const t = await s.getCollectible(http, o.chain, c, whole(serial, '<serial>'));
        if (!t) throw usage(`chain ${o.chain} has no token ${c}#${serial}`);
        emit(o, t, () => `${c}#${serial} held by ${t.owner} since ${new Date(t.acquired).toISOString()}, gifted ${t.gifts} time(s)`);
        return;
      }
      const all = await s.listCollectibles(http, o.chain, c);
      if (!all) throw usage(`chain ${o.chain} has no collectible class ${c}`);
      const r = all.class.rules;
      emit(o, all, () => [
        `${c}  ${all.class.name}  ${all.class.minted}/${all.class.supply} minted  issuer ${all.class.issuer}`,
        `rules: ${r.transferable ? `gift after ${r.holdDays} days${r.realNameVerifier ? `, real-name recipients (${r.realNameVerifier})` : ''}${r.maxGifts ? `, at most ${r.maxGifts} gifts` : ''}${r.cooldownDays ? `, ${r.cooldownDays} days between gifts` : ''}` : 'soulbound'}; no sale`,
        ...all.tokens.map((t) => `  #${t.serial}  ${t.owner}  gifts ${t.gifts}`),
      ]);
    }));
  signed(cmd.command('attest').description('as a real-name verifier, attest a DID (the credential\'s SM3; the credential stays off chain)').argument('<did>').requiredOption('--credential <sm3>'))
    .action(run(async (subject: string, o: Keyed & { credential: string }) => {
      const r = await (await sdk()).attestRealName(await client(o), await loadKey(o), subject, o.credential, o);
      emit(o, { tx: r.tx.hash }, () => `attested ${subject}: ${at(o, r)}`);
    }));
  const album = cmd.command('album').description('albums (集邮册)');
  signed(album.command('create').description('an album of classes; completing it mints your reward class').requiredOption('--id <id>').requiredOption('--name <name>').requiredOption('--classes <list>', 'comma-separated class ids').requiredOption('--reward <class>'))
    .action(run(async (o: Keyed & { id: string; name: string; classes: string; reward: string }) => {
      const r = await (await sdk()).createAlbum(await client(o), await loadKey(o), { id: o.id, name: o.name, classes: o.classes.split(','), reward: o.reward }, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `created album ${o.id}: ${at(o, r)}`);
    }));
  signed(album.command('claim').description('claim an album\'s reward (you hold every class)').argument('<id>'))
    .action(run(async (id: string, o: Keyed) => {
      const r = await (await sdk()).claimAlbum(await client(o), await loadKey(o), id, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `album ${id} complete: received ${r.result.class}#${r.result.serial}: ${at(o, r)}`);
    }));
  return cmd;
}

export function couponCommand(): Command {
  const cmd = new Command('coupon').description('coupon campaigns: budgets, 满减/percentage/fixed rules, stacking, merchants');
  signed(cmd.command('campaign').description('campaigns').command('create').description('create a campaign from JSON (id, name, budget, rule, group, exclusive, validFrom, validUntil, merchants, perHolder, pointsPrice)').argument('<campaign>', 'JSON file, @file or JSON'))
    .action(run(async (file: string, o: Keyed) => {
      const s = await sdk();
      const r = await s.createCampaign(await client(o), await loadKey(o), json(file, '<campaign>') as Parameters<typeof s.createCampaign>[2], o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `created campaign ${r.result.id}: ${at(o, r)}`);
    }));
  signed(cmd.command('issue').description('issue a coupon of your campaign').argument('<campaign>').requiredOption('--to <did>'))
    .action(run(async (campaign: string, o: Keyed & { to: string }) => {
      const r = await (await sdk()).issueCoupon(await client(o), await loadKey(o), campaign, o.to, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `issued ${r.result.coupon} to ${o.to}: ${at(o, r)}`);
    }));
  signed(cmd.command('authorize').description('as the holder, let a merchant redeem your coupon').argument('<coupon>').requiredOption('--merchant <did>'))
    .action(run(async (coupon: string, o: Keyed & { merchant: string }) => {
      const r = await (await sdk()).authorizeCoupon(await client(o), await loadKey(o), coupon, o.merchant, o);
      emit(o, { tx: r.tx.hash }, () => `${o.merchant} may redeem ${coupon}: ${at(o, r)}`);
    }));
  signed(cmd.command('redeem').description('as a merchant, redeem a holder\'s coupons on a purchase').argument('<coupons>', 'comma-separated coupon ids').requiredOption('--holder <did>').requiredOption('--amount <fen>', 'purchase amount in minor units'))
    .action(run(async (coupons: string, o: Keyed & { holder: string; amount: string }) => {
      const r = await (await sdk()).redeemCoupons(await client(o), await loadKey(o), { coupons: coupons.split(','), holder: o.holder, amount: amount(o.amount, '--amount') }, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `redeemed ${coupons}: ${r.result.discount} off ${r.result.amount}, ${r.result.due} due: ${at(o, r)}`);
    }));
  for (const [name, doc] of [['expire', 'expire a coupon of an ended campaign'], ['refund', 'as the redeeming merchant, refund a coupon\'s purchase']] as const) {
    signed(cmd.command(name).description(doc).argument('<coupon>'))
      .action(run(async (coupon: string, o: Keyed) => {
        const s = await sdk();
        const r = await (name === 'expire' ? s.expireCoupon : s.refundCoupon)(await client(o), await loadKey(o), coupon, o);
        emit(o, { tx: r.tx.hash }, () => `${name === 'expire' ? 'expired' : 'refunded'} ${coupon}: ${at(o, r)}`);
      }));
  }
  reading(cmd.command('show').description('a campaign with its coupons, or one coupon (<campaign>:<serial>)').argument('<id>'))
    .action(run(async (id: string, o: Chained) => {
      const s = await sdk();
      const http = await client(o);
      if (id.includes(':')) {
        const c = await s.getCoupon(http, o.chain, id);
        if (!c) throw usage(`chain ${o.chain} has no coupon ${id}`);
        emit(o, c, () => `${id}  ${c.status}  holder ${c.holder}${c.redemption ? `  ${c.redemption.discount} off at ${c.redemption.merchant}` : ''}`);
        return;
      }
      const all = await s.listCoupons(http, o.chain, id);
      if (!all) throw usage(`chain ${o.chain} has no campaign ${id}`);
      const c = all.campaign;
      emit(o, all, () => [
        `${id}  ${c.name}  budget ${c.budget}: reserved ${c.reserved}, spent ${c.spent}; ${c.issued} issued, ${c.redeemed} redeemed`,
        ...all.coupons.map((x) => `  ${x.id}  ${x.status.padEnd(8)}  ${x.holder}`),
      ]);
    }));
  return cmd;
}

export function carbonCommand(): Command {
  const cmd = new Command('carbon').description('carbon points (碳普惠): methodologies, issuance, transfer, retirement, exchange');
  signed(cmd.command('propose').description('as a governor, propose a methodology version (JSON: id, version, name, params, recorders, cap)').argument('<methodology>'))
    .action(run(async (file: string, o: Keyed) => {
      const s = await sdk();
      const r = await s.proposeMethodology(await client(o), await loadKey(o), json(file, '<methodology>') as Parameters<typeof s.proposeMethodology>[2], o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `proposal #${r.result.proposal} ${r.result.status}: ${at(o, r)}`);
    }));
  signed(cmd.command('approve').description('as a governor, approve a methodology proposal').argument('<proposal>'))
    .action(run(async (n: string, o: Keyed) => {
      const r = await (await sdk()).approveMethodology(await client(o), await loadKey(o), whole(n, '<proposal>'), o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `proposal #${n} ${r.result.status} (${r.result.approvals} approvals): ${at(o, r)}`);
    }));
  signed(cmd.command('issue').description('as a platform, issue points for an activity record').requiredOption('--methodology <id>').requiredOption('--version <v>').requiredOption('--activity <json>', 'the activity: JSON file, @file or JSON'))
    .action(run(async (o: Keyed & { methodology: string; version: string; activity: string }) => {
      const s = await sdk();
      const r = await s.issueCarbon(await client(o), await loadKey(o), { methodology: o.methodology, version: whole(o.version, '--version'), activity: json(o.activity, '--activity') as Parameters<typeof s.issueCarbon>[2]['activity'] }, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `issued ${r.result.points} points for activity ${r.result.digest}: ${at(o, r)}`);
    }));
  signed(cmd.command('transfer').description('give points').requiredOption('--to <did>').requiredOption('--amount <n>'))
    .action(run(async (o: Keyed & { to: string; amount: string }) => {
      const r = await (await sdk()).transferCarbon(await client(o), await loadKey(o), o.to, amount(o.amount, '--amount'), o);
      emit(o, { tx: r.tx.hash }, () => `gave ${o.amount} points to ${o.to}: ${at(o, r)}`);
    }));
  signed(cmd.command('retire').description('retire points for good').requiredOption('--amount <n>').requiredOption('--purpose <text>'))
    .action(run(async (o: Keyed & { amount: string; purpose: string }) => {
      const r = await (await sdk()).retireCarbon(await client(o), await loadKey(o), amount(o.amount, '--amount'), o.purpose, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `retired ${o.amount} points (retirement #${r.result.retirement}): ${at(o, r)}`);
    }));
  signed(cmd.command('exchange').description('buy a coupon of a campaign offered for points').argument('<campaign>'))
    .action(run(async (campaign: string, o: Keyed) => {
      const r = await (await sdk()).exchangeCarbon(await client(o), await loadKey(o), campaign, o);
      emit(o, { ...r.result, tx: r.tx.hash }, () => `paid ${r.result.points} points for coupon ${r.result.coupon}: ${at(o, r)}`);
    }));
  reading(cmd.command('balance').description('a DID\'s points').argument('<did>'))
    .action(run(async (who: string, o: Chained) => {
      const b = await (await sdk()).carbonBalance(await client(o), o.chain, who);
      emit(o, { did: who, balance: b }, () => `${who}: ${b} points`);
    }));
  reading(cmd.command('stats').description('a methodology and what was issued under it').argument('<id>').argument('<version>'))
    .action(run(async (id: string, version: string, o: Chained) => {
      const s = await sdk();
      const http = await client(o);
      const [m, st, totals] = await Promise.all([s.getMethodology(http, o.chain, id, whole(version, '<version>')), s.carbonStats(http, o.chain, id, whole(version, '<version>')), s.carbonTotals(http, o.chain)]);
      if (!m) throw usage(`chain ${o.chain} has no methodology ${id} v${version}`);
      emit(o, { methodology: m, stats: st, totals }, () => [
        `${id} v${version}  ${m.name}  params ${m.paramDigest}  cap ${m.cap}`,
        `issued ${st?.issued ?? '0'} points from ${st?.records ?? 0} activities; chain supply ${totals.supply}, retired ${totals.retired}`,
      ]);
    }));
  return cmd;
}
