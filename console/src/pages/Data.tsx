import { useState } from 'react';
import { App, Button, Card, Descriptions, Drawer, Form, Input, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import {
  DPV_PURPOSES, didFromPublicKey, evaluate, pairwiseKey, parsePolicy,
  type CatalogPage, type ConsentRecord, type DatasetRecord, type GrantView, type OdrlPolicy as Policy, type RequestRecord,
} from '../../../src/sdk/browser.ts';
import { ErrorBox, Ident, Json, fmtTime } from '../components.tsx';
import { client, errText, useLoad, useSession } from '../session.tsx';

/**
 * The data chain (公共数据授权链, docs/data.md): the catalog with each dataset's standing offer
 * (checked here with the chain's own ODRL evaluator), requests and grants for the signed-in
 * organisation, and a citizen's consents under their pairwise DIDs.
 */
const DATA = 'data';
const THEMES = ['AGRI', 'ECON', 'EDUC', 'ENER', 'ENVI', 'GOVE', 'HEAL', 'INTR', 'JUST', 'REGI', 'SOCI', 'TECH', 'TRAN'];
const PURPOSES = Object.keys(DPV_PURPOSES).map((p) => `dpv:${p}`);
const FREQUENCY: Record<string, [string, string]> = {
  CONT: ['持续更新', 'continuous'], HOURLY: ['每小时', 'hourly'], DAILY: ['每日', 'daily'], WEEKLY: ['每周', 'weekly'], MONTHLY: ['每月', 'monthly'],
  QUARTERLY: ['每季度', 'quarterly'], ANNUAL: ['每年', 'annual'], IRREG: ['不定期', 'irregular'], NEVER: ['不再更新', 'never'], UNKNOWN: ['未知', 'unknown'],
};

function Sensitivity({ level }: { level: DatasetRecord['sensitivity'] }) {
  const { tr } = useSession();
  const label = { public: tr('公开', 'Open'), conditional: tr('有条件开放', 'Open on conditions'), closed: tr('不予开放', 'Not open') }[level];
  return <Tag color={level === 'public' ? 'green' : level === 'conditional' ? 'gold' : 'red'}>{label}</Tag>;
}

/** Checks a use against a dataset's standing offer with the evaluator the chain runs. */
function OfferCheck({ offer, dataset }: { offer: Policy; dataset: DatasetRecord }) {
  const { tr, auth } = useSession();
  const [result, setResult] = useState<string | null>(null);
  const check = (v: { action: string; purpose: string }) => {
    try {
      const d = evaluate(parsePolicy(offer), { action: v.action, target: `urn:shulian:${DATA}:dataset:${dataset.id}`, assignee: auth?.did ?? '', purpose: v.purpose, count: 1, time: Date.now() });
      setResult(d.permitted ? tr(`允许（${d.rule}）`, `Permitted (${d.rule})`) : `${tr('不允许', 'Not permitted')}: ${d.message}`);
    } catch (err) {
      setResult(errText(err));
    }
  };
  return (
    <Form layout="inline" onFinish={check} initialValues={{ action: 'read', purpose: 'dpv:AcademicResearch' }} data-testid="offer-check">
      <Form.Item name="action" label={tr('行为', 'Action')}><Select style={{ width: 120 }} options={['read', 'use', 'aggregate', 'derive', 'distribute'].map((a) => ({ value: a, label: <Ident>{a}</Ident> }))} /></Form.Item>
      <Form.Item name="purpose" label={tr('目的', 'Purpose')}><Select style={{ width: 240 }} options={PURPOSES.map((p) => ({ value: p, label: <Ident>{p}</Ident> }))} /></Form.Item>
      <Button htmlType="submit">{tr('按要约检查', 'Check against the offer')}</Button>
      {result && <Typography.Text data-testid="offer-check-result">{result}</Typography.Text>}
    </Form>
  );
}

function Catalog() {
  const { tr, lang, sendTx } = useSession();
  const { message } = App.useApp();
  const [q, setQ] = useState('');
  const [theme, setTheme] = useState<string | undefined>();
  const [cursor, setCursor] = useState<string | undefined>();
  const [open, setOpen] = useState<string | null>(null);
  const page = useLoad(() => client.getJson<CatalogPage>(`/data/catalog?${new URLSearchParams({ ...(q ? { q } : {}), ...(theme ? { theme } : {}), ...(cursor ? { cursor } : {}), limit: '20' })}`), [q, theme, cursor]);
  const detail = useLoad(() => (open ? client.getJson<{ dataset: DatasetRecord; offer: Policy | null }>(`/data/catalog/${open}`) : Promise.resolve(null)), [open]);
  const title = (d: DatasetRecord) => (lang === 'zh' ? d.title.zh ?? d.title.en : d.title.en ?? d.title.zh);
  const request = async (v: { purpose: string; actions: string[]; count?: string }) => {
    try {
      await sendTx(DATA, { module: 'dataauth', method: 'request', args: { dataset: open!, purpose: v.purpose, actions: v.actions, ...(v.count ? { count: Number(v.count) } : {}) } });
      message.success(tr('申请已提交', 'Request sent'));
    } catch (err) {
      message.error(errText(err));
    }
  };
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Input.Search placeholder={tr('搜索数据目录（中文或英文）', 'Search the catalog (Chinese or English)')} allowClear onSearch={(v) => { setCursor(undefined); setQ(v); }} style={{ width: 320 }} data-testid="catalog-search" />
        <Select allowClear placeholder={tr('主题', 'Theme')} style={{ width: 120 }} value={theme} onChange={(v) => { setCursor(undefined); setTheme(v); }} options={THEMES.map((t) => ({ value: t, label: <Ident>{t}</Ident> }))} />
      </Space>
      {page.error ? <ErrorBox error={page.error} /> : (
        <Table size="small" rowKey="id" loading={page.loading} dataSource={page.data?.datasets ?? []} pagination={false} data-testid="catalog-table"
          onRow={(d) => ({ onClick: () => setOpen(d.id) })}
          columns={[
            { title: 'ID', render: (_, d) => <Ident>{d.id}</Ident> },
            { title: tr('名称', 'Title'), render: (_, d) => title(d) },
            { title: tr('主题', 'Themes'), render: (_, d) => <Ident>{d.themes.join(', ')}</Ident> },
            { title: tr('开放等级', 'Sensitivity'), render: (_, d) => <Sensitivity level={d.sensitivity} /> },
            { title: tr('版本', 'Version'), dataIndex: 'version' },
            { title: tr('更新时间', 'Modified'), render: (_, d) => fmtTime(d.modified, lang) },
          ]} />
      )}
      <Space style={{ marginTop: 8 }}>
        <Typography.Text type="secondary">{tr(`共 ${page.data?.total ?? 0} 个数据集`, `${page.data?.total ?? 0} datasets`)}</Typography.Text>
        {page.data?.next && <Button size="small" onClick={() => setCursor(page.data!.next)}>{tr('下一页', 'Next page')}</Button>}
      </Space>
      <Drawer open={open !== null} onClose={() => setOpen(null)} width={720} title={detail.data ? title(detail.data.dataset) : open}>
        {detail.data && (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Descriptions size="small" column={1} bordered items={[
              { key: 'owner', label: tr('发布机构', 'Publisher'), children: <Typography.Text code>{detail.data.dataset.owner}</Typography.Text> },
              { key: 'desc', label: tr('描述', 'Description'), children: lang === 'zh' ? detail.data.dataset.description.zh ?? detail.data.dataset.description.en : detail.data.dataset.description.en ?? detail.data.dataset.description.zh },
              { key: 'sens', label: tr('开放等级', 'Sensitivity'), children: <Sensitivity level={detail.data.dataset.sensitivity} /> },
              { key: 'freq', label: tr('更新频率', 'Frequency'), children: tr(...(FREQUENCY[detail.data.dataset.frequency] ?? [detail.data.dataset.frequency, detail.data.dataset.frequency])) },
              { key: 'dist', label: tr('分发', 'Distributions'), children: detail.data.dataset.distributions.map((x) => <div key={x.id}><Ident>{x.mediaType}</Ident> — <Ident>{x.accessUrl}</Ident></div>) },
              { key: 'svc', label: tr('访问服务', 'Access services'), children: detail.data.dataset.services.map((x) => <div key={x.id}>{tr({ api: '接口', file: '文件', 'privacy-computing': '隐私计算' }[x.kind], { api: 'API', file: 'File', 'privacy-computing': 'Privacy computing' }[x.kind])}: <Ident>{x.endpointUrl}</Ident></div>) },
            ]} />
            <Card size="small" title={tr('常设授权要约', 'Standing offer (ODRL)')}>
              {detail.data.offer ? <><Json value={detail.data.offer} /><OfferCheck offer={detail.data.offer} dataset={detail.data.dataset} /></> : <Typography.Text type="secondary">{tr('无：由发布机构逐一审批', 'None: the publisher decides each request')}</Typography.Text>}
            </Card>
            {detail.data.dataset.sensitivity !== 'closed' && (
              <Card size="small" title={tr('申请使用', 'Request it')}>
                <Form layout="inline" onFinish={request} initialValues={{ purpose: 'dpv:AcademicResearch', actions: ['read'] }}>
                  <Form.Item name="purpose"><Select style={{ width: 220 }} options={PURPOSES.map((p) => ({ value: p, label: <Ident>{p}</Ident> }))} /></Form.Item>
                  <Form.Item name="actions"><Select mode="multiple" style={{ width: 200 }} options={['read', 'aggregate', 'derive'].map((a) => ({ value: a, label: <Ident>{a}</Ident> }))} /></Form.Item>
                  <Form.Item name="count"><Input placeholder={tr('次数上限', 'Use limit')} style={{ width: 100 }} /></Form.Item>
                  <Button type="primary" htmlType="submit" data-testid="request-send">{tr('签名并申请', 'Sign and request')}</Button>
                </Form>
              </Card>
            )}
          </Space>
        )}
      </Drawer>
    </>
  );
}

