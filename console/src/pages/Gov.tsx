/**
 * Government system (政务系统, docs/gov.md): the government application system of
 * `shulian up --preset gov` as the node holds it — its five chains with their status and heights,
 * the agencies (member organisations, the regulator), the material chain's materials with their
 * versions and grants, and the reuse log of every agency's granted read.
 */
import { Card, Descriptions, Space, Table, Tag, Typography } from 'antd';
import { getMaterial, govSystemView, listMaterials, materialUses, type GovChainView, type MaterialRecord, type MaterialKind } from '../../../src/sdk/browser.ts';
import { ErrorBox, Hash, Ident, NoData, UserText, fmtTime } from '../components.tsx';
import { client, shortDid, useLoad, useSession } from '../session.tsx';

type Tr = (zh: string, en: string) => string;

const KIND: Record<MaterialKind, [string, string]> = {
  certificate: ['证照', 'certificate'], licence: ['许可', 'licence'], application: ['申请材料', 'application file'], other: ['其他', 'other'],
};

function Did({ did }: { did: string }) {
  return <span title={did}><Ident>{shortDid(did)}</Ident></span>;
}

function statusTag(c: GovChainView, tr: Tr) {
  if (!c.running) return <Tag>{tr('未创建', 'not created')}</Tag>;
  const s = c.status ?? 'active';
  const words: Record<string, [string, string, string]> = {
    active: ['运行中', 'running', 'success'], approved: ['已批准', 'approved', 'processing'], suspended: ['已暂停', 'suspended', 'warning'], retired: ['已退役', 'retired', 'default'],
  };
  const w = words[s] ?? [s, s, 'default'];
  return <Tag color={w[2]}>{tr(w[0], w[1])}</Tag>;
}

/** An agency's name where the DID is one of the government system's agencies, else the DID. */
function Agency({ did, names }: { did: string; names: Map<string, string> }) {
  const n = names.get(did);
  return n ? <span title={did}>{n}</span> : <Did did={did} />;
}

function MaterialDetail({ id, names }: { id: string; names: Map<string, string> }) {
  const { tr, lang } = useSession();
  const v = useLoad(() => getMaterial(client, id), [id]);
  if (v.error) return <ErrorBox error={v.error} />;
  if (!v.data) return null;
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid={`material-detail-${id}`}>
      <Typography.Text strong>{tr('版本', 'Versions')}</Typography.Text>
      <Table size="small" rowKey="version" pagination={false} dataSource={v.data.versions} data-testid="material-versions"
        columns={[
          { title: tr('版本', 'Version'), dataIndex: 'version' },
          { title: tr('摘要（SM3）', 'Digest (SM3)'), render: (_, x) => <Hash value={x.digest} /> },
          { title: tr('状态', 'Status'), render: (_, x) => x.status === 'revoked' ? <Tag color="error">{tr('已吊销', 'revoked')}</Tag>
            : x.version < v.data!.material.version ? <Tag>{tr('已被新版本取代', 'superseded')}</Tag> : <Tag color="success">{tr('有效', 'valid')}</Tag> },
          { title: tr('高度', 'Height'), dataIndex: 'height' },
          { title: tr('时间', 'Time'), render: (_, x) => fmtTime(x.time, lang) },
        ]} />
      <Typography.Text strong>{tr('授权', 'Grants')}</Typography.Text>
      <Table size="small" rowKey="grantee" pagination={false} dataSource={v.data.grants} data-testid="material-grants" locale={{ emptyText: tr('持有人尚未授权任何机构', 'The holder granted no agency') }}
        columns={[
          { title: tr('被授权机构', 'Agency'), render: (_, g) => <Agency did={g.grantee} names={names} /> },
          { title: tr('用途', 'Purpose'), render: (_, g) => <UserText>{g.purpose}</UserText> },
          { title: tr('到期', 'Expires'), render: (_, g) => fmtTime(g.expires, lang) },
          { title: tr('状态', 'Status'), render: (_, g) => g.status === 'active' ? <Tag color="success">{tr('有效', 'active')}</Tag> : <Tag color="error">{tr('已撤销', 'revoked')}</Tag> },
          { title: tr('已复用次数', 'Reads'), dataIndex: 'uses' },
        ]} />
    </Space>
  );
}

