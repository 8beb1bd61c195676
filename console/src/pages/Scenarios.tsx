/**
 * Scenarios (场景): the scenarios of issues #19 and #26 (scenarios/rural, scenarios/lowcarbon,
 * scenarios/medical) as the chains hold them — the rural subsidy the county computed from
 * cross-chain answers and paid, the low-carbon contract's revenue split, the medical statistics
 * API with its privacy runs, subscriptions and the consortium's split — and the token modules' own views on any chain
 * that runs them: collectibles (classes, holders, albums, may a token move now and why not),
 * coupons (campaigns, budget used and left, redemptions), carbon points (methodologies, points
 * issued per version, retirements). The trade scenario (scenarios/trade, 航贸数链): its gemstones,
 * the bills of lading and the release-against-payment transactions (2PC) with their outcome.
 * Everything is read from the chain, nothing from a file.
 */
import { useState } from 'react';
import { Card, Col, Descriptions, Row, Select, Space, Statistic, Table, Tabs, Tag, Typography } from 'antd';
import {
  carbonMethodologies, carbonRetirementList, carbonTotals, collectibleAlbums, collectibleClasses, collectibleMayMove, couponCampaigns, listCollectibles, listCoupons, lowCarbonView, medicalView, ruralView, tradeView,
  type CampaignRecord, type ClassRecord, type DiscountRule, type MayMove, type TokenRecord,
} from '../../../src/sdk/browser.ts';
import { ErrorBox, Hash, Ident, NoData, UserText, fmtTime } from '../components.tsx';
import { client, shortDid, useLoad, useSession } from '../session.tsx';

type Tr = (zh: string, en: string) => string;

/** Minor units (fen) as yuan. */
const yuan = (fen: string | number | bigint) => `¥${(Number(fen) / 100).toFixed(2)}`;

function Did({ did }: { did: string }) {
  return <span title={did}><Ident>{shortDid(did)}</Ident></span>;
}

function ruleText(r: DiscountRule, tr: Tr): string {
  if (r.kind === 'threshold') return tr(`满${Number(r.min) / 100}减${Number(r.off) / 100}`, `${yuan(r.off)} off from ${yuan(r.min)}`);
  if (r.kind === 'percent') return tr(`${r.bps / 100}% 折扣，最多减 ${yuan(r.maxOff)}`, `${r.bps / 100}% off, at most ${yuan(r.maxOff)}`);
  return tr(`立减 ${yuan(r.off)}`, `${yuan(r.off)} off`);
}

function rulesText(c: ClassRecord, tr: Tr): string {
  const r = c.rules;
  if (!r.transferable) return tr('不可转赠（灵魂绑定）', 'not transferable (soulbound)');
  const parts = [tr('可转赠', 'may be gifted')];
  if (r.holdDays > 0) parts.push(tr(`持有满 ${r.holdDays} 天后`, `after ${r.holdDays} days of holding`));
  if (r.realNameVerifier) parts.push(tr('仅赠予实名认证的 DID', 'only to real-name verified DIDs'));
  if (r.maxGifts !== undefined) parts.push(tr(`最多转赠 ${r.maxGifts} 次`, `at most ${r.maxGifts} gifts`));
  if (r.cooldownDays > 0) parts.push(tr(`两次转赠间隔 ${r.cooldownDays} 天`, `${r.cooldownDays} days between gifts`));
  parts.push(tr('不可出售', 'never sold'));
  return parts.join(tr('，', ', '));
}

const MOVE_REASON: Record<string, [string, string]> = {
  COLLECTIBLE_LOCKED: ['不可转赠（灵魂绑定）', 'not transferable (soulbound)'],
  COLLECTIBLE_HOLDING: ['持有期未满', 'holding period not over'],
  COLLECTIBLE_GIFT_LIMIT: ['已达转赠次数上限', 'gift limit reached'],
  COLLECTIBLE_COOLDOWN: ['转赠冷却期内', 'in the cooldown between gifts'],
  COLLECTIBLE_NOT_REAL_NAME: ['可以，但受赠人须实名认证', 'yes, to a real-name verified recipient'],
  COLLECTIBLE_NOT_OWNER: ['不属于该持有人', 'not the holder\'s'],
};

