/**
 * Supervision (监管): alerts raised by the regulators' rules (handled as work orders, a freeze
 * proposal from an alert), statistics per hour or day, the rules in force, and the signed-in
 * regulator's own scope. Operators see everything; a regulator what its scope covers (the API
 * decides: docs/supervision.md).
 */
import { useMemo, useState } from 'react';
import { App, Button, Card, Col, Descriptions, Input, Modal, Row, Segmented, Select, Space, Statistic, Table, Tabs, Tag, Timeline, Typography } from 'antd';
import {
  evidenceOf, govProposeCall,
  type Alert, type AlertStatus, type AlertSummary, type AlertWithProofs, type Regulator, type SupervisionStats,
} from '../../../src/sdk/browser.ts';
import { Chart } from '../charts.tsx';
import { ErrorBox, Hash, Json, NoData, fmtTime } from '../components.tsx';
import { consoleClient, errText, request, shortDid, useLoad, useSession } from '../session.tsx';

type Tr = (zh: string, en: string) => string;

const SEVERITY_COLOR: Record<string, string> = { info: 'default', low: 'blue', medium: 'gold', high: 'orange', critical: 'red' };
const SEVERITY: Record<string, [string, string]> = { info: ['提示', 'info'], low: ['低', 'low'], medium: ['中', 'medium'], high: ['高', 'high'], critical: ['严重', 'critical'] };
const ALERT_STATUS: Record<AlertStatus, [string, string, string]> = {
  open: ['processing', '待处理', 'open'], acknowledged: ['warning', '已确认', 'acknowledged'], assigned: ['purple', '已指派', 'assigned'], closed: ['success', '已关闭', 'closed'],
};

function SeverityTag({ s, tr }: { s: string; tr: Tr }) {
  const n = SEVERITY[s];
  return <Tag color={SEVERITY_COLOR[s] ?? 'default'}>{n ? tr(n[0], n[1]) : s}</Tag>;
}

function AlertStatusTag({ s, tr }: { s: AlertStatus; tr: Tr }) {
  const m = ALERT_STATUS[s];
  return <Tag color={m[0]}>{tr(m[1], m[2])}</Tag>;
}

