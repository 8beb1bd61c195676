import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { CONSOLE_ROLE_NAMES, type ConsoleRole } from '../../../src/sdk/browser.ts';
import { ErrorBox, Hash, Ident, NoData, UserText, fmtTime, roleName } from '../components.tsx';
import { consoleClient, errNode, errText, shortDid, useLoad, useSession, say } from '../session.tsx';

function Users() {
  const { tr, lang } = useSession();
  const { message } = App.useApp();
  const users = useLoad(() => consoleClient.users(), []);
  const [edit, setEdit] = useState<{ did: string; roles: ConsoleRole[] } | null>(null);
  const save = async () => {
    if (!edit) return;
    try {
      await consoleClient.setRoles(edit.did.trim(), edit.roles);
      message.success(say('已更新角色', 'Roles updated'));
      setEdit(null);
      users.reload();
    } catch (err) {
      message.error(errNode(err));
    }
  };
  return (
    <>
      <ErrorBox error={users.error} />
      <Space style={{ marginBottom: 12 }}><Button onClick={() => setEdit({ did: '', roles: [] })}>{tr('为 DID 授予角色', 'Grant roles to a DID')}</Button></Space>
      <Table size="small" rowKey="did" loading={users.loading} dataSource={users.data ?? []} data-testid="users"
        locale={{ emptyText: <NoData /> }}
        columns={[
          { title: 'DID', dataIndex: 'did', render: (d: string) => <span title={d}>{shortDid(d)}</span> },
          { title: tr('角色（治理链）', 'Roles (governance chain)'), dataIndex: 'governanceRoles', render: (rs: string[]) => rs.map((r) => <Tag key={r} color="blue">{roleName(r, tr)}</Tag>) },
          { title: tr('控制台授予的角色', 'Roles granted here'), dataIndex: 'grantedRoles', render: (rs: string[]) => rs.map((r) => <Tag key={r}>{roleName(r, tr)}</Tag>) },
          { title: tr('登录次数', 'Sign-ins'), dataIndex: 'logins' },
          { title: tr('最近登录', 'Last sign-in'), dataIndex: 'lastLogin', render: (t: number) => fmtTime(t, lang) },
          { title: '', render: (_, u) => <Button size="small" onClick={() => setEdit({ did: u.did, roles: u.grantedRoles })}>{tr('编辑', 'Edit')}</Button> },
        ]} />
      {edit && (
        <Modal open title={tr('授予角色', 'Grant roles')} onOk={save} onCancel={() => setEdit(null)} okText={tr('保存', 'Save')} cancelText={tr('取消', 'Cancel')}>
          <Form layout="vertical">
            <Form.Item label="DID"><Input value={edit.did} onChange={(e) => setEdit({ ...edit, did: e.target.value })} /></Form.Item>
            <Form.Item label={tr('角色', 'Roles')}>
              <Select mode="multiple" value={edit.roles} onChange={(r) => setEdit({ ...edit, roles: r })} options={CONSOLE_ROLE_NAMES.map((r) => ({ value: r, label: roleName(r, tr) }))} />
            </Form.Item>
          </Form>
        </Modal>
      )}
    </>
  );
}

