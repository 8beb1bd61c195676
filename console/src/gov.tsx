/**
 * Governance words and facts shared by the alliance and chains pages: proposal kinds and their
 * subjects in both languages, voting periods in time as well as blocks, and who votes on a kind
 * of proposal right now (read from the governance chain, not assumed).
 */
import type { ReactNode } from 'react';
import { Alert, Space } from 'antd';
import {
  govMembers, govPolicy,
  type Member, type Policy, type ProposalKind, type ProposalView,
} from '../../src/sdk/browser.ts';
import { Ident, UserText, chainName, fmtDuration, roleList } from './components.tsx';
import { client, shortDid, useLoad, useSession } from './session.tsx';

type Tr = (zh: string, en: string) => string;

const KINDS: Record<string, [string, string]> = {
  'admit-member': ['接纳成员', 'admit member'], 'remove-member': ['移除成员', 'remove member'],
  'create-chain': ['创建业务链', 'create business chain'], 'suspend-chain': ['暂停链', 'suspend chain'],
  'resume-chain': ['恢复链', 'resume chain'], 'retire-chain': ['退役链', 'retire chain'],
  'change-validators': ['变更验证节点', 'change validators'], 'set-policy': ['修改联盟策略', 'change policy'],
  'register-regulator': ['登记监管方', 'register regulator'], 'register-gateway': ['登记跨链网关', 'register gateway'],
  'register-route': ['登记跨链路由', 'register cross-chain route'],
  'freeze': ['冻结', 'freeze'], 'unfreeze': ['解除冻结', 'unfreeze'],
  'promote-chain': ['沙箱链转正式', 'promote sandbox chain'],
};

export function kindLabel(kind: string, tr: Tr): string {
  const v = KINDS[kind];
  return v ? tr(v[0], v[1]) : kind;
}

/**
 * What a proposal is about, in the current language: its title when the proposer gave one
 * (their own words), else the kind and its subject ("创建业务链 trade").
 */
export function ProposalSubject({ p }: { p: ProposalView }) {
  const { tr, lang } = useSession();
  if (p.title) return <UserText>{p.title}</UserText>;
  const pl = p.payload;
  let subject: ReactNode = null;
  switch (pl.kind) {
    case 'admit-member': subject = <UserText>{lang === 'zh' ? pl.member.nameZh || pl.member.name : pl.member.name}</UserText>; break;
    case 'remove-member': subject = <span title={pl.did}>{shortDid(pl.did)}</span>; break;
    case 'create-chain': subject = <><Ident>{pl.genesis.chain}</Ident>{pl.genesis.name ? <> · <UserText>{chainName(pl.genesis, lang)}</UserText></> : null}</>; break;
    case 'suspend-chain': case 'resume-chain': case 'retire-chain': case 'promote-chain': case 'change-validators': subject = <Ident>{pl.chain}</Ident>; break;
    case 'register-regulator': subject = <UserText>{lang === 'zh' ? pl.regulator.nameZh || pl.regulator.name : pl.regulator.name}</UserText>; break;
    case 'register-gateway': subject = <UserText>{pl.gateway.name}</UserText>; break;
    case 'register-route': subject = <Ident>{pl.route.chain}</Ident>; break;
    case 'freeze': case 'unfreeze': subject = pl.target.type === 'did' ? <span title={pl.target.did}>{shortDid(pl.target.did)}</span> : <Ident>{pl.target.type === 'account' ? `${pl.target.chain}/${pl.target.currency}` : pl.target.type === 'contract' ? `${pl.target.chain}/${pl.target.id}` : pl.target.type === 'evm-contract' ? `${pl.target.chain}/${pl.target.address}` : `${pl.target.chain}/${pl.target.denom}`}</Ident>; break;
    default: break;
  }
  return <span>{kindLabel(p.kind, tr)}{subject ? <> {subject}</> : null}</span>;
}

/**
 * The recent pace of a chain: mean milliseconds per block over its last 20 blocks (null with
 * fewer than two). Chains under solo consensus make blocks only when transactions come.
 */
export async function blockPace(chain: string): Promise<number | null> {
  const bs = await client.blocks(chain, { limit: 20 }).catch(() => []);
  if (bs.length < 2) return null;
  const span = bs[0]!.time - bs[bs.length - 1]!.time;
  return span > 0 ? span / (bs.length - 1) : null;
}

