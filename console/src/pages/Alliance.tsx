import { useState } from 'react';
import { App, Button, Card, Descriptions, Form, Input, Modal, Popconfirm, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import {
  govGateways, govMembers, govPolicy, govPropose, govProposals, govRegulators, govVote, govVotes,
  type ProposalView, type VoteChoice,
} from '../../../src/sdk/browser.ts';
import { ErrorBox, Hash, Json, NoData, StatusTag, fmtTime, statusText } from '../components.tsx';
import { roleName } from '../components.tsx';
import { client, errText, shortDid, useLoad, useSession } from '../session.tsx';

export function kindLabel(kind: string, tr: (zh: string, en: string) => string): string {
  const m: Record<string, [string, string]> = {
    'admit-member': ['接纳成员', 'admit member'], 'remove-member': ['移除成员', 'remove member'],
    'create-chain': ['创建业务链', 'create business chain'], 'suspend-chain': ['暂停链', 'suspend chain'],
    'resume-chain': ['恢复链', 'resume chain'], 'retire-chain': ['退役链', 'retire chain'],
    'change-validators': ['变更验证节点', 'change validators'], 'set-policy': ['修改联盟策略', 'change policy'],
    'register-regulator': ['登记监管方', 'register regulator'], 'register-gateway': ['登记跨链网关', 'register gateway'],
  };
  const v = m[kind];
  return v ? tr(v[0], v[1]) : kind;
}

function Votes({ id }: { id: number }) {
  const { tr, lang } = useSession();
  const v = useLoad(() => govVotes(client, id), [id]);
  return (
    <Table size="small" pagination={false} rowKey="voter" loading={v.loading} dataSource={v.data ?? []}
      columns={[
        { title: tr('投票方', 'Voter'), dataIndex: 'voter', render: (d: string) => <Typography.Text title={d}>{shortDid(d)}</Typography.Text> },
        { title: tr('选择', 'Choice'), dataIndex: 'choice', render: (c: string) => <Tag color={c === 'yes' ? 'green' : c === 'no' ? 'red' : 'default'}>{c === 'yes' ? tr('赞成', 'yes') : c === 'no' ? tr('反对', 'no') : tr('弃权', 'abstain')}</Tag> },
        { title: tr('高度', 'Height'), dataIndex: 'height' },
        { title: tr('时间', 'Time'), dataIndex: 'time', render: (t: number) => fmtTime(t, lang) },
        { title: tr('交易', 'Tx'), dataIndex: 'tx', render: (h: string) => <Hash value={h} /> },
      ]}
    />
  );
}

export function ProposalBoard({ kind }: { kind?: string }) {
  const { tr, lang, key, auth } = useSession();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const list = useLoad(() => govProposals(client, { limit: 100 }), []);
  const rows = (list.data ?? []).filter((p) => !kind || p.kind === kind);

  const vote = async (p: ProposalView, choice: VoteChoice) => {
    if (!key) {
      message.error(tr('请重新登录以载入签名密钥', 'Sign in again to load your signing key'));
      return;
    }
    setBusy(`${p.id}:${choice}`);
    try {
      const r = await govVote(client, key, p.id, choice, { timeoutMs: 60_000 });
      message.success(tr(`已签名投票，提案 #${p.id} 当前状态：${statusText(r.status, tr)}`, `Vote signed; proposal #${p.id} is now ${statusText(r.status, tr)}`));
      list.reload();
    } catch (err) {
      message.error(errText(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <ErrorBox error={list.error} />
      <Space style={{ marginBottom: 12 }}><Button onClick={list.reload} data-testid="proposals-reload">{tr('刷新', 'Refresh')}</Button></Space>
      <Table<ProposalView>
        size="small" rowKey="id" loading={list.loading} dataSource={rows} data-testid="proposals"
        locale={{ emptyText: <NoData text={tr('暂无提案', 'No proposals')} /> }}
        expandable={{ expandedRowRender: (p) => (
          <Space orientation="vertical" style={{ width: '100%' }}>
            {p.description && <Typography.Paragraph>{p.description}</Typography.Paragraph>}
            <Typography.Text strong>{tr('提案内容（投票方看到的即执行的）', 'Payload (exactly what voters approve)')}</Typography.Text>
            <Json value={p.payload} max={260} />
            <Typography.Text strong>{tr('投票记录', 'Votes')}</Typography.Text>
            <Votes id={p.id} />
          </Space>
        ) }}
        columns={[
          { title: '#', dataIndex: 'id', width: 60 },
          { title: tr('类型', 'Kind'), dataIndex: 'kind', render: (k: string) => kindLabel(k, tr) },
          { title: tr('标题', 'Title'), dataIndex: 'title', render: (t: string | undefined) => t ?? '—' },
          { title: tr('提案方', 'Proposer'), dataIndex: 'proposer', render: (d: string) => <span title={d}>{shortDid(d)}</span> },
          { title: tr('状态', 'Status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          { title: tr('计票（赞成/反对/弃权）', 'Tally (yes/no/abstain)'), render: (_, p) => `${p.tally.yes}/${p.tally.no}/${p.tally.abstain} · ${tr('选民', 'electorate')} ${p.electorate.length}` },
          { title: tr('截止高度', 'Ends at height'), dataIndex: 'endHeight' },
          { title: tr('创建时间', 'Created'), dataIndex: 'createdTime', render: (t: number) => fmtTime(t, lang) },
          {
            title: tr('签名投票', 'Signed vote'),
            render: (_, p) => p.status !== 'voting' ? '—' : !auth || !p.electorate.includes(auth.did) ? <Typography.Text type="secondary">{tr('无投票权', 'not a voter')}</Typography.Text> : (
              <Space>
                <Button size="small" type="primary" loading={busy === `${p.id}:yes`} data-testid={`vote-yes-${p.id}`} onClick={() => vote(p, 'yes')}>{tr('赞成', 'Approve')}</Button>
                <Popconfirm title={tr('确认反对？', 'Reject this proposal?')} onConfirm={() => vote(p, 'no')} okText={tr('确认', 'Yes')} cancelText={tr('取消', 'Cancel')}>
                  <Button size="small" danger loading={busy === `${p.id}:no`} data-testid={`vote-no-${p.id}`}>{tr('反对', 'Reject')}</Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}

function AdmitMember({ onDone }: { onDone: () => void }) {
  const { tr, key } = useSession();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ did: string; name: string; nameZh?: string; roles: string[]; title?: string }>();
  const submit = async () => {
    const v = await form.validateFields();
    if (!key) return message.error(tr('请重新登录以载入签名密钥', 'Sign in again to load your signing key'));
    setBusy(true);
    try {
      const r = await govPropose(client, key, {
        kind: 'admit-member', title: v.title || `Admit ${v.name}`,
        member: { did: v.did.trim(), name: v.name, ...(v.nameZh ? { nameZh: v.nameZh } : {}), roles: v.roles as never },
      }, { timeoutMs: 60_000 });
      message.success(tr(`已提交提案 #${r.id}`, `Proposal #${r.id} submitted`));
      setOpen(false);
      form.resetFields();
      onDone();
    } catch (err) {
      message.error(errText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button type="primary" onClick={() => setOpen(true)} data-testid="admit-member">{tr('提议接纳成员', 'Propose a member')}</Button>
      <Modal open={open} title={tr('提议接纳成员组织', 'Propose admitting a member organisation')} onCancel={() => setOpen(false)} onOk={submit} confirmLoading={busy} okText={tr('签名并提交', 'Sign and submit')} cancelText={tr('取消', 'Cancel')}>
        <Form form={form} layout="vertical" initialValues={{ roles: ['member'] }}>
          <Form.Item name="did" label="DID" rules={[{ required: true, pattern: /^did:shulian:[1-9A-HJ-NP-Za-km-z]+$/, message: tr('请输入 did:shulian: DID', 'Enter a did:shulian: DID') }]}><Input data-testid="member-did" /></Form.Item>
          <Form.Item name="name" label={tr('英文名称', 'Name')} rules={[{ required: true }]}><Input data-testid="member-name" /></Form.Item>
          <Form.Item name="nameZh" label={tr('中文名称', 'Chinese name')}><Input /></Form.Item>
          <Form.Item name="roles" label={tr('角色', 'Roles')}>
            <Select mode="multiple" options={['member', 'operator', 'regulator', 'gateway-operator', 'service-provider'].map((r) => ({ value: r, label: roleName(r, tr) }))} />
          </Form.Item>
          <Form.Item name="title" label={tr('提案标题', 'Proposal title')}><Input /></Form.Item>
        </Form>
      </Modal>
    </>
  );
}

export function Alliance() {
  const { tr, lang } = useSession();
  const members = useLoad(() => govMembers(client), []);
  const policy = useLoad(() => govPolicy(client), []);
  const regs = useLoad(async () => ({ regulators: await govRegulators(client), gateways: await govGateways(client) }), []);
  const [tick, setTick] = useState(0);
  return (
    <Card data-testid="page-alliance">
      <Tabs
        items={[
          {
            key: 'members', label: tr('成员组织', 'Member organisations'),
            children: (
              <>
                <ErrorBox error={members.error} />
                <Space style={{ marginBottom: 12 }}><AdmitMember onDone={() => setTick(tick + 1)} /></Space>
                <Table size="small" rowKey="did" loading={members.loading} dataSource={members.data ?? []} data-testid="members"
                  columns={[
                    { title: tr('名称', 'Name'), render: (_, m) => (lang === 'zh' ? m.nameZh || m.name : m.name) },
                    { title: 'DID', dataIndex: 'did', render: (d: string) => <Typography.Text copyable={{ text: d }} style={{ fontSize: 12 }}>{shortDid(d)}</Typography.Text> },
                    { title: tr('角色', 'Roles'), dataIndex: 'roles', render: (rs: string[]) => rs.map((r) => <Tag key={r}>{roleName(r, tr)}</Tag>) },
                    { title: tr('加入高度', 'Admitted at'), dataIndex: 'admittedAt' },
                    { title: tr('加入时间', 'Admitted'), dataIndex: 'admittedTime', render: (t: number) => fmtTime(t, lang) },
                    { title: tr('接纳提案', 'Proposal'), dataIndex: 'proposal', render: (p: number) => (p === 0 ? tr('创始运营方', 'founder') : `#${p}`) },
                  ]}
                />
              </>
            ),
          },
          { key: 'proposals', label: tr('提案与投票', 'Proposals and votes'), children: <ProposalBoard key={tick} /> },
          {
            key: 'policy', label: tr('联盟策略', 'Policies'),
            children: (
              <>
                <ErrorBox error={policy.error} />
                {policy.data ? (
                  <>
                    <Descriptions size="small" bordered column={2} items={[
                      { key: 'd', label: tr('验证节点变更延迟（区块）', 'Validator change delay (blocks)'), children: policy.data.validatorChangeDelay },
                      { key: 'm', label: tr('每个提案方最多进行中的提案', 'Most open proposals per proposer'), children: policy.data.maxOpenProposals },
                      { key: 'mods', label: tr('业务链可用模块', 'Modules allowed on business chains'), span: 2, children: policy.data.modules.map((m) => <Tag key={m}>{m}</Tag>) },
                    ]} />
                    <Table size="small" style={{ marginTop: 12 }} pagination={false} rowKey="kind"
                      dataSource={Object.entries(policy.data.kinds).map(([kind, k]) => ({ kind, ...k }))}
                      columns={[
                        { title: tr('提案类型', 'Proposal kind'), dataIndex: 'kind', render: (k: string) => kindLabel(k, tr) },
                        { title: tr('可提案角色', 'Who may propose'), dataIndex: 'proposers', render: (rs: string[]) => rs.map((r) => roleName(r, tr)).join(', ') },
                        { title: tr('可投票角色', 'Who votes'), dataIndex: 'voters', render: (rs: string[]) => rs.map((r) => roleName(r, tr)).join(', ') },
                        { title: tr('法定人数', 'Quorum'), dataIndex: 'quorumBps', render: (b: number) => `${b / 100}%` },
                        { title: tr('通过门槛', 'Threshold'), dataIndex: 'thresholdBps', render: (b: number) => `> ${b / 100}%` },
                        { title: tr('投票期（区块）', 'Voting period (blocks)'), dataIndex: 'votingPeriod' },
                      ]}
                    />
                  </>
                ) : !policy.loading && <NoData text={tr('治理尚未初始化', 'Governance is not initialised yet')} />}
              </>
            ),
          },
          {
            key: 'regulators', label: tr('监管方与网关', 'Regulators and gateways'),
            children: (
              <>
                <ErrorBox error={regs.error} />
                <Typography.Title level={5}>{tr('监管方', 'Regulators')}</Typography.Title>
                <Table size="small" rowKey="did" pagination={false} dataSource={regs.data?.regulators ?? []}
                  columns={[
                    { title: tr('名称', 'Name'), render: (_, r) => (lang === 'zh' ? r.nameZh || r.name : r.name) },
                    { title: 'DID', dataIndex: 'did', render: (d: string) => shortDid(d) },
                    { title: tr('观察的链', 'Chains observed'), dataIndex: 'chains', render: (cs: string[]) => cs.join(', ') },
                  ]}
                />
                <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('跨链网关', 'Cross-chain gateways')}</Typography.Title>
                <Table size="small" rowKey="did" pagination={false} dataSource={regs.data?.gateways ?? []}
                  columns={[
                    { title: tr('名称', 'Name'), dataIndex: 'name' },
                    { title: 'DID', dataIndex: 'did', render: (d: string) => shortDid(d) },
                    { title: tr('中继的链', 'Chains relayed'), dataIndex: 'chains', render: (cs: string[]) => cs.join(', ') },
                  ]}
                />
              </>
            ),
          },
        ]}
      />
    </Card>
  );
}