/** "May the holder gift it now?" for any recipient: the chain's own rule on the records read now. */
function MayMoveTag({ m, tr, lang }: { m: MayMove | undefined; tr: Tr; lang: 'zh' | 'en' }) {
  if (!m) return null;
  if (m.ok) return <Tag color="success">{tr('现在可以转赠', 'may move now')}</Tag>;
  const why = MOVE_REASON[m.code];
  const yes = m.code === 'COLLECTIBLE_NOT_REAL_NAME';
  return (
    <span data-testid="may-move" data-code={m.code}>
      <Tag color={yes ? 'blue' : 'orange'}>{why ? tr(why[0], why[1]) : m.code}</Tag>
      {m.until !== undefined && <span>{tr('自 ', 'from ')}{fmtTime(m.until, lang)}</span>}
      {' '}<Ident>{m.code}</Ident>
    </span>
  );
}

function useTokenChains(module: string) {
  return useLoad(async () => (await client.chains()).filter((c) => c.modules.includes(module)).map((c) => c.id), [module]);
}

function ChainPicker({ module, value, onChange }: { module: string; value: string | undefined; onChange: (c: string) => void }) {
  const { tr } = useSession();
  const chains = useTokenChains(module);
  const list = chains.data ?? [];
  const chosen = value ?? list[0];
  if (chosen !== undefined && value === undefined) queueMicrotask(() => onChange(chosen));
  return (
    <Space style={{ marginBottom: 12 }}>
      <span>{tr('业务链', 'Business chain')}</span>
      <Select data-testid={`${module}-chain`} style={{ minWidth: 200 }} value={chosen} onChange={onChange} options={list.map((c) => ({ value: c, label: <Ident>{c}</Ident> }))}
        notFoundContent={tr('没有运行该模块的链', 'No chain runs this module')} />
    </Space>
  );
}

/** A scenario's business chains, each marked running or not created yet. */
function ChainTags<K extends string>({ chains, labels }: { chains: Record<K, boolean>; labels: Record<K, string> }) {
  const { tr } = useSession();
  return (
    <Space wrap style={{ marginBottom: 12 }}>
      {(Object.keys(labels) as K[]).map((k) => <Tag key={k} color={chains[k] ? 'success' : 'default'}>{labels[k]}{chains[k] ? '' : tr('（未创建）', ' (not created)')}</Tag>)}
    </Space>
  );
}

// ---- the scenarios ----

function RuralCard() {
  const { tr, lang } = useSession();
  const v = useLoad(() => ruralView(client), []);
  if (v.error) return <ErrorBox error={v.error} />;
  const d = v.data;
  const run = d?.runs.at(-1);
  const answers = d?.answers ?? [];
  const paid = run?.subsidies[0];
  // The distributor's line of the payment: what it received.
  const paidAmount = paid?.lines.find((l) => l.account === run?.delivery.issuer)?.amount;
  return (
    <Card data-testid="scenario-rural" loading={v.loading} title={tr('乡村振兴：政府补贴精准发放', 'Rural revitalisation: precise subsidies')}>
      {d && <ChainTags chains={d.chains} labels={{ trace: tr('农产品溯源链', 'Traceability chain'), nft: tr('数字藏品链', 'Collectibles chain'), county: tr('乡村振兴链', 'County revitalisation chain') }} />}
      {!run ? <NoData text={<>{tr('尚未运行：', 'Not run yet: ')}<code>shulian scenario run rural</code></>} /> : (
        <>
          <Row gutter={16}>
            <Col span={6}><Statistic title={tr('已交付并获非遗藏品', 'Deliveries with a heritage collectible')} value={run.delivery.minted} /></Col>
            <Col span={6}><Statistic title={tr('专属权益藏品', 'Exclusive collectibles')} value={run.exclusive?.minted ?? 0} /></Col>
            <Col span={6}><Statistic title={tr('民宿券已核销 / 已发放', 'Homestay coupons redeemed / issued')} value={`${run.campaign?.redeemed ?? 0} / ${run.campaign?.issued ?? 0}`} /></Col>
            <Col span={6}><Statistic title={tr('已支付补贴', 'Subsidy paid')} value={paidAmount ? yuan(paidAmount) : '—'} /></Col>
          </Row>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('县乡村振兴链的跨链查询（带证明的应答）', 'The county chain\'s cross-chain calls (proven answers)')}</Typography.Title>
          <Table data-testid="rural-answers" size="small" rowKey="sequence" pagination={false} dataSource={answers}
            columns={[
              { title: tr('序号', 'No.'), dataIndex: 'sequence' },
              { title: tr('查询', 'Query'), render: (_, a) => <Ident>{`${a.module}.${a.query}`}</Ident> },
              { title: tr('藏品类别', 'Class'), render: (_, a) => <Ident>{String((a.args as { id?: string } | null)?.id ?? '')}</Ident> },
              { title: tr('状态', 'Status'), render: (_, a) => <Tag color={a.status === 'answered' ? 'success' : 'warning'}>{a.status === 'answered' ? tr('已应答', 'answered') : a.status === 'pending' ? tr('等待中', 'pending') : tr('失败', 'failed')}</Tag> },
              { title: tr('已铸造（核验的消费）', 'Minted (verified consumption)'), render: (_, a) => String((a.result as { minted?: number } | null)?.minted ?? '—') },
              { title: tr('发行方', 'Issuer'), render: (_, a) => { const i = (a.result as { issuer?: string } | null)?.issuer; return i ? <Did did={i} /> : '—'; } },
            ]} />
          <Descriptions size="small" column={1} style={{ marginTop: 16 }} data-testid="rural-subsidy">
            <Descriptions.Item label={tr('补贴计算', 'Subsidy')}>
              {tr(`${run.delivery.minted} 份核验交付、${run.exclusive?.minted ?? 0} 位达到专属权益档的消费者`, `${run.delivery.minted} verified deliveries, ${run.exclusive?.minted ?? 0} consumers at the exclusive tier`)}
            </Descriptions.Item>
            <Descriptions.Item label={tr('结算链支付', 'Paid on the settlement chain')}>
              {paid ? <span data-testid="rural-subsidy-paid">{yuan(paidAmount ?? '0')}{tr('，日记账分录 ', ', journal entry ')}{paid.n}{tr('，', ', ')}{fmtTime(paid.time, lang)}{tr('，收款方 ', ', to ')}<Did did={run.delivery.issuer} /></span> : tr('尚未支付', 'not paid yet')}
            </Descriptions.Item>
          </Descriptions>
        </>
      )}
    </Card>
  );
}

