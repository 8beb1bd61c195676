/**
 * `shulian org …`, `shulian gov …` and `shulian chain propose`: the alliance's governance chain
 * from the command line. Each factory returns a commander command to add to the program
 * (`program.addCommand(orgCommand())`, `program.addCommand(govCommand())`,
 * `chain.addCommand(chainProposeCommand())`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { ShulianError, type JsonValue } from '../../codec/index.ts';
import type { Genesis } from '../../ledger/index.ts';
import type { ProposalView } from '../../governance/index.ts';
import {
  DEFAULT_POLICY, PROPOSAL_KINDS, ROLES, percent,
  type AdmissionPolicy, type ChainRecord, type GenesisDraft, type InitArgs, type PolicyPatch, type ProposalInput, type ProposalKind, type ProposalStatus,
  type FreezeTarget, type Role, type VoteChoice,
} from '../../modules/governance/index.ts';
import {
  ShulianClient, DEFAULT_GOV_CHAIN, govChains, govClose, govInit, govMembers, govPolicy, govPropose, govProposal,
  govProposals, govVote, govVotes, type ProposeResult,
} from '../../sdk/index.ts';
import { loadKey } from '../keyfile.ts';
import { emit, usage, type CommonOptions } from '../output.ts';
import { apiOption, jsonOption, keyOption, run } from '../options.ts';
import { verifyingClient } from '../trust.ts';
import { table } from './chain.ts';

export interface GovReadCliOptions extends CommonOptions {
  /** Governance chain id. */
  chain: string;
  /** Check each state read's proof locally. */
  verify?: boolean;
}

export interface GovSignCliOptions extends CommonOptions {
  chain: string;
  key: string;
  passwordEnv?: string;
  timeout: number;
}

export interface ProposeCliOptions extends GovSignCliOptions {
  title?: string;
  description?: string;
}

// ---- helpers -------------------------------------------------------------------------------

/** JSON given inline, or `@path` to read it from a file. */
export function jsonArg(value: string, what: string): JsonValue {
  let text = value;
  if (value.startsWith('@')) {
    const path = value.slice(1);
    if (!existsSync(path)) throw usage(`${what}: no such file ${path}`);
    text = readFileSync(path, 'utf8');
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw usage(`${what} is not valid JSON (${(err as Error).message}); give JSON inline (quoted for the shell) or @file.json`);
  }
}

/** Verified reads (--verify) check proofs against the genesis pinned on first use (src/cli/trust.ts). */
function client(o: CommonOptions): ShulianClient {
  return verifyingClient(o);
}

function sendOpts(o: GovSignCliOptions): { chain: string; timeoutMs: number } {
  return { chain: o.chain, timeoutMs: o.timeout };
}

function titled<T extends ProposalInput>(input: T, o: ProposeCliOptions): T {
  return { ...input, ...(o.title !== undefined ? { title: o.title } : {}), ...(o.description !== undefined ? { description: o.description } : {}) };
}

function proposed(o: ProposeCliOptions, kind: ProposalKind, r: ProposeResult, extra: string[] = []): void {
  emit(o, { id: r.id, kind, endHeight: r.endHeight, electorate: r.electorate, tx: r.tx.hash, height: r.tx.height }, () => [
    `proposal   #${r.id} (${kind})`,
    ...extra,
    `voting     until height ${r.endHeight} of chain ${o.chain}; ${r.electorate} member${r.electorate === 1 ? '' : 's'} may vote`,
    `tx         ${r.tx.hash} (height ${r.tx.height})`,
    `next       members vote with: shulian gov vote ${r.id} yes --key <keystore>`,
  ]);
}

function statusLine(p: ProposalView): string {
  if (p.status === 'voting') return p.closable ? `voting ended at ${p.endHeight}; close it with \`shulian gov close ${p.id}\`` : `voting until height ${p.endHeight}`;
  return `${p.status} at height ${p.closedAt}${p.detail ? ` — ${p.detail}` : ''}`;
}

