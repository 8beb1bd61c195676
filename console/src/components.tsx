import type { ReactNode } from 'react';
import { Alert, Empty, Tag, Typography } from 'antd';
import { errDetail, errText, useSession } from './session.tsx';

export { fmtBytes, fmtDuration } from './format.ts';

type Tr = (zh: string, en: string) => string;

export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return <Alert type="error" showIcon title={<span title={errDetail(error)}>{errText(error)}</span>} style={{ marginBottom: 12 }} data-testid="error" />;
}

export function Json({ value, max = 420 }: { value: unknown; max?: number }) {
  return (
    <pre style={{ background: '#f6f8fa', padding: 12, borderRadius: 6, maxHeight: max, overflow: 'auto', fontSize: 12, margin: 0 }}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/**
 * An identifier shown as it is in both languages (a chain id, a module, a method, a template
 * name, a consensus type): monospace, and marked `data-ident` so the language test knows it is
 * not prose.
 */
export function Ident({ children, tag, color }: { children: ReactNode; tag?: boolean; color?: string }) {
  if (tag) return <Tag color={color} data-ident="" style={{ fontFamily: 'ui-monospace, monospace' }}>{children}</Tag>;
  return <span data-ident="" style={{ fontFamily: 'ui-monospace, monospace', fontSize: '0.92em' }}>{children}</span>;
}

/** What someone typed (a title, a name, a comment): shown as written, in whatever language. */
export function UserText({ children }: { children: ReactNode }) {
  return <span data-user="">{children}</span>;
}

export function Mono({ children, copy }: { children: ReactNode; copy?: boolean }) {
  return (
    <Typography.Text code copyable={copy && typeof children === 'string' ? { text: children } : false} style={{ fontSize: 12, wordBreak: 'break-all' }}>
      {children}
    </Typography.Text>
  );
}

export function Hash({ value }: { value: string }) {
  return <Typography.Text code copyable={{ text: value }} style={{ fontSize: 12 }} title={value}>{value.length > 20 ? `${value.slice(0, 10)}…${value.slice(-8)}` : value}</Typography.Text>;
}

export function NoData({ text }: { text?: ReactNode }) {
  const { tr } = useSession();
  return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={text ?? tr('暂无数据', 'No data')} data-testid="no-data" />;
}

const STATUS: Record<string, [string, string, string]> = {
  voting: ['processing', '投票中', 'voting'],
  approved: ['success', '已通过', 'approved'],
  rejected: ['error', '已否决', 'rejected'],
  failed: ['error', '执行失败', 'failed'],
  active: ['success', '运行中', 'active'],
  suspended: ['warning', '已暂停', 'suspended'],
  retired: ['default', '已退役', 'retired'],
  open: ['processing', '待处理', 'open'],
  'in-progress': ['warning', '处理中', 'in progress'],
  resolved: ['success', '已解决', 'resolved'],
  ok: ['success', '成功', 'ok'],
  err: ['error', '失败', 'failed'],
  error: ['error', '失败', 'failed'],
  committed: ['success', '已上链', 'committed'],
  pending: ['processing', '待确认', 'pending'],
  up: ['success', '在线', 'up'],
  down: ['error', '离线', 'down'],
  sent: ['processing', '已发送', 'sent'],
  received: ['processing', '已接收', 'received'],
  acknowledged: ['success', '已确认', 'acknowledged'],
  'timed-out': ['warning', '已超时', 'timed out'],
  timeout: ['warning', '已超时', 'timed out'],
  refunded: ['default', '已退回', 'refunded'],
  delivered: ['success', '已送达', 'delivered'],
};

/** A status word (proposal, chain, work order, receipt, cross-chain message) in the current language. */
export function statusText(status: string, tr: Tr): string {
  const m = STATUS[status];
  return m ? tr(m[1], m[2]) : tr('其他状态', 'other');
}

export function StatusTag({ status }: { status: string }) {
  const { tr } = useSession();
  const m = STATUS[status];
  // An unknown status keeps its machine word, marked as an identifier, with a neutral label.
  return m ? <Tag color={m[0]}>{tr(m[1], m[2])}</Tag> : <Tag title={status}><Ident>{status}</Ident></Tag>;
}

export function fmtTime(ms: number | undefined, lang: 'zh' | 'en'): string {
  if (!ms) return '—';
  return new Date(ms).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

export function chainName(c: { id?: string; chain?: string; name?: string; nameZh?: string }, lang: 'zh' | 'en'): string {
  return (lang === 'zh' ? c.nameZh || c.name : c.name) || c.id || c.chain || '';
}

export function kindName(kind: string | undefined, tr: Tr): string {
  switch (kind) {
    case 'governance': return tr('治理链', 'governance chain');
    case 'public-service': return tr('公共服务链', 'public service chain');
    case 'business': return tr('业务链', 'business chain');
    default: return '—';
  }
}

const ROLE_NAMES: Record<string, [string, string]> = {
  operator: ['运营方', 'operator'], member: ['成员', 'member'], regulator: ['监管方', 'regulator'], auditor: ['审计方', 'auditor'],
  'gateway-operator': ['网关运营方', 'gateway operator'], 'service-provider': ['服务商', 'service provider'],
};

export function roleName(r: string, tr: Tr): string {
  const n = ROLE_NAMES[r];
  return n ? tr(n[0], n[1]) : r;
}

/** "运营方、成员" / "operator, member" */
export function roleList(rs: readonly string[], tr: Tr): string {
  return rs.map((r) => roleName(r, tr)).join(tr('、', ', '));
}

const MODULES: Record<string, [string, string, string, string]> = {
  notary: ['存证', '记录文件的 SM3 哈希，可凭证明核验', 'notarisation', 'records files\' SM3 digests, checked with proofs'],
  did: ['数字身份', 'DID 文档：密钥、轮换、控制者与服务', 'identity', 'DID documents: keys, rotation, controllers and services'],
  vcstatus: ['凭证状态', '可验证凭证的吊销与暂停列表', 'credential status', 'revocation and suspension lists of verifiable credentials'],
  lexcontract: ['法律合约', '可执行法律合约：部署模板、起草、签署、履行', 'legal contracts', 'executable legal contracts: templates, drafts, signatures, performance'],
  settlement: ['结算', '账户、结算指令、清算、发票与对账', 'settlement', 'accounts, settlement instructions, clearing, invoices and statements'],
  xchain: ['跨链消息', '带证明的跨链消息收发，由网关中继', 'cross-chain messages', 'cross-chain messages with proofs, relayed by gateways'],
  xtransfer: ['跨链转账', '通证在链与链之间转移', 'cross-chain transfers', 'tokens moved between chains'],
  xdoc: ['跨链文书', '文件凭证在链与链之间传递', 'cross-chain documents', 'document records passed between chains'],
  xcall: ['跨链调用', '调用另一条链上的模块', 'cross-chain calls', 'calls to modules on another chain'],
  xlock: ['跨链锁定', '参与多链原子交易（锁定与释放）', 'cross-chain locks', 'takes part in multi-chain atomic transactions (lock and release)'],
  xtx: ['跨链事务', '协调多链原子交易（两阶段提交）', 'cross-chain transactions', 'coordinates multi-chain atomic transactions (two-phase commit)'],
  xroute: ['跨链路由', '登记各链的路由与轻客户端信任根', 'cross-chain routing', 'registers chains\' routes and light-client trust roots'],
  evidence: ['违规证据', '记录验证节点的双重签名证据', 'evidence', 'records validators\' double-signing evidence'],
  validators: ['验证节点变更', '按治理决定变更验证节点集合', 'validator changes', 'applies governance\'s validator-set changes'],
  evm: ['以太坊虚拟机', '运行以太坊虚拟机合约', 'EVM', 'runs EVM contracts'],
  supervision: ['监管规则', '监管机构发布的合规规则、名单与模板审批（规则按版本生效）', 'supervision rules', 'compliance rules, lists and template approvals published by regulators (versioned)'],
  governance: ['治理', '成员、提案、投票与链联盟策略', 'governance', 'members, proposals, votes and the alliance policy'],
  catalog: ['数据目录', '机构发布的数据集、分发与访问服务，带开放等级与版本', 'data catalog', 'datasets published by organisations, with distributions, access services, sensitivity and versions'],
  dataauth: ['数据授权', '数据申请、审批或常设要约决定、授权及每次使用的记录', 'data authorisation', 'data requests, decisions by the owner or a standing offer, grants and a record of every use'],
  consent: ['个人授权同意', '个人授权凭证的摘要与状态、撤回与数据可携带请求', 'consent', 'digests and states of citizens\' consent credentials, withdrawal and portability requests'],
  credadmit: ['凭证准入', '为加入业务链出示一次的可验证表述', 'credential admission', 'verifiable presentations given once to be admitted to a business chain'],
  market: ['生态服务市场', '服务商签名发布的接口产品、套餐与订阅合约，按计量用量结算并分账', 'service market', 'API products signed by providers, plans and subscription contracts, settled and split by metered usage'],
  collectible: ['数字藏品', '定量发行的藏品类别与链上转赠规则（持有期、实名、次数、冷却期），以及集邮册', 'digital collectibles', 'classes with a fixed supply and transfer rules on chain (holding period, real name, gift limits, cooldown), and albums'],
  coupon: ['优惠券', '有预算的优惠券活动：满减、折扣与立减，叠加、有效期与商户，领取、核销、过期与退回', 'coupons', 'coupon campaigns with a budget: threshold, percentage and fixed discounts, stacking, windows and merchants; issue, redeem, expire, refund'],
  carbon: ['碳普惠', '经表决登记的方法学、按减排活动签发碳积分（同一减排不重复计）、转让、注销与兑换', 'carbon points', 'methodologies registered by vote, points issued for reductions (never the same one twice), transfer, retirement and exchange'],
  material: ['材料链', '行政材料按摘要登记：版本、持有人授权与机构复用记录', 'material chain', 'administrative materials by digest: versions, holder grants and a log of agencies\' reuse'],
  privacy: ['隐私计算', '隐私求交、求交计数与求交求和的申请、授权与同意核验及审计记录', 'privacy computing', 'PSI, PSI-cardinality and PSI-sum runs: requests checked against grants and consents, with an audit record'],
};

/** A module's name and what it does, in the current language. */
export function moduleInfo(m: string, tr: Tr): { name: string; description: string } {
  const d = MODULES[m];
  return d ? { name: tr(d[0], d[2]), description: tr(d[1], d[3]) } : { name: m, description: tr('本版本未附说明的模块', 'a module this version does not describe') };
}

/** A module as a tag: its name in the current language, the identifier on hover. */
export function ModuleTag({ m }: { m: string }) {
  const { tr } = useSession();
  const info = moduleInfo(m, tr);
  return <Tag title={`${m} · ${info.description}`}>{MODULES[m] ? info.name : <Ident>{m}</Ident>}</Tag>;
}

/** The consensus type in words. */
export function consensusName(t: string | undefined, tr: Tr): string {
  if (t === 'solo') return tr('单节点', 'solo');
  if (t === 'tbft') return tr('拜占庭容错（TBFT）', 'TBFT');
  return t ?? '—';
}

/** The SANDBOX label of a sandbox business chain (docs/governance.md#sandbox-chains). */
export function SandboxTag({ tr }: { tr: (zh: string, en: string) => string }) {
  return <Tag color="volcano" data-testid="sandbox-tag" title={tr('沙箱链：仅沙箱资金，与生产链之间无跨链通道，经治理投票转正式后解除', 'Sandbox chain: sandbox money only, no cross-chain path to production chains, until promoted by a governance vote')}>{tr('沙箱', 'SANDBOX')}</Tag>;
}

/** Saves text as a file through the browser's download (keystores, exports); nothing goes to the node. */
export function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