function AlertDetail({ id, onClose, onChanged }: { id: string; onClose: () => void; onChanged: () => void }) {
  const { tr, lang, sendTx, auth } = useSession();
  const { message } = App.useApp();
  const [alert, setAlert] = useState<AlertWithProofs | Alert | null>(null);
  const d = useLoad(async () => {
    const a = await consoleClient.alert(id);
    setAlert(a);
    return a;
  }, [id]);
  const [note, setNote] = useState('');
  const [assignee, setAssignee] = useState('');
  const [busy, setBusy] = useState(false);
  const act = async (f: () => Promise<Alert>, done: string) => {
    setBusy(true);
    try {
      setAlert(await f());
      setNote('');
      onChanged();
      message.success(done);
    } catch (err) {
      message.error(errText(err));
    } finally {
      setBusy(false);
    }
  };
  const proposeFreeze = async () => {
    if (!alert?.key?.startsWith('did:')) return;
    setBusy(true);
    try {
      const inc = await sendTx('gov', govProposeCall({ kind: 'freeze', target: { type: 'did', did: alert.key }, reason: note.trim() || alert.title, evidence: evidenceOf(alert) }));
      const pid = (inc.receipt.result as { id: number }).id;
      message.success(tr(`已提交冻结提案 #${pid}`, `Freeze proposal #${pid} submitted`));
    } catch (err) {
      message.error(errText(err));
    } finally {
      setBusy(false);
    }
  };
  const closed = alert?.status === 'closed';
  return (
    <Modal open width={900} title={`${tr('告警', 'Alert')} ${id.slice(0, 12)}…`} onCancel={onClose} footer={null}>
      <ErrorBox error={d.error} />
      {alert && (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="alert-detail">
          <Descriptions size="small" bordered column={2} items={[
            { key: 't', label: tr('规则', 'Rule'), span: 2, children: `${alert.title} (${alert.rule} v${alert.version})` },
            { key: 's', label: tr('级别', 'Severity'), children: <SeverityTag s={alert.severity} tr={tr} /> },
            { key: 'st', label: tr('状态', 'Status'), children: <AlertStatusTag s={alert.status} tr={tr} /> },
            { key: 'c', label: tr('链与高度', 'Chain and height'), children: `${alert.chain} @ ${alert.height}` },
            { key: 'time', label: tr('区块时间', 'Block time'), children: fmtTime(alert.time, lang) },
            { key: 'detail', label: tr('说明', 'Detail'), span: 2, children: alert.detail },
            { key: 'owner', label: tr('规则发布方', 'Published by'), children: shortDid(alert.owner) },
            { key: 'gov', label: tr('治理链高度', 'Governance height'), children: alert.govHeight },
            { key: 'wo', label: tr('工单', 'Work order'), children: alert.workOrder !== undefined ? `#${alert.workOrder}` : '—' },
            { key: 'as', label: tr('处理人', 'Assignee'), children: alert.assignee ? shortDid(alert.assignee) : '—' },
          ]} />
          <Typography.Text strong>{tr('相关交易（附包含证明）', 'Transactions (with inclusion proofs)')}</Typography.Text>
          <Table size="small" rowKey="hash" pagination={false} dataSource={alert.txs} data-testid="alert-txs"
            columns={[
              { title: tr('链', 'Chain'), dataIndex: 'chain' },
              { title: tr('高度', 'Height'), dataIndex: 'height' },
              { title: tr('交易', 'Transaction'), render: (_, t) => <Hash value={t.hash} /> },
              { title: tr('证明', 'Proof'), render: (_, t) => ('proofs' in alert && alert.proofs?.some((p) => p.hash === t.hash) ? <Tag color="success">{tr('已附', 'attached')}</Tag> : '—') },
            ]} />
          <Input.TextArea value={note} onChange={(e) => setNote(e.target.value)} rows={2} placeholder={tr('备注（关闭时必填）', 'Note (needed to close)')} data-testid="alert-note" />
          {!closed && (
            <Space wrap>
              {alert.status === 'open' && <Button loading={busy} onClick={() => act(() => consoleClient.ackAlert(id, note.trim() || undefined), tr('已确认并生成工单', 'Acknowledged; work order filed'))} data-testid="alert-ack">{tr('确认', 'Acknowledge')}</Button>}
              <Space.Compact>
                <Input value={assignee} onChange={(e) => setAssignee(e.target.value)} placeholder={tr('指派给（DID）', 'Assign to (DID)')} style={{ width: 300 }} />
                <Button loading={busy} disabled={!assignee.trim()} onClick={() => act(() => consoleClient.assignAlert(id, assignee.trim(), note.trim() || undefined), tr('已指派', 'Assigned'))}>{tr('指派', 'Assign')}</Button>
              </Space.Compact>
              <Button loading={busy} disabled={!note.trim()} onClick={() => act(() => consoleClient.closeAlert(id, note.trim()), tr('已关闭', 'Closed'))} data-testid="alert-close">{tr('关闭', 'Close')}</Button>
              {alert.key?.startsWith('did:') && auth?.roles.includes('regulator') && (
                <Button danger loading={busy} onClick={proposeFreeze} data-testid="alert-freeze">{tr('提议冻结该 DID', 'Propose to freeze this DID')}</Button>
              )}
            </Space>
          )}
          <Timeline items={alert.history.map((h, i) => ({ key: i, content: `${fmtTime(h.at, lang)} · ${h.by === 'supervision' ? tr('监管服务', 'supervision service') : shortDid(h.by)} · ${tr(ALERT_STATUS[h.status][1], ALERT_STATUS[h.status][2])}${h.note ? ` · ${h.note}` : ''}` }))} />
        </Space>
      )}
    </Modal>
  );
}

