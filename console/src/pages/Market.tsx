import { useMemo, useState } from 'react';
import { Card, Descriptions, Drawer, Input, InputNumber, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import {
  bpText, getProduct, listProducts, listSubscriptions, providerRevenue, subscriptionUsage,
  type Plan, type ProductRecord, type SubscriptionRecord,
} from '../../../src/sdk/browser.ts';
import { AXIS_LABEL, CHART_LAYOUT, Chart } from '../charts.tsx';
import { ErrorBox, Ident, NoData } from '../components.tsx';
import { client, useLoad, useSession } from '../session.tsx';

/**
 * The ecosystem service market (生态服务市场, docs/market.md): the product catalog (category,
 * provider, price, text), a product's page (OpenAPI digest, description, plans, contributors and
 * their shares, components), the signed-in DID's subscriptions with usage per period, and its
 * revenue as a provider, all read from the signing chain.
 */
const CATEGORY: Record<string, [string, string]> = {
  'data-source': ['数据源接口', 'Data source API'], 'data-authorisation': ['数据授权接口', 'Data authorisation API'], computation: ['计算接口', 'Computation API'],
  feedback: ['反馈接口', 'Feedback API'], composite: ['组合服务', 'Composite service'],
};
const KIND: Record<Plan['kind'], [string, string]> = {
  'per-call': ['按次计费', 'Per call'], tiered: ['阶梯计费', 'Tiered'], subscription: ['包月含额度', 'Monthly with quota'], 'per-result': ['按结果计费', 'Per result'],
};
const yuan = (minor: number): string => `¥${(minor / 100).toFixed(2)}`;

function Category({ c }: { c: string }) {
  const { tr } = useSession();
  return <Tag>{tr(...(CATEGORY[c] ?? [c, c]))}</Tag>;
}

function ProductPage({ id }: { id: string }) {
  const { tr, lang } = useSession();
  const p = useLoad(() => getProduct(client, id), [id]);
  if (p.error) return <ErrorBox error={p.error} />;
  if (!p.data) return null;
  const d = p.data;
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="market-product">
      <Descriptions size="small" column={1} bordered items={[
        { key: 'title', label: tr('名称', 'Title'), children: lang === 'zh' ? d.titleZh ?? d.title : d.title },
        { key: 'cat', label: tr('类别', 'Category'), children: <Category c={d.category} /> },
        { key: 'provider', label: tr('服务商', 'Provider'), children: <Typography.Text code>{d.provider}</Typography.Text> },
        { key: 'version', label: tr('版本', 'Version'), children: <span>{d.version} {d.status === 'listed' ? <Tag color="green">{tr('在售', 'Listed')}</Tag> : <Tag>{tr('已下架', 'Delisted')}</Tag>}</span> },
        { key: 'openapi', label: tr('接口描述摘要', 'OpenAPI digest'), children: <Typography.Text code data-testid="market-openapi">{d.openapi}</Typography.Text> },
        ...(d.description ? [{ key: 'desc', label: tr('描述', 'Description'), children: d.description }] : []),
        { key: 'datasets', label: tr('数据资源', 'Datasets'), children: d.datasets.length ? <Ident>{d.datasets.join(', ')}</Ident> : '—' },
        ...(d.components.length ? [{ key: 'components', label: tr('组件', 'Components'), children: d.components.map((c) => <div key={c.product}><Ident>{c.product}</Ident></div>) }] : []),
      ]} />
      <Card size="small" title={tr('贡献方', 'Contributors')}>
        <Descriptions size="small" column={1} items={[
          { key: 'p', label: tr('服务商', 'Provider'), children: <Typography.Text code>{d.provider}</Typography.Text> },
          { key: 'd', label: tr('数据源', 'Data source'), children: <Typography.Text code>{d.contributors.dataSource}</Typography.Text> },
          { key: 'a', label: tr('算法', 'Algorithm'), children: <Typography.Text code>{d.contributors.algorithm}</Typography.Text> },
          { key: 'c', label: tr('算力', 'Compute'), children: <Typography.Text code>{d.contributors.compute}</Typography.Text> },
        ]} />
      </Card>
      <Card size="small" title={tr('套餐', 'Plans')}>
        <Table size="small" rowKey="id" pagination={false} dataSource={d.plans} data-testid="market-plans" columns={[
          { title: tr('套餐', 'Plan'), render: (_, x: Plan) => <Ident>{x.id}</Ident> },
          { title: tr('计费方式', 'Pricing'), render: (_, x: Plan) => tr(...KIND[x.kind]) },
          { title: tr('价格', 'Price'), render: (_, x: Plan) => (x.baseFee ? `${yuan(x.baseFee)} / ${tr('期', 'period')}` : `${yuan(x.unitPrice)} / ${tr(x.unit === 'call' ? '次' : '条结果', x.unit)}`) },
          { title: tr('额度', 'Quota'), render: (_, x: Plan) => (x.quota ? x.quota : tr('不限', 'none')) },
          { title: tr('分成（服务商/数据/算法/算力）', 'Shares (provider/data/algorithm/compute)'), render: (_, x: Plan) => <Ident>{[x.shares.provider, x.shares.dataSource, x.shares.algorithm, x.shares.compute].map(bpText).join(' / ')}</Ident> },
          { title: tr('代扣税率', 'Tax withheld'), render: (_, x: Plan) => <Ident>{bpText(x.withholdingBp)}</Ident> },
        ]} />
      </Card>
    </Space>
  );
}

