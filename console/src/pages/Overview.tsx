import { useEffect, useMemo, useRef, useState } from 'react';
import { Badge, Card, Col, Row, Statistic, Table, Tag, Timeline, Typography } from 'antd';
import { govMembers, govProposals, type ChainInfo, type ConsensusStatus, type Health, type StreamMessage } from '../../../src/sdk/browser.ts';
import { Chart } from '../charts.tsx';
import { ErrorBox, chainName, fmtTime, kindName } from '../components.tsx';
import { client, errText, useLoad, useSession } from '../session.tsx';

interface Alert {
  at: number;
  level: 'info' | 'warning' | 'error';
  zh: string;
  en: string;
}

const WINDOW = 60; // seconds of history in the charts

export function Overview() {
  const { tr, lang } = useSession();
  const base = useLoad(async () => {
    const [health, chains, members, proposals] = await Promise.all([
      client.health(),
      client.chains(),
      govMembers(client).catch(() => []),
      govProposals(client, { status: 'voting' }).catch(() => []),
    ]);
    const consensus = await Promise.all(chains.map((c) => client.consensus(c.id).catch(() => null)));
    return { health: health as Health, chains, consensus, members: members.length, openProposals: proposals.length };
  }, []);

  const [heights, setHeights] = useState<Record<string, number>>({});
  const [tpsSeries, setTpsSeries] = useState<Array<[number, number]>>([]);
  const [blockTimes, setBlockTimes] = useState<Record<string, Array<[number, number]>>>({});
  const [txWindow, setTxWindow] = useState<Record<string, number[]>>({});
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [live, setLive] = useState<'connecting' | 'live' | 'closed'>('connecting');
  const lastBlock = useRef<Record<string, number>>({});
  const bucket = useRef<{ sec: number; txs: number }>({ sec: Math.floor(Date.now() / 1000), txs: 0 });
  const perChainTx = useRef<Record<string, Array<{ t: number; n: number }>>>({});

  const pushAlert = (a: Omit<Alert, 'at'>) => setAlerts((xs) => [{ ...a, at: Date.now() }, ...xs].slice(0, 30));

  useEffect(() => {
    const onMsg = (m: StreamMessage) => {
      if (m.type === 'block') {
        setHeights((h) => ({ ...h, [m.chain]: m.height }));
        const prev = lastBlock.current[m.chain];
        lastBlock.current[m.chain] = m.time;
        if (prev !== undefined && m.time >= prev) {
          setBlockTimes((bt) => ({ ...bt, [m.chain]: [...(bt[m.chain] ?? []), [m.height, m.time - prev] as [number, number]].slice(-WINDOW) }));
        }
        bucket.current.txs += m.txCount;
        const list = (perChainTx.current[m.chain] ??= []);
        list.push({ t: Date.now(), n: m.txCount });
      } else if (m.type === 'event' && (m.module === 'governance' || m.module === 'supervision')) {
        pushAlert({ level: m.module === 'supervision' ? 'warning' : 'info', zh: `${m.chain} #${m.height} · ${m.module}.${m.event}`, en: `${m.chain} #${m.height} · ${m.module}.${m.event}` });
      }
    };
    const sub = client.subscribe({ chains: [] }, onMsg, {
      onError: (e) => pushAlert({ level: 'error', zh: `实时数据流错误：${errText(e)}`, en: `Live stream error: ${errText(e)}` }),
      onClose: () => setLive('closed'),
    });
    sub.ready.then(() => setLive('live'), () => setLive('closed'));
    const tick = setInterval(() => {
      const now = Math.floor(Date.now() / 1000);
      const b = bucket.current;
      if (now > b.sec) {
        setTpsSeries((s) => [...s, [b.sec * 1000, b.txs] as [number, number]].slice(-WINDOW));
        bucket.current = { sec: now, txs: 0 };
      }
      const cutoff = Date.now() - 10_000;
      const w: Record<string, number[]> = {};
      for (const [id, l] of Object.entries(perChainTx.current)) {
        perChainTx.current[id] = l.filter((x) => x.t >= cutoff);
        w[id] = perChainTx.current[id]!.map((x) => x.n);
      }
      setTxWindow(w);
    }, 1000);
    return () => {
      clearInterval(tick);
      sub.close();
    };
  }, []);

  // Derived alerts: validators down, chains not producing blocks.
  useEffect(() => {
    if (!base.data) return;
    for (const c of base.data.consensus) {
      if (!c) continue;
      const down = c.validators.filter((v) => !v.up);
      if (down.length > 0) pushAlert({ level: 'error', zh: `${c.chain}：${down.length} 个验证节点离线`, en: `${c.chain}: ${down.length} validator(s) down` });
      if (c.syncing) pushAlert({ level: 'warning', zh: `${c.chain}：正在同步区块`, en: `${c.chain}: syncing blocks` });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [base.data]);

  const rows = useMemo(() => (base.data?.chains ?? []).map((c: ChainInfo, i) => {
    const cs = base.data!.consensus[i] as ConsensusStatus | null;
    const txs = (txWindow[c.id] ?? []).reduce((s, n) => s + n, 0);
    return {
      key: c.id, chain: c, height: Math.max(heights[c.id] ?? 0, c.height), tps: txs / 10,
      up: cs ? cs.validators.filter((v) => v.up).length : 0, total: c.validators.length, consensus: c.consensus,
    };
  }), [base.data, heights, txWindow]);

  const health = rows.every((r) => r.up === r.total) ? 'ok' : 'degraded';

  const tpsOption = useMemo(() => ({
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 24, bottom: 28 },
    xAxis: { type: 'time', min: (tpsSeries.at(-1)?.[0] ?? Date.now()) - WINDOW * 1000, max: tpsSeries.at(-1)?.[0] ?? Date.now() },
    yAxis: { type: 'value', name: 'tx/s', minInterval: 1 },
    series: [{ name: tr('每秒交易数', 'TPS'), type: 'line', showSymbol: false, areaStyle: {}, data: tpsSeries }],
  }), [tpsSeries, tr]);

  const blockOption = useMemo(() => ({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 32, bottom: 28 },
    xAxis: { type: 'value', name: tr('高度', 'height'), minInterval: 1, scale: true },
    yAxis: { type: 'value', name: 'ms' },
    series: Object.entries(blockTimes).map(([chain, data]) => ({ name: chain, type: 'line', showSymbol: false, data })),
  }), [blockTimes, tr]);

  return (
    <div data-testid="page-overview">
      <ErrorBox error={base.error} />
      <Row gutter={16}>
        <Col span={6}><Card><Statistic title={tr('联盟健康度', 'Alliance health')} value={health === 'ok' ? tr('正常', 'Healthy') : tr('降级', 'Degraded')} styles={{ content: { color: health === 'ok' ? '#3f8600' : '#cf1322' } }} /></Card></Col>
        <Col span={6}><Card><Statistic title={tr('本节点托管的链', 'Chains on this node')} value={base.data?.chains.length ?? 0} /></Card></Col>
        <Col span={6}><Card><Statistic title={tr('成员组织', 'Member organisations')} value={base.data?.members ?? 0} /></Card></Col>
        <Col span={6}><Card><Statistic title={tr('投票中的提案', 'Proposals in voting')} value={base.data?.openProposals ?? 0} /></Card></Col>
      </Row>
      <Card style={{ marginTop: 16 }} title={<span>{tr('链', 'Chains')} <Badge status={live === 'live' ? 'success' : live === 'connecting' ? 'processing' : 'error'} text={live === 'live' ? tr('实时', 'live') : live === 'connecting' ? tr('连接中', 'connecting') : tr('已断开', 'disconnected')} /></span>}>
        <Table
          size="small" loading={base.loading} pagination={false} dataSource={rows} data-testid="overview-chains"
          columns={[
            { title: tr('链', 'Chain'), render: (_, r) => <span><b>{r.chain.id}</b> · {chainName(r.chain, lang)}</span> },
            { title: tr('类型', 'Kind'), render: (_, r) => <Tag>{kindName(r.chain.kind, tr)}</Tag> },
            { title: tr('高度', 'Height'), dataIndex: 'height' },
            { title: 'TPS', render: (_, r) => r.tps.toFixed(1) },
            { title: tr('验证节点（在线/总数）', 'Validators (up/total)'), render: (_, r) => <Tag color={r.up === r.total ? 'green' : 'red'}>{r.up}/{r.total}</Tag> },
            { title: tr('共识', 'Consensus'), dataIndex: 'consensus' },
          ]}
        />
      </Card>
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col span={12}><Card title={tr('每秒交易数（TPS）', 'Transactions per second')}><Chart option={tpsOption} testId="chart-tps" /></Card></Col>
        <Col span={12}><Card title={tr('出块间隔', 'Block time')}><Chart option={blockOption} testId="chart-blocktime" /></Card></Col>
      </Row>
      <Card style={{ marginTop: 16 }} title={tr('最近告警与治理事件', 'Recent alerts and governance events')}>
        {alerts.length === 0 ? (
          <Typography.Text type="secondary">{tr('暂无告警', 'No alerts')}</Typography.Text>
        ) : (
          <Timeline items={alerts.map((a, i) => ({
            key: i, color: a.level === 'error' ? 'red' : a.level === 'warning' ? 'orange' : 'blue',
            content: <span>{fmtTime(a.at, lang)} · {lang === 'zh' ? a.zh : a.en}</span>,
          }))} />
        )}
      </Card>
      {base.data && <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>{tr('节点', 'Node')} {base.data.health.node} · v{base.data.health.version}</Typography.Paragraph>}
    </div>
  );
}