function RequestsAndGrants() {
  const { tr, lang, auth, sendTx } = useSession();
  const { message } = App.useApp();
  const [tick, setTick] = useState(0);
  const me = auth?.did ?? '';
  const requests = useLoad(() => client.getJson<{ requests: RequestRecord[] }>(`/data/requests?owner=${encodeURIComponent(me)}`), [me, tick]);
  const made = useLoad(() => client.getJson<{ grants: GrantView[] }>(`/data/grants?owner=${encodeURIComponent(me)}`), [me, tick]);
  const held = useLoad(() => client.getJson<{ grants: GrantView[] }>(`/data/grants?grantee=${encodeURIComponent(me)}`), [me, tick]);
  const act = async (method: 'approve' | 'refuse' | 'revoke', args: Record<string, unknown>) => {
    try {
      await sendTx(DATA, { module: 'dataauth', method, args: args as never });
      message.success(tr('已上链', 'Recorded on chain'));
      setTick((t) => t + 1);
    } catch (err) {
      message.error(errText(err));
    }
  };
  const grantColumns = (owner: boolean) => [
    { title: '#', dataIndex: 'id' },
    { title: tr('数据集', 'Dataset'), render: (_: unknown, g: GrantView) => <Ident>{g.dataset}</Ident> },
    { title: owner ? tr('被授权方', 'Grantee') : tr('授权方', 'Owner'), render: (_: unknown, g: GrantView) => <Typography.Text code>{owner ? g.grantee : g.owner}</Typography.Text> },
    { title: tr('已使用', 'Uses'), dataIndex: 'uses' },
    { title: tr('状态', 'Status'), render: (_: unknown, g: GrantView) => (g.revoked ? <Tag color="red">{tr('已撤销', 'Revoked')}</Tag> : <Tag color="green">{tr('有效', 'In force')}</Tag>) },
    { title: tr('授权时间', 'Granted'), render: (_: unknown, g: GrantView) => fmtTime(g.granted.time, lang) },
    ...(owner ? [{ title: '', render: (_: unknown, g: GrantView) => (!g.revoked && <Button size="small" danger onClick={() => act('revoke', { grant: g.id })}>{tr('撤销', 'Revoke')}</Button>) }] : []),
  ];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card size="small" title={tr('对我的数据集的申请', 'Requests for my datasets')}>
        <Table size="small" rowKey="id" loading={requests.loading} dataSource={requests.data?.requests ?? []} pagination={false} data-testid="requests-table"
          columns={[
            { title: '#', dataIndex: 'id' },
            { title: tr('数据集', 'Dataset'), render: (_, r) => <Ident>{r.dataset}</Ident> },
            { title: tr('申请方', 'Requester'), render: (_, r) => <Typography.Text code>{r.requester}</Typography.Text> },
            { title: tr('目的', 'Purpose'), render: (_, r) => <Ident>{r.purpose}</Ident> },
            { title: tr('行为', 'Actions'), render: (_, r) => <Ident>{r.actions.join(', ')}</Ident> },
            { title: tr('次数', 'Count'), render: (_, r) => r.count ?? '—' },
            { title: tr('状态', 'Status'), render: (_, r) => <Tag>{{ pending: tr('待审批', 'Pending'), granted: tr('已授权', 'Granted'), refused: tr('已拒绝', 'Refused') }[r.status]}</Tag> },
            { title: '', render: (_, r) => r.status === 'pending' && <Space><Button size="small" type="primary" onClick={() => act('approve', { request: r.id })}>{tr('批准', 'Approve')}</Button><Button size="small" onClick={() => act('refuse', { request: r.id, reason: tr('不予批准', 'Not approved') })}>{tr('拒绝', 'Refuse')}</Button></Space> },
          ]} />
      </Card>
      <Card size="small" title={tr('我做出的授权', 'Grants I made')}><Table size="small" rowKey="id" loading={made.loading} dataSource={made.data?.grants ?? []} pagination={false} columns={grantColumns(true)} /></Card>
      <Card size="small" title={tr('我持有的授权', 'Grants I hold')}><Table size="small" rowKey="id" loading={held.loading} dataSource={held.data?.grants ?? []} pagination={false} columns={grantColumns(false)} /></Card>
    </Space>
  );
}

