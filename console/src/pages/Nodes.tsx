/**
 * Every node of the alliance, not only the one serving the console (issue #25 item 1): the
 * console asks each node it knows of for GET /v1/node/info (served cross-origin by every node):
 * version, uptime, chains hosted with height and sync state, peers, disk. Nodes are known from
 * (1) the node serving the console, (2) the DID documents of the validators and member
 * organisations on the identity chain — a service of type `ShulianNodeApi` whose endpoint is the
 * node's API URL (add it on the Identity page, "Keys and certificates"), and (3) URLs the operator
 * adds here (kept in this browser). Bounded: at most MAX_NODES nodes, each asked with a timeout.
 */
import { useState } from 'react';
import { Button, Input, Space, Table, Tag, Typography } from 'antd';
import { docStateKey, govChains, govMembers, type NodeInfo } from '../../../src/sdk/browser.ts';
import { ErrorBox, Ident, fmtBytes, fmtDuration } from '../components.tsx';
import { client, shortDid, useLoad, useSession } from '../session.tsx';

export const NODE_API_SERVICE = 'ShulianNodeApi';
const MAX_NODES = 32;
const TIMEOUT_MS = 5_000;
const STORE = 'shulian.console.nodes';
const HTTP = 'http(s)://';

interface Row { url: string; source: 'self' | 'did' | 'added'; did?: string; info?: NodeInfo; error?: string; ms?: number }

function added(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(STORE) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, MAX_NODES) : [];
  } catch {
    return [];
  }
}

