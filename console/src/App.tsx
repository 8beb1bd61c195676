import { Suspense, lazy, useEffect, useState, type ReactNode } from 'react';
import { App as AntApp, Button, ConfigProvider, Dropdown, Form, Input, Layout, Menu, Modal, Radio, Result, Segmented, Space, Spin, Tag, Typography, theme } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import type { Suite } from '../../src/sdk/browser.ts';
import { SessionProvider, errNode, keyFromHex, shortDid, useSession, say } from './session.tsx';
import { roleName } from './components.tsx';
import { SignIn } from './pages/SignIn.tsx';

// Pages load on first visit (ECharts, the contract editor and the rest stay out of the first download).
const Overview = lazy(() => import('./pages/Overview.tsx').then((m) => ({ default: m.Overview })));
const Alliance = lazy(() => import('./pages/Alliance.tsx').then((m) => ({ default: m.Alliance })));
const Chains = lazy(() => import('./pages/Chains.tsx').then((m) => ({ default: m.Chains })));
const Explorer = lazy(() => import('./pages/Explorer.tsx').then((m) => ({ default: m.Explorer })));
const Identity = lazy(() => import('./pages/Identity.tsx').then((m) => ({ default: m.Identity })));
const Contracts = lazy(() => import('./pages/Contracts.tsx').then((m) => ({ default: m.Contracts })));
const WorkOrders = lazy(() => import('./pages/WorkOrders.tsx').then((m) => ({ default: m.WorkOrders })));
const Monitoring = lazy(() => import('./pages/Monitoring.tsx').then((m) => ({ default: m.Monitoring })));
const Supervision = lazy(() => import('./pages/Supervision.tsx').then((m) => ({ default: m.Supervision })));
const Admin = lazy(() => import('./pages/Admin.tsx').then((m) => ({ default: m.Admin })));
const Data = lazy(() => import('./pages/Data.tsx').then((m) => ({ default: m.Data })));
const Alerts = lazy(() => import('./pages/Alerts.tsx').then((m) => ({ default: m.Alerts })));
const Permissions = lazy(() => import('./pages/Permissions.tsx').then((m) => ({ default: m.Permissions })));
const Privacy = lazy(() => import('./pages/Privacy.tsx').then((m) => ({ default: m.Privacy })));
const Market = lazy(() => import('./pages/Market.tsx').then((m) => ({ default: m.Market })));
const Simulation = lazy(() => import('./pages/Simulation.tsx').then((m) => ({ default: m.Simulation })));
const Scenarios = lazy(() => import('./pages/Scenarios.tsx').then((m) => ({ default: m.Scenarios })));
const Gov = lazy(() => import('./pages/Gov.tsx').then((m) => ({ default: m.Gov })));

export const BASE = '/console/';

interface PageDef {
  path: string;
  zh: string;
  en: string;
  render: () => ReactNode;
  /** Console roles that can use the page; none: every signed-in DID. */
  roles?: string[];
}

/** Roles that may read the audit log; the other admin tabs need the operator (src/api/routes/admin.ts). */
export const ADMIN_ROLES = ['operator', 'auditor', 'regulator'];

const PAGES: PageDef[] = [
  { path: '', zh: '总览', en: 'Overview', render: () => <Overview /> },
  { path: 'alliance', zh: '链联盟', en: 'Alliance', render: () => <Alliance /> },
  { path: 'chains', zh: '链管理', en: 'Chains', render: () => <Chains /> },
  { path: 'permissions', zh: '访问控制', en: 'Permissions', render: () => <Permissions /> },
  { path: 'explorer', zh: '区块浏览器', en: 'Explorer', render: () => <Explorer /> },
  { path: 'identity', zh: '数字身份', en: 'Identity', render: () => <Identity /> },
  { path: 'contracts', zh: '法律合约', en: 'Contracts', render: () => <Contracts /> },
  { path: 'data', zh: '数据授权', en: 'Data', render: () => <Data /> },
  { path: 'privacy', zh: '隐私计算', en: 'Privacy computing', render: () => <Privacy /> },
  { path: 'market', zh: '服务市场', en: 'Service market', render: () => <Market /> },
  { path: 'workorders', zh: '工单', en: 'Work orders', render: () => <WorkOrders /> },
  { path: 'supervision', zh: '监管', en: 'Supervision', render: () => <Supervision /> },
  { path: 'monitoring', zh: '监控', en: 'Monitoring', render: () => <Monitoring /> },
  { path: 'alerts', zh: '告警中心', en: 'Alerts', render: () => <Alerts />, roles: ['operator'] },
  { path: 'admin', zh: '系统管理', en: 'Admin', render: () => <Admin />, roles: ADMIN_ROLES },
  { path: 'simulation', zh: '模拟沙箱', en: 'Simulation', render: () => <Simulation /> },
  { path: 'scenarios', zh: '场景', en: 'Scenarios', render: () => <Scenarios /> },
  { path: 'gov', zh: '政务系统', en: 'Government system', render: () => <Gov /> },
];

function currentPath(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  return p.split('/')[0] ?? '';
}

/** Client-side navigation inside /console/ (the node falls back to index.html for these paths). */
export function navigate(path: string): void {
  history.pushState(null, '', BASE + path);
  dispatchEvent(new PopStateEvent('popstate'));
}

function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return path;
}

function LangSwitch() {
  const { lang, setLang } = useSession();
  // Each language is named in itself: the switch is the one place the other language appears.
  return (
    <Segmented<string>
      data-testid="lang-switch"
      size="small"
      value={lang}
      onChange={(v) => setLang(v === 'en' ? 'en' : 'zh')}
      options={[{ label: '中文', value: 'zh' }, { label: 'EN', value: 'en' }]}
    />
  );
}

