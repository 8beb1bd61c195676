import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Input, Modal, Select, Space, Table, Tabs, Tag, Timeline, Typography, Upload } from 'antd';
import {
  DEFAULT_NOTARY_CHAIN, docStateKey, notaryKey, notaryVerify, sm3Hex, verifyStateLookup, verifyTxInclusion,
  type Block, type BlockSummary, type NotaryProof, type TxStatus,
} from '../../../src/sdk/browser.ts';
import { ErrorBox, Hash, Ident, Json, NoData, SandboxTag, StatusTag, UserText, fmtBytes, fmtTime } from '../components.tsx';
import { errorZh } from '../i18n/errors.ts';
import { LocalError, client, errNode, errText, shortDid, useLoad, useSession, say } from '../session.tsx';
import { ContractInstance } from './Contracts.tsx';
import { ExternalExplorer } from './External.tsx';

const HASH_RE = /^[0-9a-f]{64}$/;

/** A block's proposer: a validator's DID, or the genesis block's "genesis". */
function Proposer({ p, full }: { p: string | undefined; full?: boolean }) {
  const { tr } = useSession();
  if (!p) return <>—</>;
  if (p === 'genesis') return <>{tr('创世区块', 'genesis')}</>;
  return p.startsWith('did:') ? <span title={p}>{full ? p : shortDid(p)}</span> : <Ident>{p}</Ident>;
}

function TxView({ hash }: { hash: string }) {
  const { tr, lang } = useSession();
  const t = useLoad<TxStatus>(() => client.tx(hash), [hash]);
  const [proof, setProof] = useState<{ ok: boolean; reason?: string } | null>(null);
  const [checking, setChecking] = useState(false);
  const [contract, setContract] = useState<string | null>(null);
  const check = async () => {
    setChecking(true);
    try {
      const r = t.data;
      if (!r || r.status !== 'committed') throw new LocalError('交易尚未上链', 'the transaction is not committed yet');
      // Checked here, in the browser: the header signed by the validators of its height (the SDK's
      // light client follows the chain's validator changes from its genesis), tx and receipt Merkle paths.
      const [g, trust] = await Promise.all([client.genesis(r.chain), client.headerVerifier(r.chain, r.height)]);
      setProof(verifyTxInclusion(g.suite, r, trust));
    } catch (err) {
      setProof({ ok: false, reason: errText(err) });
    } finally {
      setChecking(false);
    }
  };
  if (t.error) return <ErrorBox error={t.error} />;
  const r = t.data;
  if (!r) return null;
  if (r.status === 'pending') return <Alert type="info" title={<span>{tr('交易在链 ', 'Pending in the mempool of ')}<Ident>{r.chain}</Ident>{tr(' 的交易池中等待打包', '')}</span>} />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="tx-view">
      <Descriptions size="small" bordered column={2} items={[
        { key: 'h', label: tr('交易哈希', 'Tx hash'), span: 2, children: <Typography.Text code copyable style={{ fontSize: 12 }}>{r.hash}</Typography.Text> },
        { key: 'c', label: tr('链', 'Chain'), children: <Ident>{r.chain}</Ident> },
        { key: 'b', label: tr('区块', 'Block'), children: `#${r.height} · ${tr('序号', 'index')} ${r.index}` },
        { key: 'f', label: tr('发送方', 'From'), span: 2, children: r.tx.from },
        { key: 'm', label: tr('模块调用', 'Module call'), children: <Tag color="blue" data-testid="tx-call" data-ident="">{r.tx.module}.{r.tx.method}</Tag> },
        { key: 's', label: tr('结果', 'Result'), children: <><StatusTag status={r.receipt.status} />{r.receipt.code && <Tag color="red" data-ident="">{r.receipt.code}</Tag>}</> },
        { key: 'n', label: tr('发送方序号', 'Nonce'), children: r.tx.nonce },
        { key: 't', label: tr('出块时间', 'Block time'), children: fmtTime(r.header.time, lang) },
      ]} />
      <Typography.Text strong>{tr('调用参数（已解码）', 'Call arguments (decoded)')}</Typography.Text>
      <Json value={r.tx.args} max={240} />
      {r.receipt.message && <Alert type="error" title={<span title={r.receipt.message}>{lang === 'zh' ? `${errorZh(r.receipt.code)}（${r.receipt.code ?? ''}）` : r.receipt.message}</span>} />}
      <Typography.Text strong>{tr('事件', 'Events')}</Typography.Text>
      {r.receipt.events.length === 0 ? <Typography.Text type="secondary">{tr('无事件', 'No events')}</Typography.Text> : (
        <Table size="small" pagination={false} rowKey={(_, i) => String(i)} dataSource={r.receipt.events}
          columns={[
            { title: tr('模块', 'Module'), dataIndex: 'module', render: (x: string) => <Ident>{x}</Ident> },
            { title: tr('事件', 'Event'), dataIndex: 'type', render: (x: string) => <Ident tag>{x}</Ident> },
            { title: tr('数据', 'Data'), dataIndex: 'data', render: (d: unknown) => <Typography.Text code style={{ fontSize: 11 }}>{JSON.stringify(d).slice(0, 160)}</Typography.Text> },
          ]} />
      )}
      {r.receipt.result !== undefined && r.receipt.result !== null && (<><Typography.Text strong>{tr('返回值', 'Result value')}</Typography.Text><Json value={r.receipt.result} max={160} /></>)}
      {r.tx.module === 'lexcontract' && (
        <Button onClick={() => setContract(r.tx.method === 'draft' ? r.hash : String((r.tx.args as { id?: unknown } | null)?.id ?? r.hash))}>
          {tr('查看该可执行合约的实例与事件历史', 'Open the contract instance and its event history')}
        </Button>
      )}
      {contract && <ContractInstance id={contract} onClose={() => setContract(null)} />}
      <Space>
        <Button onClick={check} loading={checking} data-testid="verify-tx">{tr('在浏览器中验证包含证明', 'Verify the inclusion proof in this browser')}</Button>
        {proof && (proof.ok
          ? <Tag color="green" data-testid="proof-ok">{tr('证明有效：区块头已由验证节点签名，交易与回执在默克尔树中', 'Proof valid: header signed by the validators, tx and receipt in the Merkle trees')}</Tag>
          : <Tag color="red" data-testid="proof-bad" title={proof.reason}>{tr('证明无效', 'Proof invalid')}</Tag>)}
      </Space>
    </Space>
  );
}

