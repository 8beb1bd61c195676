import { useState } from 'react';
import { App, Button, Card, Descriptions, Form, Input, Modal, Select, Space, Table, Tag, Timeline, Typography } from 'antd';
import type { WorkOrder, WorkOrderKind, WorkOrderStatus, WorkOrderSummary } from '../../../src/sdk/browser.ts';
import { ErrorBox, NoData, StatusTag, UserText, fmtTime } from '../components.tsx';
import { consoleClient, errNode, shortDid, useLoad, useSession, say } from '../session.tsx';

export function woKind(k: string, tr: (zh: string, en: string) => string): string {
  const m: Record<string, [string, string]> = {
    join: ['加入联盟', 'join the alliance'], chain: ['新建业务链', 'new business chain'], quota: ['配额', 'quota'], incident: ['故障', 'incident'],
  };
  return m[k] ? tr(m[k][0], m[k][1]) : tr('其他', 'other');
}

const STATUSES: WorkOrderStatus[] = ['open', 'in-progress', 'resolved', 'rejected'];

function statusLabel(s: string, tr: (zh: string, en: string) => string): string {
  const m: Record<string, [string, string]> = { open: ['待处理', 'open'], 'in-progress': ['处理中', 'in progress'], resolved: ['已解决', 'resolved'], rejected: ['已驳回', 'rejected'] };
  return m[s] ? tr(m[s][0], m[s][1]) : tr('其他', 'other');
}

function Detail({ id, onClose, onChanged }: { id: number; onClose: () => void; onChanged: () => void }) {
  const { tr, lang, auth } = useSession();
  const { message } = App.useApp();
  const [wo, setWo] = useState<WorkOrder | null>(null);
  const d = useLoad(async () => {
    const w = await consoleClient.workOrder(id);
    setWo(w);
    return w;
  }, [id]);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const isOperator = auth?.roles.includes('operator') ?? false;
  const act = async (f: () => Promise<WorkOrder>) => {
    setBusy(true);
    try {
      setWo(await f());
      onChanged();
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open width={820} title={`${tr('工单', 'Work order')} #${id}`} onCancel={onClose} footer={null}>
      <ErrorBox error={d.error} />
      {wo && (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="workorder-detail">
          <Descriptions size="small" bordered column={2} items={[
            { key: 't', label: tr('标题', 'Title'), span: 2, children: <UserText>{wo.title}</UserText> },
            { key: 'k', label: tr('类型', 'Kind'), children: woKind(wo.kind, tr) },
            { key: 's', label: tr('状态', 'Status'), children: <StatusTag status={wo.status} /> },
            { key: 'b', label: tr('提交人', 'Requested by'), children: shortDid(wo.createdBy) },
            { key: 'c', label: tr('提交时间', 'Created'), children: fmtTime(wo.createdAt, lang) },
            { key: 'body', label: tr('内容', 'Details'), span: 2, children: <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }}><UserText>{wo.body}</UserText></Typography.Paragraph> },
          ]} />
          {isOperator && (
            <Space>
              <Typography.Text>{tr('更改状态：', 'Set status:')}</Typography.Text>
              {STATUSES.filter((s) => s !== wo.status).map((s) => (
                <Button key={s} size="small" loading={busy} onClick={() => act(() => consoleClient.setWorkOrderStatus(id, s))} data-testid={`wo-status-${s}`}><StatusTag status={s} /></Button>
              ))}
            </Space>
          )}
          <Typography.Text strong>{tr('处理记录', 'Activity')}</Typography.Text>
          <Timeline items={[
            ...wo.history.map((h) => ({ at: h.at, content: <span>{fmtTime(h.at, lang)} · {shortDid(h.by)} · {statusLabel(h.from, tr)} → {statusLabel(h.to, tr)}{h.note ? <> · <UserText>{h.note}</UserText></> : null}</span>, color: 'blue' })),
            ...wo.comments.map((c) => ({ at: c.at, content: <span>{fmtTime(c.at, lang)} · {shortDid(c.by)}{tr('：', ': ')}<UserText>{c.text}</UserText></span>, color: 'gray' })),
          ].sort((a, b) => a.at - b.at).map((x, i) => ({ key: i, color: x.color, content: x.content }))} />
          <Space.Compact style={{ width: '100%' }}>
            <Input value={comment} onChange={(e) => setComment(e.target.value)} placeholder={tr('添加评论', 'Add a comment')} data-testid="wo-comment" />
            <Button loading={busy} disabled={!comment.trim()} onClick={() => act(async () => { const w = await consoleClient.commentWorkOrder(id, comment.trim()); setComment(''); return w; })} data-testid="wo-comment-send">{tr('发送', 'Send')}</Button>
          </Space.Compact>
        </Space>
      )}
    </Modal>
  );
}