function Catalog() {
  const { tr, lang } = useSession();
  const [text, setText] = useState('');
  const [category, setCategory] = useState<string | undefined>();
  const [provider, setProvider] = useState('');
  const [maxPrice, setMaxPrice] = useState<number | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const list = useLoad(() => listProducts(client, {
    ...(text ? { text } : {}), ...(category ? { category } : {}), ...(provider ? { provider } : {}), ...(maxPrice !== null ? { maxPrice: Math.round(maxPrice * 100) } : {}),
  }), [text, category, provider, maxPrice]);
  return (
    <>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input.Search placeholder={tr('搜索接口产品', 'Search API products')} allowClear onSearch={setText} style={{ width: 260 }} data-testid="market-search" />
        <Select allowClear placeholder={tr('类别', 'Category')} style={{ width: 180 }} value={category} onChange={setCategory} data-testid="market-category"
          options={Object.keys(CATEGORY).map((c) => ({ value: c, label: tr(...CATEGORY[c]!) }))} />
        <Input.Search placeholder={tr('服务商数字身份', 'Provider DID')} allowClear onSearch={setProvider} style={{ width: 260 }} data-testid="market-provider" />
        <InputNumber placeholder={tr('最高价格（元）', 'Max price (CNY)')} min={0} value={maxPrice} onChange={(v) => setMaxPrice(v)} style={{ width: 160 }} data-testid="market-price" />
      </Space>
      {list.error ? <ErrorBox error={list.error} /> : (
        <Table size="small" rowKey="id" loading={list.loading} dataSource={list.data ?? []} pagination={false} data-testid="market-catalog"
          onRow={(p) => ({ onClick: () => setOpen(p.id) })}
          columns={[
            { title: tr('编号', 'ID'), render: (_, p: ProductRecord) => <Ident>{p.id}</Ident> },
            { title: tr('名称', 'Title'), render: (_, p: ProductRecord) => (lang === 'zh' ? p.titleZh ?? p.title : p.title) },
            { title: tr('类别', 'Category'), render: (_, p: ProductRecord) => <Category c={p.category} /> },
            { title: tr('服务商', 'Provider'), render: (_, p: ProductRecord) => <Typography.Text code>{p.provider.slice(0, 24)}…</Typography.Text> },
            { title: tr('起价', 'From'), render: (_, p: ProductRecord) => yuan(Math.min(...p.plans.map((x) => Math.max(x.unitPrice, x.baseFee)))) },
          ]} />
      )}
      <Drawer open={open !== null} onClose={() => setOpen(null)} width={760} title={open ? <Ident>{open}</Ident> : null}>
        {open && <ProductPage id={open} />}
      </Drawer>
    </>
  );
}

