/**
 * Keys and certificates of the signed-in DID (issue #25 item 2), WeBASE/ChainMaker style, with the
 * keystore staying in this tab: rotate a key (a new SM2 key generated here, the `did.rotate` tx
 * signed here with the current key, the new key downloaded as an encrypted keystore, the session
 * signed in again with it), add or remove a service (e.g. `ShulianNodeApi`, which the Monitoring
 * page's node view reads), and bind an X.509 certificate chain (`did.bindCertificate`; the chain's
 * trust roots decide). After each change the document is read back from the identity chain and
 * the change is checked there, not taken from the tx's answer.
 */
import { useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Form, Input, Row, Select, Space, Table, Tag, Typography } from 'antd';
import { encryptKeystore } from '../../shims/keystore.ts';
import {
  certsStateKey, docStateKey, encodeMultikey, generateKeyPair, toHex,
  type BoundCertificate, type DidDocState, type DidKeyState, type DidServiceState,
} from '../../../src/sdk/browser.ts';
import { ErrorBox, Ident, Mono, NoData, UserText, download } from '../components.tsx';
import { LocalError, client, errNode, useLoad, useSession, say } from '../session.tsx';
import { NODE_API_SERVICE } from './Nodes.tsx';

const IDENTITY = 'identity';
const REVOKED_ZH: Record<string, string> = { rotate: '轮换', remove: '移除', deactivate: '停用' };
// Literal syntax and standard names, the same in both languages.
const PEM_HEAD = '-----BEGIN CERTIFICATE-----';
const PEM_TAIL = '-----END CERTIFICATE-----';
const HTTP = 'http(s)://';
const X509 = 'X.509';

/** PEM blocks (one or several CERTIFICATE blocks, leaf first) → base64 DER, as did.bindCertificate takes them. */
export function pemChain(pem: string): string[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, ''));
  if (blocks.length === 0) throw new LocalError(`未找到 PEM 证书（${PEM_HEAD} … ${PEM_TAIL}）`, `No PEM certificate found (${PEM_HEAD} … ${PEM_TAIL})`);
  for (const b of blocks) if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b)) throw new LocalError('证书内容无法解码（不是有效的 PEM）', 'A certificate\'s body cannot be decoded (not valid PEM)');
  return blocks;
}

async function readDoc(did: string): Promise<{ doc: DidDocState | null; certs: BoundCertificate[] }> {
  const [d, c] = await Promise.all([client.state(IDENTITY, docStateKey(did)), client.state(IDENTITY, certsStateKey(did)).catch(() => ({ value: null }))]);
  return { doc: (d.value as DidDocState | null) ?? null, certs: ((c.value as { certificates?: BoundCertificate[] } | null)?.certificates) ?? [] };
}