export function WorkOrders() {
  const { tr, lang, auth } = useSession();
  // Without a console role a DID may only ask to join: one small open request (docs/api.md).
  const roleless = (auth?.roles.length ?? 0) === 0;
  const { message } = App.useApp();
  const [status, setStatus] = useState<WorkOrderStatus | undefined>();
  const list = useLoad<WorkOrderSummary[]>(() => consoleClient.workOrders({ ...(status ? { status } : {}), limit: 100 }), [status]);
  const [open, setOpen] = useState(false);
  const [detail, setDetail] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ kind: WorkOrderKind; title: string; body: string }>();
  const create = async () => {
    const v = await form.validateFields();
    setBusy(true);
    try {
      const w = await consoleClient.createWorkOrder(v);
      message.success(say(`已创建工单 #${w.id}`, `Work order #${w.id} created`));
      setOpen(false);
      form.resetFields();
      list.reload();
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card data-testid="page-workorders">
      <Space style={{ marginBottom: 12 }}>
        <Button type="primary" onClick={() => setOpen(true)} data-testid="wo-new">{tr('新建工单', 'New work order')}</Button>
        <Select allowClear style={{ width: 160 }} placeholder={tr('按状态筛选', 'Filter by status')} value={status} onChange={(s) => setStatus(s)}
          options={STATUSES.map((s) => ({ value: s, label: <StatusTag status={s} /> }))} />
        <Button onClick={list.reload}>{tr('刷新', 'Refresh')}</Button>
      </Space>
      <ErrorBox error={list.error} />
      <Table size="small" rowKey="id" loading={list.loading} dataSource={list.data ?? []} data-testid="workorders"
        locale={{ emptyText: <NoData text={tr('暂无工单', 'No work orders')} /> }}
        onRow={(w) => ({ onClick: () => setDetail(w.id), style: { cursor: 'pointer' } })}
        columns={[
          { title: '#', dataIndex: 'id', width: 60 },
          { title: tr('类型', 'Kind'), dataIndex: 'kind', render: (k: string) => <Tag>{woKind(k, tr)}</Tag> },
          { title: tr('标题', 'Title'), dataIndex: 'title', render: (t: string) => <UserText>{t}</UserText> },
          { title: tr('状态', 'Status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          { title: tr('提交人', 'Requested by'), dataIndex: 'createdBy', render: (d: string) => shortDid(d) },
          { title: tr('评论', 'Comments'), dataIndex: 'comments' },
          { title: tr('更新时间', 'Updated'), dataIndex: 'updatedAt', render: (t: number) => fmtTime(t, lang) },
        ]} />
      <Modal open={open} title={tr('新建工单', 'New work order')} onOk={create} confirmLoading={busy} onCancel={() => setOpen(false)} okText={tr('提交', 'Submit')} cancelText={tr('取消', 'Cancel')}>
        <Form form={form} layout="vertical" initialValues={{ kind: roleless ? 'join' : 'quota' }}>
          <Form.Item name="kind" label={tr('类型', 'Kind')}
            extra={roleless ? tr('尚无控制台角色：可提交一份入盟申请（标题与内容合计不超过 8 KB），运营方处理后方可再次提交。', 'No console role yet: you may file one request to join (title and details up to 8 KiB in all); another once the operator has answered it.') : undefined}>
            <Select options={(roleless ? (['join'] as const) : (['join', 'chain', 'quota', 'incident'] as const)).map((k) => ({ value: k, label: woKind(k, tr) }))} />
          </Form.Item>
          <Form.Item name="title" label={tr('标题', 'Title')} rules={[{ required: true, message: tr('请填写标题', 'A title is needed') }]}><Input data-testid="wo-title" /></Form.Item>
          <Form.Item name="body" label={tr('内容', 'Details')} rules={[{ required: true, message: tr('请填写内容', 'Details are needed') }]}><Input.TextArea rows={5} data-testid="wo-body" /></Form.Item>
        </Form>
      </Modal>
      {detail !== null && <Detail id={detail} onClose={() => setDetail(null)} onChanged={list.reload} />}
    </Card>
  );
}
