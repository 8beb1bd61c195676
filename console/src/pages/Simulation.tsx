/**
 * Simulation (模拟沙箱, the security sandbox of issue #24; not the SANDBOX test money of
 * `shulian up`): simulate first, then sign. A governance proposal, a settlement transfer or
 * instruction, a contract deployment or any call is run on forks of the chains as they are now
 * (POST /v1/simulate); the page shows the verdict with its reasons, receipts, balance changes,
 * packets and state changes, and only then offers to sign and send the same call.
 */
import { useState } from 'react';
import { App, Button, Card, Checkbox, Input, Select, Space, Typography } from 'antd';
import { simulate, type JsonValue, type SimulationResult } from '../../../src/sdk/browser.ts';
import { ErrorBox, NoData } from '../components.tsx';
import { client, errText, useSession } from '../session.tsx';
import { SimResult, confirmVerdict } from '../simfirst.tsx';

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


export function Simulation() {
  const { tr, auth, sendTx } = useSession();
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
    if (result) confirmVerdict(result, modal, tr, go);
  };

  if (!auth) return <NoData text={tr('请先登录', 'Sign in first')} />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="page-simulation">
      <Typography.Paragraph>{tr('先模拟,再签名:在各链当前状态的分叉上运行交易,查看影响与风险结论,真实链不受影响。', 'Simulate first, then sign: the call runs on forks of the chains as they are now; see its effects and risk verdict; the real chains are not touched.')}</Typography.Paragraph>
      <Card size="small">
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Select data-testid="sim-preset" value={preset} onChange={choose} style={{ width: 240 }}
            options={Object.entries(PRESETS).map(([k, q]) => ({ value: k, label: tr(q.zh, q.en) }))} />
          <Space wrap>
            <Input addonBefore={tr('链', 'Chain')} value={chain} onChange={(e) => { setChain(e.target.value); setResult(null); }} style={{ width: 200 }} />
            <Input addonBefore={tr('模块', 'Module')} value={module} onChange={(e) => { setModule(e.target.value); setResult(null); }} style={{ width: 240 }} />
            <Input addonBefore={tr('方法', 'Method')} value={method} onChange={(e) => { setMethod(e.target.value); setResult(null); }} style={{ width: 220 }} />
          </Space>
          <Input.TextArea data-testid="sim-args" rows={6} value={args} onChange={(e) => { setArgs(e.target.value); setResult(null); }} style={{ fontFamily: 'monospace' }} />
          <Checkbox checked={passProposals} onChange={(e) => { setPass(e.target.checked); setResult(null); }}>{tr('视提案为已通过(全体投票人赞成)', 'Take proposals as passed (every voter votes yes)')}</Checkbox>
          <Space>
            <Button type="primary" data-testid="sim-run" loading={busy} onClick={() => void run()}>{tr('模拟', 'Simulate')}</Button>
            <Button data-testid="sim-send" disabled={!result} onClick={() => void send()}>{tr('签名并发送', 'Sign and send')}</Button>
          </Space>
        </Space>
      </Card>
      <ErrorBox error={error} />
      {result && <SimResult result={result} />}
    </Space>
  );
}