function BlockView({ chain, height, onTx }: { chain: string; height: number; onTx: (h: string) => void }) {
  const { tr, lang } = useSession();
  const b = useLoad<Block>(() => client.block(chain, height), [chain, height]);
  if (b.error) return <ErrorBox error={b.error} />;
  if (!b.data) return null;
  const blk = b.data;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="block-view">
      <Descriptions size="small" bordered column={2} items={[
        { key: 'h', label: tr('高度', 'Height'), children: blk.header.height },
        { key: 't', label: tr('时间', 'Time'), children: fmtTime(blk.header.time, lang) },
        { key: 'hash', label: tr('区块哈希', 'Block hash'), span: 2, children: <Typography.Text code style={{ fontSize: 12 }}>{blk.hash}</Typography.Text> },
        { key: 'p', label: tr('出块节点', 'Proposer'), span: 2, children: <Proposer p={blk.header.proposer} full /> },
        { key: 's', label: tr('状态根', 'State root'), span: 2, children: <Typography.Text code style={{ fontSize: 12 }}>{blk.header.stateRoot}</Typography.Text> },
        { key: 'c', label: tr('交易数', 'Transactions'), children: blk.header.txCount },
        { key: 'sig', label: tr('出块签名', 'Proposer signature'), children: <Hash value={blk.sig} /> },
      ]} />
      <Table size="small" pagination={false} rowKey={(_, i) => String(i)} dataSource={blk.txs.map((tx, i) => ({ tx, receipt: blk.receipts[i]! }))} data-testid="block-txs"
        onRow={(r) => ({ onClick: () => onTx(r.receipt.tx), style: { cursor: 'pointer' } })}
        locale={{ emptyText: <NoData text={tr('空区块', 'Empty block')} /> }}
        columns={[
          { title: tr('交易', 'Tx'), render: (_, r) => <Hash value={r.receipt.tx} /> },
          { title: tr('模块调用', 'Call'), render: (_, r) => <Ident tag color="blue">{r.tx.module}.{r.tx.method}</Ident> },
          { title: tr('发送方', 'From'), render: (_, r) => shortDid(r.tx.from) },
          { title: tr('结果', 'Result'), render: (_, r) => <StatusTag status={r.receipt.status} /> },
          { title: tr('事件', 'Events'), render: (_, r) => r.receipt.events.map((e, i) => <Ident tag key={i}>{e.module}.{e.type}</Ident>) },
        ]} />
    </Space>
  );
}