function subjectOf(p: ProposalView): string {
  const pl = p.payload;
  switch (pl.kind) {
    case 'admit-member': return `${pl.member.name} ${pl.member.did} as ${pl.member.roles.join(',')}`;
    case 'remove-member': return pl.did;
    case 'create-chain': return `${pl.genesis.chain} "${pl.genesis.name}" (${pl.genesis.consensus.type}, ${pl.genesis.validators.length} validators)${pl.genesis.sandbox ? ' [SANDBOX]' : ''}`;
    case 'promote-chain': return `${pl.chain}: leaves sandbox mode (real money, cross-chain paths to production chains)`;
    case 'suspend-chain':
    case 'resume-chain':
    case 'retire-chain': return pl.chain;
    case 'change-validators': return `${pl.chain}: ${pl.validators.length} validators from height ${pl.effectiveHeight}`;
    case 'set-policy': return 'alliance policy';
    case 'register-regulator': return `${pl.regulator.name} ${pl.regulator.did}`;
    case 'register-gateway': return `${pl.gateway.name} ${pl.gateway.did} for ${pl.gateway.chains.join(',')}`;
    case 'register-route': return `route of ${pl.route.chain} (${pl.route.engine}, ${pl.route.consensus}, ${pl.route.gateways.length} gateways, ${pl.route.status})`;
    case 'freeze':
    case 'unfreeze': return `${freezeTargetText(pl.target)}${pl.kind === 'freeze' && pl.emergency ? ' (confirms an emergency freeze)' : ''}: ${pl.reason}`;
  }
}

function freezeTargetText(t: FreezeTarget): string {
  switch (t.type) {
    case 'did': return t.did;
    case 'account': return `${t.currency} account of ${t.did} on ${t.chain}`;
    case 'contract': return `contract ${t.id} on ${t.chain}`;
    case 'token': return `token ${t.denom} on ${t.chain === '*' ? 'every chain' : t.chain}`;
    case 'evm-contract': return `EVM contract ${t.address} on ${t.chain}`;
  }
}

function parseRoles(v: string): Role[] {
  const roles = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const r of roles) {
    if (!(ROLES as readonly string[]).includes(r)) throw new InvalidArgumentError(`unknown role "${r}"; roles are ${ROLES.join(', ')}.`);
  }
  if (roles.length === 0) throw new InvalidArgumentError('name at least one role.');
  return roles as Role[];
}

function intArg(what: string, min = 0) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${what} must be a whole number.`);
    const n = Number(v);
    if (n < min || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${what} must be a whole number from ${min}.`);
    return n;
  };
}

// ---- command bodies ------------------------------------------------------------------------

export async function orgList(o: GovReadCliOptions): Promise<void> {
  const members = await govMembers(client(o), { chain: o.chain, verified: o.verify === true });
  emit(o, { chain: o.chain, members }, () => {
    if (members.length === 0) return `no members on chain ${o.chain}: governance is not initialised (a founder runs \`shulian gov init\`)`;
    const rows = [['DID', 'NAME', 'ROLES', 'ADMITTED']];
    for (const m of members) rows.push([m.did, `${m.name}${m.nameZh ? ` (${m.nameZh})` : ''}`, m.roles.join(','), m.proposal === 0 ? `founder, height ${m.admittedAt}` : `#${m.proposal}, height ${m.admittedAt}`]);
    return table(rows);
  });
}

export interface OrgProposeOptions extends ProposeCliOptions {
  did: string;
  name: string;
  nameZh?: string;
  roles: Role[];
}

export async function orgPropose(o: OrgProposeOptions): Promise<void> {
  const key = await loadKey(o.key, o.passwordEnv);
  const member = { did: o.did, name: o.name, roles: o.roles, ...(o.nameZh !== undefined ? { nameZh: o.nameZh } : {}) };
  const r = await govPropose(client(o), key, titled({ kind: 'admit-member', member }, o), sendOpts(o));
  proposed(o, 'admit-member', r, [`admits     ${o.name} ${o.did} as ${o.roles.join(',')}`]);
}