/** A citizen's consents: one pairwise DID per organisation, derived from the signed-in key. */
function MyConsents() {
  const { tr, lang, key } = useSession();
  const { message } = App.useApp();
  const [org, setOrg] = useState('');
  const [tick, setTick] = useState(0);
  const pairwise = key && org ? pairwiseKey(key, org) : null;
  const subject = pairwise ? didFromPublicKey(pairwise.publicKey) : '';
  const list = useLoad(() => (subject ? client.getJson<{ consents: ConsentRecord[] }>(`/data/consents?subject=${encodeURIComponent(subject)}`) : Promise.resolve({ consents: [] })), [subject, tick]);
  const withdraw = async (method: 'withdraw' | 'withdrawAll', digest?: string) => {
    try {
      const hash = await client.send(DATA, pairwise!, { module: 'consent', method, args: digest ? { digest } : {} });
      const inc = await client.waitForTx(hash, { timeoutMs: 60_000 });
      if (inc.receipt.status !== 'ok') throw new Error(inc.receipt.message ?? inc.receipt.code ?? 'failed');
      message.success(tr(`已撤回，自区块 ${inc.height + 1} 起生效`, `Withdrawn, effective from block ${inc.height + 1}`));
      setTick((t) => t + 1);
    } catch (err) {
      message.error(errText(err));
    }
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary">{tr('您对每个机构使用一个成对 DID，由您的密钥派生：机构之间无法关联您的授权。链上只有授权凭证的摘要和状态，没有个人数据。', 'You use one pairwise DID per organisation, derived from your key: organisations cannot link your consents. The chain holds only each consent credential\'s digest and state, never personal data.')}</Typography.Paragraph>
      <Input.Search placeholder={tr('机构的 DID', 'The organisation\'s DID')} onSearch={setOrg} enterButton={tr('查看', 'Show')} style={{ maxWidth: 560 }} data-testid="consent-org" />
      {subject && <Typography.Text>{tr('成对 DID：', 'Pairwise DID: ')}<Typography.Text code data-testid="pairwise-did">{subject}</Typography.Text></Typography.Text>}
      {list.error ? <ErrorBox error={list.error} /> : (
        <Table size="small" rowKey="digest" loading={list.loading} dataSource={list.data?.consents ?? []} pagination={false} data-testid="consents-table"
          columns={[
            { title: tr('摘要', 'Digest'), render: (_, c) => <Typography.Text code>{c.digest.slice(0, 16)}…</Typography.Text> },
            { title: tr('使用机构', 'Controller'), render: (_, c) => <Typography.Text code>{c.controller}</Typography.Text> },
            { title: tr('目的', 'Purpose'), render: (_, c) => <Ident>{c.purpose}</Ident> },
            { title: tr('状态', 'State'), render: (_, c) => (c.state === 'given' ? <Tag color="green">{tr('有效', 'Given')}</Tag> : <Tag>{tr(`已撤回（自区块 ${c.withdrawnFrom}）`, `Withdrawn (from block ${c.withdrawnFrom})`)}</Tag>) },
            { title: tr('记录', 'History'), render: (_, c) => c.history.map((h) => `${h.state === 'given' ? tr('给予', 'given') : tr('撤回', 'withdrawn')} ${fmtTime(h.time, lang)}`).join(' → ') },
            { title: '', render: (_, c) => c.state === 'given' && <Button size="small" danger onClick={() => withdraw('withdraw', c.digest)}>{tr('撤回', 'Withdraw')}</Button> },
          ]} />
      )}
      {subject && <Button danger onClick={() => withdraw('withdrawAll')}>{tr('撤回对该机构的全部授权', 'Withdraw all consents to this organisation')}</Button>}
    </Space>
  );
}

export function Data() {
  const { tr } = useSession();
  return (
    <Card data-testid="page-data">
      <Tabs items={[
        { key: 'catalog', label: tr('数据目录', 'Catalog'), children: <Catalog /> },
        { key: 'grants', label: tr('申请与授权', 'Requests and grants'), children: <RequestsAndGrants /> },
        { key: 'consents', label: tr('我的授权同意', 'My consents'), children: <MyConsents /> },
      ]} />
    </Card>
  );
}
