/**
 * "Simulate first" (issue #24 item 5, docs/simulation.md#in-the-console): before the console
 * signs a governance proposal, a contract deployment or a settlement instruction, the same calls
 * run on forks of the chains as they are now (POST /v1/simulate) and the page shows their effects
 * and the risk verdict. The sign button stays disabled until the user has simulated exactly what
 * will be signed (any change to it clears the result); a "block" verdict asks once more.
 */
import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Card, Descriptions, Space, Table, Tag } from 'antd';
import { canonicalize, simulate, type JsonValue, type SimulationResult } from '../../src/sdk/browser.ts';
import { ErrorBox, Json } from './components.tsx';
import { client, shortDid, useSession } from './session.tsx';

/** One call to simulate, as the console will sign it. */
export interface SimCall {
  chain: string;
  module: string;
  method: string;
  args: JsonValue;
}

type Tr = (zh: string, en: string) => string;

const VERDICT: Record<string, [string, string, string]> = { none: ['success', '无风险', 'no risk'], warn: ['warning', '警告', 'warning'], block: ['error', '阻止', 'block'] };
const LEVEL_COLOR: Record<string, string> = { info: 'default', warn: 'gold', block: 'red' };

/** A simulation's verdict, reasons, receipts, balance changes, packets and state changes. */
export function SimResult({ result, testid = 'sim' }: { result: SimulationResult; testid?: string }) {
  const { tr, lang } = useSession();
  const v = VERDICT[result.risk.verdict]!;
  return (
    <Card size="small" data-testid={`${testid}-result`} title={<Space>{tr('结论', 'Verdict')}<Tag data-testid={`${testid}-verdict`} color={v[0]}>{tr(v[1], v[2])}</Tag></Space>}>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Descriptions size="small" column={3} items={[
          { key: 'g', label: tr('燃料', 'Gas'), children: String(result.gasUsed) },
          { key: 'r', label: tr('适用的监管规则', 'Rules applied'), children: String(result.risk.rules.applied) },
          { key: 'm', label: tr('耗时', 'Time'), children: `${result.ms} ms` },
        ]} />
        <Table size="small" rowKey={(r, i) => `${r.kind}-${i}`} pagination={false} dataSource={result.risk.reasons} data-testid={`${testid}-reasons`}
          columns={[
            { title: tr('级别', 'Level'), dataIndex: 'level', render: (l: string) => <Tag color={LEVEL_COLOR[l]}>{l === 'block' ? tr('阻止', 'block') : l === 'warn' ? tr('警告', 'warn') : tr('提示', 'info')}</Tag> },
            { title: tr('原因', 'Reason'), render: (_: unknown, r) => (lang === 'zh' ? r.zh : r.en) },
          ]} />
        <Table size="small" rowKey="tx" pagination={false} dataSource={result.receipts} data-testid={`${testid}-receipts`}
          columns={[
            { title: tr('链', 'Chain'), dataIndex: 'chain' },
            { title: tr('调用', 'Call'), render: (_: unknown, r) => `${r.module}.${r.method}${!r.synthetic ? '' : r.method === 'vote' ? tr('(模拟投票)', ' (simulated vote)') : tr('(模拟中继)', ' (simulated relay)')}` },
            { title: tr('发送方', 'Sender'), render: (_: unknown, r) => shortDid(r.from) },
            { title: tr('结果', 'Result'), render: (_: unknown, r) => (r.status === 'ok' ? <Tag color="success">{tr('成功', 'ok')}</Tag> : <Tag color="error">{r.code}</Tag>) },
          ]} />
        {result.balances.length > 0 && (
          <Table size="small" rowKey={(b) => `${b.chain}${b.did}${b.currency}`} pagination={false} dataSource={result.balances} data-testid={`${testid}-balances`}
            columns={[
              { title: tr('账户', 'Account'), render: (_: unknown, b) => shortDid(b.did) },
              { title: tr('币种', 'Currency'), dataIndex: 'currency' },
              { title: tr('变动', 'Change'), dataIndex: 'delta' },
              { title: tr('变动后', 'After'), dataIndex: 'after' },
            ]} />
        )}
        {result.delivered.length > 0 && (
          <Table size="small" rowKey={(d) => `${d.srcChain}/${d.dstChain}/${d.sequence}`} pagination={false} dataSource={result.delivered} data-testid={`${testid}-delivered`}
            columns={[
              { title: tr('跨链数据包', 'Packet'), render: (_: unknown, d) => `${d.srcChain}→${d.dstChain} #${d.sequence} (${d.srcPort}→${d.dstPort})` },
              { title: tr('对方链结果', 'Far side'), render: (_: unknown, d) => (d.status === 'received' && (d.ack as { ok?: boolean } | undefined)?.ok ? <Tag color="success">{tr('已确认', 'acknowledged')}</Tag>
                : <Tag color="error">{d.status === 'expired' ? tr('超时退回', 'timed out') : ((d.ack as { code?: string } | undefined)?.code ?? tr('失败', 'failed'))}</Tag>) },
            ]} />
        )}
        <Json value={{ stateDiff: result.stateDiff, packets: result.packets, delivered: result.delivered }} max={2000} />
      </Space>
    </Card>
  );
}