function LowCarbonCard() {
  const { tr } = useSession();
  const v = useLoad(() => lowCarbonView(client), []);
  if (v.error) return <ErrorBox error={v.error} />;
  const d = v.data;
  const paid = (d?.contracts ?? []).flatMap((c) => c.settlements.map((s) => ({ contract: c.instance.id, ...s })));
  return (
    <Card data-testid="scenario-lowcarbon" loading={v.loading} title={tr('低碳生活：多主体间资产互通', 'Low-carbon life: assets across parties')}>
      {!d?.running ? <NoData text={<>{tr('尚未运行：', 'Not run yet: ')}<code>shulian scenario run lowcarbon</code></>} /> : (
        <>
          <Row gutter={16}>
            <Col span={6}><Statistic title={tr('已登记方法学', 'Methodologies registered')} value={d.methodologies.filter((m) => m.proposal.status === 'registered').length} /></Col>
            <Col span={6}><Statistic title={tr('流通中的碳积分', 'Carbon points outstanding')} value={d.totals.supply} /></Col>
            <Col span={6}><Statistic title={tr('已核销优惠券', 'Coupons redeemed')} value={d.campaigns.reduce((n, c) => n + c.redeemed, 0)} /></Col>
            <Col span={6}><Statistic title={tr('获客费分账合约', 'Acquisition-fee contracts')} value={d.contracts.length} /></Col>
          </Row>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('法律合约的分账（碳积分兑换商场消费券）', 'The lex contract\'s revenue split (carbon points for coupons)')}</Typography.Title>
          <Table data-testid="lowcarbon-split" size="small" rowKey={(s) => `${s.contract}:${s.n}`} pagination={false} dataSource={paid}
            columns={[
              { title: tr('合约', 'Contract'), render: (_, s) => <Hash value={s.contract} /> },
              { title: tr('付款方', 'Payer'), render: (_, s) => <Did did={s.instruction.from} /> },
              { title: tr('金额', 'Amount'), render: (_, s) => yuan(s.instruction.amount.minor) },
              { title: tr('分账', 'Split'), render: (_, s) => (s.instruction.kind === 'split' ? s.instruction.shares.map((x, i) => <div key={i}>{yuan(x.amount.minor)} ({x.share}) → <Did did={x.to} /></div>) : '—') },
              { title: tr('状态', 'Status'), render: (_, s) => <Tag color={s.status === 'paid' ? 'success' : 'processing'}>{s.status === 'paid' ? tr('已支付', 'paid') : s.status === 'failed' ? tr('失败', 'failed') : tr('处理中', 'in progress')}</Tag> },
            ]} />
        </>
      )}
    </Card>
  );
}