function Usage({ sub }: { sub: SubscriptionRecord }) {
  const { tr } = useSession();
  const u = useLoad(() => subscriptionUsage(client, sub.id), [sub.id]);
  const option = useMemo(() => ({
    ...CHART_LAYOUT, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: (u.data?.periods ?? []).map((p) => tr(`第 ${p.period} 期`, `Period ${p.period}`)), axisLabel: AXIS_LABEL },
    yAxis: { type: 'value', name: tr('用量', 'Units'), minInterval: 1 },
    series: [{ type: 'bar', name: tr('已计量用量', 'Units metered'), data: (u.data?.periods ?? []).map((p) => p.usage.units) }],
  }), [u.data, tr]);
  if (u.error) return <ErrorBox error={u.error} />;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Chart option={option} height={200} testId={`market-usage-${sub.id.slice(0, 8)}`} empty={u.data && u.data.periods.length === 0 ? tr('尚无用量', 'No usage yet') : undefined} />
      <Table size="small" rowKey="period" pagination={false} dataSource={u.data?.periods ?? []} columns={[
        { title: tr('期', 'Period'), dataIndex: 'period' },
        { title: tr('调用次数', 'Calls'), render: (_, p) => p.usage.calls },
        { title: tr('用量', 'Units'), render: (_, p) => p.usage.units },
        { title: tr('结算', 'Settled'), render: (_, p) => (p.settled ? <Tag color="green">{tr('已结算', 'Settled')}</Tag> : <Tag>{tr('未结算', 'Open')}</Tag>) },
      ]} />
    </Space>
  );
}

function MySubscriptions() {
  const { tr, auth } = useSession();
  const subs = useLoad(() => (auth ? listSubscriptions(client, { buyer: auth.did }) : Promise.resolve([])), [auth?.did]);
  if (subs.error) return <ErrorBox error={subs.error} />;
  if (subs.data && subs.data.length === 0) return <NoData text={tr('尚未订阅任何接口产品', 'No subscriptions yet')} />;
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="market-subscriptions">
      {(subs.data ?? []).map((s) => (
        <Card key={s.id} size="small" title={<span><Ident>{s.product}</Ident> · {tr('套餐', 'plan')} <Ident>{s.plan}</Ident></span>}
          extra={<Typography.Text type="secondary">{tr(`合约 ${s.id.slice(0, 12)}…`, `contract ${s.id.slice(0, 12)}…`)}</Typography.Text>}>
          <Usage sub={s} />
        </Card>
      ))}
    </Space>
  );
}

function Revenue() {
  const { tr, auth } = useSession();
  const r = useLoad(() => (auth ? providerRevenue(client, auth.did) : Promise.resolve(null)), [auth?.did]);
  if (r.error) return <ErrorBox error={r.error} />;
  if (!r.data) return null;
  const rows = Object.entries(r.data.byRecipient).map(([did, l]) => ({ did, ...l }));
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="market-revenue">
      <Descriptions size="small" column={3} bordered items={[
        { key: 'products', label: tr('产品数', 'Products'), children: r.data.products.length },
        { key: 'subs', label: tr('订阅数', 'Subscriptions'), children: r.data.subscriptions },
        { key: 'gross', label: tr('总收入', 'Gross'), children: <span data-testid="market-gross">{yuan(r.data.gross)}</span> },
      ]} />
      <Table size="small" rowKey="did" pagination={false} dataSource={rows} columns={[
        { title: tr('收款方', 'Recipient'), render: (_, l) => <Typography.Text code>{l.did}</Typography.Text> },
        { title: tr('应收', 'Received'), render: (_, l) => yuan(l.received) },
        { title: tr('代扣税', 'Withheld'), render: (_, l) => yuan(l.withheld) },
        { title: tr('已支付/未完成', 'Paid / open'), render: (_, l) => `${l.paid} / ${l.open}` },
      ]} />
    </Space>
  );
}

export function Market() {
  const { tr } = useSession();
  return (
    <Card data-testid="page-market">
      <Tabs items={[
        { key: 'catalog', label: <span data-testid="tab-market-catalog">{tr('产品目录', 'Catalog')}</span>, children: <Catalog /> },
        { key: 'subs', label: <span data-testid="tab-market-subs">{tr('我的订阅', 'My subscriptions')}</span>, children: <MySubscriptions /> },
        { key: 'revenue', label: <span data-testid="tab-market-revenue">{tr('服务商收入', 'Provider revenue')}</span>, children: <Revenue /> },
      ]} />
    </Card>
  );
}
