/**
 * The alerts centre (issue #25 item 4, docs/alarms.md): the node's ops alarms (history with each
 * delivery, and the thresholds, webhooks and SMTP settings an operator edits) beside the
 * supervision alerts of the regulators' rules. Secrets are write-only: the page shows whether one
 * is set and sends one only when typed.
 */
import { useEffect, useState } from 'react';
import { App, Button, Card, Form, Input, InputNumber, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { AlarmEvent, AlarmSettings } from '../../../src/sdk/browser.ts';
import { ErrorBox, Ident, NoData, fmtTime } from '../components.tsx';
import { consoleClient, errNode, say, useLoad, useSession } from '../session.tsx';
import { Supervision } from './Supervision.tsx';

type Tr = (zh: string, en: string) => string;

const KIND: Record<string, [string, string]> = {
  'height-stalled': ['出块停滞', 'height stalled'], 'validators-down': ['验证节点离线', 'validators down'], 'mempool-full': ['交易池积压', 'mempool full'],
  'disk-full': ['磁盘将满', 'disk full'], 'event-loop-lag': ['事件循环延迟', 'event-loop lag'],
  'gateway-backlog': ['跨链网关积压', 'gateway backlog'],
};
const kindText = (k: string, tr: Tr) => (KIND[k] ? tr(KIND[k][0], KIND[k][1]) : k);

function History() {
  const { tr, lang } = useSession();
  const h = useLoad(() => consoleClient.alarmHistory({ limit: 200 }), []);
  return (
    <>
      <ErrorBox error={h.error} />
      <Space style={{ marginBottom: 12 }}><Button onClick={h.reload} data-testid="alarms-reload">{tr('刷新', 'Refresh')}</Button></Space>
      <Table<AlarmEvent> size="small" rowKey="seq" loading={h.loading} dataSource={h.data?.alarms ?? []} data-testid="alarm-history"
        locale={{ emptyText: <NoData text={tr('还没有告警', 'No alarms yet')} /> }}
        columns={[
          { title: '#', dataIndex: 'seq' },
          { title: tr('时间', 'Time'), dataIndex: 'time', render: (t: number) => fmtTime(t, lang) },
          { title: tr('状态', 'State'), dataIndex: 'state', render: (s: string) => <Tag color={s === 'firing' ? 'red' : 'green'}>{s === 'firing' ? tr('告警中', 'firing') : tr('已恢复', 'resolved')}</Tag> },
          { title: tr('类型', 'Kind'), dataIndex: 'kind', render: (k: string) => kindText(k, tr) },
          { title: tr('链', 'Chain'), dataIndex: 'chain', render: (c?: string) => (c ? <Ident>{c}</Ident> : '—') },
          { title: tr('数值 / 阈值', 'Value / threshold'), render: (_, a) => `${a.value} / ${a.threshold}` },
          { title: tr('说明', 'Message'), dataIndex: 'message', render: (m: string) => <Typography.Text style={{ fontSize: 12 }}>{m}</Typography.Text> },
          {
            title: tr('投递', 'Deliveries'), render: (_, a) => Object.entries(a.deliveries).map(([t, d]) => (
              <Tag key={t} title={d.error} color={d.status === 'delivered' ? 'green' : d.status === 'failed' ? 'red' : 'gold'}>
                {t === 'smtp' ? tr('邮件', 'e-mail') : t}: {d.status === 'delivered' ? tr('已送达', 'delivered') : d.status === 'failed' ? tr('失败', 'failed') : tr('待重试', 'pending')}
              </Tag>
            )),
          },
        ]}
      />
    </>
  );
}

interface FormValues {
  heightStalledS?: number | null; validatorsDown?: number | null; mempoolTxs?: number | null; diskPercent?: number | null; eventLoopLagMs?: number | null; gatewayBacklog?: number | null;
  forS?: number | null; checkS?: number | null;
  hookId?: string; hookUrl?: string; hookSecret?: string;
  smtpHost?: string; smtpPort?: number | null; smtpSecurity?: 'tls' | 'plain'; smtpUser?: string; smtpPassword?: string; smtpFrom?: string; smtpTo?: string;
}

function Settings() {
  const { tr } = useSession();
  const { message } = App.useApp();
  const s = useLoad(() => consoleClient.alarmSettings(), []);
  const [form] = Form.useForm<FormValues>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const v = s.data;
    if (!v) return;
    const h = v.webhooks[0];
    form.setFieldsValue({
      ...v.thresholds, hookId: h?.id ?? 'ops', hookUrl: h?.url ?? '', hookSecret: '',
      smtpHost: v.smtp?.host ?? '', smtpPort: v.smtp?.port ?? 465, smtpSecurity: v.smtp?.security ?? 'tls', smtpUser: v.smtp?.user ?? '', smtpPassword: '',
      smtpFrom: v.smtp?.from ?? '', smtpTo: (v.smtp?.to ?? []).join(', '),
    });
  }, [s.data]);
  const n = (x: number | null | undefined) => (typeof x === 'number' ? x : null);

  const save = async () => {
    const v = await form.validateFields();
    const thresholds: AlarmSettings['thresholds'] = {
      heightStalledS: n(v.heightStalledS), validatorsDown: n(v.validatorsDown), mempoolTxs: n(v.mempoolTxs), diskPercent: n(v.diskPercent), eventLoopLagMs: n(v.eventLoopLagMs), gatewayBacklog: n(v.gatewayBacklog),
      ...(typeof v.forS === 'number' ? { forS: v.forS } : {}), ...(typeof v.checkS === 'number' ? { checkS: v.checkS } : {}),
    };
    const webhooks: AlarmSettings['webhooks'] = v.hookUrl ? [{ id: v.hookId || 'ops', url: v.hookUrl, ...(v.hookSecret ? { secret: v.hookSecret } : {}) }] : [];
    const smtp: AlarmSettings['smtp'] = v.smtpHost ? {
      host: v.smtpHost, port: v.smtpPort ?? 465, security: v.smtpSecurity ?? 'tls', from: v.smtpFrom ?? '', to: (v.smtpTo ?? '').split(/[\s,]+/).filter(Boolean),
      ...(v.smtpUser ? { user: v.smtpUser } : {}), ...(v.smtpPassword ? { password: v.smtpPassword } : {}),
    } : null;
    setBusy(true);
    try {
      await consoleClient.setAlarmSettings({ thresholds, webhooks, smtp });
      message.success(say('告警设置已保存', 'Alarm settings saved'));
      s.reload();
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };

  const num = (name: keyof FormValues, zh: string, en: string, max: number) => (
    <Form.Item name={name} label={tr(zh, en)}><InputNumber min={1} max={max} style={{ width: 140 }} placeholder={tr('关闭', 'off')} data-testid={`alarm-${name}`} /></Form.Item>
  );
  const hook = s.data?.webhooks[0];
  return (
    <>
      <ErrorBox error={s.error} />
      <Form form={form} layout="vertical" style={{ maxWidth: 760 }}>
        <Typography.Title level={5}>{tr('阈值（留空即关闭）', 'Thresholds (empty: off)')}</Typography.Title>
        <Space wrap>
          {num('heightStalledS', '出块停滞（秒，有交易等待时）', 'Height stalled (s, while txs wait)', 86_400)}
          {num('validatorsDown', '离线验证节点数', 'Validators down', 1_000)}
          {num('mempoolTxs', '交易池交易数', 'Mempool txs', 10_000_000)}
          {num('diskPercent', '磁盘使用率（%）', 'Disk used (%)', 100)}
          {num('eventLoopLagMs', '事件循环延迟 p99（毫秒）', 'Event-loop lag p99 (ms)', 600_000)}
          {num('gatewayBacklog', '跨链网关积压（单条路由待确认的数据包数）', 'Gateway backlog (packets waiting on one route)', 10_000_000)}
          {num('forS', '持续多久才告警（秒）', 'Hold before firing (s)', 86_400)}
          {num('checkS', '检查间隔（秒）', 'Check every (s)', 3_600)}
        </Space>
        <Typography.Title level={5}>{tr('签名回调通知', 'Signed webhook')}</Typography.Title>
        <Space wrap>
          <Form.Item name="hookId" label="ID"><Input style={{ width: 100 }} /></Form.Item>
          <Form.Item name="hookUrl" label="URL"><Input style={{ width: 320 }} data-testid="alarm-hook-url" placeholder="https://…" /></Form.Item>
          <Form.Item name="hookSecret" label={tr('签名密钥（至少 16 个字符）', 'Signing secret (16+ characters)')}>
            <Input.Password style={{ width: 240 }} data-testid="alarm-hook-secret" placeholder={hook?.secretSet ? tr('已设置；留空则保持不变', 'set; leave empty to keep it') : ''} />
          </Form.Item>
        </Space>
        <Typography.Paragraph type="secondary">{tr('接收方用签名密钥对“时间戳.请求体”计算消息认证码，与签名请求头比对（详见告警文档）。', 'The receiver computes HMAC-SHA256 of "<timestamp>.<body>" with the secret and compares it with the x-shulian-signature header (docs/alarms.md).')}</Typography.Paragraph>
        <Typography.Title level={5}>{tr('邮件', 'E-mail (SMTP)')}</Typography.Title>
        <Space wrap>
          <Form.Item name="smtpHost" label={tr('服务器', 'Host')}><Input style={{ width: 200 }} data-testid="alarm-smtp-host" /></Form.Item>
          <Form.Item name="smtpPort" label={tr('端口', 'Port')}><InputNumber min={1} max={65_535} /></Form.Item>
          <Form.Item name="smtpSecurity" label={tr('加密', 'Security')}>
            <Select style={{ width: 180 }} options={[{ value: 'tls', label: tr('加密传输（465 端口）', 'TLS (port 465)') }, { value: 'plain', label: tr('不加密（本机中继）', 'plain (local relay)') }]} />
          </Form.Item>
          <Form.Item name="smtpUser" label={tr('用户名', 'User')}><Input style={{ width: 160 }} /></Form.Item>
          <Form.Item name="smtpPassword" label={tr('密码', 'Password')}>
            <Input.Password style={{ width: 180 }} placeholder={s.data?.smtp?.passwordSet ? tr('已设置；留空则保持不变', 'set; leave empty to keep it') : ''} />
          </Form.Item>
          <Form.Item name="smtpFrom" label={tr('发件人', 'From')}><Input style={{ width: 220 }} /></Form.Item>
          <Form.Item name="smtpTo" label={tr('收件人（逗号分隔）', 'To (comma-separated)')}><Input style={{ width: 300 }} /></Form.Item>
        </Space>
        <Button type="primary" loading={busy} onClick={save} data-testid="alarm-save">{tr('保存', 'Save')}</Button>
      </Form>
    </>
  );
}

export function Alerts() {
  const { tr } = useSession();
  return (
    <Card data-testid="page-alerts" title={tr('告警中心', 'Alerts centre')}>
      <Tabs items={[
        { key: 'alarms', label: tr('运维告警', 'Node alarms'), children: <History /> },
        { key: 'settings', label: tr('告警设置', 'Alarm settings'), children: <Settings /> },
        { key: 'supervision', label: tr('监管告警', 'Supervision alerts'), children: <Supervision /> },
      ]} />
    </Card>
  );
}
