import { useState } from 'react';
import { App, Button, Card, Descriptions, Form, Input, Modal, Popconfirm, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import {
  DEFAULT_GOV_CHAIN, govGateways, govMembers, govPolicy, govPropose, govProposeCall, govProposals, govRegulators, govVote, govVotes,
  type ProposalInput, type ProposalView, type Role, type SimulationResult, type VoteChoice,
} from '../../../src/sdk/browser.ts';
import { ErrorBox, Hash, Ident, Json, ModuleTag, NoData, StatusTag, UserText, fmtTime, roleList, roleName, statusText } from '../components.tsx';
import { ElectorateNotice, ProposalSubject, blockPace, kindLabel, periodText, useElectorate } from '../gov.tsx';
import { GovernanceWizard } from './Lifecycle.tsx';
import { SimulateFirst, confirmVerdict } from '../simfirst.tsx';
import { client, errNode, shortDid, useLoad, useSession, say } from '../session.tsx';

export { kindLabel };

function Votes({ id }: { id: number }) {
  const { tr, lang, govTick } = useSession();
  const v = useLoad(() => govVotes(client, id), [id, govTick]);
  return (
    <Table size="small" pagination={false} rowKey="voter" loading={v.loading} dataSource={v.data ?? []}
      locale={{ emptyText: <NoData text={tr('还没有人投票', 'No votes yet')} /> }}
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

/**
 * Proposals with their votes and the vote board. It reloads by itself when the governance chain
 * reports a change on the live stream (a vote, a proposal passing), so every open console shows
 * the outcome without a refresh.
 */
export function ProposalBoard({ kinds }: { kinds?: string[] }) {
  const { tr, lang, key, auth, govTick } = useSession();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const list = useLoad(async () => {
    const [proposals, pace, head] = await Promise.all([govProposals(client, { limit: 100 }), blockPace('gov'), client.chain('gov').then((c) => c.height).catch(() => 0)]);
    return { proposals, pace, head };
  }, [govTick]);
  const rows = (list.data?.proposals ?? []).filter((p) => !kinds || kinds.includes(p.kind));

  const vote = async (p: ProposalView, choice: VoteChoice) => {
    if (!key) {
      message.error(say('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)'));
      return;
    }
    setBusy(`${p.id}:${choice}`);
    try {
      const r = await govVote(client, key, p.id, choice, { timeoutMs: 60_000 });
      message.success(say(`已签名投票，提案 #${p.id} 当前状态：${statusText(r.status, (z) => z)}`, `Vote signed; proposal #${p.id} is now ${statusText(r.status, (_, e) => e)}`));
      list.reload();
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(null);
    }
  };

  const ends = (p: ProposalView): string => {
    if (p.status !== 'voting') return '—';
    const left = Math.max(0, p.endHeight - (list.data?.head ?? p.createdAt));
    return `#${p.endHeight} · ${tr('还剩', '')}${periodText(left, list.data?.pace, lang)}${tr('', ' left')}`;
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
            {p.description && <Typography.Paragraph><UserText>{p.description}</UserText></Typography.Paragraph>}
            <Typography.Text>{tr('投票期：', 'Voting period: ')}{periodText(p.rules.votingPeriod, list.data?.pace, lang)}{tr(`；法定人数 ${p.rules.quorumBps / 100}%，通过门槛 ${p.rules.thresholdBps / 100}%`, `; quorum ${p.rules.quorumBps / 100}%, threshold ${p.rules.thresholdBps / 100}%`)}</Typography.Text>
            <Typography.Text strong>{tr('提案内容（投票方看到的即执行的）', 'Payload (exactly what voters approve)')}</Typography.Text>
            <Json value={p.payload} max={260} />
            <Typography.Text strong>{tr('投票记录', 'Votes')}</Typography.Text>
            <Votes id={p.id} />
          </Space>
        ) }}
        columns={[
          { title: '#', dataIndex: 'id', width: 60 },
          { title: tr('类型', 'Kind'), dataIndex: 'kind', render: (k: string) => kindLabel(k, tr) },
          { title: tr('标题', 'Title'), render: (_, p) => <ProposalSubject p={p} /> },
          { title: tr('提案方', 'Proposer'), dataIndex: 'proposer', render: (d: string) => <span title={d}>{shortDid(d)}</span> },
          { title: tr('状态', 'Status'), dataIndex: 'status', render: (s: string) => <span data-testid="proposal-status"><StatusTag status={s} /></span> },
          { title: tr('计票（赞成/反对/弃权）', 'Tally (yes/no/abstain)'), render: (_, p) => `${p.tally.yes}/${p.tally.no}/${p.tally.abstain} · ${tr('选民', 'electorate')} ${p.electorate.length}` },
          { title: tr('截止', 'Voting ends'), render: (_, p) => ends(p) },
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

interface MemberForm { did: string; name: string; nameZh?: string; roles: Role[]; title?: string }

const memberProposal = (v: Partial<MemberForm>): ProposalInput => ({
  kind: 'admit-member', ...(v.title ? { title: v.title } : {}),
  member: { did: (v.did ?? '').trim(), name: v.name ?? '', ...(v.nameZh ? { nameZh: v.nameZh } : {}), roles: v.roles ?? [] },
});

function AdmitMember({ onDone }: { onDone: () => void }) {
  const { tr, key } = useSession();
  const { message, modal } = App.useApp();
  const electorate = useElectorate('admit-member');
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [sim, setSim] = useState<SimulationResult | null>(null);
  const [form] = Form.useForm<MemberForm>();
  // The proposal as the form stands: simulated first, then signed (docs/simulation.md#in-the-console).
  const watched = Form.useWatch([], form) as Partial<MemberForm> | undefined;
  if (!electorate.data?.canPropose) return null;
  const input = memberProposal({ roles: ['member'], ...watched });
  const submit = async () => {
    const v = await form.validateFields();
    if (!key) return message.error(say('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)'));
    setBusy(true);
    try {
      const r = await govPropose(client, key, memberProposal(v), { timeoutMs: 60_000 });
      message.success(say(`已提交提案 #${r.id}`, `Proposal #${r.id} submitted`));
      setOpen(false);
      form.resetFields();
      onDone();
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button type="primary" onClick={() => setOpen(true)} data-testid="admit-member">{tr('提议接纳成员', 'Propose a member')}</Button>
      <Modal open={open} forceRender width={720} title={tr('提议接纳成员组织', 'Propose admitting a member organisation')} onCancel={() => setOpen(false)} onOk={() => sim && confirmVerdict(sim, modal, tr, async () => { await submit(); })} okButtonProps={{ disabled: !sim }} confirmLoading={busy} okText={tr('签名并提交', 'Sign and submit')} cancelText={tr('取消', 'Cancel')}>
        <div style={{ marginBottom: 12 }}><ElectorateNotice kind="admit-member" e={electorate.data} /></div>
        <Form form={form} layout="vertical" initialValues={{ roles: ['member'] }}>
          <Form.Item name="did" label="DID" rules={[{ required: true, pattern: /^did:shulian:[1-9A-HJ-NP-Za-km-z]+$/, message: tr('请输入以 did:shulian: 开头的 DID', 'Enter a did:shulian: DID') }]}><Input data-testid="member-did" /></Form.Item>
          <Form.Item name="name" label={tr('英文名称', 'Name in English')} rules={[{ required: true, message: tr('请填写英文名称', 'A name is needed') }]}><Input data-testid="member-name" /></Form.Item>
          <Form.Item name="nameZh" label={tr('中文名称', 'Name in Chinese')}><Input data-testid="member-name-zh" /></Form.Item>
          <Form.Item name="roles" label={tr('角色', 'Roles')}>
            <Select mode="multiple" options={(['member', 'operator', 'regulator', 'gateway-operator', 'service-provider'] as const).map((r) => ({ value: r, label: roleName(r, tr) }))} />
          </Form.Item>
          <Form.Item name="title" label={tr('提案标题（可选）', 'Proposal title (optional)')}><Input /></Form.Item>
        </Form>
        <SimulateFirst calls={[{ chain: DEFAULT_GOV_CHAIN, ...govProposeCall(input) }]} passProposals onResult={setSim} />
      </Modal>
    </>
  );
}

export function Alliance() {
  const { tr, lang, govTick } = useSession();
  const members = useLoad(() => govMembers(client), [govTick]);
  const policy = useLoad(async () => ({ policy: await govPolicy(client), pace: await blockPace('gov') }), [govTick]);
  const regs = useLoad(async () => ({ regulators: await govRegulators(client), gateways: await govGateways(client) }), [govTick]);
  return (
    <Card data-testid="page-alliance">
      <Tabs
        items={[
          {
            key: 'members', label: tr('成员组织', 'Member organisations'),
            children: (
              <>
                <ErrorBox error={members.error} />
                <Space style={{ marginBottom: 12 }}><AdmitMember onDone={members.reload} /></Space>
                <Table size="small" rowKey="did" loading={members.loading} dataSource={members.data ?? []} data-testid="members"
                  locale={{ emptyText: <NoData text={tr('治理尚未初始化', 'Governance is not initialised yet')} /> }}
                  columns={[
                    { title: tr('名称', 'Name'), render: (_, m) => <UserText>{lang === 'zh' ? m.nameZh || m.name : m.name}</UserText> },
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
          { key: 'proposals', label: tr('提案与投票', 'Proposals and votes'), children: <ProposalBoard /> },
          { key: 'govern', label: <span data-testid="tab-govern">{tr('治理操作', 'Governance actions')}</span>, children: <GovernanceWizard /> },
          {
            key: 'policy', label: tr('联盟策略', 'Policies'),
            children: (
              <>
                <ErrorBox error={policy.error} />
                {policy.data?.policy ? (
                  <>
                    <Descriptions size="small" bordered column={2} items={[
                      { key: 'd', label: tr('验证节点变更通知期', 'Notice for validator changes'), children: periodText(policy.data.policy.validatorChangeDelay, policy.data.pace, lang) },
                      { key: 'm', label: tr('每个提案方最多进行中的提案', 'Most open proposals per proposer'), children: policy.data.policy.maxOpenProposals },
                      { key: 'mods', label: tr('业务链可用模块', 'Modules allowed on business chains'), span: 2, children: policy.data.policy.modules.map((m) => <ModuleTag key={m} m={m} />) },
                    ]} />
                    <Table size="small" style={{ marginTop: 12 }} pagination={false} rowKey="kind" data-testid="policy-kinds"
                      dataSource={Object.entries(policy.data.policy.kinds).map(([kind, k]) => ({ kind, ...k }))}
                      columns={[
                        { title: tr('提案类型', 'Proposal kind'), dataIndex: 'kind', render: (k: string) => kindLabel(k, tr) },
                        { title: tr('可提案角色', 'Who may propose'), dataIndex: 'proposers', render: (rs: string[]) => roleList(rs, tr) },
                        { title: tr('可投票角色', 'Who votes'), dataIndex: 'voters', render: (rs: string[]) => roleList(rs, tr) },
                        { title: tr('法定人数', 'Quorum'), dataIndex: 'quorumBps', render: (b: number) => `${b / 100}%` },
                        { title: tr('通过门槛', 'Threshold'), dataIndex: 'thresholdBps', render: (b: number) => `> ${b / 100}%` },
                        { title: tr('投票期', 'Voting period'), dataIndex: 'votingPeriod', render: (n: number) => periodText(n, policy.data?.pace, lang) },
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
                  locale={{ emptyText: <NoData text={tr('尚未登记监管方', 'No regulators registered yet')} /> }}
                  columns={[
                    { title: tr('名称', 'Name'), render: (_, r) => <UserText>{lang === 'zh' ? r.nameZh || r.name : r.name}</UserText> },
                    { title: 'DID', dataIndex: 'did', render: (d: string) => shortDid(d) },
                    { title: tr('观察的链', 'Chains observed'), dataIndex: 'chains', render: (cs: string[]) => cs.map((c) => (c === '*' ? tr('全部', 'all') : <Ident key={c}>{c} </Ident>)) },
                  ]}
                />
                <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('跨链网关', 'Cross-chain gateways')}</Typography.Title>
                <Table size="small" rowKey="did" pagination={false} dataSource={regs.data?.gateways ?? []}
                  locale={{ emptyText: <NoData text={tr('尚未登记网关', 'No gateways registered yet')} /> }}
                  columns={[
                    { title: tr('名称', 'Name'), dataIndex: 'name', render: (n: string) => <UserText>{n}</UserText> },
                    { title: 'DID', dataIndex: 'did', render: (d: string) => shortDid(d) },
                    { title: tr('中继的链', 'Chains relayed'), dataIndex: 'chains', render: (cs: string[]) => cs.map((c) => (c === '*' ? tr('全部', 'all') : <Ident key={c}>{c} </Ident>)) },
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