function Blocks({ chains, sandbox, chain, setChain, onBlock }: { chains: string[]; sandbox: ReadonlySet<string>; chain: string; setChain: (c: string) => void; onBlock: (h: number) => void }) {
  const { tr, lang } = useSession();
  const [before, setBefore] = useState<number | undefined>();
  const list = useLoad<BlockSummary[]>(() => (chain ? client.blocks(chain, { limit: 20, ...(before ? { before } : {}) }) : Promise.resolve([])), [chain, before]);
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Select style={{ width: 200 }} value={chain} onChange={(c: string) => { setChain(c); setBefore(undefined); }} options={chains.map((c) => ({ value: c, label: <Ident>{c}</Ident> }))} data-testid="explorer-chain" />
        {sandbox.has(chain) && <SandboxTag tr={tr} />}
        <Button onClick={() => { setBefore(undefined); list.reload(); }}>{tr('最新', 'Latest')}</Button>
        {list.data && list.data.length > 0 && <Button onClick={() => setBefore(list.data!.at(-1)!.height)}>{tr('更早', 'Older')}</Button>}
      </Space>
      <ErrorBox error={list.error} />
      <Table size="small" rowKey="height" loading={list.loading} dataSource={list.data ?? []} pagination={false} data-testid="blocks"
        locale={{ emptyText: <NoData text={tr('该链还没有区块', 'This chain has no blocks yet')} /> }}
        onRow={(b) => ({ onClick: () => onBlock(b.height), style: { cursor: 'pointer' } })}
        columns={[
          { title: tr('高度', 'Height'), dataIndex: 'height' },
          { title: tr('区块哈希', 'Hash'), dataIndex: 'hash', render: (h: string) => <Hash value={h} /> },
          { title: tr('交易数', 'Txs'), dataIndex: 'txCount' },
          { title: tr('时间', 'Time'), dataIndex: 'time', render: (t: number) => fmtTime(t, lang) },
          { title: tr('出块节点', 'Proposer'), dataIndex: 'proposer', render: (p: string) => <Proposer p={p} /> },
        ]} />
    </>
  );
}