export interface GovInitOptions extends GovSignCliOptions {
  name: string;
  nameZh?: string;
  /** Initial policy changes (JSON or @file). */
  policy?: string;
  /** alliance.json of the node whose chains to register. */
  allianceFile?: string;
}

export async function govInitCmd(o: GovInitOptions): Promise<void> {
  const args: InitArgs = {
    name: o.name,
    ...(o.nameZh !== undefined ? { nameZh: o.nameZh } : {}),
    ...(o.policy !== undefined ? { policy: jsonArg(o.policy, '--policy') as unknown as PolicyPatch } : {}),
  };
  if (o.allianceFile !== undefined) {
    const file = jsonArg(`@${o.allianceFile}`, '--alliance-file') as { chains?: Genesis[] } | null;
    if (!file || !Array.isArray(file.chains)) throw usage(`--alliance-file ${o.allianceFile} has no "chains" list; give a node's alliance.json`);
    args.chains = file.chains.map((genesis) => ({ genesis }));
  }
  const key = await loadKey(o.key, o.passwordEnv);
  const inc = await govInit(client(o), key, args, sendOpts(o));
  const res = inc.receipt.result as { operator: string; chains: string[] };
  emit(o, { operator: res.operator, chains: res.chains, tx: inc.hash, height: inc.height }, () => [
    `initialised governance on chain ${o.chain}`,
    `operator   ${o.name} ${res.operator}`,
    `chains     ${res.chains.length ? res.chains.join(', ') : '(none registered)'}`,
    `tx         ${inc.hash} (height ${inc.height})`,
  ]);
}

export interface GovProposeOptions extends ProposeCliOptions {
  kind: string;
  /** The kind's fields as JSON (or @file). */
  args: string;
}

export async function govProposeCmd(o: GovProposeOptions): Promise<void> {
  if (!(PROPOSAL_KINDS as readonly string[]).includes(o.kind)) throw usage(`unknown --kind "${o.kind}"; kinds are ${PROPOSAL_KINDS.join(', ')}`);
  const fields = jsonArg(o.args, '--args');
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) throw usage('--args must be a JSON object with the fields of the proposal kind (see docs/governance.md)');
  if ('kind' in fields) throw usage('give the kind with --kind, not inside --args');
  const input = { ...fields, kind: o.kind } as unknown as ProposalInput;
  const key = await loadKey(o.key, o.passwordEnv);
  const r = await govPropose(client(o), key, titled(input, o), sendOpts(o));
  proposed(o, o.kind as ProposalKind, r);
}

export interface ChainProposeOptions extends ProposeCliOptions {
  /** Genesis draft file (JSON). */
  genesis: string;
  admission?: string;
  owner?: string;
  /** Start the chain in sandbox mode (docs/governance.md#sandbox-chains). */
  sandbox?: boolean;
}

export async function chainProposeCmd(o: ChainProposeOptions): Promise<void> {
  const draft = jsonArg(o.genesis.startsWith('@') ? o.genesis : `@${o.genesis}`, '--genesis') as unknown as GenesisDraft;
  const genesis: GenesisDraft = o.sandbox === true ? { ...draft, sandbox: true } : draft;
  const input: ProposalInput = {
    kind: 'create-chain', genesis,
    ...(o.admission !== undefined ? { admission: jsonArg(o.admission, '--admission') as unknown as AdmissionPolicy } : {}),
    ...(o.owner !== undefined ? { owner: o.owner } : {}),
  };
  const key = await loadKey(o.key, o.passwordEnv);
  const r = await govPropose(client(o), key, titled(input, o), sendOpts(o));
  const p = await govProposal(client(o), r.id, { chain: o.chain });
  const hash = p?.payload.kind === 'create-chain' ? p.payload.genesisHash : undefined;
  proposed(o, 'create-chain', r, [
    `chain      ${genesis.chain}${genesis.sandbox === true ? ' — SANDBOX: sandbox money only, no cross-chain path to production chains until promoted' : ''}`,
    ...(hash ? [`genesis    ${hash} (the hash the named nodes will start)`] : []),
  ]);
}

export interface GovVoteOptions extends GovSignCliOptions {}