/** After a reload the session goes on, read-only, until the key is unlocked again. */
function UnlockKey() {
  const { tr, unlockWith, unlock, unlockKey } = useSession();
  const { message } = AntApp.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [password, setPassword] = useState('');
  const [hex, setHex] = useState('');
  const [suite, setSuite] = useState<Suite>('sm2');
  if (!unlockWith) return null;
  const go = async () => {
    setBusy(true);
    try {
      if (unlockWith === 'keystore') await unlock(password);
      else unlockKey(keyFromHex(hex, suite));
      setOpen(false);
      setPassword('');
      setHex('');
      message.success(say('签名密钥已解锁', 'Signing key unlocked'));
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Tag color="orange">{tr('只读：签名密钥未解锁', 'Read-only: signing key locked')}</Tag>
      <Button size="small" type="primary" onClick={() => setOpen(true)} data-testid="unlock">{tr('解锁', 'Unlock')}</Button>
      <Modal open={open} title={tr('解锁签名密钥', 'Unlock the signing key')} onOk={go} confirmLoading={busy} onCancel={() => setOpen(false)}
        okText={tr('解锁', 'Unlock')} cancelText={tr('取消', 'Cancel')} okButtonProps={{ 'data-testid': 'unlock-ok' } as never}>
        <Form layout="vertical" onFinish={go}>
          {unlockWith === 'keystore' ? (
            <Form.Item label={tr('密钥文件密码（密钥文件仍以加密形式保存在本标签页中）', 'Keystore password (the keystore stays encrypted in this tab)')}>
              <Input.Password data-testid="unlock-password" value={password} onChange={(e) => setPassword(e.target.value)} onPressEnter={go} autoComplete="current-password" />
            </Form.Item>
          ) : (
            <>
              <Form.Item label={tr('签名算法', 'Signature suite')}>
                <Radio.Group value={suite} onChange={(e) => setSuite(e.target.value as Suite)} options={[{ label: 'SM2', value: 'sm2' }, { label: 'Ed25519', value: 'ed25519' }]} />
              </Form.Item>
              <Form.Item label={tr('再次粘贴私钥（十六进制；粘贴的私钥不会被保存）', 'Paste the private key again (hex; pasted keys are never stored)')}>
                <Input.Password data-testid="unlock-hex" value={hex} onChange={(e) => setHex(e.target.value)} autoComplete="off" />
              </Form.Item>
            </>
          )}
        </Form>
      </Modal>
    </>
  );
}

function PublicShell({ path }: { path: string }) {
  const { tr } = useSession();
  const header = (
    <Layout.Header style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', background: '#001529', padding: '0 24px' }}>
      <Typography.Text style={{ color: '#fff', fontSize: 18 }}>{tr('数链 · 城市区块链控制台', 'Shulian · City Blockchain Console')}</Typography.Text>
      <Space>
        {path === 'explorer'
          ? <Button onClick={() => navigate('')} data-testid="goto-signin">{tr('登录', 'Sign in')}</Button>
          : <Button onClick={() => navigate('explorer')} data-testid="goto-explorer">{tr('公开区块浏览器', 'Public explorer')}</Button>}
        <LangSwitch />
      </Space>
    </Layout.Header>
  );
  return (
    <Layout style={{ minHeight: '100vh' }}>
      {header}
      <Layout.Content style={{ padding: 24 }}>
        {path === 'explorer' ? (
          <>
            <Typography.Title level={4} data-testid="page-title">{tr('公开区块浏览器（只读，无需登录）', 'Public explorer (read-only, no sign-in)')}</Typography.Title>
            <Suspense fallback={<Spin />}><Explorer publicView /></Suspense>
          </>
        ) : <SignIn />}
      </Layout.Content>
    </Layout>
  );
}

function Shell() {
  const { lang, tr, auth, signOut } = useSession();
  const path = usePath();
  if (!auth) return <PublicShell path={path} />;
  const mine = PAGES.filter((p) => !p.roles || p.roles.some((r) => auth.roles.includes(r)));
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0]!;
  const allowed = mine.includes(page);
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider width={200} breakpoint="lg" collapsedWidth={0}>
        <div style={{ color: '#fff', padding: '16px 20px', fontSize: 18, fontWeight: 600 }}>{tr('数链控制台', 'Shulian')}</div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[page.path]}
          onClick={(e) => navigate(e.key)}
          items={mine.map((p) => ({ key: p.path, label: <span data-testid={`nav-${p.path || 'overview'}`}>{lang === 'zh' ? p.zh : p.en}</span> }))}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', display: 'flex', alignItems: 'center', justifyContent: 'space-between', padding: '0 24px' }}>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="page-title">{lang === 'zh' ? page.zh : page.en}</Typography.Title>
          <Space>
            <LangSwitch />
            <UnlockKey />
            {auth.roles.map((r) => <Tag key={r} color="blue">{roleName(r, tr)}</Tag>)}
            <Dropdown menu={{ items: [{ key: 'out', label: <span data-testid="sign-out">{tr('退出登录', 'Sign out')}</span> }], onClick: () => signOut() }}>
              <Button data-testid="whoami" title={auth.did}>{shortDid(auth.did)}</Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: 16 }}>
          {allowed
            ? <Suspense fallback={<Spin />}>{page.render()}</Suspense>
            : <Result status="403" data-testid="no-access" title={tr('没有权限', 'No access')} subTitle={tr('此页面需要运营方、审计方或监管方角色。', 'This page needs the operator, auditor or regulator role.')} />}
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

function Themed() {
  const { lang } = useSession();
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ algorithm: theme.defaultAlgorithm, token: { colorPrimary: '#1f5fbf' } }}>
      <AntApp>
        <Shell />
      </AntApp>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Themed />
    </SessionProvider>
  );
}