function Alerts() {
  const { tr, lang } = useSession();
  const [status, setStatus] = useState<AlertStatus | 'all'>('all');
  const [open, setOpen] = useState<string | null>(null);
  const list = useLoad(async () => (await consoleClient.alerts(status === 'all' ? { limit: 100 } : { status, limit: 100 })).alerts, [status]);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Segmented<string> value={status} onChange={(v) => setStatus(v as AlertStatus | 'all')} data-testid="alert-filter"
        options={[{ label: tr('全部', 'All'), value: 'all' }, ...(Object.keys(ALERT_STATUS) as AlertStatus[]).map((s) => ({ label: tr(ALERT_STATUS[s][1], ALERT_STATUS[s][2]), value: s }))]} />
      <ErrorBox error={list.error} />
      <Table<AlertSummary> size="small" rowKey="id" loading={list.loading} dataSource={list.data ?? []} data-testid="alerts"
        locale={{ emptyText: <NoData text={tr('暂无告警', 'No alerts')} /> }}
        onRow={(a) => ({ onClick: () => setOpen(a.id), style: { cursor: 'pointer' } })}
        columns={[
          { title: tr('时间', 'Time'), render: (_, a) => fmtTime(a.time, lang) },
          { title: tr('级别', 'Severity'), render: (_, a) => <SeverityTag s={a.severity} tr={tr} /> },
          { title: tr('规则', 'Rule'), render: (_, a) => `${a.title} (v${a.version})` },
          { title: tr('链', 'Chain'), dataIndex: 'chain' },
          { title: tr('对象', 'Subject'), render: (_, a) => (a.key ? shortDid(a.key) : '—') },
          { title: tr('状态', 'Status'), render: (_, a) => <AlertStatusTag s={a.status} tr={tr} /> },
        ]} />
      {open && <AlertDetail id={open} onClose={() => setOpen(null)} onChanged={list.reload} />}
    </Space>
  );
}

/** Series of a kind summed per bucket, e.g. `tx|settle` → chain "settle". */
function seriesOf(stats: SupervisionStats | undefined, prefix: string): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const b of stats?.buckets ?? []) {
    for (const [k, v] of Object.entries(b.series)) {
      if (!k.startsWith(prefix)) continue;
      const name = k.slice(prefix.length);
      if (!out.has(name)) out.set(name, []);
      out.get(name)!.push([b.start, Number(v)]);
    }
  }
  return out;
}

function Stats() {
  const { tr } = useSession();
  const [period, setPeriod] = useState<'hour' | 'day'>('hour');
  const s = useLoad(() => consoleClient.supervisionStats({ period }), [period]);
  const txs = useMemo(() => {
    const by = seriesOf(s.data, 'tx|');
    return {
      tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 48, right: 24, top: 32, bottom: 28 }, xAxis: { type: 'time' }, yAxis: { type: 'value' },
      series: [...by].map(([name, data]) => ({ name, type: 'line', showSymbol: false, data })),
    };
  }, [s.data]);
  const volume = useMemo(() => {
    const by = seriesOf(s.data, 'volume|');
    return {
      tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 64, right: 24, top: 32, bottom: 28 }, xAxis: { type: 'time' }, yAxis: { type: 'value', name: tr('最小单位', 'minor units') },
      series: [...by].map(([name, data]) => ({ name, type: 'bar', data })),
    };
  }, [s.data, tr]);
  const alerts = useMemo(() => {
    const by = seriesOf(s.data, 'alerts|');
    return {
      tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 48, right: 24, top: 32, bottom: 28 }, xAxis: { type: 'time' }, yAxis: { type: 'value' },
      series: [...by].map(([name, data]) => ({ name: SEVERITY[name] ? tr(SEVERITY[name][0], SEVERITY[name][1]) : name, type: 'bar', stack: 'a', data })),
    };
  }, [s.data, tr]);
  const last = s.data?.buckets.at(-1)?.series ?? {};
  const sum = (prefix: string) => Object.entries(last).filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + Number(v), 0);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Segmented<string> value={period} onChange={(v) => setPeriod(v === 'day' ? 'day' : 'hour')} options={[{ label: tr('按小时', 'Hourly'), value: 'hour' }, { label: tr('按天', 'Daily'), value: 'day' }]} data-testid="stats-period" />
      <ErrorBox error={s.error} />
      <Row gutter={16}>
        <Col span={6}><Card><Statistic title={tr('交易（当前时段）', 'Transactions (this period)')} value={sum('tx|')} /></Card></Col>
        <Col span={6}><Card><Statistic title={tr('活跃 DID', 'Active DIDs')} value={Number(last.active ?? 0)} /></Card></Col>
        <Col span={6}><Card><Statistic title={tr('跨链消息', 'Cross-chain messages')} value={sum('xchain|')} /></Card></Col>
        <Col span={6}><Card><Statistic title={tr('告警', 'Alerts')} value={sum('alerts|')} /></Card></Col>
      </Row>
      <Row gutter={16}>
        <Col span={12}><Card title={tr('各链交易数', 'Transactions per chain')}><Chart option={txs} testId="chart-sup-txs" /></Card></Col>
        <Col span={12}><Card title={tr('各币种结算量', 'Settled volume per currency')}><Chart option={volume} testId="chart-sup-volume" /></Card></Col>
      </Row>
      <Card title={tr('告警数（按级别）', 'Alerts by severity')}><Chart option={alerts} height={200} testId="chart-sup-alerts" /></Card>
      <Typography.Text type="secondary">{tr('可见范围：', 'Scope: ')}{s.data ? (s.data.scope === '*' ? tr('全部链', 'every chain') : s.data.scope.join(', ')) : '—'}</Typography.Text>
    </Space>
  );
}