/**
 * The simulate-first step. `onResult` gets the simulation of exactly `calls` (from the signed-in
 * DID), or null whenever `calls` change, so the caller can gate its sign button on it.
 */
export function SimulateFirst({ calls, passProposals = false, onResult }: { calls: SimCall[]; passProposals?: boolean; onResult: (r: SimulationResult | null) => void }) {
  const { tr, auth } = useSession();
  const [result, setResult] = useState<SimulationResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fingerprint = canonicalize({ calls, passProposals } as unknown as JsonValue);
  const seen = useRef(fingerprint);
  const cb = useRef(onResult);
  cb.current = onResult;
  useEffect(() => {
    if (seen.current === fingerprint) return;
    seen.current = fingerprint;
    setResult(null);
    setError(null);
    cb.current(null);
  }, [fingerprint]);

  const run = async () => {
    setBusy(true);
    setError(null);
    const at = fingerprint;
    try {
      const r = await simulate(client, { txs: calls.map((c) => ({ ...c, from: auth?.did ?? '' })), passProposals });
      if (seen.current !== at) return;
      setResult(r);
      cb.current(r);
    } catch (err) {
      setResult(null);
      cb.current(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="simfirst">
      <Alert type={result ? 'success' : 'info'} showIcon
        title={result
          ? tr('已模拟：以下是将要签名内容的影响与风险结论。', 'Simulated: below are the effects and risk verdict of what you are about to sign.')
          : tr('先模拟，再签名：签名前须先在各链当前状态的分叉上模拟，查看影响与风险结论（真实链不受影响）。', 'Simulate first, then sign: before signing, run it on forks of the chains as they are now and see its effects and risk verdict (the real chains are not touched).')} />
      <Button data-testid="simfirst-run" loading={busy} onClick={() => void run()}>{result ? tr('重新模拟', 'Simulate again') : tr('先模拟', 'Simulate first')}</Button>
      <ErrorBox error={error} />
      {result && <SimResult result={result} testid="simfirst" />}
    </Space>
  );
}

/** Signs (`go`) at once unless the verdict is "block", which asks once more. */
export function confirmVerdict(result: SimulationResult, modal: { confirm(c: { title: string; content: string; okText: string; cancelText: string; onOk: () => Promise<void> }): unknown }, tr: Tr, go: () => Promise<void>): void {
  if (result.risk.verdict !== 'block') {
    void go();
    return;
  }
  modal.confirm({
    title: tr('模拟结果为“阻止”', 'The simulation says "block"'),
    content: tr('该交易将被拒绝或触发监管规则。仍要签名发送吗？', 'This would be refused or fire a supervision rule. Sign and send it anyway?'),
    okText: tr('仍要签名', 'Sign anyway'), cancelText: tr('取消', 'Cancel'),
    onOk: go,
  });
}