export function DidView({ did }: { did: string }) {
  const { tr, lang } = useSession();
  const r = useLoad(async () => {
    const res = await fetch(`${client.baseUrl}/v1/dids/${encodeURIComponent(did)}`);
    const body = (await res.json()) as { didDocument?: unknown; didDocumentMetadata?: unknown; error?: { code: string; message: string } };
    const history = await client.accountTxs('identity', did, { limit: 50 }).catch(() => []);
    return { status: res.status, body, history };
  }, [did]);
  const [proof, setProof] = useState<{ ok: boolean; reason?: string; height?: number; root?: string } | null>(null);
  const checkProof = async () => {
    try {
      const [s, g] = await Promise.all([client.state('identity', docStateKey(did), { proof: true }), client.genesis('identity')]);
      if (!s.header) throw new LocalError('节点未给出状态证明', 'the node gave no state proof');
      // The document's state proof, checked here against the validators of the proof's height.
      const c = verifyStateLookup(g.suite, s, await client.headerVerifier('identity', s.header.height));
      setProof({ ...c, height: s.height, root: s.stateRoot });
    } catch (err) {
      setProof({ ok: false, reason: errText(err) });
    }
  };
  if (r.error) return <ErrorBox error={r.error} />;
  if (!r.data) return null;
  const { body, history } = r.data;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="did-view">
      {body.error && <Alert type={r.data.status === 410 ? 'warning' : 'error'} data-testid="did-error"
        title={<span title={body.error.message}>{lang === 'zh' ? `${r.data.status === 410 ? '该 DID 已注销' : errorZh(body.error.code)}（${body.error.code}）` : `${body.error.message} (${body.error.code})`}</span>} />}
      {body.didDocument !== undefined && body.didDocument !== null && (<><Typography.Text strong>{tr('DID 文档', 'DID document')}</Typography.Text><Json value={body.didDocument} /></>)}
      {body.didDocumentMetadata !== undefined && (<><Typography.Text strong>{tr('文档元数据', 'Document metadata')}</Typography.Text><Json value={body.didDocumentMetadata} max={200} /></>)}
      <Space>
        <Button size="small" onClick={checkProof} data-testid="did-proof">{tr('在浏览器中验证文档的状态证明', 'Verify the document\'s state proof in this browser')}</Button>
        {proof && (proof.ok
          ? <Tag color="green" data-testid="did-proof-ok">{tr(`证明有效（高度 ${proof.height}）`, `Proof valid (height ${proof.height})`)}</Tag>
          : <Tag color="red" title={proof.reason}>{tr('证明无效', 'Proof invalid')}</Tag>)}
      </Space>
      <Typography.Text strong>{tr('身份链上的历史交易', 'History on the identity chain')}</Typography.Text>
      {history.length === 0 ? <Typography.Text type="secondary">{tr('无交易', 'No transactions')}</Typography.Text> : (
        <Table size="small" pagination={false} rowKey="hash" dataSource={history}
          columns={[{ title: tr('交易', 'Tx'), dataIndex: 'hash', render: (h: string) => <Hash value={h} /> }, { title: tr('高度', 'Height'), dataIndex: 'height' }]} />
      )}
    </Space>
  );
}

