import { useEffect, useState } from 'react';
import { Select, Space, Table, Tag, Tooltip, Typography, Button } from 'antd';
import { ErrorBox, Hash, Ident, NoData, StatusTag, UserText, fmtTime } from '../components.tsx';
import { client, useLoad, useSession } from '../session.tsx';
import type { ExternalChain } from '../../../src/sdk/browser.ts';

/**
 * Chains on other engines the node follows (GET /v1/external-chains; docs/engines.md). The node
 * reads them through their ChainAdapter and serves a cache, so these views never wait on an
 * external node.
 */
export type { ExternalChain };

interface ExternalMessage {
  id: string;
  status: string;
  packet: { dstChain: string; dstPort: string; payload: { denom?: string; amount?: string; receiver?: string } | null };
  path: Array<{ step: string; height: number; time: number; tx: string; by: string; ok?: boolean }>;
}

/** The node's external chains; none from a node without the route. */
export const loadExternalChains = (): Promise<ExternalChain[]> =>
  client.getJson<{ chains: ExternalChain[] }>('/external-chains').then((r) => r.chains, () => []);

/** The engine an external chain runs on, as a tag: "EVM" / "以太坊虚拟机". */
export function EngineTag({ engine, id }: { engine: string; id: string }) {
  const { tr } = useSession();
  const label = engine === 'evm' ? tr('以太坊虚拟机', 'EVM') : <Ident>{engine}</Ident>;
  return <Tag color="purple" data-testid={`engine-tag-${id}`}>{label}</Tag>;
}

/** The Chains page's table of external chains, after the native ones. */
export function ExternalChainsTable({ tick }: { tick: number }) {
  const { tr, lang } = useSession();
  const list = useLoad(loadExternalChains, [tick]);
  if (!list.loading && !list.data?.length) return null;
  return (
    <>
      <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('外部链（其他引擎）', 'External chains (other engines)')}</Typography.Title>
      <Table size="small" rowKey="id" loading={list.loading} dataSource={list.data ?? []} pagination={false} data-testid="external-chains-table"
        columns={[
          { title: 'ID', dataIndex: 'id', render: (id: string) => <b data-testid={`external-row-${id}`}><Ident>{id}</Ident></b> },
          { title: tr('名称', 'Name'), render: (_, c) => <UserText>{lang === 'zh' && c.nameZh ? c.nameZh : c.name}</UserText> },
          { title: tr('引擎', 'Engine'), render: (_, c) => <EngineTag engine={c.engine} id={c.id} /> },
          { title: tr('高度', 'Height'), render: (_, c) => <span data-testid={`external-height-${c.id}`}>{c.height >= 0 ? c.height : '—'}</span> },
          { title: tr('链 ID', 'Chain ID'), render: (_, c) => c.chainId ?? '—' },
          { title: tr('最终性', 'Finality'), render: (_, c) => (c.finality ? <Tooltip title={c.finality.rule}>{tr(`已最终 ${c.finality.final}`, `final ${c.finality.final}`)}</Tooltip> : '—') },
          { title: tr('最新区块时间', 'Last block'), render: (_, c) => fmtTime(c.lastBlockTime, lang) },
          { title: tr('状态', 'Status'), render: (_, c) => (c.reachable ? <StatusTag status="up" /> : <Tooltip title={c.error}><span><StatusTag status="down" /></span></Tooltip>) },
          { title: tr('跨链合约', 'XEndpoint'), render: (_, c) => (c.endpoint ? <Typography.Text code style={{ fontSize: 12 }}>{c.endpoint}</Typography.Text> : '—') },
        ]} />
    </>
  );
}

/** The Explorer's view of an external chain: latest blocks and its XEndpoint's messages. */
export function ExternalExplorer() {
  const { tr, lang } = useSession();
  const [tick, setTick] = useState(0);
  const list = useLoad(loadExternalChains, [tick]);
  const [id, setId] = useState('');
  const chains = list.data ?? [];
  useEffect(() => {
    if (!id && chains.length) setId(chains[0]!.id);
  }, [chains, id]);
  const c = chains.find((x) => x.id === id);
  const msgs = useLoad<ExternalMessage[]>(
    () => (c?.endpoint ? client.getJson<{ messages: ExternalMessage[] }>(`/external-chains/${encodeURIComponent(c.id)}/messages?limit=50`).then((r) => r.messages) : Promise.resolve([])),
    [c?.id, c?.endpoint, tick],
  );
  if (!list.loading && !chains.length) return <NoData text={<span>{tr('本节点未配置外部链（见 ', 'This node follows no external chains (see ')}<Typography.Text code>external-chains.json</Typography.Text>{tr('）', ')')}</span>} />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="external-explorer">
      <Space>
        <Select style={{ width: 220 }} value={id || undefined} onChange={setId} options={chains.map((x) => ({ value: x.id, label: <Ident>{x.id}</Ident> }))} data-testid="external-chain-select" />
        {c && <EngineTag engine={c.engine} id={c.id} />}
        {c && <span>{tr('高度', 'Height')} {c.height >= 0 ? c.height : '—'}</span>}
        {c && !c.reachable && <Tag color="red" title={c.error}>{tr('不可达', 'unreachable')}</Tag>}
        <Button onClick={() => setTick((t) => t + 1)}>{tr('刷新', 'Refresh')}</Button>
      </Space>
      <ErrorBox error={list.error} />
      <Table size="small" rowKey="height" loading={list.loading} dataSource={c?.latestBlocks ?? []} pagination={false} data-testid="external-blocks"
        columns={[
          { title: tr('高度', 'Height'), dataIndex: 'height' },
          { title: tr('区块哈希', 'Hash'), dataIndex: 'hash', render: (h: string) => <Hash value={h} /> },
          { title: tr('交易数', 'Txs'), dataIndex: 'txCount' },
          { title: tr('时间', 'Time'), dataIndex: 'time', render: (t: number) => fmtTime(t, lang) },
          { title: tr('出块账户', 'Producer'), dataIndex: 'producer', render: (p: string) => <Typography.Text code style={{ fontSize: 12 }}>{p}</Typography.Text> },
        ]} />
      {c?.endpoint && (
        <>
          <Typography.Title level={5}>{tr('跨链合约的消息', 'Cross-chain messages (XEndpoint)')}</Typography.Title>
          <Table size="small" rowKey="id" loading={msgs.loading} dataSource={msgs.data ?? []} pagination={false} data-testid="external-messages"
            locale={{ emptyText: <NoData /> }}
            columns={[
              { title: 'ID', dataIndex: 'id', render: (x: string) => <Ident>{x}</Ident> },
              { title: tr('代币', 'Token'), render: (_, m) => (m.packet.payload?.denom ? <span>{m.packet.payload.amount} <Ident>{m.packet.payload.denom}</Ident></span> : '—') },
              { title: tr('接收方', 'Receiver'), render: (_, m) => m.packet.payload?.receiver ?? '—' },
              { title: tr('状态', 'Status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
              { title: tr('时间', 'Time'), render: (_, m) => fmtTime(m.path[0]?.time, lang) },
            ]} />
        </>
      )}
    </Space>
  );
}
