import { useState } from 'react';
import { Card, Descriptions, Drawer, Input, Space, Table, Tabs, Tag, Timeline, Typography } from 'antd';
import type { PrivacyRunRecord as Run } from '../../../src/sdk/browser.ts';
import { ErrorBox, Ident, fmtTime } from '../components.tsx';
import { client, useLoad, useSession } from '../session.tsx';

/**
 * Privacy computing (隐私计算, docs/privacy.md): the computation requests a DID made on the data
 * chain, the checks each passed when admitted (the owners' grants and their use counters, the
 * consent root), the audit trail of each run (reports, result digest, fee) and the failed runs.
 */
function Status({ s }: { s: Run['status'] }) {
  const { tr } = useSession();
  const [zh, en, color] = { admitted: ['进行中', 'Running', 'blue'], done: ['已完成', 'Done', 'green'], failed: ['失败', 'Failed', 'red'] }[s];
  return <Tag color={color} data-testid={`run-status-${s}`}>{tr(zh!, en!)}</Tag>;
}

const GROUP: Record<Run['group'], [string, string]> = {
  x25519: ['Curve25519（X25519）', 'Curve25519 (X25519)'], ristretto255: ['ristretto255', 'ristretto255'], sm2: ['SM2 曲线 + SM3（全国产）', 'SM2 curve + SM3 (all-Chinese algorithms)'],
};

function RunDetail({ run }: { run: Run }) {
  const { tr, lang } = useSession();
  const role = (r: string) => (r === 'receiver' ? tr('接收方', 'Receiver') : tr('发送方', 'Sender'));
  const trail = [
    { color: 'blue', children: `${fmtTime(run.requested.time, lang)} · ${tr('请求上链并通过检查', 'requested on chain and admitted')} · ${tr('区块', 'block')} ${run.requested.height}` },
    ...run.parties.filter((p) => p.report).map((p) => ({ color: 'gray', children: `${fmtTime(p.report!.time, lang)} · ${role(p.role)} ${tr('报告', 'reported')}: ${tr(`${p.report!.records} 条记录`, `${p.report!.records} records`)}, ${tr('输入承诺', 'input commitment')} ${p.report!.inputCommitment.slice(0, 16)}…` })),
    ...(run.result ? [{ color: 'green', children: `${fmtTime(run.result.time, lang)} · ${tr('结果摘要', 'result digest')} ${run.result.digest.slice(0, 16)}… · ${(run.result.durationMs / 1000).toFixed(1)} s` }] : []),
    ...(run.failed ? [{ color: 'red', children: `${fmtTime(run.failed.time, lang)} · ${tr('失败', 'failed')}: ${run.failed.reason}` }] : []),
    ...(run.fee ? [{ color: run.fee.status === 'paid' ? 'green' : run.fee.status === 'failed' ? 'red' : 'gray', children: `${tr('费用', 'Fee')} ${run.fee.amount} ${run.fee.currency}: ${run.fee.status}${run.fee.note ? ` (${run.fee.note})` : ''}` }] : []),
  ];
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="run-detail">
      <Descriptions size="small" column={1} bordered items={[
        { key: 'req', label: tr('请求方', 'Requester'), children: <Typography.Text code>{run.requester}</Typography.Text> },
        { key: 'proto', label: tr('协议', 'Protocol'), children: <Ident>{run.protocol}</Ident> },
        { key: 'group', label: tr('群', 'Group'), children: tr(...GROUP[run.group]) },
        { key: 'cols', label: tr('求和列', 'Sum columns'), children: run.columns.length ? <Ident>{run.columns.join(', ')}</Ident> : '—' },
        { key: 'purpose', label: tr('目的', 'Purpose'), children: <Ident>{run.purpose}</Ident> },
      ]} />
      <Card size="small" title={tr('准入检查', 'Checks at admission')} data-testid="run-checks">
        <Table size="small" rowKey="role" pagination={false} dataSource={run.parties} columns={[
          { title: tr('角色', 'Role'), render: (_, p) => role(p.role) },
          { title: tr('数据集', 'Dataset'), render: (_, p) => <Ident>{p.dataset}</Ident> },
          { title: tr('数据所有者', 'Owner'), render: (_, p) => <Typography.Text code>{p.owner}</Typography.Text> },
          { title: tr('授权', 'Grant'), render: (_, p) => `#${p.grant}` },
          { title: tr('运行计数', 'Run counter'), render: (_, p) => tr(`第 ${p.use} 次使用`, `use ${p.use}`) },
        ]} />
        <Typography.Paragraph style={{ marginTop: 8 }}>
          {tr('同意集合根（SM3 默克尔树）', 'Consent root (SM3 Merkle tree)')}: <Typography.Text code data-testid="run-consent-root">{run.consentRoot}</Typography.Text>
          {' · '}{tr(`${run.consents.length} 份同意，请求高度均有效`, `${run.consents.length} consents, each valid at the request's height`)}
        </Typography.Paragraph>
      </Card>
      <Card size="small" title={tr('审计记录', 'Audit trail')}><Timeline items={trail} /></Card>
    </Space>
  );
}

