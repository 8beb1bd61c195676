import { useMemo, useState } from 'react';
import {
  Alert, App, Button, Card, Checkbox, Descriptions, Form, Input, InputNumber, Modal, Radio, Result, Select, Space, Steps, Table, Tabs, Tag, Typography,
} from 'antd';
import {
  DEFAULT_GOV_CHAIN, didFromPublicKey, fromHex, govChains, govPolicy, govPropose, govProposeCall,
  type AdmissionPolicy, type SimulationResult, type ChainInfo, type ChainRecord, type ProposalInput, type ValidatorInfo,
} from '../../../src/sdk/browser.ts';
import { ErrorBox, Ident, Json, ModuleTag, NoData, SandboxTag, StatusTag, UserText, chainName, consensusName, fmtTime, kindName, moduleInfo } from '../components.tsx';
import { ElectorateNotice, useElectorate } from '../gov.tsx';
import { ProposalBoard } from './Alliance.tsx';
import { GovernanceWizard } from './Lifecycle.tsx';
import { ExternalChainsTable } from './External.tsx';
import { client, errNode, shortDid, useLoad, useSession, say } from '../session.tsx';
import { SimulateFirst, confirmVerdict } from '../simfirst.tsx';

const CHAIN_ID_RE = /^[a-z][a-z0-9-]{0,31}$/;
const CHAIN_KINDS = ['create-chain', 'suspend-chain', 'resume-chain', 'retire-chain', 'change-validators', 'promote-chain'];

/** Whether a chain is a sandbox chain now: the registry's word, else the API's. */
const isSandbox = (info?: ChainInfo | null, reg?: ChainRecord | null): boolean => (reg ? reg.sandbox === true : info?.sandbox === true);