export function KeysAndCertificates() {
  const { tr, lang, auth, key, sendTx, signIn } = useSession();
  const { message } = App.useApp();
  const did = auth!.did;
  const [tick, setTick] = useState(0);
  const st = useLoad(() => readDoc(did), [did, tick]);
  const [busy, setBusy] = useState<string | null>(null);
  const [rotateFrom, setRotateFrom] = useState<string>();
  const [password, setPassword] = useState('');
  const [verified, setVerified] = useState<string | null>(null);
  const [svc, setSvc] = useState({ id: 'node-api', type: NODE_API_SERVICE, endpoint: '' });
  const [pem, setPem] = useState('');
  const doc = st.data?.doc;
  const active = (doc?.keys ?? []).filter((k) => k.revokedAt === undefined);
  const mine = key ? toHex(key.publicKey) : null;

  const guard = (): void => {
    if (!key) throw new LocalError('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)');
  };

  const rotate = async () => {
    setBusy('rotate');
    setVerified(null);
    try {
      guard();
      if (password.length < 8) throw new LocalError('请为新密钥设置至少 8 位的密码（用于加密下载的密钥文件）', 'Set a password of at least 8 characters for the new key (it encrypts the downloaded keystore)');
      const from = rotateFrom ?? active.find((k) => k.publicKey === mine)?.id;
      const kp = generateKeyPair('sm2');
      const inc = await sendTx(IDENTITY, { module: 'did', method: 'rotate', args: { did, publicKeyMultibase: encodeMultikey('sm2', kp.publicKey), ...(from ? { keyId: from } : {}) } });
      // Checked on the chain: the new key is an active key of the document, the old one revoked by this rotation.
      const after = await readDoc(did);
      const added = after.doc?.keys.find((k) => k.publicKey === toHex(kp.publicKey));
      const old = after.doc?.keys.find((k) => k.id === from);
      if (!added || added.revokedAt !== undefined || (old && old.revokedBy !== 'rotate')) {
        throw new LocalError('身份链上的文档与预期不符：轮换未生效', 'The document on the identity chain is not as expected: the rotation did not take effect');
      }
      const ks = encryptKeystore(kp, password);
      download(`${did.slice(12)}-${added.id}.json`, JSON.stringify(ks, null, 2) + '\n');
      // The session's key was revoked on chain: sign in again, as the same DID, with the new key.
      await signIn(kp, ks, did);
      setVerified(tr(`已在身份链高度 ${inc.height} 核验：“${added.id}”为有效密钥，“${old?.id ?? ''}”已吊销；新密钥文件已下载，会话已改用新密钥。`,
        `Checked on the identity chain at height ${inc.height}: ${added.id} is an active key, ${old?.id ?? ''} is revoked; the new keystore was downloaded and the session now uses the new key.`));
      setPassword('');
      setTick((t) => t + 1);
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(null);
    }
  };

  const addService = async () => {
    setBusy('service');
    try {
      guard();
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(svc.id)) throw new LocalError('服务 ID 只能含字母、数字、点、下划线和连字符（最多 64 位）', 'A service id has letters, digits, dots, underscores and hyphens (at most 64)');
      if (!/^https?:\/\/\S+$/.test(svc.endpoint)) throw new LocalError(`服务地址应为以 ${HTTP} 开头的 URL`, `The endpoint must be an ${HTTP} URL`);
      await sendTx(IDENTITY, { module: 'did', method: 'addService', args: { did, id: svc.id, type: svc.type, serviceEndpoint: svc.endpoint } });
      const after = await readDoc(did);
      if (!after.doc?.services.some((s) => s.id === svc.id)) throw new LocalError('身份链上未见新服务', 'The new service is not on the identity chain');
      message.success(say(`服务 ${svc.id} 已写入并在身份链上核验`, `Service ${svc.id} recorded and checked on the identity chain`));
      setTick((t) => t + 1);
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(null);
    }
  };

  const removeService = async (id: string) => {
    setBusy(`rm:${id}`);
    try {
      guard();
      await sendTx(IDENTITY, { module: 'did', method: 'removeService', args: { did, id } });
      setTick((t) => t + 1);
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(null);
    }
  };

  const bind = async () => {
    setBusy('cert');
    try {
      guard();
      const chain = pemChain(pem);
      const before = st.data?.certs.length ?? 0;
      await sendTx(IDENTITY, { module: 'did', method: 'bindCertificate', args: { did, chain } });
      const after = await readDoc(did);
      if (after.certs.length <= before) throw new LocalError('身份链上未见新绑定的证书', 'The new binding is not on the identity chain');
      message.success(say('证书已绑定并在身份链上核验', 'Certificate bound and checked on the identity chain'));
      setPem('');
      setTick((t) => t + 1);
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(null);
    }
  };

  if (st.data && !doc) {
    return <Alert type="info" showIcon data-testid="keys-no-doc" title={tr('该 DID 在身份链上还没有文档：先在“创建 DID”中签名登记。', 'This DID has no document on the identity chain yet: record it first under "Create DIDs".')} />;
  }
  return (
    <div data-testid="keys-certs">
      <ErrorBox error={st.error} />
      {doc && (
        <Descriptions size="small" bordered column={3} items={[
          { key: 'd', label: 'DID', span: 3, children: <Mono copy>{did}</Mono> },
          { key: 'v', label: tr('文档版本', 'Version'), children: <span data-testid="doc-version">{doc.version}</span> },
          { key: 'u', label: tr('最近更新高度', 'Updated at height'), children: doc.updated.height },
          { key: 'c', label: tr('控制者', 'Controllers'), children: doc.controllers.length ? doc.controllers.join(', ') : tr('无', 'none') },
        ]} />
      )}
      <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('验证方法（密钥）', 'Verification methods (keys)')}</Typography.Title>
      <Table<DidKeyState> size="small" pagination={false} rowKey="id" dataSource={doc?.keys ?? []} loading={st.loading} data-testid="keys-table"
        columns={[
          { title: 'ID', dataIndex: 'id', render: (id: string, k) => <span data-testid={`key-${id}`}><Ident>{id}</Ident>{k.publicKey === mine ? <Tag color="blue" style={{ marginLeft: 6 }}>{tr('本会话', 'this session')}</Tag> : null}</span> },
          { title: tr('算法', 'Suite'), dataIndex: 'suite', render: (s: string) => (s === 'sm2' ? 'SM2' : 'Ed25519') },
          { title: tr('用途', 'Relationships'), dataIndex: 'relationships', render: (r: string[]) => r.map((x) => <Ident key={x} tag>{x}</Ident>) },
          { title: tr('加入高度', 'Added at'), dataIndex: 'addedAt' },
          { title: tr('状态', 'State'), render: (_, k) => (k.revokedAt === undefined ? <Tag color="green">{tr('有效', 'active')}</Tag> : <Tag color="red">{tr(`已吊销（${REVOKED_ZH[k.revokedBy ?? 'remove']}，高度 ${k.revokedAt}）`, `revoked (${k.revokedBy}, height ${k.revokedAt})`)}</Tag>) },
        ]} />
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col span={8}>
          <Card size="small" title={tr('轮换密钥', 'Rotate a key')}>
            <Typography.Paragraph type="secondary">{tr('在本浏览器生成新的 SM2 密钥，用当前密钥签名轮换交易；旧密钥自该高度起不能再签名。新密钥以加密文件下载，私钥不离开本页。', 'A new SM2 key is generated in this browser and the rotation is signed with the current key; the old key signs nothing from that height. The new key downloads as an encrypted file; the private key never leaves this page.')}</Typography.Paragraph>
            <Form layout="vertical">
              <Form.Item label={tr('被替换的密钥', 'Key to replace')}>
                <Select value={rotateFrom ?? active.find((k) => k.publicKey === mine)?.id} onChange={setRotateFrom} data-testid="rotate-from" options={active.map((k) => ({ value: k.id, label: <Ident>{k.id}</Ident> }))} />
              </Form.Item>
              <Form.Item label={tr('新密钥文件的密码', 'Password for the new keystore')}>
                <Input.Password value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" data-testid="rotate-password" />
              </Form.Item>
              <Button type="primary" danger loading={busy === 'rotate'} onClick={rotate} data-testid="rotate-key">{tr('生成新密钥并签名轮换', 'Generate a key and sign the rotation')}</Button>
            </Form>
            {verified && <Alert style={{ marginTop: 12 }} type="success" showIcon data-testid="rotate-verified" title={verified} />}
          </Card>
        </Col>
        <Col span={8}>
          <Card size="small" title={tr('服务', 'Services')}>
            <Table<DidServiceState> size="small" pagination={false} rowKey="id" dataSource={doc?.services ?? []} locale={{ emptyText: <NoData text={tr('暂无服务', 'No services')} /> }} data-testid="services-table"
              columns={[
                { title: 'ID', dataIndex: 'id', render: (id: string) => <Ident>{id}</Ident> },
                { title: tr('类型', 'Type'), dataIndex: 'type', render: (t: string | string[]) => <Ident>{Array.isArray(t) ? t.join(', ') : t}</Ident> },
                { title: tr('地址', 'Endpoint'), dataIndex: 'serviceEndpoint', render: (e: unknown) => <Typography.Text code style={{ fontSize: 11 }}>{typeof e === 'string' ? e : JSON.stringify(e)}</Typography.Text> },
                { title: '', render: (_, s) => <Button size="small" loading={busy === `rm:${s.id}`} onClick={() => removeService(s.id)}>{tr('移除', 'Remove')}</Button> },
              ]} />
            <Form layout="vertical" style={{ marginTop: 8 }}>
              <Space.Compact style={{ width: '100%' }}>
                <Input value={svc.id} onChange={(e) => setSvc({ ...svc, id: e.target.value })} placeholder={tr('服务 ID', 'service id')} data-testid="svc-id" style={{ width: '30%' }} />
                <Input value={svc.type} onChange={(e) => setSvc({ ...svc, type: e.target.value })} placeholder={tr('类型', 'type')} data-testid="svc-type" />
              </Space.Compact>
              <Input style={{ marginTop: 8 }} value={svc.endpoint} onChange={(e) => setSvc({ ...svc, endpoint: e.target.value })} placeholder={tr('服务地址（URL）', 'https://node.example:7070')} data-testid="svc-endpoint" />
              <Button style={{ marginTop: 8 }} loading={busy === 'service'} onClick={addService} data-testid="svc-add">{tr('签名添加服务', 'Sign and add the service')}</Button>
            </Form>
          </Card>
        </Col>
        <Col span={8}>
          <Card size="small" title={tr(`${X509} 证书`, `${X509} certificates`)}>
            <Table<BoundCertificate> size="small" pagination={false} rowKey="fingerprint" dataSource={st.data?.certs ?? []} locale={{ emptyText: <NoData text={tr('尚未绑定证书', 'No certificate bound')} /> }} data-testid="certs-table"
              columns={[
                { title: tr('主体', 'Subject'), dataIndex: 'subject', render: (x: string) => <UserText>{x}</UserText> },
                { title: tr('签发者', 'Issuer'), dataIndex: 'issuer', render: (x: string) => <UserText>{x}</UserText> },
                { title: tr('有效期至', 'Valid until'), dataIndex: 'notAfter', render: (t: number) => new Date(t).toLocaleDateString(lang === 'zh' ? 'zh-CN' : 'en') },
                { title: tr('对应密钥', 'Key'), dataIndex: 'keyId', render: (x: string) => <Ident>{x}</Ident> },
              ]} />
            <Input.TextArea style={{ marginTop: 8, fontFamily: 'ui-monospace, monospace', fontSize: 11 }} rows={5} value={pem} onChange={(e) => setPem(e.target.value)} data-testid="cert-pem"
              placeholder={tr('粘贴 PEM 证书链（先叶证书，再中间证书）；证书公钥须为本 DID 的有效密钥，根证书须为身份链信任的根。', 'Paste the PEM chain (leaf first, then intermediates); the leaf\'s public key must be an active key of this DID, and the root one the identity chain trusts.')} />
            <Button style={{ marginTop: 8 }} loading={busy === 'cert'} disabled={!pem.trim()} onClick={bind} data-testid="cert-bind">{tr('签名绑定证书', 'Sign and bind the certificate')}</Button>
          </Card>
        </Col>
      </Row>
    </div>
  );
}
