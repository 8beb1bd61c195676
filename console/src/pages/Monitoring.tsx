import { useEffect, useMemo, useState } from 'react';
import { Card, Col, Progress, Row, Statistic, Table, Typography } from 'antd';
import type { NodeStats } from '../../../src/sdk/browser.ts';
import { Chart } from '../charts.tsx';
import { ErrorBox, fmtTime } from '../components.tsx';
import { consoleClient, useSession } from '../session.tsx';

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
    legend: { top: 0 },
    grid: { left: 48, right: 48, top: 32, bottom: 28 },
    xAxis: { type: 'time' },
    yAxis: [{ type: 'value', name: 'CPU %' }, { type: 'value', name: 'MB' }],
    series: [
      { name: 'CPU %', type: 'line', showSymbol: false, data: samples.map((s) => [s.time, Number(s.cpuPercent.toFixed(1))]) },
      { name: tr('内存 RSS (MB)', 'Memory RSS (MB)'), type: 'line', showSymbol: false, yAxisIndex: 1, data: samples.map((s) => [s.time, Math.round(s.rssBytes / MB)]) },
    ],
  }), [samples, tr]);
  const tpsLag = useMemo(() => ({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 48, top: 32, bottom: 28 },
    xAxis: { type: 'time' },
    yAxis: [{ type: 'value', name: 'tx/s' }, { type: 'value', name: 'ms' }],
    series: [
      { name: 'TPS', type: 'line', showSymbol: false, data: samples.map((s) => [s.time, s.tps]) },
      { name: tr('事件循环延迟 (ms)', 'Event-loop lag (ms)'), type: 'line', showSymbol: false, yAxisIndex: 1, data: samples.map((s) => [s.time, Number(s.eventLoopLagMs.toFixed(2))]) },
    ],
  }), [samples, tr]);
  const disk = stats?.disk;
  const diskPct = disk?.totalBytes && disk.usedBytes !== null ? Math.round(((disk.totalBytes - (disk.freeBytes ?? 0)) / disk.totalBytes) * 100) : null;
  return (
    <div data-testid="page-monitoring">
      <ErrorBox error={error} />
      <Row gutter={16}>
        <Col span={4}><Card><Statistic title="CPU" value={stats ? stats.process.cpuPercent.toFixed(1) : '—'} suffix="%" /></Card></Col>
        <Col span={5}><Card><Statistic title={tr('内存（RSS）', 'Memory (RSS)')} value={stats ? Math.round(stats.process.rssBytes / MB) : '—'} suffix="MB" /></Card></Col>
        <Col span={5}><Card><Typography.Text type="secondary">{tr('磁盘', 'Disk')}</Typography.Text><Progress percent={diskPct ?? 0} status={diskPct !== null && diskPct > 90 ? 'exception' : 'normal'} />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{tr('数据目录', 'Data dir')} {disk?.usedBytes != null ? `${Math.round(disk.usedBytes / MB)} MB` : '—'}</Typography.Text></Card></Col>
        <Col span={5}><Card><Statistic title={tr('对等节点', 'Peers')} value={stats?.peers ?? '—'} /></Card></Col>
        <Col span={5}><Card><Statistic title="TPS" value={stats?.tps ?? '—'} /></Card></Col>
      </Row>
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col span={12}><Card title={tr('CPU 与内存', 'CPU and memory')}><Chart option={cpuMem} testId="chart-cpu" /></Card></Col>
        <Col span={12}><Card title={tr('吞吐与事件循环延迟', 'Throughput and event-loop lag')}><Chart option={tpsLag} testId="chart-lag" /></Card></Col>
      </Row>
      <Card style={{ marginTop: 16 }} title={tr('各链状态', 'Chains')}>
        <Table size="small" rowKey="id" pagination={false} dataSource={stats?.chains ?? []} data-testid="monitor-chains"
          columns={[
            { title: tr('链', 'Chain'), dataIndex: 'id' },
            { title: tr('高度', 'Height'), dataIndex: 'height' },
            { title: tr('交易池', 'Mempool'), render: (_, c) => `${c.mempool.txs} tx · ${(c.mempool.bytes / 1024).toFixed(1)} KB` },
            { title: tr('共识轮次', 'Consensus round'), render: (_, c) => (c.consensus ? `${c.consensus.type} · h${c.consensus.height} r${c.consensus.round} · ${c.consensus.step}${c.consensus.syncing ? tr(' · 同步中', ' · syncing') : ''}` : '—') },
            { title: tr('验证节点在线', 'Validators up'), render: (_, c) => `${c.validatorsUp}/${c.validators}` },
            { title: tr('出块间隔', 'Block interval'), render: (_, c) => (c.blockIntervalMs === null ? '—' : `${c.blockIntervalMs} ms`) },
            { title: 'TPS', dataIndex: 'tps' },
            { title: tr('最新区块时间', 'Last block'), render: (_, c) => fmtTime(c.lastBlockTime, lang) },
          ]} />
        <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
          {tr('Prometheus 指标：', 'Prometheus metrics: ')}<Typography.Text code>/metrics</Typography.Text>
          {stats && ` · ${tr('节点', 'node')} ${stats.node.did} · v${stats.node.version} · ${tr('运行', 'up')} ${Math.round(stats.node.uptimeMs / 1000)} s`}
        </Typography.Paragraph>
      </Card>
    </div>
  );
}