export async function govVoteCmd(id: number, choice: VoteChoice, o: GovVoteOptions): Promise<void> {
  const key = await loadKey(o.key, o.passwordEnv);
  const r = await govVote(client(o), key, id, choice, sendOpts(o));
  emit(o, { id, choice, status: r.status, tally: r.tally, tx: r.tx.hash, height: r.tx.height }, () => [
    `voted      ${choice} on proposal #${id}`,
    `tally      ${r.tally.yes} yes, ${r.tally.no} no, ${r.tally.abstain} abstain`,
    `status     ${r.status}${r.status === 'approved' ? ' — applied in the same block' : ''}`,
    `tx         ${r.tx.hash} (height ${r.tx.height})`,
  ]);
}

export async function govCloseCmd(id: number, o: GovSignCliOptions): Promise<void> {
  const key = await loadKey(o.key, o.passwordEnv);
  const r = await govClose(client(o), key, id, sendOpts(o));
  emit(o, { id, status: r.status, reason: r.reason, tally: r.tally, tx: r.tx.hash, height: r.tx.height }, () => [
    `closed     proposal #${id}: ${r.status}${r.reason && r.reason !== 'approved' ? ` (${r.reason})` : ''}`,
    `tally      ${r.tally.yes} yes, ${r.tally.no} no, ${r.tally.abstain} abstain`,
    `tx         ${r.tx.hash} (height ${r.tx.height})`,
  ]);
}

export interface GovListOptions extends GovReadCliOptions {
  status?: ProposalStatus;
  kind?: ProposalKind;
  limit: number;
}

export async function govListCmd(o: GovListOptions): Promise<void> {
  const proposals = await govProposals(client(o), {
    chain: o.chain, verified: o.verify === true, limit: o.limit,
    ...(o.status !== undefined ? { status: o.status } : {}), ...(o.kind !== undefined ? { kind: o.kind } : {}),
  });
  emit(o, { chain: o.chain, proposals }, () => {
    if (proposals.length === 0) return `no proposals on chain ${o.chain}${o.status ? ` with status ${o.status}` : ''}`;
    const rows = [['ID', 'KIND', 'SUBJECT', 'PROPOSER', 'VOTES (Y/N/A of N)', 'STATUS']];
    for (const p of proposals) {
      rows.push([`#${p.id}`, p.kind, subjectOf(p), p.proposer, `${p.tally.yes}/${p.tally.no}/${p.tally.abstain} of ${p.electorate.length}`, p.status === 'voting' ? (p.closable ? 'voting ended: close it' : `voting until ${p.endHeight}`) : p.status]);
    }
    return table(rows);
  });
}

export async function govShowCmd(id: number, o: GovReadCliOptions): Promise<void> {
  const c = client(o);
  const p = await govProposal(c, id, { chain: o.chain, verified: o.verify === true });
  if (!p) throw new ShulianError('GOV_PROPOSAL_NOT_FOUND', `no proposal #${id} on chain ${o.chain}; list them with \`shulian gov list\``);
  const votes = await govVotes(c, id, { chain: o.chain, height: p.readAt, verified: o.verify === true });
  emit(o, { proposal: p, votes }, () => [
    `proposal   #${p.id} ${p.kind}${p.title ? ` — ${p.title}` : ''}`,
    `subject    ${subjectOf(p)}`,
    `proposer   ${p.proposer} at height ${p.createdAt}`,
    `rules      quorum ${percent(p.rules.quorumBps)} of ${p.electorate.length} (${p.rules.voters.join(', ')}); yes > ${percent(p.rules.thresholdBps)} of yes + no`,
    `tally      ${p.tally.yes} yes, ${p.tally.no} no, ${p.tally.abstain} abstain`,
    `status     ${statusLine(p)}`,
    ...votes.map((v) => `vote       ${v.choice.padEnd(7)} ${v.voter} (height ${v.height})`),
    ...(p.payload.kind === 'create-chain' ? [`genesis    ${p.payload.genesisHash}`] : []),
    ...(p.description ? ['', p.description] : []),
  ]);
}