function NotaryView({ initial, publicView }: { initial: string; publicView?: boolean }) {
  const { tr, lang, key, sendTx } = useSession();
  const { message } = App.useApp();
  const [hash, setHash] = useState(initial);
  const [proof, setProof] = useState<NotaryProof | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [text, setText] = useState('');
  const lookup = async (h: string) => {
    setBusy(true);
    setErr(null);
    setProof(null);
    try {
      // Both proofs (state lookup of the record, inclusion of the recording tx) are checked in this browser.
      setProof(await notaryVerify(client, h));
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (HASH_RE.test(initial)) void lookup(initial);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initial]);
  const record = async () => {
    if (!key) return message.error(say('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)'));
    const h = sm3Hex(new TextEncoder().encode(text));
    setBusy(true);
    try {
      await sendTx('notary', { module: 'notary', method: 'put', args: { hash: h, name: 'console-text.txt', size: new TextEncoder().encode(text).length, mime: 'text/plain' } });
      message.success(say('已存证', 'Recorded'));
      setHash(h);
      await lookup(h);
    } catch (e) {
      message.error(errNode(e));
    } finally {
      setBusy(false);
    }
  };
  const fileHash = async (f: File) => {
    const h = sm3Hex(new Uint8Array(await f.arrayBuffer()));
    setHash(h);
    await lookup(h);
  };
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space.Compact style={{ width: '100%', maxWidth: 820 }}>
        <Input value={hash} onChange={(e) => setHash(e.target.value.trim())} placeholder={tr('文件的 SM3 哈希（64 位十六进制）', 'SM3 hash of a file (64 hex digits)')} data-testid="notary-hash" />
        <Button type="primary" loading={busy} onClick={() => lookup(hash)} data-testid="notary-lookup">{tr('查询并验证', 'Look up and verify')}</Button>
      </Space.Compact>
      <Space>
        <Upload showUploadList={false} maxCount={1} beforeUpload={(f) => { void fileHash(f); return false; }}>
          <Button data-testid="notary-file">{tr('选择文件并核验', 'Choose a file to check')}</Button>
        </Upload>
        <Typography.Text type="secondary">{tr('文件只在本地计算 SM3 哈希，不会上传', 'The file is hashed (SM3) here and never uploaded')}</Typography.Text>
      </Space>
      {!publicView && (
        <Space.Compact style={{ width: '100%', maxWidth: 820 }}>
          <Input value={text} onChange={(e) => setText(e.target.value)} placeholder={tr('或输入一段文字来存证', 'Or type some text to notarise')} data-testid="notary-text" />
          <Button loading={busy} onClick={record} disabled={!text} data-testid="notary-put">{tr('签名存证', 'Sign and record')}</Button>
        </Space.Compact>
      )}
      <ErrorBox error={err} />
      {proof && (
        <Card size="small" data-testid="notary-proof">
          <Alert type="success" showIcon title={tr('已在浏览器中验证：状态证明和交易包含证明均有效', 'Verified in this browser: the state proof and the inclusion proof both check out')} style={{ marginBottom: 12 }} />
          <Descriptions size="small" bordered column={2} items={[
            { key: 'h', label: tr('哈希', 'Hash'), span: 2, children: <Typography.Text code style={{ fontSize: 12 }}>{proof.record.hash}</Typography.Text> },
            { key: 'o', label: tr('存证方', 'Owner'), span: 2, children: proof.record.owner },
            { key: 'n', label: tr('名称', 'Name'), children: proof.record.name ? <UserText>{proof.record.name}</UserText> : '—' },
            { key: 's', label: tr('大小', 'Size'), children: proof.record.size !== undefined ? fmtBytes(proof.record.size) : '—' },
            { key: 'hh', label: tr('区块高度', 'Height'), children: proof.record.height },
            { key: 't', label: tr('时间', 'Time'), children: fmtTime(proof.record.time, lang) },
            { key: 'tx', label: tr('存证交易', 'Recording tx'), span: 2, children: <Hash value={proof.record.tx} /> },
            { key: 'root', label: tr('状态根', 'State root'), span: 2, children: <Typography.Text code style={{ fontSize: 12 }}>{proof.state.stateRoot}</Typography.Text> },
          ]} />
        </Card>
      )}
    </Space>
  );
}

interface XMessage {
  id: string;
  status: string;
  packet: Record<string, unknown>;
  path: Array<{ step: string; chain: string; height: number; time: number; tx: string; by: string; ok?: boolean }>;
}

