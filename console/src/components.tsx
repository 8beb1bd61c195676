import type { ReactNode } from 'react';
import { Alert, Empty, Tag, Typography } from 'antd';
import { errText, useSession } from './session.tsx';

export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return <Alert type="error" showIcon title={errText(error)} style={{ marginBottom: 12 }} data-testid="error" />;
}

export function Json({ value, max = 420 }: { value: unknown; max?: number }) {
  return (
    <pre style={{ background: '#f6f8fa', padding: 12, borderRadius: 6, maxHeight: max, overflow: 'auto', fontSize: 12, margin: 0 }}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function Mono({ children, copy }: { children: ReactNode; copy?: boolean }) {
  return (
    <Typography.Text code copyable={copy && typeof children === 'string' ? { text: children } : false} style={{ fontSize: 12, wordBreak: 'break-all' }}>
      {children}
    </Typography.Text>
  );
}

export function Hash({ value }: { value: string }) {
  return <Typography.Text code copyable={{ text: value }} style={{ fontSize: 12 }} title={value}>{value.length > 20 ? `${value.slice(0, 10)}…${value.slice(-8)}` : value}</Typography.Text>;
}

export function NoData({ text }: { text?: string }) {
  const { tr } = useSession();
  return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={text ?? tr('暂无数据', 'No data')} />;
}

const STATUS: Record<string, [string, string, string]> = {
  voting: ['processing', '投票中', 'voting'],
  approved: ['success', '已通过', 'approved'],
  rejected: ['error', '已否决', 'rejected'],
  failed: ['error', '执行失败', 'failed'],
  active: ['success', '运行中', 'active'],
  suspended: ['warning', '已暂停', 'suspended'],
  retired: ['default', '已退役', 'retired'],
  open: ['processing', '待处理', 'open'],
  'in-progress': ['warning', '处理中', 'in progress'],
  resolved: ['success', '已解决', 'resolved'],
  ok: ['success', '成功', 'ok'],
  committed: ['success', '已上链', 'committed'],
  pending: ['processing', '待确认', 'pending'],
  up: ['success', '在线', 'up'],
  down: ['error', '离线', 'down'],
};

/** A status word (proposal, chain, work order, receipt) in the current language. */
export function statusText(status: string, tr: (zh: string, en: string) => string): string {
  const m = STATUS[status];
  return m ? tr(m[1], m[2]) : status;
}

export function StatusTag({ status }: { status: string }) {
  const { tr } = useSession();
  const m = STATUS[status];
  return <Tag color={m?.[0] ?? 'default'}>{m ? tr(m[1], m[2]) : status}</Tag>;
}

export function fmtTime(ms: number | undefined, lang: 'zh' | 'en'): string {
  if (!ms) return '—';
  return new Date(ms).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

export function chainName(c: { id?: string; chain?: string; name?: string; nameZh?: string }, lang: 'zh' | 'en'): string {
  return (lang === 'zh' ? c.nameZh || c.name : c.name) || c.id || c.chain || '';
}

export function kindName(kind: string | undefined, tr: (zh: string, en: string) => string): string {
  switch (kind) {
    case 'governance': return tr('治理链', 'governance chain');
    case 'public-service': return tr('公共服务链', 'public service chain');
    case 'business': return tr('业务链', 'business chain');
    default: return kind ?? '—';
  }
}

export function roleName(r: string, tr: (zh: string, en: string) => string): string {
  const names: Record<string, [string, string]> = {
    operator: ['运营方', 'operator'], member: ['成员', 'member'], regulator: ['监管方', 'regulator'], auditor: ['审计', 'auditor'],
    'gateway-operator': ['网关运营方', 'gateway operator'], 'service-provider': ['服务商', 'service provider'],
  };
  const n = names[r];
  return n ? tr(n[0], n[1]) : r;
}