function chainRow(c: ChainRecord): string[] {
  const last = c.validators[c.validators.length - 1]!;
  return [c.id, `${c.genesis.name}${c.genesis.nameZh ? ` (${c.genesis.nameZh})` : ''}`, c.status, c.sandbox ? 'SANDBOX' : 'production', c.owner, `${last.validators.length}${last.effectiveHeight > 0 ? ` from ${last.effectiveHeight}` : ''}`, c.admission.type, c.genesisHash.slice(0, 16) + '…'];
}

export async function govChainsCmd(o: GovReadCliOptions): Promise<void> {
  const chains = await govChains(client(o), { chain: o.chain, verified: o.verify === true });
  emit(o, { chain: o.chain, chains }, () => {
    if (chains.length === 0) return `no chains in the registry of ${o.chain} yet; propose one with \`shulian chain propose\``;
    return table([['ID', 'NAME', 'STATUS', 'MODE', 'OWNER', 'VALIDATORS', 'ADMISSION', 'GENESIS'], ...chains.map(chainRow)]);
  });
}

export async function govPolicyCmd(o: GovReadCliOptions): Promise<void> {
  const policy = await govPolicy(client(o), { chain: o.chain, verified: o.verify === true });
  if (!policy) throw new ShulianError('GOV_NOT_INITIALIZED', `governance on chain ${o.chain} is not initialised yet; a founder runs \`shulian gov init\``);
  emit(o, { chain: o.chain, policy }, () => [
    ...table([
      ['KIND', 'PROPOSERS', 'VOTERS', 'QUORUM', 'THRESHOLD', 'PERIOD'],
      ...PROPOSAL_KINDS.map((k) => {
        const r = policy.kinds[k] ?? DEFAULT_POLICY.kinds[k];
        return [k, r.proposers.join(','), r.voters.join(','), percent(r.quorumBps), `> ${percent(r.thresholdBps)}`, `${r.votingPeriod} blocks`];
      }),
    ]),
    `validator changes need ${policy.validatorChangeDelay} blocks' notice; at most ${policy.maxOpenProposals} open proposals per proposer`,
  ]);
}

// ---- commander factories -------------------------------------------------------------------

const chainOption = (): Option => new Option('--chain <id>', 'governance chain id').default(DEFAULT_GOV_CHAIN);
const verifyOption = (): Option => new Option('--verify', 'check every state read\'s proof locally against the chain\'s validators');

function signing(cmd: Command): Command {
  return cmd
    .addOption(keyOption())
    .addOption(new Option('--password-env <var>', 'read the keystore password from this environment variable (default: ask at the terminal)'))
    .option('--timeout <ms>', 'how long to wait for the block', intArg('--timeout', 1), 30000)
    .addOption(chainOption())
    .addOption(apiOption())
    .addOption(jsonOption());
}

function reading(cmd: Command): Command {
  return cmd.addOption(chainOption()).addOption(verifyOption()).addOption(apiOption()).addOption(jsonOption());
}

function titledOpts(cmd: Command): Command {
  return cmd.option('--title <text>', 'one-line title').option('--description <text>', 'longer description');
}


/** `shulian org list|propose`. */
export function orgCommand(): Command {
  const org = new Command('org').description('member organisations of the alliance (governance chain)');
  reading(org.command('list').description('list the member organisations and their roles'))
    .action(run<[], GovReadCliOptions>(orgList));
  titledOpts(signing(org.command('propose').description('propose admitting an organisation (an admit-member proposal)')))
    .requiredOption('--did <did>', 'the organisation\'s DID')
    .requiredOption('--name <name>', 'its name')
    .option('--name-zh <name>', 'its Chinese name')
    .option('--roles <roles>', `comma-separated roles: ${ROLES.join(', ')}`, parseRoles, ['member'] as Role[])
    .action(run<[], OrgProposeOptions>(orgPropose));
  return org;
}