function TradeCard() {
  const { tr } = useSession();
  const v = useLoad(() => tradeView(client), []);
  if (v.error) return <ErrorBox error={v.error} />;
  const d = v.data;
  const gems = d?.gems.at(-1);
  const status = (s: string) => (s === 'committed' ? tr('已提交', 'committed') : s === 'aborted' ? tr('已中止', 'aborted') : tr('进行中', 'in progress'));
  const atomicity = (a: string) => (a === 'all-committed' ? tr('各链均已提交', 'committed on every chain') : a === 'all-rolled-back' ? tr('各链均已回滚，未转移任何资产', 'rolled back everywhere, nothing moved') : a === 'violation' ? tr('不一致', 'violation') : tr('进行中', 'in progress'));
  const EVENTS: Record<string, [string, string]> = { issued: ['签发', 'issued'], sent: ['发出', 'sent'], received: ['接收', 'received'], endorsed: ['背书', 'endorsed'], 'returned-on-error': ['出错退回', 'returned on error'], 'returned-on-timeout': ['超时退回', 'returned on timeout'] };
  const event = (e: string) => { const t = EVENTS[e]; return t ? tr(t[0], t[1]) : e; };
  const VOTES: Record<string, [string, string]> = { yes: ['同意', 'yes'], no: ['反对', 'no'], pending: ['待定', 'pending'], timeout: ['超时', 'timed out'] };
  const vote = (x: string) => { const t = VOTES[x]; return t ? tr(t[0], t[1]) : x; };
  const opText = (op: { kind: string; id?: string; denom?: string; amount?: string; to: string }) => (op.kind === 'endorse'
    ? <span>{tr('提单背书给 ', 'eBL endorsed to ')}<Did did={op.to} /></span>
    : <span>{tr('付款 ', 'pay ')}{op.amount} <Ident>{op.denom ?? ''}</Ident>{tr(' 给 ', ' to ')}<Did did={op.to} /></span>);
  return (
    <Card data-testid="scenario-trade" loading={v.loading} title={tr('航贸数链：跨境溯源、电子提单与付款交单', 'TradeChain: cross-border traceability, eBL and release against payment')}>
      {d && <ChainTags chains={d.chains} labels={{ trade: tr('航贸数链', 'Trade platform chain'), carrier: tr('船公司提单链', 'Carrier eBL chain'), bank: tr('银行贸易金融链', 'Bank trade-finance chain') }} />}
      {!d || d.dvp.length === 0 ? <NoData text={<>{tr('尚未运行：', 'Not run yet: ')}<code>shulian scenario run trade</code></>} /> : (
        <>
          <Row gutter={16}>
            <Col span={6}><Statistic title={tr('溯源宝石（最近一批）', 'Traced gemstones (latest lot)')} value={gems?.minted ?? 0} /></Col>
            <Col span={6}><Statistic title={tr('电子提单', 'Bills of lading')} value={d.bills.length} /></Col>
            <Col span={6}><Statistic title={tr('付款交单已提交', 'Releases committed')} value={d.dvp.filter((t) => t.status === 'committed').length} /></Col>
            <Col span={6}><Statistic title={tr('已中止（无单付款）', 'Aborted (no document)')} value={d.dvp.filter((t) => t.status === 'aborted').length} /></Col>
          </Row>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('付款交单（跨链两阶段提交）', 'Release against payment (cross-chain two-phase commit)')}</Typography.Title>
          <Table data-testid="trade-dvp" size="small" rowKey="id" pagination={{ pageSize: 10 }} dataSource={d.dvp}
            columns={[
              { title: tr('事务', 'Transaction'), render: (_, t) => <Ident>{t.id}</Ident> },
              { title: tr('各链操作', 'Operations per chain'), render: (_, t) => t.participants.map((p) => <div key={p.chain}><Ident>{p.chain}</Ident>{tr('（投票：', ' (vote: ')}{vote(p.vote)}{tr('）：', '): ')}{p.ops.map((op, i) => <span key={i}>{opText(op)} </span>)}</div>) },
              { title: tr('结果', 'Outcome'), render: (_, t) => <Tag color={t.status === 'committed' ? 'success' : t.status === 'aborted' ? 'warning' : 'processing'}>{status(t.status)}</Tag> },
              { title: tr('原子性', 'Atomicity'), render: (_, t) => <span data-testid={`dvp-${t.id}`} data-atomicity={t.atomicity}>{atomicity(t.atomicity)}</span> },
              { title: tr('原因', 'Reason'), render: (_, t) => (t.decision ? <UserText>{t.decision.reason}</UserText> : '—') },
            ]} />
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('电子提单（船公司提单链上的现状）', 'Bills of lading (as the carrier\'s chain holds them)')}</Typography.Title>
          <Table data-testid="trade-bills" size="small" rowKey="id" pagination={false} dataSource={d.bills}
            columns={[
              { title: tr('提单', 'Bill of lading'), render: (_, b) => <Ident>{b.id}</Ident> },
              { title: tr('签发人', 'Issuer'), render: (_, b) => <Did did={b.issuer} /> },
              { title: tr('持有人', 'Holder'), render: (_, b) => <Did did={b.holder} /> },
              { title: tr('所在', 'Where'), render: (_, b) => (b.state === 'here' ? tr('在本链', 'on this chain') : tr(`在 ${b.at ?? ''}`, `on ${b.at ?? ''}`)) },
              { title: tr('流转记录', 'History'), render: (_, b) => <span data-testid={`bill-history-${b.id}`} data-events={b.history.map((h) => `${h.event}@${h.chain}`).join(' ')}>{b.history.map((h, i) => <span key={i}>{i > 0 ? ' → ' : ''}{event(h.event)} <Ident>{h.chain}</Ident></span>)}</span> },
            ]} />
        </>
      )}
    </Card>
  );
}