/** Proposes promoting a sandbox chain (a promote-chain proposal); members then vote under "Chain proposals". */
function PromoteButton({ id }: { id: string }) {
  const { tr, sendTx } = useSession();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<number | null>(null);
  const rules = useElectorate('promote-chain');
  if (done !== null) return <Tag color="processing" data-testid="promote-proposed">{tr(`已提交转正式提案 #${done}，待成员投票`, `Promotion proposal #${done} submitted; members vote on it`)}</Tag>;
  const go = async () => {
    setBusy(true);
    try {
      const inc = await sendTx('gov', govProposeCall({ kind: 'promote-chain', chain: id }));
      setDone(typeof inc.receipt.result === 'number' ? inc.receipt.result : Number((inc.receipt.result as { id?: number } | null)?.id ?? 0));
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  return <Button size="small" loading={busy} disabled={!(rules.data?.canPropose ?? false)} onClick={() => void go()} data-testid="chain-promote">{tr('提议转为正式链', 'Propose promotion to production')}</Button>;
}

function ChainDetail({ id, onClose }: { id: string; onClose: () => void }) {
  const { tr, lang } = useSession();
  const d = useLoad(async () => {
    const [chain, consensus, reg] = await Promise.all([
      client.chain(id).catch(() => null),
      client.consensus(id).catch(() => null),
      govChains(client).then((cs) => cs.find((c) => c.id === id) ?? null).catch(() => null),
    ]);
    return { chain, consensus, reg };
  }, [id]);
  const g = d.data?.chain?.genesis ?? d.data?.reg?.genesis;
  return (
    <Modal open width={900} title={<span>{tr('链详情', 'Chain')} · <Ident>{id}</Ident></span>} onCancel={onClose} footer={null}>
      <ErrorBox error={d.error} />
      {g && (
        <Descriptions size="small" bordered column={2} data-testid="chain-detail" items={[
          { key: 'n', label: tr('名称', 'Name'), children: chainName(g, lang) },
          { key: 'k', label: tr('类型', 'Kind'), children: <>{kindName(g.kind, tr)} {isSandbox(d.data?.chain, d.data?.reg) && <SandboxTag tr={tr} />}</> },
          { key: 'mode', label: tr('模式', 'Mode'), span: 2, children: isSandbox(d.data?.chain, d.data?.reg)
            ? <Space wrap><span data-testid="chain-mode">{tr('沙箱：仅沙箱资金，与生产链之间无跨链通道', 'Sandbox: sandbox money only, no cross-chain path to production chains')}</span><PromoteButton id={id} /></Space>
            : <span data-testid="chain-mode">{d.data?.reg?.promoted ? tr(`生产（由提案 #${d.data.reg.promoted.proposal} 从沙箱转正式）`, `Production (promoted from sandbox by proposal #${d.data.reg.promoted.proposal})`) : tr('生产', 'Production')}</span> },
          { key: 'h', label: tr('高度', 'Height'), children: d.data?.chain?.height ?? tr('本节点未运行', 'not running on this node') },
          { key: 's', label: tr('密码套件', 'Crypto suite'), children: g.suite === 'sm2' ? 'SM2 / SM3' : 'Ed25519 / SHA-256' },
          { key: 'c', label: tr('共识', 'Consensus'), children: consensusName(g.consensus.type, tr) },
          { key: 'st', label: tr('登记状态', 'Registry status'), children: d.data?.reg ? <StatusTag status={d.data.reg.status} /> : '—' },
          { key: 'm', label: tr('模块', 'Modules'), span: 2, children: g.modules.map((m) => <ModuleTag key={m} m={m} />) },
          { key: 'gh', label: tr('创世哈希', 'Genesis hash'), span: 2, children: <Typography.Text code style={{ fontSize: 12 }}>{d.data?.chain?.genesisHash ?? d.data?.reg?.genesisHash}</Typography.Text> },
          { key: 'a', label: tr('准入策略', 'Admission policy'), span: 2, children: d.data?.reg ? admissionText(d.data.reg.admission, tr) : '—' },
        ]} />
      )}
      {d.data?.consensus && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('验证节点', 'Validators')} · {tr('轮次', 'round')} {d.data.consensus.round} · <Ident>{d.data.consensus.step}</Ident></Typography.Title>
          <Table size="small" pagination={false} rowKey="did" dataSource={d.data.consensus.validators}
            columns={[
              { title: 'DID', dataIndex: 'did', render: (x: string) => <span title={x}>{shortDid(x)}</span> },
              { title: tr('权重', 'Power'), dataIndex: 'power' },
              { title: tr('状态', 'Status'), dataIndex: 'up', render: (u: boolean) => <StatusTag status={u ? 'up' : 'down'} /> },
              { title: tr('本节点', 'This node'), dataIndex: 'self', render: (s: boolean) => (s ? '✓' : '') },
            ]}
          />
        </>
      )}
      {d.data?.reg && d.data.reg.validators.length > 1 && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('验证节点变更历史', 'Validator set history')}</Typography.Title>
          <Table size="small" pagination={false} rowKey="approvedHeight" dataSource={d.data.reg.validators}
            columns={[
              { title: tr('生效高度', 'Effective height'), dataIndex: 'effectiveHeight' },
              { title: tr('提案', 'Proposal'), dataIndex: 'proposal', render: (p: number) => (p ? `#${p}` : tr('创世', 'genesis')) },
              { title: tr('验证节点', 'Validators'), dataIndex: 'validators', render: (vs: ValidatorInfo[]) => vs.map((v) => shortDid(v.did)).join(', ') },
            ]}
          />
        </>
      )}
      {d.data?.reg && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('生命周期', 'Lifecycle')}</Typography.Title>
          <Table size="small" pagination={false} rowKey={(r) => `${r.height}-${r.status}`} dataSource={d.data.reg.history}
            columns={[
              { title: tr('状态', 'Status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
              { title: tr('治理链高度', 'Gov height'), dataIndex: 'height' },
              { title: tr('时间', 'Time'), dataIndex: 'time', render: (t: number) => fmtTime(t, lang) },
            ]}
          />
        </>
      )}
    </Modal>
  );
}

export function admissionText(a: AdmissionPolicy, tr: (zh: string, en: string) => string): string {
  switch (a.type) {
    case 'open': return tr('开放：任何 DID 可交易', 'open: any DID may transact');
    case 'members': return tr('仅成员组织', 'member organisations only');
    case 'allowlist': return tr(`白名单（${a.dids.length} 个 DID）`, `allowlist (${a.dids.length} DIDs)`);
    case 'credential': return tr(`持有 ${a.issuer} 签发的“${a.credentialType}”凭证`, `holders of a ${a.credentialType} credential from ${a.issuer}`);
  }
}

interface WizardState {
  chain: string;
  sandbox: boolean;
  name: string;
  nameZh: string;
  title: string;
  description: string;
  validators: ValidatorInfo[];
  consensus: 'solo' | 'tbft';
  suite: 'sm2' | 'ed25519';
  modules: string[];
  admission: 'open' | 'members' | 'allowlist' | 'credential';
  allowlist: string;
  credentialType: string;
  issuer: string;
}