/** The API URLs DID documents advertise: services of type ShulianNodeApi with an http(s) endpoint. */
async function advertised(): Promise<Array<{ url: string; did: string }>> {
  const [chains, members] = await Promise.all([govChains(client).catch(() => []), govMembers(client).catch(() => [])]);
  const dids = new Set<string>([...members.map((m) => m.did), ...chains.flatMap((c) => c.validators.at(-1)?.validators.map((v) => v.did) ?? [])]);
  const out: Array<{ url: string; did: string }> = [];
  await Promise.all([...dids].slice(0, 4 * MAX_NODES).map(async (did) => {
    const doc = (await client.state('identity', docStateKey(did)).catch(() => null))?.value as { services?: Array<{ type: string | string[]; serviceEndpoint: unknown }> } | null | undefined;
    for (const s of doc?.services ?? []) {
      const types = Array.isArray(s.type) ? s.type : [s.type];
      if (types.includes(NODE_API_SERVICE) && typeof s.serviceEndpoint === 'string' && /^https?:\/\//.test(s.serviceEndpoint)) out.push({ url: s.serviceEndpoint.replace(/\/+$/, ''), did });
    }
  }));
  return out;
}

async function ask(url: string): Promise<{ info?: NodeInfo; error?: string; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/v1/node/info`, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (!res.ok) return { error: `HTTP ${res.status}`, ms: performance.now() - t0 };
    return { info: (await res.json()) as NodeInfo, ms: performance.now() - t0 };
  } catch (e) {
    return { error: (e as Error).name === 'TimeoutError' ? `timeout ${TIMEOUT_MS / 1000} s` : (e as Error).message, ms: performance.now() - t0 };
  }
}

export function AllianceNodes() {
  const { tr, lang } = useSession();
  const [extra, setExtra] = useState<string[]>(added);
  const [url, setUrl] = useState('');
  const [bad, setBad] = useState(false);
  const nodes = useLoad<Row[]>(async () => {
    const self = client.baseUrl.replace(/\/+$/, '');
    const seen = new Map<string, Row>([[self, { url: self, source: 'self' }]]);
    for (const a of await advertised()) if (!seen.has(a.url)) seen.set(a.url, { url: a.url, source: 'did', did: a.did });
    for (const u of extra) if (!seen.has(u)) seen.set(u, { url: u, source: 'added' });
    const rows = [...seen.values()].slice(0, MAX_NODES);
    return Promise.all(rows.map(async (r) => ({ ...r, ...(await ask(r.url)) })));
  }, [extra]);
  const add = () => {
    const u = url.trim().replace(/\/+$/, '');
    if (!/^https?:\/\/[^\s/]+$/.test(u)) { setBad(true); return; }
    const next = [...new Set([...extra, u])].slice(0, MAX_NODES);
    localStorage.setItem(STORE, JSON.stringify(next));
    setExtra(next);
    setUrl('');
    setBad(false);
  };
  const remove = (u: string) => {
    const next = extra.filter((x) => x !== u);
    localStorage.setItem(STORE, JSON.stringify(next));
    setExtra(next);
  };
  return (
    <div data-testid="alliance-nodes">
      <ErrorBox error={nodes.error} />
      <Typography.Paragraph type="secondary">
        {tr(`控制台向已知的每个节点询问其自身状况（最多 ${MAX_NODES} 个，每个限时 ${TIMEOUT_MS / 1000} 秒）。节点来自：本节点、验证节点与成员组织 DID 文档中类型为“${NODE_API_SERVICE}”的服务、以及在此添加的地址。`,
          `The console asks every node it knows about itself (at most ${MAX_NODES}, ${TIMEOUT_MS / 1000} s each). Nodes come from: this node, services of type ${NODE_API_SERVICE} in the DID documents of validators and member organisations, and addresses added here.`)}
      </Typography.Paragraph>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input style={{ width: 320 }} status={bad ? 'error' : undefined} placeholder={tr('节点 API 地址（主机:端口）', 'http://host:port')} value={url} onChange={(e) => setUrl(e.target.value)} data-testid="node-url" onPressEnter={add} />
        <Button onClick={add} data-testid="node-add">{tr('添加节点地址', 'Add a node address')}</Button>
        <Button onClick={nodes.reload} data-testid="nodes-reload">{tr('刷新', 'Refresh')}</Button>
        {bad && <Typography.Text type="danger">{tr(`地址应为 ${HTTP}主机:端口，不带路径`, `An address is ${HTTP}host:port, without a path`)}</Typography.Text>}
      </Space>
      <Table<Row> size="small" rowKey="url" loading={nodes.loading} dataSource={nodes.data ?? []} pagination={false} data-testid="nodes-table"
        columns={[
          { title: tr('节点', 'Node'), render: (_, r) => <Space orientation="vertical" size={0}><Typography.Text code>{r.url}</Typography.Text>{r.info ? <span title={r.info.node.did}>{shortDid(r.info.node.did)}</span> : null}</Space> },
          { title: tr('来源', 'Known from'), render: (_, r) => <Tag>{r.source === 'self' ? tr('本节点', 'this node') : r.source === 'did' ? tr('DID 文档', 'DID document') : tr('手动添加', 'added')}</Tag> },
          { title: tr('状态', 'State'), render: (_, r) => (r.info ? <Tag color="green" data-testid="node-up">{tr('在线', 'up')}</Tag> : <span><Tag color="red" title={r.error} data-testid="node-down">{tr('无法访问', 'unreachable')}</Tag><Typography.Text code>{r.error}</Typography.Text></span>) },
          { title: tr('版本', 'Version'), render: (_, r) => r.info?.node.version ?? '—' },
          { title: tr('运行时长', 'Uptime'), render: (_, r) => (r.info ? fmtDuration(r.info.node.uptimeMs, lang) : '—') },
          { title: tr('对等节点', 'Peers'), render: (_, r) => r.info?.peers ?? '—' },
          {
            title: tr('所承载的链（高度 · 同步）', 'Chains hosted (height · sync)'),
            render: (_, r) => <Space wrap size={4}>{(r.info?.chains ?? []).map((c) => (
              <Tag key={c.id} color={c.syncing ? 'orange' : undefined} data-testid={`node-chain-${c.id}`}><Ident>{c.id}</Ident> {c.height}{c.syncing ? ` · ${tr('同步中', 'syncing')}` : ''}{c.validators > 0 ? ` · ${c.validatorsUp}/${c.validators}` : ''}</Tag>
            ))}</Space>,
          },
          { title: tr('磁盘（数据目录 / 剩余）', 'Disk (data / free)'), render: (_, r) => (r.info ? `${r.info.disk.usedBytes == null ? '—' : fmtBytes(r.info.disk.usedBytes)} / ${r.info.disk.freeBytes == null ? '—' : fmtBytes(r.info.disk.freeBytes)}` : '—') },
          { title: '', render: (_, r) => (r.source === 'added' ? <Button size="small" onClick={() => remove(r.url)}>{tr('移除', 'Remove')}</Button> : null) },
        ]} />
    </div>
  );
}