function MedicalCard() {
  const { tr } = useSession();
  const v = useLoad(() => medicalView(client, { limit: 1 }), []);
  if (v.error) return <ErrorBox error={v.error} />;
  const run = v.data?.runs[0];
  const agreement = run?.agreements.at(-1);
  const status = (s: string) => <Tag color={s === 'paid' ? 'success' : s === 'failed' ? 'error' : 'processing'}>{s === 'paid' ? tr('已支付', 'paid') : s === 'failed' ? tr('失败', 'failed') : tr('处理中', 'in progress')}</Tag>;
  const runStatus: Record<string, [string, string, string]> = { done: ['已完成', 'done', 'success'], failed: ['失败', 'failed', 'error'], admitted: ['进行中', 'running', 'processing'] };
  return (
    <Card data-testid="medical-card" loading={v.loading} title={tr('医研结合：多主体间数据共享', 'Medical research: data shared among many parties')}>
      {!run ? <NoData text={<>{tr('尚未运行：', 'Not run yet: ')}<code>shulian scenario run medical</code></>} /> : (
        <>
          <Row gutter={16}>
            <Col span={6}><Statistic title={tr('最近一次计算的授权校友', 'Consenting alumni, latest computation')} value={run.runs[0]?.consents.length ?? 0} /></Col>
            <Col span={6}><Statistic title={tr('隐私计算（隐私求交求和）', 'Privacy computations (PSI-sum)')} value={run.runs.length} /></Col>
            <Col span={6}><Statistic title={tr('API 订阅', 'API subscriptions')} value={run.subscriptions.length} /></Col>
            <Col span={6}><Statistic title={tr('已计量调用', 'Metered calls')} value={run.subscriptions.reduce((n, s) => n + s.units, 0)} /></Col>
          </Row>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('隐私计算：校友队列与各医院（可用不可见）', 'Privacy computations: the alumni cohort with each hospital (usable but not visible)')}</Typography.Title>
          <Table data-testid="medical-runs" size="small" rowKey="id" pagination={false} dataSource={run.runs}
            columns={[
              { title: tr('计算', 'Run'), render: (_, r) => `#${r.id}` },
              { title: tr('状态', 'Status'), render: (_, r) => { const x = runStatus[r.status] ?? [r.status, r.status, 'default']; return <Tag color={x[2]}>{tr(x[0], x[1])}</Tag>; } },
              { title: tr('医院数据集', 'Hospital dataset'), render: (_, r) => <Ident>{r.parties.find((p) => p.role === 'sender')?.dataset ?? ''}</Ident> },
              { title: tr('授权数', 'Consents'), render: (_, r) => r.consents.length },
              { title: tr('匹配的医院记录', 'Hospital records taking part'), render: (_, r) => r.parties.find((p) => p.role === 'sender')?.report?.records ?? '—' },
              { title: tr('授权默克尔根', 'Consent root'), render: (_, r) => <Hash value={r.consentRoot} /> },
            ]} />
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('统计 API 的订阅（不同定价方案）', 'Subscriptions to the statistics API (different plans)')}</Typography.Title>
          <Table data-testid="medical-subscriptions" size="small" rowKey={(s) => s.subscription.id} pagination={false} dataSource={run.subscriptions}
            columns={[
              { title: tr('订阅方', 'Subscriber'), render: (_, s) => <Did did={s.subscription.buyer} /> },
              { title: tr('方案', 'Plan'), render: (_, s) => <Ident>{s.subscription.plan}</Ident> },
              { title: tr('调用次数', 'Calls'), render: (_, s) => s.units },
              { title: tr('结算', 'Settled'), render: (_, s) => <Tag color={s.settled ? 'success' : 'default'}>{s.settled ? tr('已结算', 'settled') : tr('未结算', 'open')}</Tag> },
            ]} />
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('联合体分成协议（事先签署的法律合约）', 'The consortium\'s revenue-sharing agreement (a lex contract signed beforehand)')}</Typography.Title>
          {!agreement ? <NoData text={tr('没有分成协议', 'No agreement')} /> : (
            <Table data-testid="medical-split" size="small" rowKey="n" pagination={false} dataSource={agreement.settlements}
              columns={[
                { title: tr('类型', 'Kind'), render: (_, s) => (s.instruction.kind === 'split' ? tr('分账', 'split') : s.instruction.kind === 'withhold' ? tr('代扣税款', 'tax withheld') : tr('付款', 'payment')) },
                { title: tr('付款方', 'Payer'), render: (_, s) => <Did did={s.instruction.from} /> },
                { title: tr('金额', 'Amount'), render: (_, s) => yuan(s.instruction.amount.minor) },
                { title: tr('收款方', 'Recipients'), render: (_, s) => (s.instruction.kind === 'split' ? s.instruction.shares.map((x, i) => <div key={i}>{yuan(x.amount.minor)} ({x.share}) → <Did did={x.to} /></div>) : <Did did={s.instruction.to} />) },
                { title: tr('状态', 'Status'), render: (_, s) => status(s.status) },
              ]} />
          )}
        </>
      )}
    </Card>
  );
}