function Rules() {
  const { tr, lang } = useSession();
  const r = useLoad(() => request<{ govHeight: number; rules: Array<{ id: string; version: number; owner: string; status: string; publishedAt: number; spec: { title: string; titleZh?: string; kind: string; severity: string; scope: { chains: string[] } } }> }>('GET', '/v1/supervision/rules'), []);
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <ErrorBox error={r.error} />
      <Typography.Text type="secondary">{tr('治理链高度', 'Governance height')} {r.data?.govHeight ?? '—'} · {tr('所有人可见生效中的规则及其版本', 'anyone may see the rules in force and their versions')}</Typography.Text>
      <Table size="small" rowKey="id" dataSource={r.data?.rules ?? []} data-testid="rules" locale={{ emptyText: <NoData text={tr('尚未发布规则', 'No rules published yet')} /> }}
        expandable={{ expandedRowRender: (x) => <Json value={x.spec} max={260} /> }}
        columns={[
          { title: tr('规则', 'Rule'), render: (_, x) => (lang === 'zh' && x.spec.titleZh) || x.spec.title },
          { title: 'ID', dataIndex: 'id' },
          { title: tr('类型', 'Kind'), render: (_, x) => x.spec.kind },
          { title: tr('级别', 'Severity'), render: (_, x) => <SeverityTag s={x.spec.severity} tr={tr} /> },
          { title: tr('版本', 'Version'), dataIndex: 'version' },
          { title: tr('生效高度', 'From height'), dataIndex: 'publishedAt' },
          { title: tr('范围', 'Scope'), render: (_, x) => x.spec.scope.chains.join(', ') },
          { title: tr('发布方', 'Regulator'), render: (_, x) => shortDid(x.owner) },
        ]} />
    </Space>
  );
}

function MyScope() {
  const { tr, auth } = useSession();
  const r = useLoad(() => request<{ regulators: Regulator[] }>('GET', '/v1/gov/regulators'), []);
  const me = r.data?.regulators.find((x) => x.did === auth?.did);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="my-scope">
      <ErrorBox error={r.error} />
      {me ? (
        <Descriptions size="small" bordered column={1} items={[
          { key: 'n', label: tr('名称', 'Name'), children: me.nameZh && me.name ? `${me.nameZh} / ${me.name}` : me.name },
          { key: 'c', label: tr('可监管的链', 'Chains observed'), children: me.chains.includes('*') ? tr('全部链', 'every chain') : me.chains.join(', ') },
          { key: 'm', label: tr('模块', 'Modules'), children: me.modules?.join(', ') ?? tr('全部', 'all') },
          { key: 'o', label: tr('机构', 'Organisations'), children: me.orgs?.map(shortDid).join(', ') ?? tr('全部', 'all') },
          { key: 'p', label: tr('登记提案', 'Registered by proposal'), children: `#${me.proposal}` },
        ]} />
      ) : (
        <NoData text={tr('当前登录的 DID 不是已登记的监管方', 'The signed-in DID is not a registered regulator')} />
      )}
      <Typography.Text type="secondary">{tr('监管方的范围由治理提案（登记监管方）登记。', 'A regulator\'s scope is registered by a governance proposal (register regulator).')}</Typography.Text>
    </Space>
  );
}

export function Supervision() {
  const { tr } = useSession();
  return (
    <div data-testid="page-supervision">
      <Tabs items={[
        { key: 'alerts', label: tr('告警', 'Alerts'), children: <Alerts /> },
        { key: 'stats', label: tr('统计分析', 'Statistics'), children: <Stats /> },
        { key: 'rules', label: tr('监管规则', 'Rules'), children: <Rules /> },
        { key: 'scope', label: tr('我的监管范围', 'My scope'), children: <MyScope /> },
      ]} />
    </div>
  );
}
