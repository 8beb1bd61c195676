import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Badge, Card, Col, Row, Statistic, Table, Tag, Timeline, Typography } from 'antd';
import { govMembers, govProposals, type ChainInfo, type ConsensusStatus, type Health, type StreamMessage } from '../../../src/sdk/browser.ts';
import { AXIS_LABEL, CHART_LAYOUT, Chart } from '../charts.tsx';
import { ErrorBox, Ident, NoData, UserText, chainName, consensusName, fmtDuration, fmtTime, kindName } from '../components.tsx';
import { client, errText, useLoad, useSession } from '../session.tsx';

type Tr = (zh: string, en: string) => string;

interface Alert {
  at: number;
  level: 'info' | 'warning' | 'error';
  text: (tr: Tr) => ReactNode;
}

const WINDOW = 60; // seconds of history in the charts

/** Governance and supervision events in words. */
const EVENTS: Record<string, [string, string]> = {
  ProposalCreated: ['新提案', 'proposal made'], Voted: ['投票', 'vote cast'], ProposalApproved: ['提案通过', 'proposal approved'],
  ProposalRejected: ['提案被否决', 'proposal rejected'], ProposalFailed: ['提案执行失败', 'proposal failed'], MemberAdmitted: ['接纳成员', 'member admitted'],
  MemberRemoved: ['移除成员', 'member removed'], ChainApproved: ['业务链获批', 'chain approved'], ChainActivated: ['业务链已启动', 'chain started'],
  ChainResumed: ['链已恢复', 'chain resumed'], ValidatorSetChanged: ['验证节点已变更', 'validators changed'], PolicyChanged: ['联盟策略已修改', 'policy changed'],
  RegulatorRegistered: ['登记监管方', 'regulator registered'], GatewayRegistered: ['登记网关', 'gateway registered'], RouteApproved: ['跨链路由获批', 'route approved'],
  Initialized: ['治理已初始化', 'governance initialised'],
};

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
        const words = EVENTS[m.event];
        pushAlert({
          level: m.module === 'supervision' ? 'warning' : 'info',
          text: (t) => <span><Ident>{m.chain}</Ident> #{m.height} · {words ? t(words[0], words[1]) : <Ident>{`${m.module}.${m.event}`}</Ident>}</span>,
        });
      }
    };
    const sub = client.subscribe({ chains: [] }, onMsg, {
      onError: (e) => pushAlert({ level: 'error', text: (t) => `${t('实时数据流错误：', 'Live stream error: ')}${errText(e)}` }),
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
      const down = c.validators.filter((v) => !v.up).length;
      if (down > 0) pushAlert({ level: 'error', text: (t) => <span><Ident>{c.chain}</Ident>{t(`：${down} 个验证节点离线`, `: ${down} validator(s) down`)}</span> });
      if (c.syncing) pushAlert({ level: 'warning', text: (t) => <span><Ident>{c.chain}</Ident>{t('：正在同步区块', ': syncing blocks')}</span> });
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
    grid: { ...CHART_LAYOUT.grid, bottom: 12 },
    xAxis: { type: 'time', min: (tpsSeries.at(-1)?.[0] ?? Date.now()) - WINDOW * 1000, max: tpsSeries.at(-1)?.[0] ?? Date.now(), axisLabel: { ...AXIS_LABEL } },
    yAxis: { type: 'value', name: tr('笔/秒', 'tx/s'), minInterval: 1, axisLabel: { ...AXIS_LABEL } },
    series: [{ name: tr('每秒交易数', 'Transactions per second'), type: 'line', showSymbol: false, areaStyle: {}, data: tpsSeries }],
  }), [tpsSeries, tr]);

  const hasBlockTimes = Object.values(blockTimes).some((d) => d.length > 0);
  const blockOption = useMemo(() => ({
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmtDuration(v, lang) },
    legend: { ...CHART_LAYOUT.legend },
    grid: { ...CHART_LAYOUT.grid },
    xAxis: { type: 'value', name: tr('高度', 'height'), nameLocation: 'middle', nameGap: 24, minInterval: 1, scale: true, axisLabel: { ...AXIS_LABEL } },
    yAxis: { type: 'value', axisLabel: { ...AXIS_LABEL, formatter: (v: number) => fmtDuration(v, lang) } },
    series: Object.entries(blockTimes).map(([chain, data]) => ({ name: chain, type: 'line', showSymbol: false, data })),
  }), [blockTimes, tr, lang]);

  return (
    <div data-testid="page-overview">
      <ErrorBox error={base.error} />
      <Row gutter={16}>
        <Col span={6}><Card><Statistic title={tr('链联盟健康度', 'Alliance health')} value={health === 'ok' ? tr('正常', 'Healthy') : tr('降级', 'Degraded')} styles={{ content: { color: health === 'ok' ? '#3f8600' : '#cf1322' } }} /></Card></Col>
        <Col span={6}><Card><Statistic title={tr('本节点托管的链', 'Chains on this node')} value={base.data?.chains.length ?? 0} /></Card></Col>
        <Col span={6}><Card><Statistic title={tr('成员组织', 'Member organisations')} value={base.data?.members ?? 0} /></Card></Col>
        <Col span={6}><Card><Statistic title={tr('投票中的提案', 'Proposals in voting')} value={base.data?.openProposals ?? 0} /></Card></Col>
      </Row>
      <Card style={{ marginTop: 16 }} title={<span>{tr('链', 'Chains')} <Badge status={live === 'live' ? 'success' : live === 'connecting' ? 'processing' : 'error'} text={live === 'live' ? tr('实时', 'live') : live === 'connecting' ? tr('连接中', 'connecting') : tr('已断开', 'disconnected')} /></span>}>
        <Table
          size="small" loading={base.loading} pagination={false} dataSource={rows} data-testid="overview-chains"
          locale={{ emptyText: <NoData text={tr('本节点没有托管链', 'This node hosts no chains')} /> }}
          columns={[
            { title: tr('链', 'Chain'), render: (_, r) => <span><b><Ident>{r.chain.id}</Ident></b> · <UserText>{chainName(r.chain, lang)}</UserText></span> },
            { title: tr('类型', 'Kind'), render: (_, r) => <Tag>{kindName(r.chain.kind, tr)}</Tag> },
            { title: tr('高度', 'Height'), dataIndex: 'height' },
            { title: tr('每秒交易数', 'TPS'), render: (_, r) => r.tps.toFixed(1) },
            { title: tr('验证节点（在线/总数）', 'Validators (up/total)'), render: (_, r) => <Tag color={r.up === r.total ? 'green' : 'red'}>{r.up}/{r.total}</Tag> },
            { title: tr('共识', 'Consensus'), dataIndex: 'consensus', render: (c: string) => consensusName(c, tr) },
          ]}
        />
      </Card>
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col span={12}><Card title={tr('每秒交易数', 'Transactions per second')}><Chart option={tpsOption} testId="chart-tps" empty={tpsSeries.length === 0 ? tr('正在收集数据', 'Collecting data') : undefined} /></Card></Col>
        <Col span={12}><Card title={tr('出块间隔', 'Block time')}><Chart option={blockOption} testId="chart-blocktime" empty={hasBlockTimes ? undefined : tr('暂无数据：有两个新区块后显示', 'No data yet: shown after two new blocks')} /></Card></Col>
      </Row>
      <Card style={{ marginTop: 16 }} title={tr('最近告警与治理事件', 'Recent alerts and governance events')}>
        {alerts.length === 0 ? (
          <NoData text={tr('暂无告警', 'No alerts')} />
        ) : (
          <Timeline items={alerts.map((a, i) => ({
            key: i, color: a.level === 'error' ? 'red' : a.level === 'warning' ? 'orange' : 'blue',
            content: <span>{fmtTime(a.at, lang)} · {a.text(tr)}</span>,
          }))} />
        )}
      </Card>
      {base.data && <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>{tr('节点', 'Node')} {base.data.health.node} · {tr('版本', 'version')} {base.data.health.version}</Typography.Paragraph>}
    </div>
  );
}
