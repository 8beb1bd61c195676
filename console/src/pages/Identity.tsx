import { useState } from 'react';
import { Alert, App, Button, Card, Col, Form, Input, InputNumber, Radio, Row, Space, Tabs, Typography } from 'antd';
import { encryptKeystore } from '../../shims/keystore.ts';
import { ShulianError, didFromPublicKey, encodeMultikey, foreign, generateKeyPair, type KeyPair } from '../../../src/sdk/browser.ts';
import { Json } from '../components.tsx';
import { DidView } from './Explorer.tsx';
import { KeysAndCertificates } from './Keys.tsx';
import { LocalError, client, errDetail, errNode, errText, request, useSession, say } from '../session.tsx';

const IDENTITY_CHAIN = 'identity';

function createCall(kp: KeyPair) {
  return { module: 'did', method: 'create', args: { publicKeyMultibase: encodeMultikey(kp.suite, kp.publicKey) } };
}

function DidCreate() {
  const { tr, key, auth, sendTx } = useSession();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const [password, setPassword] = useState('');
  const registerMine = async () => {
    setBusy(true);
    try {
      if (!key) throw new LocalError('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)');
      await sendTx(IDENTITY_CHAIN, createCall(key));
      setCreated(auth!.did);
      message.success(say('DID 文档已写入身份链', 'DID document recorded on the identity chain'));
    } catch (err) {
      if ((err as { code?: string }).code === 'DID_EXISTS') {
        setCreated(auth!.did);
        message.info(say('该 DID 已有文档，显示如下', 'This DID already has a document; here it is'));
      } else {
        message.error(errNode(err));
      }
    } finally {
      setBusy(false);
    }
  };
  const createNew = async () => {
    if (password.length < 8) return message.error(say('请设置至少 8 位的密码保护新密钥', 'Set a password of at least 8 characters to protect the new key'));
    setBusy(true);
    try {
      const kp = generateKeyPair('sm2');
      const did = didFromPublicKey(kp.publicKey);
      // The new DID signs its own did.create (self-certifying).
      const hash = await client.send(IDENTITY_CHAIN, kp, createCall(kp));
      const inc = await client.waitForTx(hash, { timeoutMs: 60_000 });
      if (inc.receipt.status !== 'ok') throw new ShulianError(foreign(inc.receipt.code) ?? 'TX_FAILED', inc.receipt.message ?? 'did.create failed');
      const blob = new Blob([JSON.stringify(encryptKeystore(kp, password), null, 2) + '\n'], { type: 'application/json' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `${did.slice(12)}.json`;
      a.click();
      setCreated(did);
      message.success(say('已创建 DID，并下载了加密的密钥文件', 'DID created; its encrypted keystore was downloaded'));
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Row gutter={16}>
      <Col span={12}>
        <Card size="small" title={tr('登记我的 DID 文档', 'Record my DID document')}>
          <Typography.Paragraph type="secondary">{tr('将当前登录密钥作为 ', 'Records the signed-in key as ')}<Typography.Text code>key-1</Typography.Text>{tr(' 写入身份链，之后可轮换密钥、添加服务和控制者。', ' on the identity chain; keys can then be rotated and services and controllers added.')}</Typography.Paragraph>
          <Typography.Paragraph><Typography.Text code>{auth?.did}</Typography.Text></Typography.Paragraph>
          <Button type="primary" loading={busy} onClick={registerMine} data-testid="did-register">{tr('签名并登记', 'Sign and record')}</Button>
        </Card>
      </Col>
      <Col span={12}>
        <Card size="small" title={tr('创建新的 DID', 'Create a new DID')}>
          <Typography.Paragraph type="secondary">{tr('在浏览器中生成 SM2 密钥，登记 DID 文档，并下载加密的密钥文件（与命令行工具的格式相同）。', 'Generates an SM2 key in this browser, records its DID document and downloads the encrypted keystore (the CLI\'s format).')}</Typography.Paragraph>
          <Space.Compact style={{ width: '100%' }}>
            <Input.Password value={password} onChange={(e) => setPassword(e.target.value)} placeholder={tr('密钥文件密码', 'Keystore password')} autoComplete="new-password" />
            <Button loading={busy} onClick={createNew}>{tr('创建', 'Create')}</Button>
          </Space.Compact>
        </Card>
      </Col>
      {created && <Col span={24} style={{ marginTop: 16 }}><DidView did={created} key={created} /></Col>}
    </Row>
  );
}

function Credentials() {
  const { tr, auth, sendTx } = useSession();
  const { message } = App.useApp();
  const [subject, setSubject] = useState('');
  const [type, setType] = useState('MembershipCredential');
  const [claims, setClaims] = useState(() => JSON.stringify({ name: tr('港务集团', 'Port Authority') }, null, 2));
  const [issued, setIssued] = useState<unknown>(null);
  const [toVerify, setToVerify] = useState('');
  const [verdict, setVerdict] = useState<{ ok: true } | { ok: false; err: unknown } | null>(null);
  const [listId, setListId] = useState('');
  const [index, setIndex] = useState(0);
  const [purpose, setPurpose] = useState<'revocation' | 'suspension'>('revocation');
  const [busy, setBusy] = useState(false);

  const issue = async () => {
    setBusy(true);
    try {
      const credentialSubject = { id: subject || auth?.did, ...(JSON.parse(claims) as Record<string, unknown>) };
      // The claims and type a user types in are defined by no published context: the
      // undefined-terms context, last, gives them IRIs (VC Data Model 2.0 §5.2).
      const r = await request<{ verifiableCredential: unknown }>('POST', '/credentials/issue', {
        credential: { '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2'], type: ['VerifiableCredential', type], credentialSubject },
      });
      setIssued(r.verifiableCredential);
      setToVerify(JSON.stringify(r.verifiableCredential, null, 2));
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  const verify = async () => {
    setBusy(true);
    try {
      await request('POST', '/credentials/verify', { verifiableCredential: JSON.parse(toVerify) as unknown });
      setVerdict({ ok: true });
    } catch (err) {
      setVerdict({ ok: false, err });
    } finally {
      setBusy(false);
    }
  };
  const setStatus = async (create: boolean) => {
    setBusy(true);
    try {
      if (create) await sendTx(IDENTITY_CHAIN, { module: 'vcstatus', method: 'createList', args: { listId, purpose, size: 131072 } });
      else await sendTx(IDENTITY_CHAIN, { module: 'vcstatus', method: 'setStatus', args: { listId, index, value: true } });
      message.success(create ? tr('状态列表已创建', 'Status list created') : tr(purpose === 'revocation' ? '凭证已吊销' : '凭证已暂停', purpose === 'revocation' ? 'Credential revoked' : 'Credential suspended'));
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Row gutter={16}>
      <Col span={12}>
        <Card size="small" title={tr('签发凭证', 'Issue a credential')}>
          <Form layout="vertical">
            <Form.Item label={tr('持有人 DID（默认本人）', 'Subject DID (default: you)')}><Input value={subject} onChange={(e) => setSubject(e.target.value)} placeholder={auth?.did} /></Form.Item>
            <Form.Item label={tr('凭证类型', 'Credential type')}><Input value={type} onChange={(e) => setType(e.target.value)} /></Form.Item>
            <Form.Item label={tr('声明（JSON）', 'Claims (JSON)')}><Input.TextArea rows={4} value={claims} onChange={(e) => setClaims(e.target.value)} /></Form.Item>
            <Button type="primary" loading={busy} onClick={issue} data-testid="vc-issue">{tr('由本节点签发', 'Issue with this node\'s issuer key')}</Button>
          </Form>
          {issued !== null && <div style={{ marginTop: 12 }} data-testid="vc-issued"><Json value={issued} max={240} /></div>}
        </Card>
        <Card size="small" style={{ marginTop: 16 }} title={tr('吊销或暂停凭证', 'Revoke or suspend a credential')}>
          <Form layout="vertical">
            <Form.Item label={tr('状态列表 ID', 'Status list id')}><Input value={listId} onChange={(e) => setListId(e.target.value)} /></Form.Item>
            <Form.Item label={tr('用途', 'Purpose')}>
              <Radio.Group value={purpose} onChange={(e) => setPurpose(e.target.value as 'revocation' | 'suspension')} options={[{ value: 'revocation', label: tr('吊销（不可撤回）', 'revocation (final)') }, { value: 'suspension', label: tr('暂停', 'suspension') }]} />
            </Form.Item>
            <Form.Item label={tr('凭证在列表中的序号', 'Credential\'s index in the list')}><InputNumber min={0} value={index} onChange={(v) => setIndex(Number(v ?? 0))} /></Form.Item>
            <Space>
              <Button loading={busy} disabled={!listId} onClick={() => setStatus(true)}>{tr('创建状态列表', 'Create the list')}</Button>
              <Button danger loading={busy} disabled={!listId} onClick={() => setStatus(false)}>{tr('签名吊销/暂停', 'Sign the revocation')}</Button>
            </Space>
          </Form>
        </Card>
      </Col>
      <Col span={12}>
        <Card size="small" title={tr('验证凭证', 'Verify a credential')}>
          <Input.TextArea rows={14} value={toVerify} onChange={(e) => setToVerify(e.target.value)} placeholder={tr('粘贴可验证凭证 JSON', 'Paste a verifiable credential (JSON)')} />
          <Button style={{ marginTop: 12 }} loading={busy} disabled={!toVerify} onClick={verify} data-testid="vc-verify">{tr('验证', 'Verify')}</Button>
          {verdict && <Alert style={{ marginTop: 12 }} type={verdict.ok ? 'success' : 'error'} data-testid={verdict.ok ? 'vc-verified' : 'vc-not-verified'}
            title={verdict.ok ? tr('凭证有效：签名、签发方 DID 与状态均通过校验', 'Valid: signature, issuer DID and status all check out') : <span title={errDetail(verdict.err)}>{errText(verdict.err)}</span>} />}
        </Card>
      </Col>
    </Row>
  );
}

export function Identity() {
  const { tr } = useSession();
  const [did, setDid] = useState('');
  return (
    <Card data-testid="page-identity">
      <Tabs items={[
        { key: 'create', label: tr('创建 DID', 'Create DIDs'), children: <DidCreate /> },
        { key: 'resolve', label: tr('解析 DID', 'Resolve DIDs'), children: (
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Input.Search placeholder="did:shulian:…" enterButton={tr('解析', 'Resolve')} onSearch={(v) => setDid(v.trim())} data-testid="identity-resolve" />
            {did ? <DidView did={did} key={did} /> : <Alert type="info" title={tr('输入 DID 解析其文档（W3C DID 解析）', 'Enter a DID to resolve its document (W3C DID Resolution)')} />}
          </Space>
        ) },
        { key: 'keys', label: <span data-testid="tab-keys">{tr('密钥与证书', 'Keys and certificates')}</span>, children: <KeysAndCertificates /> },
        { key: 'vc', label: tr('可验证凭证', 'Credentials'), children: <Credentials /> },
      ]} />
    </Card>
  );
}