// ---- the modules' own views ----

function ClassTokens({ chain, cls }: { chain: string; cls: ClassRecord }) {
  const { tr, lang } = useSession();
  const t = useLoad(async () => {
    const l = await listCollectibles(client, chain, cls.id);
    const tokens = (l?.tokens ?? []).slice(0, 50);
    // Any recipient other than the holder: the issuer, or a placeholder DID when the issuer holds it.
    const moves = await Promise.all(tokens.map((x) => collectibleMayMove(client, chain, { class: cls.id, serial: x.serial, to: x.owner === cls.issuer ? 'did:shulian:11111111111111111111' : cls.issuer }).catch(() => undefined)));
    return tokens.map((x, i) => ({ ...x, may: moves[i] }));
  }, [chain, cls.id, cls.minted]);
  const holders = new Map<string, number>();
  for (const x of t.data ?? []) holders.set(x.owner, (holders.get(x.owner) ?? 0) + 1);
  return (
    <div data-testid={`class-${cls.id}`}>
      <Typography.Text type="secondary">{tr(`${holders.size} 位持有人`, `${holders.size} holders`)}</Typography.Text>
      <Table size="small" rowKey="serial" loading={t.loading} pagination={{ pageSize: 10 }} dataSource={t.data ?? []}
        columns={[
          { title: tr('编号', 'Serial'), dataIndex: 'serial' },
          { title: tr('持有人', 'Holder'), render: (_, x: TokenRecord) => <Did did={x.owner} /> },
          { title: tr('取得时间', 'Acquired'), render: (_, x: TokenRecord) => fmtTime(x.acquired, lang) },
          { title: tr('已转赠', 'Gifts'), dataIndex: 'gifts' },
          { title: tr('现在能否转赠，为什么', 'May it move now, and why not'), render: (_, x: TokenRecord & { may?: MayMove }) => <MayMoveTag m={x.may} tr={tr} lang={lang} /> },
        ]} />
    </div>
  );
}