/** `shulian gov init|propose|vote|close|list|show|chains|policy`. */
export function govCommand(): Command {
  const gov = new Command('gov').description('proposals, votes, policy and the chain registry of the governance chain (以链治链)');
  signing(gov.command('init').description('bootstrap governance once, as a founder (a genesis validator of the governance chain)'))
    .requiredOption('--name <name>', 'the operator organisation\'s name')
    .option('--name-zh <name>', 'its Chinese name')
    .option('--policy <json>', 'initial policy: changes to the default policy, as JSON or @file (e.g. the modules business chains may run)')
    .option('--alliance-file <file>', 'register the chains listed in this alliance.json as the alliance\'s existing chains')
    .action(run<[], GovInitOptions>(govInitCmd));
  titledOpts(signing(gov.command('propose').description('make a proposal of any kind')))
    .addOption(new Option('--kind <kind>', 'proposal kind').choices([...PROPOSAL_KINDS]).makeOptionMandatory())
    .requiredOption('--args <json>', 'the kind\'s fields as JSON, or @file.json (see docs/governance.md)')
    .action(run<[], GovProposeOptions>(govProposeCmd));
  signing(gov.command('vote').description('vote on an open proposal (final: one vote per member)'))
    .argument('<id>', 'proposal id', intArg('<id>', 1))
    .addArgument(new Argument('<choice>', 'yes, no or abstain').choices(['yes', 'no', 'abstain']))
    .action(run<[number, VoteChoice], GovVoteOptions>(govVoteCmd));
  signing(gov.command('close').description('close a proposal whose voting period has ended (anyone may)'))
    .argument('<id>', 'proposal id', intArg('<id>', 1))
    .action(run<[number], GovSignCliOptions>(govCloseCmd));
  reading(gov.command('list').description('list proposals, newest first'))
    .addOption(new Option('--status <status>', 'only proposals in this status').choices(['voting', 'approved', 'rejected', 'failed']))
    .addOption(new Option('--kind <kind>', 'only proposals of this kind').choices([...PROPOSAL_KINDS]))
    .option('--limit <n>', 'most proposals to show', intArg('--limit', 1), 50)
    .action(run<[], GovListOptions>(govListCmd));
  reading(gov.command('show').description('show a proposal with its votes'))
    .argument('<id>', 'proposal id', intArg('<id>', 1))
    .action(run<[number], GovReadCliOptions>(govShowCmd));
  reading(gov.command('chains').description('list the alliance\'s chain registry'))
    .action(run<[], GovReadCliOptions>(govChainsCmd));
  reading(gov.command('policy').description('show the alliance policy: who may propose what, quorum and thresholds'))
    .action(run<[], GovReadCliOptions>(govPolicyCmd));
  return gov;
}

/** `shulian chain propose`: add it to the existing `chain` command. */
export function chainProposeCommand(): Command {
  return titledOpts(signing(new Command('propose').description('propose a new business chain (a create-chain proposal) from a genesis file')))
    .requiredOption('--genesis <file>', 'genesis draft (JSON): chain, name, suite, consensus, validators, modules, params?')
    .option('--admission <json>', 'admission policy as JSON or @file, e.g. \'{"type":"members"}\' (default: members)')
    .option('--owner <did>', 'owning member organisation (default: the signer)')
    .option('--sandbox', 'start the chain in sandbox mode: sandbox money only, no cross-chain path to production chains until a promote-chain vote')
    .action(run<[], ChainProposeOptions>(chainProposeCmd));
}

export async function chainPromoteCmd(chain: string, o: ProposeCliOptions): Promise<void> {
  const key = await loadKey(o.key, o.passwordEnv);
  const r = await govPropose(client(o), key, titled({ kind: 'promote-chain', chain }, o), sendOpts(o));
  proposed(o, 'promote-chain', r, [`chain      ${chain} leaves sandbox mode once approved (its sandbox money stays sandbox money)`]);
}

/** `shulian chain promote <id>`: propose taking a sandbox chain out of sandbox mode. */
export function chainPromoteCommand(): Command {
  return titledOpts(signing(new Command('promote').description('propose promoting a sandbox business chain to production (a promote-chain proposal)')))
    .argument('<chain>', 'the sandbox chain id')
    .action(run<[string], ProposeCliOptions>(chainPromoteCmd));
}