function CrossChain() {
  const { tr, lang } = useSession();
  const m = useLoad(async () => {
    try {
      return await client.getJson<{ messages: XMessage[] }>('/xchain/messages?limit=50');
    } catch (err) {
      if ((err as { details?: { status?: number } }).details?.status === 404) return null;
      throw err;
    }
  }, []);
  if (m.error) return <ErrorBox error={m.error} />;
  if (m.data === null) return <NoData text={tr('本节点尚未提供跨链消息接口', 'This node does not serve cross-chain messages yet')} />;
  const msgs = m.data?.messages ?? [];
  if (!m.loading && msgs.length === 0) return <NoData text={tr('暂无跨链消息', 'No cross-chain messages yet')} />;
  return (
    <Table size="small" rowKey="id" loading={m.loading} dataSource={msgs} data-testid="xchain-messages"
      expandable={{ expandedRowRender: (x) => (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Timeline items={x.path.map((p, i) => ({ key: i, color: p.ok === false ? 'red' : 'green', content: <span><StatusTag status={p.step} /> <Ident>{p.chain}</Ident> #{p.height} · {fmtTime(p.time, lang)} · {shortDid(p.by)}</span> }))} />
          <Json value={x.packet} max={200} />
        </Space>
      ) }}
      columns={[
        { title: 'ID', dataIndex: 'id', render: (id: string) => <Ident>{id}</Ident> },
        { title: tr('状态', 'Status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
        { title: tr('路径', 'Path'), render: (_, x) => <Ident>{x.path.map((p) => p.chain).filter((c, i, a) => a.indexOf(c) === i).join(' → ')}</Ident> },
      ]} />
  );
}

/** The explorer; `publicView`: for visitors who have not signed in (reads only, nothing to sign). */
export function Explorer({ publicView }: { publicView?: boolean } = {}) {
  const { tr } = useSession();
  const { message } = App.useApp();
  const chains = useLoad(() => client.chains(), []);
  const ids = (chains.data ?? []).map((c) => c.id);
  const [chain, setChain] = useState('');
  const [tab, setTab] = useState('blocks');
  const [q, setQ] = useState('');
  const [block, setBlock] = useState<{ chain: string; height: number } | null>(null);
  const [tx, setTx] = useState<string | null>(null);
  const [did, setDid] = useState('');
  const [notary, setNotary] = useState('');
  useEffect(() => {
    if (!chain && ids.length > 0) setChain(ids.includes('gov') ? 'gov' : ids[0]!);
  }, [ids, chain]);

  const search = async () => {
    const s = q.trim();
    if (s.startsWith('did:')) {
      setDid(s);
      setTab('did');
    } else if (/^\d+$/.test(s)) {
      setBlock({ chain, height: Number(s) });
    } else if (HASH_RE.test(s.toLowerCase())) {
      const h = s.toLowerCase();
      // A notarised file hash first (a state read answers 200 either way), then a tx hash.
      const rec = await client.state(DEFAULT_NOTARY_CHAIN, notaryKey(h)).catch(() => null);
      if (rec && rec.value !== null) {
        setNotary(h);
        setTab('notary');
      } else {
        setTx(h);
      }
    } else {
      message.warning(say('请输入交易哈希、区块高度、文件哈希或 DID', 'Enter a tx hash, a block height, a file hash or a DID'));
    }
  };

  return (
    <Card data-testid="page-explorer">
      <Space.Compact style={{ width: '100%', maxWidth: 820, marginBottom: 16 }}>
        <Input value={q} onChange={(e) => setQ(e.target.value)} onPressEnter={search} placeholder={tr('按交易哈希、区块高度（当前链）、文件哈希或 DID 搜索', 'Search by tx hash, block height (current chain), file hash or DID')} data-testid="explorer-search" />
        <Button type="primary" onClick={search} data-testid="explorer-search-go">{tr('搜索', 'Search')}</Button>
      </Space.Compact>
      <ErrorBox error={chains.error} />
      <Tabs activeKey={tab} onChange={setTab} items={[
        { key: 'blocks', label: tr('区块', 'Blocks'), children: <Blocks chains={ids} sandbox={new Set((chains.data ?? []).filter((c) => c.sandbox === true).map((c) => c.id))} chain={chain} setChain={setChain} onBlock={(h) => setBlock({ chain, height: h })} /> },
        { key: 'did', label: tr('DID 解析', 'DIDs'), children: (
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Input.Search placeholder="did:shulian:…" enterButton={tr('解析', 'Resolve')} onSearch={(v) => setDid(v.trim())} defaultValue={did} key={did} data-testid="did-search" />
            {did ? <DidView did={did} /> : <NoData text={tr('输入 DID 查看其文档与历史', 'Enter a DID to see its document and history')} />}
          </Space>
        ) },
        { key: 'notary', label: tr('存证记录', 'Notary records'), children: <NotaryView initial={notary} key={notary} publicView={publicView} /> },
        { key: 'xchain', label: tr('跨链消息', 'Cross-chain messages'), children: <CrossChain /> },
        { key: 'external', label: tr('外部链', 'External chains'), children: <ExternalExplorer /> },
      ]} />
      {block && (
        <Modal open width={960} title={<span><Ident>{block.chain}</Ident> · {tr('区块', 'block')} #{block.height}</span>} footer={null} onCancel={() => setBlock(null)}>
          <BlockView chain={block.chain} height={block.height} onTx={(h) => setTx(h)} />
        </Modal>
      )}
      {tx && (
        <Modal open width={960} title={tr('交易', 'Transaction')} footer={null} onCancel={() => setTx(null)}>
          <TxView hash={tx} />
        </Modal>
      )}
    </Card>
  );
}