function CollectiblesTab() {
  const { tr } = useSession();
  const [chain, setChain] = useState<string>();
  const v = useLoad(async () => (chain ? { classes: await collectibleClasses(client, chain), albums: await collectibleAlbums(client, chain) } : undefined), [chain]);
  return (
    <div data-testid="tab-collectibles">
      <ChainPicker module="collectible" value={chain} onChange={setChain} />
      {v.error ? <ErrorBox error={v.error} /> : (
        <>
          <Table data-testid="collectible-classes" size="small" rowKey="id" loading={v.loading} dataSource={v.data?.classes ?? []} pagination={{ pageSize: 10 }}
            expandable={{ expandedRowRender: (c: ClassRecord) => <ClassTokens chain={chain!} cls={c} />, rowExpandable: (c) => c.minted > 0 }}
            columns={[
              { title: tr('类别', 'Class'), render: (_, c: ClassRecord) => <Ident>{c.id}</Ident> },
              { title: tr('名称', 'Name'), render: (_, c: ClassRecord) => <UserText>{c.name}</UserText> },
              { title: tr('发行方', 'Issuer'), render: (_, c: ClassRecord) => <Did did={c.issuer} /> },
              { title: tr('已铸造 / 总量', 'Minted / supply'), render: (_, c: ClassRecord) => `${c.minted} / ${c.supply}` },
              { title: tr('转赠规则', 'Transfer rules'), render: (_, c: ClassRecord) => rulesText(c, tr) },
            ]} />
          <Typography.Title level={5}>{tr('集邮册', 'Albums')}</Typography.Title>
          <Table data-testid="collectible-albums" size="small" rowKey="id" loading={v.loading} dataSource={v.data?.albums ?? []} pagination={false}
            columns={[
              { title: tr('集邮册', 'Album'), render: (_, a) => <Ident>{a.id}</Ident> },
              { title: tr('名称', 'Name'), render: (_, a) => <UserText>{a.name}</UserText> },
              { title: tr('集齐所需类别', 'Classes to collect'), render: (_, a) => <Space wrap>{a.classes.map((c) => <Ident key={c} tag>{c}</Ident>)}</Space> },
              { title: tr('奖励', 'Reward'), render: (_, a) => <Ident>{a.reward}</Ident> },
              { title: tr('已领取', 'Claimed'), dataIndex: 'claimed' },
            ]} />
        </>
      )}
    </div>
  );
}

function CampaignCoupons({ chain, campaign }: { chain: string; campaign: CampaignRecord }) {
  const { tr, lang } = useSession();
  const l = useLoad(() => listCoupons(client, chain, campaign.id), [chain, campaign.id, campaign.issued, campaign.redeemed]);
  const STATUS: Record<string, [string, string, string]> = { issued: ['processing', '已发放', 'issued'], redeemed: ['success', '已核销', 'redeemed'], expired: ['default', '已过期', 'expired'], refunded: ['warning', '已退款', 'refunded'] };
  return (
    <Table data-testid={`coupons-${campaign.id}`} size="small" rowKey="id" loading={l.loading} pagination={{ pageSize: 10 }} dataSource={l.data?.coupons ?? []}
      columns={[
        { title: tr('优惠券', 'Coupon'), render: (_, c) => <Ident>{c.id}</Ident> },
        { title: tr('持有人', 'Holder'), render: (_, c) => <Did did={c.holder} /> },
        { title: tr('状态', 'Status'), render: (_, c) => { const s = STATUS[c.status]; return <Tag color={s?.[0]}>{s ? tr(s[1], s[2]) : c.status}</Tag>; } },
        { title: tr('核销', 'Redemption'), render: (_, c) => (c.redemption ? <span>{tr('消费 ', 'purchase ')}{yuan(c.redemption.amount)}{tr('，减 ', ', ')}{yuan(c.redemption.discount)}{tr('', ' off')}{tr('，商户 ', ', merchant ')}<Did did={c.redemption.merchant} />{tr('，', ', ')}{fmtTime(c.redemption.time, lang)}</span> : '—') },
      ]} />
  );
}

function CouponsTab() {
  const { tr, lang } = useSession();
  const [chain, setChain] = useState<string>();
  const v = useLoad(async () => (chain ? couponCampaigns(client, chain) : undefined), [chain]);
  return (
    <div data-testid="tab-coupons">
      <ChainPicker module="coupon" value={chain} onChange={setChain} />
      {v.error ? <ErrorBox error={v.error} /> : (
        <Table data-testid="coupon-campaigns" size="small" rowKey="id" loading={v.loading} dataSource={v.data ?? []} pagination={{ pageSize: 10 }}
          expandable={{ expandedRowRender: (c: CampaignRecord) => <CampaignCoupons chain={chain!} campaign={c} />, rowExpandable: (c) => c.issued > 0 }}
          columns={[
            { title: tr('活动', 'Campaign'), render: (_, c: CampaignRecord) => <Ident>{c.id}</Ident> },
            { title: tr('名称', 'Name'), render: (_, c: CampaignRecord) => <UserText>{c.name}</UserText> },
            { title: tr('规则', 'Rule'), render: (_, c: CampaignRecord) => ruleText(c.rule, tr) },
            { title: tr('预算', 'Budget'), render: (_, c: CampaignRecord) => yuan(c.budget) },
            { title: tr('已用 / 预留 / 剩余', 'Spent / reserved / left'), render: (_, c: CampaignRecord) => <span data-testid={`budget-${c.id}`}>{`${yuan(c.spent)} / ${yuan(c.reserved)} / ${yuan(BigInt(c.budget) - BigInt(c.spent) - BigInt(c.reserved))}`}</span> },
            { title: tr('已发放 / 已核销', 'Issued / redeemed'), render: (_, c: CampaignRecord) => `${c.issued} / ${c.redeemed}` },
            { title: tr('有效期', 'Valid'), render: (_, c: CampaignRecord) => `${fmtTime(c.validFrom, lang)} – ${fmtTime(c.validUntil, lang)}` },
            { title: tr('受理商户', 'Merchants'), render: (_, c: CampaignRecord) => <Space wrap>{c.merchants.map((m) => <Did key={m} did={m} />)}</Space> },
          ]} />
      )}
    </div>
  );
}

