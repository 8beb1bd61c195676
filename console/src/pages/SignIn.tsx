import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Radio, Space, Tabs, Typography, Upload } from 'antd';
import { decryptKeystoreAsync, encryptKeystore } from '../../shims/keystore.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair, type Suite } from '../../../src/sdk/browser.ts';
import { LocalError, errDetail, errText, keyFromHex, useSession, say } from '../session.tsx';
import { UserText, download } from '../components.tsx';

export function SignIn() {
  const { tr, signIn } = useSession();
  const { message } = App.useApp();
  const [file, setFile] = useState<{ name: string; json: unknown } | null>(null);
  const [password, setPassword] = useState('');
  const [password2, setPassword2] = useState('');
  const [hexKey, setHexKey] = useState('');
  const [suite, setSuite] = useState<Suite>('sm2');
  const [busy, setBusy] = useState(false);
  // The error itself, worded when shown: it follows a change of language.
  const [error, setError] = useState<unknown>(null);
  const [step, setStep] = useState<string | null>(null);

  const go = async (getKey: () => Promise<KeyPair>, keystore?: unknown) => {
    setBusy(true);
    setError(null);
    try {
      setStep(tr('正在解密密钥…', 'Decrypting the key…'));
      const kp = await getKey();
      setStep(tr('正在签名服务器挑战…', 'Signing the server challenge…'));
      const a = await signIn(kp, keystore);
      message.success(say(`已登录：${a.did}`, `Signed in as ${a.did}`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setStep(null);
    }
  };

  // The keystore is kept, still encrypted, for this tab: after a reload its password unlocks the key again.
  const fromFile = () => go(async () => {
    if (!file) throw new LocalError('请先选择密钥文件', 'Choose a keystore file first');
    return decryptKeystoreAsync(file.json, password);
  }, file?.json);

  const fromHexKey = () => go(async () => keyFromHex(hexKey, suite));

  const newKey = () => {
    if (password.length < 8) {
      setError(new LocalError('新密钥需要至少 8 位的密码来加密保存', 'A new key needs a password of at least 8 characters to encrypt it'));
      return;
    }
    if (password !== password2) {
      setError(new LocalError('两次输入的密码不一致', 'The two passwords do not match'));
      return;
    }
    const kp = generateKeyPair(suite);
    const ks = encryptKeystore(kp, password);
    download(`${didFromPublicKey(kp.publicKey).slice(12)}.json`, JSON.stringify(ks, null, 2) + '\n');
    void go(async () => kp, ks);
  };

  return (
    <Card style={{ maxWidth: 640, margin: '40px auto' }} data-testid="signin">
      <Typography.Title level={3}>{tr('使用 DID 登录', 'Sign in with a DID')}</Typography.Title>
      <Typography.Paragraph type="secondary">
        {tr(
          '服务器发出一次性挑战；本页面核对其中的节点、DID、来源与有效期，自行构造登录消息，由您的密钥在浏览器中签名（SM2 或 Ed25519）。私钥不会离开本页面，也不会被保存。',
          'The server issues a one-time challenge; this page checks its node, DID, origin and expiry, builds the sign-in message itself and signs it with your key in this browser (SM2 or Ed25519). The private key never leaves this page and is not stored.',
        )}
      </Typography.Paragraph>
      <Alert type="info" showIcon style={{ marginBottom: 16 }} data-testid="operator-key-hint" title={tr('运营方的密钥在哪里', 'Where the operator\'s key is')}
        description={<span>
          {tr('内置链联盟（', 'The embedded alliance (')}<Typography.Text code>shulian up</Typography.Text>
          {tr('）把运营方的密钥文件写在数据目录下的 ', ') writes the operator\'s keystore to ')}<Typography.Text code>node/key.json</Typography.Text>
          {tr('（默认 ', ' in its data directory (by default ')}<Typography.Text code>./.shulian/node/key.json</Typography.Text>
          {tr('），密码在同一目录的 ', '), and its password to ')}<Typography.Text code>node/key.pass</Typography.Text>
          {tr(' 中。选择该文件并填入密码即可以运营方身份登录。', ' beside it. Choose that file and enter the password to sign in as the operator.')}
        </span>} />
      <Tabs
        items={[
          {
            key: 'file',
            label: tr('密钥文件', 'Keystore file'),
            children: (
              <Form layout="vertical" onFinish={fromFile}>
                <Form.Item label={<span>{tr('密钥文件（由 ', 'Keystore file (from ')}<Typography.Text code>shulian keys new --out</Typography.Text>{tr(' 生成）', ')')}</span>}>
                  <Upload
                    accept=".json,application/json"
                    maxCount={1}
                    showUploadList={false}
                    beforeUpload={(f) => {
                      f.text().then((text) => {
                        try {
                          const json = JSON.parse(text) as { did?: string };
                          setFile({ name: f.name, json });
                          setError(null);
                        } catch {
                          setError(new LocalError('该文件不是 JSON 密钥文件', 'That file is not a JSON keystore'));
                        }
                      }, () => setError(new LocalError('无法读取该文件', 'Cannot read that file')));
                      return false;
                    }}
                  >
                    <Button data-testid="keystore-pick">{tr('选择文件', 'Choose file')}</Button>
                  </Upload>
                  {file && (
                    <Typography.Text style={{ marginLeft: 12 }} data-testid="keystore-did">
                      <UserText>{file.name}</UserText> · {String((file.json as { did?: string }).did ?? '')}
                    </Typography.Text>
                  )}
                </Form.Item>
                <Form.Item label={tr('密码', 'Password')}>
                  <Input.Password data-testid="keystore-password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
                </Form.Item>
                <Button type="primary" htmlType="submit" loading={busy} data-testid="signin-file">{tr('解密并登录', 'Decrypt and sign in')}</Button>
              </Form>
            ),
          },
          {
            key: 'hex',
            label: tr('粘贴私钥', 'Paste a key'),
            children: (
              <Form layout="vertical" onFinish={fromHexKey}>
                <Form.Item label={tr('签名算法', 'Signature suite')}>
                  <Radio.Group value={suite} onChange={(e) => setSuite(e.target.value as Suite)} options={[{ label: 'SM2', value: 'sm2' }, { label: 'Ed25519', value: 'ed25519' }]} />
                </Form.Item>
                <Form.Item label={tr('私钥（十六进制，仅保存在本页内存中）', 'Private key (hex; kept only in this page\'s memory)')}>
                  <Input.Password data-testid="hex-key" value={hexKey} onChange={(e) => setHexKey(e.target.value)} autoComplete="off" />
                </Form.Item>
                <Space>
                  <Button type="primary" htmlType="submit" loading={busy} data-testid="signin-hex">{tr('签名并登录', 'Sign and sign in')}</Button>
                </Space>
              </Form>
            ),
          },
          {
            key: 'new',
            label: tr('新建密钥', 'New key'),
            children: (
              <Form layout="vertical" onFinish={newKey}>
                <Form.Item label={tr('签名算法', 'Signature suite')}>
                  <Radio.Group value={suite} onChange={(e) => setSuite(e.target.value as Suite)} options={[{ label: 'SM2', value: 'sm2' }, { label: 'Ed25519', value: 'ed25519' }]} />
                </Form.Item>
                <Form.Item label={tr('用于加密密钥文件的密码（至少 8 位）', 'Password to encrypt the keystore file (at least 8 characters)')}>
                  <Input.Password data-testid="new-password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
                </Form.Item>
                <Form.Item label={tr('再次输入密码', 'The password again')}>
                  <Input.Password data-testid="new-password2" value={password2} onChange={(e) => setPassword2(e.target.value)} autoComplete="new-password" />
                </Form.Item>
                <Button type="primary" htmlType="submit" loading={busy} data-testid="signin-new">{tr('生成、下载并登录', 'Generate, download and sign in')}</Button>
              </Form>
            ),
          },
        ]}
      />
      {step && <Alert style={{ marginTop: 16 }} type="info" title={step} />}
      {error !== null && <Alert style={{ marginTop: 16 }} type="error" title={<span title={errDetail(error)}>{errText(error)}</span>} data-testid="signin-error" />}
    </Card>
  );
}
