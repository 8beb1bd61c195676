import { useEffect, useMemo, useState } from 'react';
import { Card, Col, Progress, Row, Statistic, Table, Typography } from 'antd';
import type { NodeStats } from '../../../src/sdk/browser.ts';
import { AXIS_LABEL, CHART_LAYOUT, Chart } from '../charts.tsx';
import { ErrorBox, Ident, NoData, consensusName, fmtBytes, fmtDuration, fmtTime } from '../components.tsx';
import { consoleClient, useSession } from '../session.tsx';
import { AllianceNodes } from './Nodes.tsx';

const MB = 1024 * 1024;

export function Monitoring() {
  const { tr, lang } = useSession();
  const [stats, setStats] = useState<NodeStats | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    const load = () => consoleClient.stats().then((s) => { if (live) { setStats(s); setError(null); } }, (e: unknown) => live && setError(e));
    void load();
    const t = setInterval(load, 3000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, []);
  const samples = stats?.history.samples ?? [];
  const cpuMem = useMemo(() => ({
    tooltip: { trigger: 'axis' },
    legend: { ...CHART_LAYOUT.legend },
    grid: { ...CHART_LAYOUT.grid },
    xAxis: { type: 'time', axisLabel: { ...AXIS_LABEL } },
    yAxis: [
      { type: 'value', name: 'CPU %', axisLabel: { ...AXIS_LABEL } },
      { type: 'value', name: 'MB', axisLabel: { ...AXIS_LABEL }, splitLine: { show: false } },
    ],
    series: [
      { name: tr('处理器占用 (%)', 'CPU (%)'), type: 'line', showSymbol: false, data: samples.map((s) => [s.time, Number(s.cpuPercent.toFixed(1))]) },
      { name: tr('内存 (MB)', 'Memory (MB)'), type: 'line', showSymbol: false, yAxisIndex: 1, data: samples.map((s) => [s.time, Math.round(s.rssBytes / MB)]) },
    ],
  }), [samples, tr]);
  const tpsLag = useMemo(() => ({
    tooltip: { trigger: 'axis' },
    legend: { ...CHART_LAYOUT.legend },
    grid: { ...CHART_LAYOUT.grid },
    xAxis: { type: 'time', axisLabel: { ...AXIS_LABEL } },
    yAxis: [
      { type: 'value', name: tr('笔/秒', 'tx/s'), axisLabel: { ...AXIS_LABEL } },
      { type: 'value', name: tr('毫秒', 'ms'), axisLabel: { ...AXIS_LABEL }, splitLine: { show: false } },
    ],
    series: [
      { name: tr('每秒交易数', 'Transactions per second'), type: 'line', showSymbol: false, data: samples.map((s) => [s.time, s.tps]) },
      { name: tr('事件循环延迟（毫秒）', 'Event-loop lag (ms)'), type: 'line', showSymbol: false, yAxisIndex: 1, data: samples.map((s) => [s.time, Number(s.eventLoopLagMs.toFixed(2))]) },
    ],
  }), [samples, tr]);
  // The data directory's own size, and its share of the space it could still use on its volume
  // (used + free there), not the host disk's fill level.
  const disk = stats?.disk;
  const dataPct = disk?.usedBytes != null && disk.freeBytes != null && disk.usedBytes + disk.freeBytes > 0
    ? Math.max(disk.usedBytes > 0 ? 1 : 0, Math.round((disk.usedBytes / (disk.usedBytes + disk.freeBytes)) * 100)) : null;
  const waiting = samples.length < 2 ? tr('正在收集数据：每隔几秒采样一次', 'Collecting data: a sample every few seconds') : undefined;
  return (
    <div data-testid="page-monitoring">
      <ErrorBox error={error} />
      <Row gutter={16}>
        <Col span={4}><Card><Statistic title={tr('处理器占用', 'CPU')} value={stats ? stats.process.cpuPercent.toFixed(1) : '—'} suffix="%" /></Card></Col>
        <Col span={5}><Card><Statistic title={tr('内存', 'Memory')} value={stats ? fmtBytes(stats.process.rssBytes) : '—'} /></Card></Col>
        <Col span={5}><Card data-testid="disk-card">
          <Typography.Text type="secondary">{tr('数据目录占用', 'Data directory')}</Typography.Text>
          <div style={{ fontSize: 24 }} data-testid="disk-used">{fmtBytes(disk?.usedBytes)}</div>
          {dataPct !== null && <Progress percent={dataPct} size="small" status={dataPct > 90 ? 'exception' : 'normal'} />}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{tr('所在磁盘剩余', 'Free on its volume')} {fmtBytes(disk?.freeBytes)}</Typography.Text>
        </Card></Col>
        <Col span={5}><Card><Statistic title={tr('对等节点', 'Peers')} value={stats?.peers ?? '—'} /></Card></Col>
        <Col span={5}><Card><Statistic title={tr('每秒交易数', 'Transactions per second')} value={stats?.tps ?? '—'} /></Card></Col>
      </Row>
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col span={12}><Card title={tr('处理器与内存', 'CPU and memory')}><Chart option={cpuMem} testId="chart-cpu" empty={waiting} /></Card></Col>
        <Col span={12}><Card title={tr('吞吐与事件循环延迟', 'Throughput and event-loop lag')}><Chart option={tpsLag} testId="chart-lag" empty={waiting} /></Card></Col>
      </Row>
      <Card style={{ marginTop: 16 }} title={tr('各链状态', 'Chains')}>
        <Table size="small" rowKey="id" pagination={false} dataSource={stats?.chains ?? []} data-testid="monitor-chains"
          locale={{ emptyText: <NoData /> }}
          columns={[
            { title: tr('链', 'Chain'), dataIndex: 'id', render: (id: string) => <Ident>{id}</Ident> },
            { title: tr('高度', 'Height'), dataIndex: 'height' },
            { title: tr('交易池', 'Mempool'), render: (_, c) => `${c.mempool.txs} ${tr('笔', 'tx')} · ${fmtBytes(c.mempool.bytes)}` },
            { title: tr('共识轮次', 'Consensus round'), render: (_, c) => (c.consensus ? <span>{consensusName(c.consensus.type, tr)} · {tr('高度', 'height')} {c.consensus.height} · {tr('轮次', 'round')} {c.consensus.round} · <Ident>{c.consensus.step}</Ident>{c.consensus.syncing ? tr(' · 同步中', ' · syncing') : ''}</span> : '—') },
            { title: tr('验证节点在线', 'Validators up'), render: (_, c) => `${c.validatorsUp}/${c.validators}` },
            { title: tr('出块间隔', 'Block interval'), render: (_, c) => (c.blockIntervalMs === null ? '—' : fmtDuration(c.blockIntervalMs, lang)) },
            { title: tr('每秒交易数', 'TPS'), dataIndex: 'tps' },
            { title: tr('最新区块时间', 'Last block'), render: (_, c) => fmtTime(c.lastBlockTime, lang) },
          ]} />
        <Typography.Paragraph type="secondary" style={{ marginTop: 12 }} data-testid="monitor-node">
          {tr('Prometheus 指标：', 'Prometheus metrics: ')}<Typography.Text code>/metrics</Typography.Text>
          {stats && <> · {tr('节点', 'node')} {stats.node.did} · {tr('版本', 'version')} {stats.node.version} · {tr('已运行', 'up for')} <span data-testid="uptime">{fmtDuration(stats.node.uptimeMs, lang)}</span></>}
        </Typography.Paragraph>
      </Card>
      <Card style={{ marginTop: 16 }} title={tr('联盟各节点', 'Nodes of the alliance')}><AllianceNodes /></Card>
    </div>
  );
}