function ProposeChainWizard({ known, onDone }: { known: ValidatorInfo[]; onDone: () => void }) {
  const { tr, key } = useSession();
  const { message, modal } = App.useApp();
  // The simulation of exactly the proposal to be signed (null until simulated, cleared on any change).
  const [sim, setSim] = useState<SimulationResult | null>(null);
  const policy = useLoad(() => govPolicy(client), []);
  // Who votes on create-chain, read from the governance chain before step 1 (#15: the wizard used to end in GOV_NO_ELECTORATE).
  const electorate = useElectorate('create-chain');
  const [step, setStep] = useState(0);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<number | null>(null);
  const [pk, setPk] = useState('');
  const [s, setS] = useState<WizardState>({
    chain: '', sandbox: false, name: '', nameZh: '', title: '', description: '', validators: [], consensus: 'solo', suite: 'sm2', modules: ['notary'],
    admission: 'members', allowlist: '', credentialType: '', issuer: '',
  });
  const set = (p: Partial<WizardState>) => setS((x) => ({ ...x, ...p }));

  const admission: AdmissionPolicy = s.admission === 'allowlist'
    ? { type: 'allowlist', dids: s.allowlist.split(/[\s,]+/).filter(Boolean) }
    : s.admission === 'credential' ? { type: 'credential', credentialType: s.credentialType, issuer: s.issuer } : { type: s.admission };
  // No default title: without one the console names a proposal by its kind and chain, in the reader's language.
  const input: ProposalInput = {
    kind: 'create-chain',
    ...(s.title ? { title: s.title } : {}),
    ...(s.description ? { description: s.description } : {}),
    genesis: {
      chain: s.chain, name: s.name || s.chain, ...(s.nameZh ? { nameZh: s.nameZh } : {}), kind: 'business', suite: s.suite,
      consensus: { type: s.consensus }, validators: s.validators, modules: s.modules, ...(s.sandbox ? { sandbox: true } : {}),
    },
    admission,
  };

  const problems: string[] = [];
  if (step >= 0 && !CHAIN_ID_RE.test(s.chain)) problems.push(tr('链 ID：小写字母开头，仅含小写字母、数字和连字符，最多 32 位', 'Chain id: a lowercase letter, then lowercase letters, digits or hyphens, at most 32'));
  if (step >= 1 && s.validators.length === 0) problems.push(tr('至少选择一个验证节点', 'Choose at least one validator node'));
  if (step >= 2 && s.consensus === 'solo' && s.validators.length !== 1) problems.push(tr('单节点共识只能有一个验证节点', 'solo consensus takes exactly one validator'));
  if (step >= 2 && s.consensus === 'tbft' && s.validators.length < 4) problems.push(tr('TBFT 至少需要 4 个验证节点', 'TBFT needs at least 4 validators (3f+1)'));
  if (step >= 2 && s.validators.some((v) => (v.publicKey.length === 130) !== (s.suite === 'sm2'))) problems.push(tr('验证节点密钥与密码套件不一致', 'Validator keys do not match the crypto suite'));
  if (step >= 3 && s.modules.length === 0) problems.push(tr('至少选择一个模块', 'Choose at least one module'));

  const addKey = () => {
    const hex = pk.trim().toLowerCase();
    if (!/^([0-9a-f]{64}|04[0-9a-f]{128})$/.test(hex)) {
      message.error(say('节点公钥应为十六进制：SM2 为 130 位（以 04 开头），Ed25519 为 64 位', 'A node public key is hex: 130 digits starting 04 for SM2, 64 for Ed25519'));
      return;
    }
    const did = didFromPublicKey(fromHex(hex));
    if (!s.validators.some((v) => v.did === did)) set({ validators: [...s.validators, { did, publicKey: hex, power: 1 }] });
    setPk('');
  };

  const submit = async () => {
    if (!key) return message.error(say('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)'));
    setBusy(true);
    try {
      const r = await govPropose(client, key, input, { timeoutMs: 60_000 });
      setDone(r.id);
      onDone();
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };

  if (done !== null) {
    return (
      <Result status="success" data-testid="wizard-done" title={tr(`已提交创建业务链的治理提案 #${done}`, `Governance proposal #${done} to create the business chain is submitted`)}
        subTitle={tr('成员组织在“提案与投票”中签名投票；通过后，被指定的节点会自行启动该链。', 'Member organisations vote with their signatures under "Proposals and votes"; once approved, the named nodes start the chain by themselves.')}
        extra={<Button onClick={() => { setDone(null); setStep(0); }}>{tr('再提一条链', 'Propose another chain')}</Button>} />
    );
  }

  const steps = [
    { title: tr('基本信息', 'Basics') },
    { title: tr('节点', 'Nodes') },
    { title: tr('共识与密码', 'Consensus & crypto') },
    { title: tr('模块', 'Modules') },
    { title: tr('准入策略', 'Admission') },
    { title: tr('确认提交', 'Review') },
  ];
  return (
    <div data-testid="chain-wizard">
      <div style={{ marginBottom: 16 }}><ElectorateNotice kind="create-chain" e={electorate.data} /></div>
      <Steps current={step} items={steps} size="small" style={{ marginBottom: 24 }} />
      {step === 0 && (
        <Form layout="vertical" style={{ maxWidth: 560 }}>
          <Form.Item label={tr('链 ID', 'Chain id')} required extra={tr('小写字母开头，仅含小写字母、数字和连字符，最多 32 位', 'a lowercase letter, then lowercase letters, digits or hyphens; at most 32')}>
            <Input data-testid="wiz-chain" value={s.chain} onChange={(e) => set({ chain: e.target.value })} />
          </Form.Item>
          <Form.Item extra={tr('沙箱链仅使用沙箱资金，与生产链之间无跨链通道，直到治理投票将其转为正式链。', 'A sandbox chain uses only sandbox money and has no cross-chain path to production chains until a governance vote promotes it.')}>
            <Checkbox data-testid="wiz-sandbox" checked={s.sandbox} onChange={(e) => set({ sandbox: e.target.checked })}>{tr('先以沙箱模式运行', 'Run it in sandbox mode first')}</Checkbox>
          </Form.Item>
          <Form.Item label={tr('英文名称', 'Name in English')}><Input data-testid="wiz-name" value={s.name} onChange={(e) => set({ name: e.target.value })} /></Form.Item>
          <Form.Item label={tr('中文名称', 'Name in Chinese')}><Input data-testid="wiz-name-zh" value={s.nameZh} onChange={(e) => set({ nameZh: e.target.value })} /></Form.Item>
          <Form.Item label={tr('提案标题（可选；不填时按提案类型和链 ID 显示）', 'Proposal title (optional; without one the proposal is shown by its kind and chain id)')}><Input value={s.title} onChange={(e) => set({ title: e.target.value })} /></Form.Item>
          <Form.Item label={tr('说明', 'Description')}><Input.TextArea rows={3} value={s.description} onChange={(e) => set({ description: e.target.value })} /></Form.Item>
        </Form>
      )}
      {step === 1 && (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text>{tr('从联盟已知节点中选择验证节点，或粘贴节点公钥：', 'Choose validator nodes the alliance knows, or paste a node\'s public key:')}</Typography.Text>
          <Checkbox.Group
            data-testid="wiz-validators"
            value={s.validators.map((v) => v.did)}
            onChange={(dids) => set({ validators: [...known.filter((k) => dids.includes(k.did)), ...s.validators.filter((v) => !known.some((k) => k.did === v.did) && dids.includes(v.did))] })}
            options={[...known, ...s.validators.filter((v) => !known.some((k) => k.did === v.did))].map((v) => ({ value: v.did, label: <span title={v.did}>{shortDid(v.did)} · {v.publicKey.length === 130 ? 'SM2' : 'Ed25519'}</span> }))}
          />
          <Space.Compact style={{ width: '100%', maxWidth: 720 }}>
            <Input value={pk} onChange={(e) => setPk(e.target.value)} placeholder={tr('节点公钥（十六进制）', 'Node public key (hex)')} />
            <Button onClick={addKey}>{tr('添加', 'Add')}</Button>
          </Space.Compact>
          {s.validators.length > 0 && (
            <Table size="small" pagination={false} rowKey="did" dataSource={s.validators}
              columns={[
                { title: 'DID', dataIndex: 'did', render: (d: string) => shortDid(d) },
                { title: tr('权重', 'Power'), render: (_, v, i) => <InputNumber min={1} value={v.power} onChange={(p) => set({ validators: s.validators.map((x, j) => (j === i ? { ...x, power: Number(p ?? 1) } : x)) })} /> },
              ]}
            />
          )}
        </Space>
      )}
      {step === 2 && (
        <Form layout="vertical">
          <Form.Item label={tr('共识算法', 'Consensus')}>
            <Radio.Group value={s.consensus} onChange={(e) => set({ consensus: e.target.value as 'solo' | 'tbft' })}
              options={[{ value: 'solo', label: tr('单节点（一个验证节点）', 'solo (one validator)') }, { value: 'tbft', label: tr('拜占庭容错（TBFT，至少 4 个节点）', 'TBFT (Byzantine fault tolerant, ≥ 4 nodes)') }]} />
          </Form.Item>
          <Form.Item label={tr('密码套件', 'Crypto suite')}>
            <Radio.Group value={s.suite} onChange={(e) => set({ suite: e.target.value as 'sm2' | 'ed25519' })}
              options={[{ value: 'sm2', label: tr('国密 SM2 / SM3', 'SM2 / SM3 (Chinese national standards)') }, { value: 'ed25519', label: 'Ed25519 / SHA-256' }]} />
          </Form.Item>
        </Form>
      )}
      {step === 3 && (
        <Form layout="vertical">
          <Form.Item label={tr('业务链运行的模块（联盟策略允许的）', 'Modules the chain runs (as the alliance policy allows)')}>
            <Checkbox.Group data-testid="wiz-modules" value={s.modules} onChange={(m) => set({ modules: m as string[] })} style={{ display: 'flex', flexDirection: 'column', gap: 6 }}
              options={(policy.data?.modules ?? ['notary']).map((m) => {
                const info = moduleInfo(m, tr);
                return { value: m, label: <span data-testid={`wiz-module-${m}`}><b>{info.name}</b> <Ident>{m}</Ident> — <Typography.Text type="secondary">{info.description}</Typography.Text></span> };
              })} />
          </Form.Item>
        </Form>
      )}
      {step === 4 && (
        <Form layout="vertical" style={{ maxWidth: 640 }}>
          <Form.Item label={tr('谁可以在链上交易', 'Who may transact on the chain')}>
            <Radio.Group value={s.admission} onChange={(e) => set({ admission: e.target.value as WizardState['admission'] })}
              options={[
                { value: 'members', label: tr('仅成员组织', 'Member organisations') },
                { value: 'open', label: tr('开放', 'Open') },
                { value: 'allowlist', label: tr('白名单', 'Allowlist') },
                { value: 'credential', label: tr('持有凭证', 'Credential holders') },
              ]} />
          </Form.Item>
          {s.admission === 'allowlist' && <Form.Item label={tr('DID 列表（逗号或换行分隔）', 'DIDs (comma or newline separated)')}><Input.TextArea rows={4} value={s.allowlist} onChange={(e) => set({ allowlist: e.target.value })} /></Form.Item>}
          {s.admission === 'credential' && (
            <>
              <Form.Item label={tr('凭证类型', 'Credential type')}><Input value={s.credentialType} onChange={(e) => set({ credentialType: e.target.value })} /></Form.Item>
              <Form.Item label={tr('签发方 DID', 'Issuer DID')}><Input value={s.issuer} onChange={(e) => set({ issuer: e.target.value })} /></Form.Item>
            </>
          )}
        </Form>
      )}
      {step === 5 && (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Alert type="info" showIcon title={tr('以下提案将由您的密钥签名并提交到治理链；成员投票通过后生效。', 'This proposal is signed with your key and sent to the governance chain; it takes effect when the members approve it.')} />
          <Descriptions size="small" bordered column={2} data-testid="wiz-summary" items={[
            { key: 'c', label: tr('链 ID', 'Chain id'), children: <Ident>{s.chain}</Ident> },
            { key: 'n', label: tr('名称', 'Name'), children: <UserText>{[s.name || s.chain, s.nameZh].filter(Boolean).join(' / ')}</UserText> },
            { key: 'k', label: tr('类型', 'Kind'), children: <>{kindName('business', tr)} {s.sandbox && <SandboxTag tr={tr} />}</> },
            { key: 'cs', label: tr('共识', 'Consensus'), children: consensusName(s.consensus, tr) },
            { key: 's', label: tr('密码套件', 'Crypto suite'), children: s.suite === 'sm2' ? 'SM2 / SM3' : 'Ed25519 / SHA-256' },
            { key: 'v', label: tr('验证节点', 'Validators'), children: s.validators.map((v) => shortDid(v.did)).join(', ') },
            { key: 'm', label: tr('模块', 'Modules'), span: 2, children: s.modules.map((m) => <ModuleTag key={m} m={m} />) },
            { key: 'a', label: tr('准入策略', 'Admission policy'), span: 2, children: admissionText(admission, tr) },
          ]} />
          <Typography.Text type="secondary">{tr('提交到链上的内容：', 'What goes on chain:')}</Typography.Text>
          <Json value={input} max={260} />
          <SimulateFirst calls={[{ chain: DEFAULT_GOV_CHAIN, ...govProposeCall(input) }]} passProposals onResult={setSim} />
        </Space>
      )}
      {problems.length > 0 && <Alert style={{ marginTop: 12 }} type="warning" title={problems.join('；')} />}
      <Space style={{ marginTop: 16 }}>
        {step > 0 && <Button onClick={() => setStep(step - 1)}>{tr('上一步', 'Back')}</Button>}
        {step < 5 && <Button type="primary" disabled={problems.length > 0} onClick={() => setStep(step + 1)} data-testid="wiz-next">{tr('下一步', 'Next')}</Button>}
        {step === 5 && <Button type="primary" loading={busy} disabled={problems.length > 0 || !sim} onClick={() => sim && confirmVerdict(sim, modal, tr, async () => { await submit(); })} data-testid="wiz-submit">{tr('签名并提交提案', 'Sign and submit the proposal')}</Button>}
      </Space>
    </div>
  );
}

function ValidatorChange({ registry, known, onDone }: { registry: ChainRecord[]; known: ValidatorInfo[]; onDone: () => void }) {
  const { tr, key } = useSession();
  const { message, modal } = App.useApp();
  const [chain, setChain] = useState<string>();
  const [dids, setDids] = useState<string[]>([]);
  const [effective, setEffective] = useState<number>(0);
  const [busy, setBusy] = useState(false);
  const [sim, setSim] = useState<SimulationResult | null>(null);
  const rec = registry.find((r) => r.id === chain);
  const input: ProposalInput | null = rec ? { kind: 'change-validators', chain: rec.id, validators: known.filter((k) => dids.includes(k.did)), effectiveHeight: effective } : null;
  const submit = async () => {
    if (!rec) return message.error(say('请选择链', 'Choose a chain'));
    if (!key) return message.error(say('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)'));
    setBusy(true);
    try {
      const r = await govPropose(client, key, input!, { timeoutMs: 60_000 });
      message.success(say(`已提交提案 #${r.id}`, `Proposal #${r.id} submitted`));
      onDone();
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Form layout="vertical" style={{ maxWidth: 640 }}>
      <Form.Item label={tr('链', 'Chain')}>
        <Select value={chain} onChange={(c: string) => { setChain(c); setDids(registry.find((r) => r.id === c)?.validators.at(-1)?.validators.map((v) => v.did) ?? []); }}
          options={registry.filter((r) => r.status === 'active' || r.status === 'approved').map((r) => ({ value: r.id, label: <Ident>{r.id}</Ident> }))} />
      </Form.Item>
      <Form.Item label={tr('新的验证节点集合', 'New validator set')}>
        <Checkbox.Group value={dids} onChange={(v) => setDids(v as string[])} options={known.map((k) => ({ value: k.did, label: shortDid(k.did) }))} />
      </Form.Item>
      <Form.Item label={tr('在该链上的生效高度', 'Effective height on that chain')}>
        <InputNumber min={0} value={effective} onChange={(v) => setEffective(Number(v ?? 0))} />
      </Form.Item>
      {input && <div style={{ marginBottom: 12 }}><SimulateFirst calls={[{ chain: DEFAULT_GOV_CHAIN, ...govProposeCall(input) }]} passProposals onResult={setSim} /></div>}
      <Button type="primary" loading={busy} onClick={() => sim && confirmVerdict(sim, modal, tr, async () => { await submit(); })} disabled={!rec || dids.length === 0 || !sim}>{tr('签名并提交变更提案', 'Sign and submit the change')}</Button>
    </Form>
  );
}

export function Chains() {
  const { tr, lang, govTick } = useSession();
  const [detail, setDetail] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  // Reloads by itself when the governance chain changes (a chain approved, started, suspended).
  const data = useLoad(async () => {
    const [chains, registry] = await Promise.all([client.chains(), govChains(client).catch(() => [] as ChainRecord[])]);
    return { chains, registry };
  }, [tick, govTick]);
  const createRules = useElectorate('create-chain');
  const mayPropose = createRules.data?.canPropose ?? false;
  const known = useMemo(() => {
    const m = new Map<string, ValidatorInfo>();
    for (const c of data.data?.chains ?? []) for (const v of c.validators) m.set(v.did, { did: v.did, publicKey: v.publicKey, power: 1 });
    for (const r of data.data?.registry ?? []) for (const v of r.validators.at(-1)?.validators ?? []) m.set(v.did, { did: v.did, publicKey: v.publicKey, power: 1 });
    return [...m.values()];
  }, [data.data]);
  const rows = useMemo(() => {
    const byId = new Map<string, { id: string; info?: ChainInfo; reg?: ChainRecord }>();
    for (const c of data.data?.chains ?? []) byId.set(c.id, { id: c.id, info: c });
    for (const r of data.data?.registry ?? []) byId.set(r.id, { ...(byId.get(r.id) ?? { id: r.id }), reg: r });
    return [...byId.values()];
  }, [data.data]);
  return (
    <Card data-testid="page-chains">
      <ErrorBox error={data.error} />
      <Tabs items={[
        {
          key: 'list', label: tr('链列表', 'Chains'),
          children: (
            <>
            <Table size="small" rowKey="id" loading={data.loading} dataSource={rows} data-testid="chains-table"
              locale={{ emptyText: <NoData /> }}
              onRow={(r) => ({ onClick: () => setDetail(r.id), style: { cursor: 'pointer' } })}
              columns={[
                { title: 'ID', dataIndex: 'id', render: (id: string) => <b data-testid={`chain-row-${id}`}><Ident>{id}</Ident></b> },
                { title: tr('名称', 'Name'), render: (_, r) => <UserText>{chainName(r.info ?? r.reg?.genesis ?? { id: r.id }, lang)}</UserText> },
                { title: tr('类型', 'Kind'), render: (_, r) => <><Tag>{kindName(r.info?.kind ?? r.reg?.genesis.kind, tr)}</Tag>{isSandbox(r.info, r.reg) && <SandboxTag tr={tr} />}</> },
                { title: tr('高度', 'Height'), render: (_, r) => r.info?.height ?? '—' },
                { title: tr('验证节点', 'Validators'), render: (_, r) => r.info?.validators.length ?? r.reg?.validators.at(-1)?.validators.length ?? '—' },
                { title: tr('共识', 'Consensus'), render: (_, r) => consensusName(r.info?.consensus ?? r.reg?.genesis.consensus.type, tr) },
                { title: tr('模块', 'Modules'), render: (_, r) => (r.info?.modules ?? r.reg?.genesis.modules ?? []).map((m) => <ModuleTag key={m} m={m} />) },
                { title: tr('登记状态', 'Registry'), render: (_, r) => (r.reg ? <StatusTag status={r.reg.status} /> : '—') },
              ]}
            />
            <ExternalChainsTable tick={tick} />
            </>
          ),
        },
        // Proposing tabs only for DIDs the policy lets propose (read from the governance chain).
        ...(mayPropose ? [
          { key: 'wizard', label: tr('提议业务链', 'Propose a business chain'), children: <ProposeChainWizard known={known} onDone={() => setTick((t) => t + 1)} /> },
          { key: 'validators', label: tr('验证节点变更', 'Validator changes'), children: <ValidatorChange registry={data.data?.registry ?? []} known={known} onDone={() => setTick((t) => t + 1)} /> },
        ] : []),
        { key: 'lifecycle', label: <span data-testid="tab-lifecycle">{tr('链生命周期', 'Chain lifecycle')}</span>, children: <GovernanceWizard kinds={['suspend-chain', 'resume-chain', 'retire-chain', 'change-validators']} /> },
        { key: 'votes', label: tr('链相关提案', 'Chain proposals'), children: <ProposalBoard kinds={CHAIN_KINDS} /> },
      ]} />
      {detail && <ChainDetail id={detail} onClose={() => setDetail(null)} />}
    </Card>
  );
}
