/**
 * Fine-grained permissions (issue #25 item 5, docs/permissions.md): each business chain's access
 * rules as the alliance policy holds them, and an editor that drafts a set-policy proposal with
 * the chain's new rules. Nothing changes until the proposal passes.
 */
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { DEFAULT_GOV_CHAIN, govChains, govPolicy, govPropose, govProposeCall, type AccessRule, type ProposalInput, type Role, type SimulationResult } from '../../../src/sdk/browser.ts';
import { ErrorBox, Ident, NoData, roleName } from '../components.tsx';
import { ElectorateNotice, useElectorate } from '../gov.tsx';
import { ProposalBoard } from './Alliance.tsx';
import { SimulateFirst, confirmVerdict } from '../simfirst.tsx';
import { client, errNode, say, shortDid, useLoad, useSession } from '../session.tsx';

const ROLES: Role[] = ['operator', 'member', 'regulator', 'gateway-operator', 'service-provider'];

interface RuleForm {
  module: string;
  method: string;
  dids?: string;
  members?: boolean;
  roles?: Role[];
}

function Who({ r }: { r: AccessRule }) {
  const { tr } = useSession();
  const parts = [
    ...(r.dids ?? []).map((d) => <Tag key={d} title={d}>{shortDid(d)}</Tag>),
    ...(r.members ? [<Tag key="members" color="blue">{tr('所有成员组织', 'every member organisation')}</Tag>] : []),
    ...(r.roles ?? []).map((x) => <Tag key={x} color="purple">{tr('角色：', 'role: ')}{roleName(x, tr)}</Tag>),
  ];
  return parts.length > 0 ? <>{parts}</> : <Tag color="red">{tr('无人（关闭此调用）', 'no one (call closed)')}</Tag>;
}