function CarbonTab() {
  const { tr, lang } = useSession();
  const [chain, setChain] = useState<string>();
  const v = useLoad(async () => (chain ? { methods: await carbonMethodologies(client, chain), totals: await carbonTotals(client, chain), retirements: await carbonRetirementList(client, chain) } : undefined), [chain]);
  return (
    <div data-testid="tab-carbon">
      <ChainPicker module="carbon" value={chain} onChange={setChain} />
      {v.error ? <ErrorBox error={v.error} /> : (
        <>
          <Row gutter={16} style={{ marginBottom: 12 }}>
            <Col span={8}><Statistic title={tr('流通中的碳积分', 'Points outstanding')} value={v.data?.totals.supply ?? '0'} /></Col>
            <Col span={8}><Statistic title={tr('已注销碳积分', 'Points retired')} value={v.data?.totals.retired ?? '0'} /></Col>
            <Col span={8}><Statistic title={tr('注销次数', 'Retirements')} value={v.data?.totals.retirements ?? 0} /></Col>
          </Row>
          <Table data-testid="carbon-methodologies" size="small" rowKey={(m) => m.proposal.n} loading={v.loading} dataSource={v.data?.methods ?? []} pagination={{ pageSize: 10 }}
            columns={[
              { title: tr('方法学', 'Methodology'), render: (_, m) => <Ident>{m.proposal.methodology.id}</Ident> },
              { title: tr('版本', 'Version'), render: (_, m) => m.proposal.methodology.version },
              { title: tr('名称', 'Name'), render: (_, m) => <UserText>{m.proposal.methodology.name}</UserText> },
              { title: tr('状态', 'Status'), render: (_, m) => <Tag color={m.proposal.status === 'registered' ? 'success' : 'processing'}>{m.proposal.status === 'registered' ? tr('已登记', 'registered') : tr('待批准', 'open')}</Tag> },
              { title: tr('参数摘要', 'Parameter digest'), render: (_, m) => <Hash value={m.proposal.paramDigest} /> },
              { title: tr('记录数', 'Records'), render: (_, m) => m.stats?.records ?? 0 },
              { title: tr('已发放碳积分', 'Points issued'), render: (_, m) => <span data-testid={`issued-${m.proposal.methodology.id}`}>{m.stats?.issued ?? '0'}</span> },
            ]} />
          <Typography.Title level={5}>{tr('注销记录（不可撤销）', 'Retirements (irrevocable)')}</Typography.Title>
          <Table data-testid="carbon-retirements" size="small" rowKey="n" loading={v.loading} dataSource={v.data?.retirements ?? []} pagination={false}
            columns={[
              { title: tr('序号', 'No.'), dataIndex: 'n' },
              { title: tr('持有人', 'Holder'), render: (_, r) => <Did did={r.holder} /> },
              { title: tr('数量', 'Amount'), dataIndex: 'amount' },
              { title: tr('用途', 'Purpose'), render: (_, r) => <UserText>{r.purpose}</UserText> },
              { title: tr('时间', 'Time'), render: (_, r) => fmtTime(r.time, lang) },
            ]} />
        </>
      )}
    </div>
  );
}

export function Scenarios() {
  const { tr } = useSession();
  return (
    <div data-testid="page-scenarios">
      <Card>
        <Tabs items={[
          { key: 'scenarios', label: tr('场景', 'Scenarios'), children: <Space direction="vertical" style={{ width: '100%' }} size="large"><RuralCard /><LowCarbonCard /><MedicalCard /><TradeCard /></Space> },
          { key: 'collectibles', label: tr('数字藏品', 'Collectibles'), children: <CollectiblesTab /> },
          { key: 'coupons', label: tr('优惠券', 'Coupons'), children: <CouponsTab /> },
          { key: 'carbon', label: tr('碳积分', 'Carbon points'), children: <CarbonTab /> },
        ]} />
      </Card>
    </div>
  );
}