/** "1000 个区块（按最近出块速度约 2 小时 46 分钟）" / "1000 blocks (about 2 h 46 min at the recent pace)" */
export function periodText(blocks: number, msPerBlock: number | null | undefined, lang: 'zh' | 'en'): string {
  const b = lang === 'zh' ? `${blocks} 个区块` : `${blocks} blocks`;
  if (!msPerBlock) return lang === 'zh' ? `${b}（出块太少，暂无法折算时间）` : `${b} (too few blocks yet to tell the time)`;
  const t = fmtDuration(blocks * msPerBlock, lang);
  return lang === 'zh' ? `${b}（按最近出块速度约 ${t}）` : `${b} (about ${t} at the recent pace)`;
}

export interface Electorate {
  policy: Policy;
  members: Member[];
  voters: Member[];
  me: Member | undefined;
  canPropose: boolean;
  pace: number | null;
}

/** Who votes on `kind` now, whether the signed-in DID may propose it, and the governance chain's pace. */
export function useElectorate(kind: ProposalKind) {
  const { auth, govTick } = useSession();
  return useLoad<Electorate | null>(async () => {
    const [policy, members, pace] = await Promise.all([govPolicy(client), govMembers(client), blockPace('gov')]);
    if (!policy) return null;
    const rules = policy.kinds[kind];
    const voters = members.filter((m) => m.roles.some((r) => rules.voters.includes(r)));
    const me = members.find((m) => m.did === auth?.did);
    return { policy, members, voters, me, canPropose: !!me && me.roles.some((r) => rules.proposers.includes(r)), pace };
  }, [kind, auth?.did, govTick]);
}

/**
 * Before a proposal is started: who votes on it (the members holding a voter role, by name),
 * quorum, threshold and voting period, and whether the signed-in DID may propose it at all.
 */
export function ElectorateNotice({ kind, e }: { kind: ProposalKind; e: Electorate | null | undefined }) {
  const { tr, lang } = useSession();
  if (e === undefined) return null;
  if (e === null) return <Alert type="warning" showIcon data-testid="wiz-electorate" title={tr('治理尚未初始化，暂不能提案', 'Governance is not initialised yet; no proposals can be made')} />;
  const rules = e.policy.kinds[kind];
  const names = e.voters.map((m) => (lang === 'zh' ? m.nameZh || m.name : m.name));
  const who = tr(`持有“${roleList(rules.voters, tr)}”角色的成员组织`, `member organisations holding ${roleList(rules.voters, tr)}`);
  const lines = (
    <Space orientation="vertical" size={2}>
      <span>{tr('谁来投票：', 'Who votes: ')}{who}{tr(`，目前 ${e.voters.length} 个：`, `, ${e.voters.length} now: `)}{names.map((n, i) => <span key={i}>{i > 0 ? tr('、', ', ') : ''}<UserText>{n}</UserText></span>)}</span>
      <span>{tr(`法定人数：选民的 ${rules.quorumBps / 100}% 参与投票；通过门槛：赞成票超过赞成与反对票之和的 ${rules.thresholdBps / 100}%。`, `Quorum: ${rules.quorumBps / 100}% of the electorate votes; threshold: more than ${rules.thresholdBps / 100}% of yes and no votes are yes.`)}</span>
      <span>{tr('投票期：', 'Voting period: ')}{periodText(rules.votingPeriod, e.pace, lang)}</span>
      <span>{tr('可提案的角色：', 'Who may propose: ')}{roleList(rules.proposers, tr)}{tr('；您在治理链上的角色：', '; your roles on the governance chain: ')}{e.me ? roleList(e.me.roles, tr) : tr('无（不是成员组织）', 'none (not a member organisation)')}</span>
    </Space>
  );
  if (e.voters.length === 0) {
    return <Alert type="error" showIcon data-testid="wiz-electorate" title={tr('目前没有成员可以对此类提案投票，提案会被治理链拒绝', 'No member may vote on this kind of proposal now, so the governance chain would refuse it')}
      description={<>{lines}<div>{tr('请先在“链联盟”页提议接纳持有上述角色的成员组织。', 'First propose admitting a member organisation with such a role on the Alliance page.')}</div></>} />;
  }
  if (!e.canPropose) {
    return <Alert type="warning" showIcon data-testid="wiz-electorate" title={tr('您的角色不能提出此类提案', 'Your roles may not make this kind of proposal')} description={lines} />;
  }
  return <Alert type="info" showIcon data-testid="wiz-electorate" title={tr('提交前请了解：', 'Before you start:')} description={lines} />;
}