export function Permissions() {
  const { tr, key, govTick } = useSession();
  const { message, modal } = App.useApp();
  const data = useLoad(async () => {
    const [policy, chains] = await Promise.all([govPolicy(client), govChains(client)]);
    return { policy, chains: chains.filter((c) => c.genesis.kind === 'business' && c.status !== 'retired') };
  }, [govTick]);
  const electorate = useElectorate('set-policy');
  const [chain, setChain] = useState<string | undefined>();
  const [draft, setDraft] = useState<AccessRule[]>([]);
  const [busy, setBusy] = useState(false);
  const [sim, setSim] = useState<SimulationResult | null>(null);
  const [form] = Form.useForm<RuleForm>();

  const chains = data.data?.chains ?? [];
  const current = chain ? data.data?.policy?.access?.[chain] ?? [] : [];
  const modules = chains.find((c) => c.id === chain)?.genesis.modules ?? [];
  useEffect(() => {
    if (!chain && chains[0]) setChain(chains[0].id);
  }, [chains.length]);
  useEffect(() => setDraft(current), [chain, data.data]);
  const changed = JSON.stringify(draft) !== JSON.stringify(current);
  useEffect(() => { if (!changed) setSim(null); }, [changed]);

  const add = async () => {
    const v = await form.validateFields();
    const dids = (v.dids ?? '').split(/[\s,]+/).filter(Boolean);
    const rule: AccessRule = {
      module: v.module, method: v.method.trim() || '*',
      ...(dids.length ? { dids } : {}), ...(v.members ? { members: true } : {}), ...(v.roles?.length ? { roles: v.roles } : {}),
    };
    setDraft([...draft.filter((r) => !(r.module === rule.module && r.method === rule.method)), rule]);
    form.resetFields();
  };

  // What the propose button signs, simulated first (docs/simulation.md#in-the-console).
  const proposal: ProposalInput | null = chain ? { kind: 'set-policy', title: tr(`修改 ${chain} 的访问规则`, `Access rules of ${chain}`), policy: { access: { [chain]: draft } } } : null;
  const propose = async () => {
    if (!key) {
      message.error(say('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)'));
      return;
    }
    if (!chain) return;
    setBusy(true);
    try {
      const r = await govPropose(client, key, proposal!, { timeoutMs: 60_000 });
      message.success(say(`已提交提案 #${r.id}，待成员投票通过后生效`, `Proposal #${r.id} submitted; the rules apply once members approve it`));
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card data-testid="page-permissions" title={tr('业务链访问控制', 'Access rules of business chains')}>
      <ErrorBox error={data.error} />
      <Typography.Paragraph type="secondary">
        {tr('规则规定谁可以调用业务链上的哪个模块方法：列出的 DID、所有成员组织，或持有某角色的成员。最具体的规则生效（模块.方法 优先于 模块.*，再到 *.*）；没有规则匹配的调用对准入的发送方开放。修改规则需提出“修改联盟策略”提案并经投票通过；规则在提交交易时和出块执行时都会检查。',
          'Rules say who may call which module method on a business chain: listed DIDs, every member organisation, or members holding a role. The most specific rule decides (module.method before module.*, then *.*); a call no rule matches is open to every admitted sender. Rules change by a set-policy proposal once members approve it, and are checked both when a tx is submitted and when its block executes.')}
      </Typography.Paragraph>
      <Space style={{ marginBottom: 12 }}>
        <span>{tr('业务链：', 'Business chain: ')}</span>
        <Select style={{ minWidth: 200 }} value={chain} onChange={setChain} data-testid="perm-chain" loading={data.loading}
          options={chains.map((c) => ({ value: c.id, label: c.id }))} notFoundContent={tr('还没有业务链', 'No business chains yet')} />
      </Space>
      <Table<AccessRule> size="small" rowKey={(r) => `${r.module}.${r.method}`} dataSource={draft} pagination={false} data-testid="perm-rules"
        locale={{ emptyText: <NoData text={tr('没有规则：所有准入的发送方可调用任何方法', 'No rules: every admitted sender may call every method')} /> }}
        columns={[
          { title: tr('模块', 'Module'), dataIndex: 'module', render: (m: string) => <Ident>{m}</Ident> },
          { title: tr('方法', 'Method'), dataIndex: 'method', render: (m: string) => <Ident>{m}</Ident> },
          { title: tr('谁可以调用', 'Who may call'), render: (_, r) => <Who r={r} /> },
          { title: '', render: (_, r) => <Button size="small" danger onClick={() => setDraft(draft.filter((x) => x !== r))}>{tr('删除', 'Remove')}</Button> },
        ]}
      />
      {chain && (
        <Card size="small" style={{ marginTop: 12 }} title={tr('添加或替换规则', 'Add or replace a rule')}>
          <Form form={form} layout="inline" initialValues={{ method: '*' }}>
            <Form.Item name="module" label={tr('模块', 'Module')} rules={[{ required: true, message: tr('请选择模块', 'Pick a module') }]}>
              <Select style={{ width: 140 }} data-testid="perm-module" options={[{ value: '*', label: tr('* 任意', '* any') }, ...modules.map((m) => ({ value: m, label: m }))]} />
            </Form.Item>
            <Form.Item name="method" label={tr('方法', 'Method')} rules={[{ pattern: /^(\*|[a-z][a-zA-Z0-9_]{0,31})$/, message: tr('方法名，或 * 表示任意', 'A method name, or * for any') }]}>
              <Input style={{ width: 120 }} data-testid="perm-method" />
            </Form.Item>
            <Form.Item name="dids" label="DID">
              <Input.TextArea autoSize style={{ width: 320 }} data-testid="perm-dids" placeholder={tr('每行或逗号分隔一个 DID', 'One DID per line or comma')} />
            </Form.Item>
            <Form.Item name="members" valuePropName="checked"><Checkbox data-testid="perm-members">{tr('所有成员组织', 'Every member organisation')}</Checkbox></Form.Item>
            <Form.Item name="roles" label={tr('角色', 'Roles')}>
              <Select mode="multiple" style={{ minWidth: 180 }} data-testid="perm-roles" options={ROLES.map((r) => ({ value: r, label: roleName(r, tr) }))} />
            </Form.Item>
            <Button onClick={add} data-testid="perm-add">{tr('加入草稿', 'Add to draft')}</Button>
          </Form>
        </Card>
      )}
      {changed && <Alert style={{ marginTop: 12 }} type="warning" showIcon data-testid="perm-changed" title={tr('草稿与链上规则不同，提交提案并通过后才会生效', 'The draft differs from the rules on chain; it applies only once a proposal passes')} />}
      <div style={{ marginTop: 12 }}><ElectorateNotice kind="set-policy" e={electorate.data} /></div>
      {changed && proposal && <div style={{ marginTop: 12 }}><SimulateFirst calls={[{ chain: DEFAULT_GOV_CHAIN, ...govProposeCall(proposal) }]} passProposals onResult={setSim} /></div>}
      <Space style={{ marginTop: 12 }}>
        <Button type="primary" disabled={!changed || !chain || !sim} loading={busy} onClick={() => sim && confirmVerdict(sim, modal, tr, propose)} data-testid="perm-propose">{tr('签名并提交“修改联盟策略”提案', 'Sign and submit a set-policy proposal')}</Button>
        <Button disabled={!changed} onClick={() => setDraft(current)}>{tr('放弃修改', 'Discard changes')}</Button>
      </Space>
      <Typography.Title level={5} style={{ marginTop: 24 }}>{tr('策略提案', 'Policy proposals')}</Typography.Title>
      <ProposalBoard kinds={['set-policy']} />
    </Card>
  );
}