function ApiKeys() {
  const { tr, lang } = useSession();
  const { message } = App.useApp();
  const keys = useLoad(() => consoleClient.apiKeys(), []);
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<ConsoleRole[]>(['member']);
  const [secret, setSecret] = useState<string | null>(null);
  const create = async () => {
    try {
      const k = await consoleClient.createApiKey({ name, roles });
      setSecret(k.secret);
      setName('');
      keys.reload();
    } catch (err) {
      message.error(errNode(err));
    }
  };
  return (
    <>
      <ErrorBox error={keys.error} />
      <Space style={{ marginBottom: 12 }} wrap>
        <Input value={name} onChange={(e) => setName(e.target.value)} placeholder={tr('密钥名称', 'Key name')} style={{ width: 200 }} />
        <Select mode="multiple" value={roles} onChange={setRoles} style={{ minWidth: 220 }} options={CONSOLE_ROLE_NAMES.map((r) => ({ value: r, label: roleName(r, tr) }))} />
        <Button type="primary" disabled={!name} onClick={create}>{tr('创建 API 密钥', 'Create API key')}</Button>
      </Space>
      {secret && <Alert type="warning" closable onClose={() => setSecret(null)} style={{ marginBottom: 12 }} title={<span>{tr('密钥只显示这一次，请妥善保存：', 'The secret is shown only once; keep it safe: ')}<Typography.Text code copyable>{secret}</Typography.Text></span>} />}
      <Table size="small" rowKey="id" loading={keys.loading} dataSource={keys.data ?? []} locale={{ emptyText: <NoData /> }}
        columns={[
          { title: 'ID', dataIndex: 'id' },
          { title: tr('名称', 'Name'), dataIndex: 'name', render: (n: string) => <UserText>{n}</UserText> },
          { title: tr('角色', 'Roles'), dataIndex: 'roles', render: (rs: string[]) => rs.map((r) => <Tag key={r}>{roleName(r, tr)}</Tag>) },
          { title: tr('创建时间', 'Created'), dataIndex: 'createdAt', render: (t: number) => fmtTime(t, lang) },
          { title: tr('过期时间', 'Expires'), dataIndex: 'expiresAt', render: (t: number) => fmtTime(t, lang) },
          { title: tr('状态', 'Status'), render: (_, k) => (k.revokedAt ? <Tag color="red">{tr('已吊销', 'revoked')}</Tag> : <Tag color="green">{tr('有效', 'active')}</Tag>) },
          { title: '', render: (_, k) => !k.revokedAt && (
            <Popconfirm title={tr('吊销此密钥？', 'Revoke this key?')} okText={tr('吊销', 'Revoke')} cancelText={tr('取消', 'Cancel')}
              onConfirm={() => consoleClient.revokeApiKey(k.id).then(keys.reload, (e: unknown) => message.error(errNode(e)))}>
              <Button size="small" danger>{tr('吊销', 'Revoke')}</Button>
            </Popconfirm>
          ) },
        ]} />
    </>
  );
}

function Audit() {
  const { tr, lang } = useSession();
  const log = useLoad(() => consoleClient.audit({ limit: 200 }), []);
  // The outcome itself, worded when shown (it follows a change of language).
  const [check, setCheck] = useState<{ ok: true; entries: number } | { ok: false; brokenAt?: number; reason?: string } | { ok: false; err: unknown } | null>(null);
  const verify = async () => {
    try {
      const v = await consoleClient.verifyAudit();
      setCheck(v.ok ? { ok: true, entries: v.entries } : { ok: false, brokenAt: v.brokenAt, reason: v.reason });
    } catch (err) {
      setCheck({ ok: false, err });
    }
  };
  const checkText = !check ? null : check.ok ? tr(`哈希链完整：${check.entries} 条记录`, `Hash chain intact: ${check.entries} entries`)
    : 'err' in check ? errText(check.err) : tr(`第 ${check.brokenAt} 条记录被篡改`, `Entry ${check.brokenAt} was tampered with: ${check.reason}`);
  return (
    <>
      <ErrorBox error={log.error} />
      <Space style={{ marginBottom: 12 }}>
        <Button onClick={verify}>{tr('校验审计日志哈希链', 'Verify the audit hash chain')}</Button>
        {check && <Tag color={check.ok ? 'green' : 'red'} data-testid="audit-check">{checkText}</Tag>}
      </Space>
      <Table size="small" rowKey="seq" loading={log.loading} dataSource={log.data?.entries ?? []} data-testid="audit" locale={{ emptyText: <NoData /> }}
        columns={[
          { title: '#', dataIndex: 'seq', width: 60 },
          { title: tr('时间', 'Time'), dataIndex: 'time', render: (t: number) => fmtTime(t, lang) },
          { title: tr('操作人', 'Actor'), dataIndex: 'actor', render: (d: string) => <span title={d}>{shortDid(d)}</span> },
          { title: tr('操作', 'Action'), dataIndex: 'action', render: (a: string) => <Ident tag>{a}</Ident> },
          { title: tr('对象', 'Target'), dataIndex: 'target', render: (t?: string) => (t ? <Ident>{t}</Ident> : '—') },
          { title: tr('哈希', 'Hash'), dataIndex: 'hash', render: (h: string) => <Hash value={h} /> },
        ]} />
    </>
  );
}

/** Users and API keys are the operator's; the audit log is read by operators, auditors and regulators (src/api/routes/admin.ts). */
export function Admin() {
  const { tr, auth } = useSession();
  const operator = auth?.roles.includes('operator') ?? false;
  return (
    <Card data-testid="page-admin">
      <Tabs items={[
        ...(operator ? [
          { key: 'users', label: tr('用户与角色', 'Users and roles'), children: <Users /> },
          { key: 'keys', label: tr('API 密钥', 'API keys'), children: <ApiKeys /> },
        ] : []),
        { key: 'audit', label: tr('审计日志', 'Audit log'), children: <Audit /> },
      ]} />
    </Card>
  );
}
