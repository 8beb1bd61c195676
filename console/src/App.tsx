import { Suspense, lazy, useEffect, useState, type ReactNode } from 'react';
import { App as AntApp, Button, ConfigProvider, Dropdown, Layout, Menu, Segmented, Space, Spin, Tag, Typography, theme } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import { SessionProvider, shortDid, useSession } from './session.tsx';
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
const Admin = lazy(() => import('./pages/Admin.tsx').then((m) => ({ default: m.Admin })));
const Data = lazy(() => import('./pages/Data.tsx').then((m) => ({ default: m.Data })));

export const BASE = '/console/';

interface PageDef {
  path: string;
  zh: string;
  en: string;
  render: () => ReactNode;
}

const PAGES: PageDef[] = [
  { path: '', zh: '总览', en: 'Overview', render: () => <Overview /> },
  { path: 'alliance', zh: '链联盟', en: 'Alliance', render: () => <Alliance /> },
  { path: 'chains', zh: '链管理', en: 'Chains', render: () => <Chains /> },
  { path: 'explorer', zh: '区块浏览器', en: 'Explorer', render: () => <Explorer /> },
  { path: 'identity', zh: '数字身份', en: 'Identity', render: () => <Identity /> },
  { path: 'contracts', zh: '法律合约', en: 'Contracts', render: () => <Contracts /> },
  { path: 'data', zh: '数据授权', en: 'Data', render: () => <Data /> },
  { path: 'workorders', zh: '工单', en: 'Work orders', render: () => <WorkOrders /> },
  { path: 'monitoring', zh: '监控', en: 'Monitoring', render: () => <Monitoring /> },
  { path: 'admin', zh: '系统管理', en: 'Admin', render: () => <Admin /> },
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

function Shell() {
  const { lang, setLang, tr, auth, signOut, key } = useSession();
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0]!;
  const langSwitch = (
    <Segmented<string>
      data-testid="lang-switch"
      size="small"
      value={lang}
      onChange={(v) => setLang(v === 'en' ? 'en' : 'zh')}
      options={[{ label: '中文', value: 'zh' }, { label: 'EN', value: 'en' }]}
    />
  );
  if (!auth) {
    return (
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Header style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', background: '#001529' }}>
          <Typography.Text style={{ color: '#fff', fontSize: 18 }}>{tr('数链 · 城市区块链控制台', 'Shulian · City Blockchain Console')}</Typography.Text>
          {langSwitch}
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          <SignIn />
        </Layout.Content>
      </Layout>
    );
  }
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider width={200} breakpoint="lg" collapsedWidth={0}>
        <div style={{ color: '#fff', padding: '16px 20px', fontSize: 18, fontWeight: 600 }}>{tr('数链控制台', 'Shulian')}</div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[page.path]}
          onClick={(e) => navigate(e.key)}
          items={PAGES.map((p) => ({ key: p.path, label: <span data-testid={`nav-${p.path || 'overview'}`}>{lang === 'zh' ? p.zh : p.en}</span> }))}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', display: 'flex', alignItems: 'center', justifyContent: 'space-between', padding: '0 24px' }}>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="page-title">{lang === 'zh' ? page.zh : page.en}</Typography.Title>
          <Space>
            {langSwitch}
            {!key && <Tag color="orange">{tr('只读：未载入签名密钥', 'Read-only: no signing key loaded')}</Tag>}
            {auth.roles.map((r) => <Tag key={r} color="blue">{roleName(r, tr)}</Tag>)}
            <Dropdown menu={{ items: [{ key: 'out', label: <span data-testid="sign-out">{tr('退出登录', 'Sign out')}</span> }], onClick: () => signOut() }}>
              <Button data-testid="whoami" title={auth.did}>{shortDid(auth.did)}</Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: 16 }}><Suspense fallback={<Spin />}>{page.render()}</Suspense></Layout.Content>
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
