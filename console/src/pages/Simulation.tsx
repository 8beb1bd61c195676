/**
 * Simulation (模拟沙箱, the security sandbox of issue #24; not the SANDBOX test money of
 * `shulian up`): simulate first, then sign. A governance proposal, a settlement transfer or
 * instruction, a contract deployment or any call is run on forks of the chains as they are now
 * (POST /v1/simulate); the page shows the verdict with its reasons, receipts, balance changes,
 * packets and state changes, and only then offers to sign and send the same call.
 */
import { useState } from 'react';
import { App, Button, Card, Checkbox, Descriptions, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { simulate, type JsonValue, type SimulationResult } from '../../../src/sdk/browser.ts';
import { ErrorBox, Json, NoData } from '../components.tsx';
import { client, errText, shortDid, useSession } from '../session.tsx';

interface Preset {
  zh: string;
  en: string;
  chain: string;
  module: string;
  method: string;
  args: (me: string) => JsonValue;
  passProposals?: boolean;
}

const PRESETS: Record<string, Preset> = {
  proposal: { zh: '治理提案', en: 'Governance proposal', chain: 'gov', module: 'governance', method: 'propose', passProposals: true, args: (me) => ({ kind: 'freeze', target: { type: 'did', did: me }, reason: 'simulation' }) },
  transfer: { zh: '结算转账', en: 'Settlement transfer', chain: 'settle', module: 'settlement', method: 'transfer', args: (me) => ({ to: me, currency: 'CNY', amount: '100' }) },
  instruction: { zh: '结算指令', en: 'Settlement instruction', chain: 'settle', module: 'settlement', method: 'instruct', args: (me) => ({ idempotencyKey: 'sim-1', payer: me, currency: 'CNY', payments: [{ to: me, amount: '100' }] }) },
  deploy: { zh: '合约部署', en: 'Contract deployment', chain: 'sign', module: 'lexcontract', method: 'draft', args: (me) => ({ template: '0'.repeat(64), params: {}, parties: { provider: me } }) },
  custom: { zh: '自定义调用', en: 'Any call', chain: 'notary', module: 'notary', method: 'put', args: () => ({ hash: '0'.repeat(64) }) },
};

const VERDICT: Record<string, [string, string, string]> = { none: ['success', '无风险', 'no risk'], warn: ['warning', '警告', 'warning'], block: ['error', '阻止', 'block'] };
const LEVEL_COLOR: Record<string, string> = { info: 'default', warn: 'gold', block: 'red' };

export function Simulation() {
  const { tr, lang, auth, sendTx } = useSession();
  const { message, modal } = App.useApp();
  const me = auth?.did ?? '';
  const [preset, setPreset] = useState('proposal');
  const p = PRESETS[preset]!;
  const [chain, setChain] = useState(p.chain);
  const [module, setModule] = useState(p.module);
  const [method, setMethod] = useState(p.method);
  const [args, setArgs] = useState(JSON.stringify(p.args(me), null, 2));
  const [passProposals, setPass] = useState(p.passProposals ?? false);
  const [result, setResult] = useState<SimulationResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const choose = (k: string) => {
    const q = PRESETS[k]!;
    setPreset(k);
    setChain(q.chain);
    setModule(q.module);
    setMethod(q.method);
    setArgs(JSON.stringify(q.args(me), null, 2));
    setPass(q.passProposals ?? false);
    setResult(null);
  };
  const parsed = (): JsonValue => JSON.parse(args) as JsonValue;
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await simulate(client, { txs: [{ chain, from: me, module, method, args: parsed() }], passProposals }));
    } catch (err) {
      setResult(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const send = async () => {
    const go = async () => {
      try {
        const inc = await sendTx(chain, { module, method, args: parsed() });
        message.success(tr(`已上链:高度 ${inc.height}`, `Committed at height ${inc.height}`));
        setResult(null);
      } catch (err) {
        message.error(errText(err));
      }
    };
    if (result?.risk.verdict === 'block') {
      modal.confirm({ title: tr('模拟结果为“阻止”', 'The simulation says "block"'), content: tr('该交易将被拒绝或触发监管规则。仍要签名发送吗?', 'This tx would be refused or fire a supervision rule. Sign and send it anyway?'), onOk: go });
    } else await go();
  };

  if (!auth) return <NoData text={tr('请先登录', 'Sign in first')} />;
  const v = result ? VERDICT[result.risk.verdict]! : undefined;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="page-simulation">
      <Typography.Paragraph>{tr('先模拟,再签名:在各链当前状态的分叉上运行交易,查看影响与风险结论,真实链不受影响。', 'Simulate first, then sign: the call runs on forks of the chains as they are now; see its effects and risk verdict; the real chains are not touched.')}</Typography.Paragraph>
      <Card size="small">
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Select data-testid="sim-preset" value={preset} onChange={choose} style={{ width: 240 }}
            options={Object.entries(PRESETS).map(([k, q]) => ({ value: k, label: tr(q.zh, q.en) }))} />
          <Space wrap>
            <Input addonBefore={tr('链', 'Chain')} value={chain} onChange={(e) => setChain(e.target.value)} style={{ width: 200 }} />
            <Input addonBefore={tr('模块', 'Module')} value={module} onChange={(e) => setModule(e.target.value)} style={{ width: 240 }} />
            <Input addonBefore={tr('方法', 'Method')} value={method} onChange={(e) => setMethod(e.target.value)} style={{ width: 220 }} />
          </Space>
          <Input.TextArea data-testid="sim-args" rows={6} value={args} onChange={(e) => setArgs(e.target.value)} style={{ fontFamily: 'monospace' }} />
          <Checkbox checked={passProposals} onChange={(e) => setPass(e.target.checked)}>{tr('视提案为已通过(全体投票人赞成)', 'Take proposals as passed (every voter votes yes)')}</Checkbox>
          <Space>
            <Button type="primary" data-testid="sim-run" loading={busy} onClick={() => void run()}>{tr('模拟', 'Simulate')}</Button>
            <Button data-testid="sim-send" disabled={!result} onClick={() => void send()}>{tr('签名并发送', 'Sign and send')}</Button>
          </Space>
        </Space>
      </Card>
      <ErrorBox error={error} />
      {result && v && (
        <Card size="small" data-testid="sim-result" title={<Space>{tr('结论', 'Verdict')}<Tag data-testid="sim-verdict" color={v[0]}>{tr(v[1], v[2])}</Tag></Space>}>
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Descriptions size="small" column={3} items={[
              { key: 'g', label: tr('燃料', 'Gas'), children: String(result.gasUsed) },
              { key: 'r', label: tr('适用的监管规则', 'Rules applied'), children: String(result.risk.rules.applied) },
              { key: 'm', label: tr('耗时', 'Time'), children: `${result.ms} ms` },
            ]} />
            <Table size="small" rowKey={(r, i) => `${r.kind}-${i}`} pagination={false} dataSource={result.risk.reasons} data-testid="sim-reasons"
              columns={[
                { title: tr('级别', 'Level'), dataIndex: 'level', render: (l: string) => <Tag color={LEVEL_COLOR[l]}>{l === 'block' ? tr('阻止', 'block') : l === 'warn' ? tr('警告', 'warn') : tr('提示', 'info')}</Tag> },
                { title: tr('原因', 'Reason'), render: (_: unknown, r) => (lang === 'zh' ? r.zh : r.en) },
              ]} />
            <Table size="small" rowKey="tx" pagination={false} dataSource={result.receipts}
              columns={[
                { title: tr('链', 'Chain'), dataIndex: 'chain' },
                { title: tr('调用', 'Call'), render: (_: unknown, r) => `${r.module}.${r.method}${r.synthetic ? tr('(模拟投票)', ' (simulated vote)') : ''}` },
                { title: tr('发送方', 'Sender'), render: (_: unknown, r) => shortDid(r.from) },
                { title: tr('结果', 'Result'), render: (_: unknown, r) => (r.status === 'ok' ? <Tag color="success">{tr('成功', 'ok')}</Tag> : <Tag color="error">{r.code}</Tag>) },
              ]} />
            {result.balances.length > 0 && (
              <Table size="small" rowKey={(b) => `${b.chain}${b.did}${b.currency}`} pagination={false} dataSource={result.balances}
                columns={[
                  { title: tr('账户', 'Account'), render: (_: unknown, b) => shortDid(b.did) },
                  { title: tr('币种', 'Currency'), dataIndex: 'currency' },
                  { title: tr('变动', 'Change'), dataIndex: 'delta' },
                  { title: tr('变动后', 'After'), dataIndex: 'after' },
                ]} />
            )}
            <Json value={{ stateDiff: result.stateDiff, packets: result.packets }} max={2000} />
          </Space>
        </Card>
      )}
    </Space>
  );
}