export function Gov() {
  const { tr, lang } = useSession();
  const sys = useLoad(() => govSystemView(client), []);
  const materials = useLoad(async () => (sys.data?.chains.find((c) => c.role === 'material')?.running ? listMaterials(client) : []), [sys.data]);
  const uses = useLoad(async () => (sys.data?.chains.find((c) => c.role === 'material')?.running ? materialUses(client) : []), [sys.data]);
  const name = (a: { name: string; nameZh: string }) => (lang === 'zh' ? a.nameZh : a.name);
  const names = new Map((sys.data?.agencies ?? []).flatMap((a) => (a.member ? [[a.member.did, name(a)] as const] : [])));
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="page-gov">
      <ErrorBox error={sys.error ?? materials.error ?? uses.error} />
      {sys.data && !sys.data.ready && (
        <NoData text={<>{tr('政务系统尚未完整建立：', 'The government system is not fully set up: ')}<code>shulian up --preset gov</code></>} />
      )}
      <Card title={tr('政务区块链应用体系：五条链', 'Government application system: the five chains')} loading={sys.loading}>
        <Table data-testid="gov-chains" size="small" rowKey="chain" pagination={false} dataSource={sys.data?.chains ?? []}
          columns={[
            { title: tr('链', 'Chain'), render: (_, c) => <Space><span>{lang === 'zh' ? c.nameZh : c.name}</span><Ident>{c.chain}</Ident></Space> },
            { title: tr('模块', 'Modules'), render: (_, c) => <Space wrap>{c.modules.map((m) => <Ident key={m} tag>{m}</Ident>)}</Space> },
            { title: tr('状态', 'Status'), render: (_, c) => <span data-testid={`gov-chain-status-${c.chain}`}>{statusTag(c, tr)}</span> },
            { title: tr('高度', 'Height'), render: (_, c) => <span data-testid={`gov-chain-height-${c.chain}`}>{c.height ?? '—'}</span> },
            { title: tr('最新出块', 'Last block'), render: (_, c) => fmtTime(c.lastBlockTime, lang) },
          ]} />
      </Card>
      <Card title={tr('政府机构（成员组织）', 'Agencies (member organisations)')} loading={sys.loading}>
        <Table data-testid="gov-agencies" size="small" rowKey="nameZh" pagination={false} dataSource={sys.data?.agencies ?? []}
          columns={[
            { title: tr('机构', 'Agency'), render: (_, a) => name(a) },
            { title: 'DID', render: (_, a) => (a.member ? <Did did={a.member.did} /> : <Tag>{tr('未加入', 'not admitted')}</Tag>) },
            { title: tr('角色', 'Roles'), render: (_, a) => (
              <Space wrap>
                {a.member && <Tag color="blue">{tr('成员组织', 'member organisation')}</Tag>}
                {a.regulates && <Tag color="purple" data-testid="gov-regulator">{tr('监管方', 'regulator')}</Tag>}
              </Space>
            ) },
            { title: tr('加入高度（治理链）', 'Admitted at (governance height)'), render: (_, a) => a.member?.admittedAt ?? '—' },
          ]} />
      </Card>
      <Card title={tr('材料链：行政材料', 'Material chain: administrative materials')} loading={materials.loading}>
        {(materials.data ?? []).length === 0 ? <NoData text={tr('尚无材料', 'No materials yet')} /> : (
          <Table<MaterialRecord> data-testid="gov-materials" size="small" rowKey="id" pagination={false} dataSource={materials.data ?? []}
            expandable={{ expandedRowRender: (m) => <MaterialDetail id={m.id} names={names} /> }}
            columns={[
              { title: tr('材料', 'Material'), render: (_, m) => <Ident>{m.id}</Ident> },
              { title: tr('名称', 'Title'), render: (_, m) => <UserText>{m.title}</UserText> },
              { title: tr('类别', 'Kind'), render: (_, m) => tr(KIND[m.kind][0], KIND[m.kind][1]) },
              { title: tr('版本', 'Version'), dataIndex: 'version' },
              { title: tr('状态', 'Status'), render: (_, m) => m.status === 'valid' ? <Tag color="success">{tr('有效', 'valid')}</Tag> : <Tag color="error">{tr('已吊销', 'revoked')}</Tag> },
              { title: tr('持有人', 'Holder'), render: (_, m) => <Did did={m.holder} /> },
              { title: tr('签发机构', 'Issuer'), render: (_, m) => <Agency did={m.issuer} names={names} /> },
            ]} />
        )}
      </Card>
      <Card title={tr('复用记录（一次提交，多方复用）', 'Reuse log (submitted once, reused by agencies)')} loading={uses.loading}>
        {(uses.data ?? []).length === 0 ? <NoData text={tr('尚无复用记录', 'No reads recorded yet')} /> : (
          <Table data-testid="gov-uses" size="small" rowKey="n" pagination={false} dataSource={uses.data ?? []}
            columns={[
              { title: tr('序号', 'No.'), dataIndex: 'n' },
              { title: tr('材料', 'Material'), render: (_, u) => <Space><Ident>{u.material}</Ident><span>{tr(`第 ${u.version} 版`, `v${u.version}`)}</span></Space> },
              { title: tr('机构', 'Agency'), render: (_, u) => <Agency did={u.agency} names={names} /> },
              { title: tr('用途', 'Purpose'), render: (_, u) => <UserText>{u.purpose}</UserText> },
              { title: tr('交易', 'Transaction'), render: (_, u) => <Hash value={u.tx} /> },
              { title: tr('时间', 'Time'), render: (_, u) => fmtTime(u.time, lang) },
            ]} />
        )}
      </Card>
      <Descriptions size="small" column={1}>
        <Descriptions.Item label={tr('说明', 'About')}>
          {tr('监管链即治理链上的监管模块：市场监管局发布的规则对每次被拒绝的材料调用发出告警（见“监管”页）。', 'The supervision chain is the governance chain\'s supervision module: the market regulator\'s rule raises an alert for every refused material read (see the Supervision page).')}
        </Descriptions.Item>
      </Descriptions>
    </Space>
  );
}