export function Privacy() {
  const { tr, lang, auth } = useSession();
  const [requester, setRequester] = useState(auth?.did ?? '');
  const [open, setOpen] = useState<Run | null>(null);
  const runs = useLoad(() => (requester ? client.getJson<{ runs: Run[] }>(`/data/privacy/runs?requester=${encodeURIComponent(requester)}&limit=100`) : Promise.resolve({ runs: [] })), [requester]);
  const table = (rows: Run[], testid: string) => (
    <Table size="small" rowKey="id" loading={runs.loading} dataSource={rows} pagination={false} data-testid={testid} onRow={(r) => ({ onClick: () => setOpen(r) })}
      columns={[
        { title: '#', dataIndex: 'id' },
        { title: tr('协议', 'Protocol'), render: (_, r) => <Ident>{r.protocol}</Ident> },
        { title: tr('群', 'Group'), render: (_, r) => <Ident>{r.group}</Ident> },
        { title: tr('目的', 'Purpose'), render: (_, r) => <Ident>{r.purpose}</Ident> },
        { title: tr('数据集', 'Datasets'), render: (_, r) => <Ident>{r.parties.map((p) => p.dataset).join(' ∩ ')}</Ident> },
        { title: tr('同意', 'Consents'), render: (_, r) => r.consents.length },
        { title: tr('状态', 'Status'), render: (_, r) => <Status s={r.status} /> },
        { title: tr('请求时间', 'Requested'), render: (_, r) => fmtTime(r.requested.time, lang) },
        { title: tr('失败原因', 'Why it failed'), render: (_, r) => r.failed?.reason ?? '' },
      ]} />
  );
  const all = runs.data?.runs ?? [];
  return (
    <Card data-testid="page-privacy">
      <Typography.Paragraph type="secondary">{tr(
        '隐私计算的控制流在链上：每个计算请求在准入时检查数据所有者的授权与使用次数、数据主体的同意集合根；计算流在参与方之间链下进行，结果摘要、费用与失败记录回到链上。',
        'The control flow of privacy computing is on chain: each computation request is admitted only after the owners\' grants and their use counters and the subjects\' consent root check out; the computation runs off chain between the parties, and its result digest, fee and any failure come back on chain.',
      )}</Typography.Paragraph>
      <Input.Search defaultValue={requester} placeholder={tr('请求方 DID', 'Requester DID')} enterButton={tr('查看', 'Show')} onSearch={(v) => setRequester(v.trim())} style={{ maxWidth: 560, marginBottom: 12 }} data-testid="privacy-requester" />
      {runs.error ? <ErrorBox error={runs.error} /> : (
        <Tabs items={[
          { key: 'runs', label: tr(`计算请求（${all.length}）`, `Computation requests (${all.length})`), children: table(all, 'privacy-runs') },
          { key: 'failed', label: tr(`失败的运行（${all.filter((r) => r.status === 'failed').length}）`, `Failed runs (${all.filter((r) => r.status === 'failed').length})`), children: table(all.filter((r) => r.status === 'failed'), 'privacy-failed') },
        ]} />
      )}
      <Drawer open={open !== null} onClose={() => setOpen(null)} width={760} title={open ? tr(`运行 #${open.id}`, `Run #${open.id}`) : ''}>
        {open && <RunDetail run={open} />}
      </Drawer>
    </Card>
  );
}
