import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import {
  Alert, App, Button, Card, Col, Collapse, Descriptions, Empty, Form, Input, Modal, Result, Row, Segmented, Select, Space, Spin, Switch, Table, Tabs, Tag, Timeline, Typography,
} from 'antd';
import {
  compileContract, deployContractTemplate, draftContract, getContract, getContractFingerprint, getContractTemplate, listContractTemplates,
  listContracts, signContract, submitContractEvent, supApproval, supApproveCall, testContractTemplate,
  type CompileResponse, type ContractTemplate, type ContractView, type Diagnostic, type JsonValue, type ScenarioReport,
} from '../../../src/sdk/browser.ts';
import { ErrorBox, Hash, Json, NoData, fmtTime } from '../components.tsx';
import { clausesOf, compose, type ClauseEntry } from '../lexcompose.ts';
import { client, errText, shortDid, useLoad, useSession } from '../session.tsx';

/** Contract audit (docs/supervision.md#contract-audit): whether a regulator approved a template; a regulator may approve it here. */
function Audit({ hash, name }: { hash: string | undefined; name: string }) {
  const { tr, auth, sendTx } = useSession();
  const { message } = App.useApp();
  const a = useLoad(async () => (hash ? (await supApproval(client, 'lex-template', hash)) ?? null : null), [hash]);
  const [busy, setBusy] = useState(false);
  if (!hash) return <>—</>;
  if (a.data) return <Tag color="green" title={a.data.by}>{tr('已审核', 'approved')}</Tag>;
  if (!auth?.roles.includes('regulator')) return <Tag>{tr('未审核', 'not approved')}</Tag>;
  return (
    <Button size="small" loading={busy} data-testid={`approve-${name}`} onClick={async () => {
      setBusy(true);
      try {
        await sendTx('gov', supApproveCall({ kind: 'lex-template', hash, name }));
        message.success(tr('已审核通过该模板', 'Template approved'));
        a.reload();
      } catch (err) {
        message.error(errText(err));
      } finally {
        setBusy(false);
      }
    }}>{tr('审核通过', 'Approve')}</Button>
  );
}

type Tr = (zh: string, en: string) => string;

function obligationWord(s: string, tr: Tr): string {
  const m: Record<string, [string, string]> = { pending: ['待履行', 'pending'], discharged: ['已履行', 'discharged'], breached: ['已违约', 'breached'], cancelled: ['已取消', 'cancelled'] };
  return m[s] ? tr(m[s][0], m[s][1]) : s;
}

/** A lex label in the console's language. */
function bi(l: { en: string; 'zh-CN'?: string; zh?: string }, lang: 'zh' | 'en'): string {
  return lang === 'zh' ? l['zh-CN'] ?? l.zh ?? l.en : l.en;
}

function statusWord(s: string, tr: Tr): string {
  const m: Record<string, [string, string]> = {
    draft: ['草稿', 'draft'], signing: ['签署中', 'signing'], active: ['履行中', 'active'], completed: ['已完成', 'completed'], terminated: ['已终止', 'terminated'], disputed: ['争议中', 'disputed'],
  };
  return m[s] ? tr(m[s][0], m[s][1]) : s;
}

function statusTag(s: string, tr: Tr) {
  const m: Record<string, [string, string, string]> = {
    draft: ['default', '草稿', 'draft'], signing: ['processing', '签署中', 'signing'], active: ['success', '履行中', 'active'],
    completed: ['success', '已完成', 'completed'], terminated: ['error', '已终止', 'terminated'], disputed: ['warning', '争议中', 'disputed'],
  };
  const v = m[s];
  return <Tag color={v?.[0]}>{v ? tr(v[1], v[2]) : s}</Tag>;
}

function actionText(a: string, tr: Tr): string {
  const m: Record<string, [string, string]> = {
    drafted: ['起草', 'drafted'], signed: ['签署', 'signed'], countersigned: ['公证/法院副署', 'countersigned'], activated: ['生效', 'activated'],
    event: ['事件', 'event'], completed: ['完成', 'completed'], terminated: ['终止', 'terminated'], disputed: ['提出争议', 'disputed'],
    resolved: ['争议解决', 'resolved'], settlementSent: ['结算指令已发送', 'settlement sent'], paymentConfirmed: ['付款已确认', 'payment confirmed'], paymentFailed: ['付款失败', 'payment failed'],
  };
  return m[a] ? tr(m[a][0], m[a][1]) : a;
}

/** Markdown from the lex renderer, shown as React text (never as HTML): headings, paragraphs, lists and tables. */
function LegalText({ markdown }: { markdown: string }) {
  const lines = markdown.split('\n');
  const out: JSX.Element[] = [];
  const clean = (t: string) => t.replace(/\*\*/g, '').replace(/\\([|*_#])/g, '$1');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i]!.startsWith('|'); i++) {
        const cells = lines[i]!.replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => clean(c.trim()));
        if (!cells.every((c) => /^:?-+:?$/.test(c))) rows.push(cells);
      }
      i--;
      out.push(
        <table key={i} style={{ borderCollapse: 'collapse', margin: '8px 0 12px', width: '100%' }}>
          <tbody>{rows.map((r, j) => <tr key={j}>{r.map((c, k) => <td key={k} style={{ border: '1px solid #d9d9d9', padding: '4px 8px', fontWeight: j === 0 ? 600 : 400 }}>{c}</td>)}</tr>)}</tbody>
        </table>,
      );
      continue;
    }
    const h = /^(#{1,4})\s+(.*)$/.exec(line);
    if (h) out.push(<Typography.Title key={i} level={Math.min(5, h[1]!.length + 2) as 3 | 4 | 5}>{clean(h[2]!)}</Typography.Title>);
    else if (line.trim() !== '') out.push(<Typography.Paragraph key={i} style={{ marginBottom: 8 }}>{clean(line).replace(/^[-*]\s+/, '• ')}</Typography.Paragraph>);
  }
  return <div data-testid="legal-text" style={{ fontFamily: 'Georgia, "Songti SC", serif', lineHeight: 1.8 }}>{out}</div>;
}

function Findings({ diagnostics, paramsError }: { diagnostics: Diagnostic[]; paramsError?: { code: string; message: string } }) {
  const { tr } = useSession();
  if (diagnostics.length === 0 && !paramsError) return <Alert type="success" showIcon title={tr('编译器未发现问题：条款之间一致，可以起草签署。', 'The compiler found nothing wrong: the clauses fit together and the contract can be drafted.')} data-testid="findings-ok" />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="findings">
      {diagnostics.map((d, i) => (
        <Alert key={i} type={d.severity === 'error' ? 'error' : 'warning'} showIcon
          title={<span>{d.severity === 'error' ? tr('需要修改', 'Must be fixed') : tr('请注意', 'Worth a look')} · {tr(`第 ${d.line} 行`, `line ${d.line}`)}：{d.message}</span>} />
      ))}
      {paramsError && <Alert type="warning" showIcon title={<span>{tr('条款参数', 'Terms')}：{paramsError.message}</span>} />}
    </Space>
  );
}

function Scenarios({ report }: { report: ScenarioReport }) {
  const { tr } = useSession();
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="scenario-report">
      <Alert type={report.ok ? 'success' : 'error'} showIcon title={tr(`情景测试：通过 ${report.passed}，失败 ${report.failed}`, `Scenario tests: ${report.passed} passed, ${report.failed} failed`)} />
      {report.templates.flatMap((t) => t.files).map((f) => (
        <div key={f.file}>
          <Tag color={f.passed ? 'green' : 'red'}>{f.passed ? tr('通过', 'pass') : tr('失败', 'fail')}</Tag>{f.name} · {tr(`${f.steps} 步`, `${f.steps} steps`)}
          {f.failures.map((x, i) => <div key={i} style={{ color: '#cf1322', marginLeft: 24 }}>{tr(`第 ${x.step} 步`, `step ${x.step}`)}：{x.message}</div>)}
        </div>
      ))}
    </Space>
  );
}

interface Library {
  names: string[];
  templates: Record<string, ContractTemplate>;
  clauses: ClauseEntry[];
}

function paramValue(type: string, raw: string): JsonValue {
  if (type === 'Int' && /^-?\d+$/.test(raw.trim())) return Number(raw.trim());
  if (type === 'Bool') return raw === 'true';
  if (/^(List|Set)\b/.test(type) || raw.trim().startsWith('[') || raw.trim().startsWith('{')) {
    try {
      return JSON.parse(raw) as JsonValue;
    } catch {
      return raw;
    }
  }
  return raw;
}

function asText(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function Editor({ lib, base, setBase }: { lib: Library; base: string; setBase: (b: string) => void }) {
  const { tr, lang, auth, key } = useSession();
  const { message } = App.useApp();
  const baseTpl = lib.templates[base];
  const [picks, setPicks] = useState<ClauseEntry[]>(() => lib.clauses.filter((c) => c.template === base));
  const [values, setValues] = useState<Record<string, string>>({});
  const [code, setCode] = useState<string | null>(null);
  const [compiled, setCompiled] = useState<CompileResponse | null>(null);
  const [compiling, setCompiling] = useState(false);
  const [textLang, setTextLang] = useState<'zh-CN' | 'en'>(lang === 'zh' ? 'zh-CN' : 'en');
  const [report, setReport] = useState<ScenarioReport | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [draft, setDraft] = useState<{ id: string; fingerprint: string; signed: boolean } | null>(null);
  const seq = useRef(0);

  // Switching the base template starts again from its own clauses and sample terms.
  useEffect(() => {
    setPicks(lib.clauses.filter((c) => c.template === base));
    setCode(null);
    setDraft(null);
    setReport(null);
  }, [base, lib]);

  const composed = useMemo(() => (baseTpl ? compose(baseTpl.source, picks) : ''), [baseTpl, picks]);
  const source = code ?? composed;

  const summary = compiled && compiled.ok ? compiled.summary : null;
  const partyNames = summary?.parties.map((p) => p.name) ?? baseTpl?.summary.parties.map((p) => p.name) ?? [];
  const paramDefs = summary?.params ?? baseTpl?.summary.params ?? [];

  // Defaults: the signed-in DID for the first party, then each template's sample.
  const samples = useMemo(() => {
    const s: Record<string, JsonValue> = {};
    for (const t of [base, ...picks.map((p) => p.template)]) for (const [k, v] of Object.entries(lib.templates[t]?.sample ?? {})) if (!(k in s)) s[k] = v;
    return s;
  }, [base, picks, lib]);
  const valueOf = (name: string, i = -1): string => values[name] ?? (i === 0 && auth ? auth.did : asText(samples[name]));

  const params = useMemo(() => {
    const p: Record<string, JsonValue> = {};
    for (const d of paramDefs) p[d.name] = paramValue(d.type, valueOf(d.name));
    return p;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [paramDefs, values, samples]);
  const parties = useMemo(() => Object.fromEntries(partyNames.map((n, i) => [n, valueOf(n, i)])), [partyNames, values, samples, auth]); // eslint-disable-line react-hooks/exhaustive-deps

  // Live: the node compiles and renders the source as it changes.
  useEffect(() => {
    if (!source) return;
    const n = ++seq.current;
    setCompiling(true);
    const t = setTimeout(() => {
      compileContract(client, { source, params: { ...params, ...parties } }).then(
        (r) => { if (n === seq.current) { setCompiled(r); setCompiling(false); } },
        (e: unknown) => { if (n === seq.current) { setCompiled({ ok: false, diagnostics: [{ severity: 'error', code: 'REQUEST', message: errText(e), line: 0, column: 0 }] }); setCompiling(false); } },
      );
    }, 350);
    return () => clearTimeout(t);
  }, [source, params, parties]);

  const move = (i: number, d: -1 | 1) => setPicks((ps) => {
    const a = [...ps];
    const j = i + d;
    if (j < 0 || j >= a.length) return a;
    [a[i], a[j]] = [a[j]!, a[i]!];
    return a;
  });

  const runTests = async () => {
    setBusy('test');
    try {
      setReport(await testContractTemplate(client, base));
    } catch (err) {
      message.error(errText(err));
    } finally {
      setBusy(null);
    }
  };

  const startDraft = async () => {
    if (!key) return message.error(tr('请重新登录以载入签名密钥', 'Sign in again to load your signing key'));
    setBusy('draft');
    try {
      const dep = await deployContractTemplate(client, key, source);
      const d = await draftContract(client, key, { template: dep.result.template, params, parties });
      setDraft({ id: d.result.id, fingerprint: d.result.fingerprint, signed: false });
      message.success(tr('合同草稿已上链，等待各方签署', 'The draft is on chain, waiting for the parties to sign'));
    } catch (err) {
      message.error(errText(err));
    } finally {
      setBusy(null);
    }
  };

  const signNow = async () => {
    if (!key || !draft) return;
    setBusy('sign');
    try {
      // Check the fingerprint the node recomputes against the one the draft returned before signing it.
      const fp = await getContractFingerprint(client, draft.id);
      if (!fp.matches || fp.fingerprint !== draft.fingerprint) throw new Error(tr('指纹不一致，拒绝签署', 'The fingerprint does not match; not signing'));
      await signContract(client, key, draft.id, draft.fingerprint);
      setDraft({ ...draft, signed: true });
      message.success(tr('已签署', 'Signed'));
    } catch (err) {
      message.error(errText(err));
    } finally {
      setBusy(null);
    }
  };

  const byTemplate = lib.names.map((n) => ({ name: n, clauses: lib.clauses.filter((c) => c.template === n) }));
  const ok = compiled?.ok === true && compiled.diagnostics.every((d) => d.severity !== 'error') && !compiled.paramsError;
  const myParty = partyNames.find((n) => parties[n] === auth?.did);

  return (
    <Row gutter={16} data-testid="lowcode-editor">
      <Col span={10}>
        <Card size="small" title={tr('1. 选择基础模板', '1. Choose a base template')}>
          <Select style={{ width: '100%' }} value={base} onChange={setBase} data-testid="base-template"
            options={lib.names.map((n) => ({ value: n, label: `${lang === 'zh' ? lib.templates[n]?.summary.title['zh-CN'] : lib.templates[n]?.summary.title.en} (${n})` }))} />
        </Card>
        <Card size="small" style={{ marginTop: 12 }} title={tr('2. 从条款库挑选条款', '2. Pick clauses from the library')}>
          <Collapse size="small" items={byTemplate.map((t) => ({
            key: t.name,
            label: lang === 'zh' ? lib.templates[t.name]?.summary.title['zh-CN'] : lib.templates[t.name]?.summary.title.en,
            children: t.clauses.map((c) => (
              <div key={c.id} style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', padding: '2px 0' }}>
                <span>{lang === 'zh' ? c.title.zh : c.title.en}</span>
                <Button size="small" disabled={picks.some((p) => p.id === c.id)} onClick={() => { setCode(null); setPicks([...picks, c]); }} data-testid={`add-clause-${c.id}`}>{tr('加入', 'Add')}</Button>
              </div>
            )),
          }))} />
          <Typography.Text strong style={{ display: 'block', marginTop: 12 }}>{tr('已选条款（按顺序）', 'Chosen clauses (in order)')}</Typography.Text>
          {picks.length === 0 ? <Typography.Text type="secondary">{tr('尚未选择条款', 'No clauses chosen')}</Typography.Text> : picks.map((p, i) => (
            <div key={p.id} style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', padding: '2px 0' }} data-testid="picked-clause">
              <span>{i + 1}. {lang === 'zh' ? p.title.zh : p.title.en} <Typography.Text type="secondary">({p.template})</Typography.Text></span>
              <Space size={4}>
                <Button size="small" onClick={() => move(i, -1)}>↑</Button>
                <Button size="small" onClick={() => move(i, 1)}>↓</Button>
                <Button size="small" danger onClick={() => { setCode(null); setPicks(picks.filter((x) => x.id !== p.id)); }} data-testid={`remove-clause-${p.id}`}>{tr('移除', 'Remove')}</Button>
              </Space>
            </div>
          ))}
        </Card>
        <Card size="small" style={{ marginTop: 12 }} title={tr('3. 填写当事方与条款参数', '3. Fill in the parties and terms')}>
          <Form layout="vertical" size="small">
            {partyNames.map((n, i) => (
              <Form.Item key={n} label={`${(summary?.parties ?? baseTpl?.summary.parties ?? []).find((p) => p.name === n)?.label[lang === 'zh' ? 'zh-CN' : 'en'] ?? n} (DID)`}>
                <Input value={valueOf(n, i)} onChange={(e) => setValues({ ...values, [n]: e.target.value })} data-testid={`party-${n}`} />
              </Form.Item>
            ))}
            {paramDefs.map((d) => (
              <Form.Item key={d.name} label={d.label[lang === 'zh' ? 'zh-CN' : 'en']} extra={d.typeWords}>
                {d.type === 'Bool'
                  ? <Switch checked={valueOf(d.name) === 'true'} onChange={(c) => setValues({ ...values, [d.name]: String(c) })} />
                  : <Input value={valueOf(d.name)} onChange={(e) => setValues({ ...values, [d.name]: e.target.value })} data-testid={`param-${d.name}`} />}
              </Form.Item>
            ))}
          </Form>
        </Card>
        <Card size="small" style={{ marginTop: 12 }} title={tr('4. 测试并起草', '4. Test and draft')}>
          <Space wrap>
            <Button loading={busy === 'test'} onClick={runTests} data-testid="run-scenarios">{tr('运行基础模板的情景测试', 'Run the base template\'s scenario tests')}</Button>
            <Button type="primary" disabled={!ok} loading={busy === 'draft'} onClick={startDraft} data-testid="start-draft">{tr('签名起草，发起签署', 'Sign the draft and start signing')}</Button>
          </Space>
          {report && <div style={{ marginTop: 12 }}><Scenarios report={report} /></div>}
          {draft && (
            <Result status="success" style={{ padding: 12 }} data-testid="draft-result"
              title={draft.signed ? tr('您已签署，等待其他当事方', 'You have signed; waiting for the other parties') : tr('草稿已上链', 'Draft on chain')}
              subTitle={<span>{tr('合同 ID', 'Contract id')} <Hash value={draft.id} /> · {tr('指纹', 'fingerprint')} <Hash value={draft.fingerprint} /></span>}
              extra={!draft.signed && myParty ? <Button type="primary" loading={busy === 'sign'} onClick={signNow} data-testid="sign-draft">{tr(`以“${myParty}”身份签署`, `Sign as ${myParty}`)}</Button> : undefined} />
          )}
        </Card>
      </Col>
      <Col span={14}>
        <Card size="small" title={<Space>{tr('法律文本（实时渲染）', 'Legal text (live)')}{compiling && <Spin size="small" />}</Space>}
          extra={<Segmented size="small" value={textLang} onChange={(v) => setTextLang(v as 'zh-CN' | 'en')} options={[{ label: '中文', value: 'zh-CN' }, { label: 'English', value: 'en' }]} />}>
          {compiled?.ok ? <LegalText markdown={compiled.texts[textLang].markdown} /> : <Empty description={tr('合同尚不能编译，见下方问题', 'The contract does not compile yet; see the findings below')} />}
        </Card>
        <Card size="small" style={{ marginTop: 12 }} title={tr('编译器发现的问题', 'What the compiler found')}>
          {compiled ? <Findings diagnostics={compiled.diagnostics} {...(compiled.ok && compiled.paramsError ? { paramsError: compiled.paramsError } : {})} /> : <Spin />}
        </Card>
        <Card size="small" style={{ marginTop: 12 }} title={tr('代码视图（开发者）', 'Code view (developers)')}
          extra={code !== null && <Button size="small" onClick={() => setCode(null)}>{tr('恢复为条款组合', 'Back to the clause composition')}</Button>}>
          <Input.TextArea data-testid="code-view" value={source} onChange={(e) => setCode(e.target.value)} autoSize={{ minRows: 10, maxRows: 30 }} style={{ fontFamily: 'ui-monospace, monospace', fontSize: 12 }} spellCheck={false} />
        </Card>
      </Col>
    </Row>
  );
}

export function ContractInstance({ id, onClose }: { id: string; onClose: () => void }) {
  const { tr, lang, auth, key } = useSession();
  const { message } = App.useApp();
  const v = useLoad<ContractView>(() => getContract(client, id), [id]);
  const [busy, setBusy] = useState(false);
  const [event, setEvent] = useState('');
  const [input, setInput] = useState('{}');
  const mine = v.data ? Object.entries(v.data.instance.parties).find(([, d]) => d === auth?.did)?.[0] : undefined;
  const act = async (f: () => Promise<unknown>, ok: string) => {
    if (!key) return message.error(tr('请重新登录以载入签名密钥', 'Sign in again to load your signing key'));
    setBusy(true);
    try {
      await f();
      message.success(ok);
      v.reload();
    } catch (err) {
      message.error(errText(err));
    } finally {
      setBusy(false);
    }
  };
  const sign = () => act(async () => {
    const fp = await getContractFingerprint(client, id);
    if (!fp.matches) throw new Error(tr('节点重新计算的指纹与合同不一致，拒绝签署', 'The fingerprint the node recomputes does not match; not signing'));
    await signContract(client, key!, id, fp.fingerprint);
  }, tr('已签署', 'Signed'));
  return (
    <Modal open width={960} title={`${tr('合同', 'Contract')} ${id.slice(0, 12)}…`} footer={null} onCancel={onClose}>
      <ErrorBox error={v.error} />
      {v.data && (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="contract-instance">
          <Descriptions size="small" bordered column={2} items={[
            { key: 's', label: tr('状态', 'Status'), children: statusTag(v.data.status, tr) },
            { key: 't', label: tr('模板', 'Template'), children: <Hash value={v.data.instance.template} /> },
            { key: 'f', label: tr('指纹', 'Fingerprint'), span: 2, children: <Hash value={v.data.instance.fingerprint} /> },
            ...Object.entries(v.data.instance.parties).map(([name, did]) => ({
              key: name, label: name, span: 2,
              children: <span>{shortDid(did)} {v.data!.signatures[name] ? <Tag color="green">{tr('已签署', 'signed')} #{v.data!.signatures[name]!.height}</Tag> : <Tag>{tr('未签署', 'not signed')}</Tag>}</span>,
            })),
          ]} />
          {mine && !v.data.signatures[mine] && (v.data.status === 'draft' || v.data.status === 'signing') && (
            <Button type="primary" loading={busy} onClick={sign} data-testid="instance-sign">{tr(`以“${mine}”身份签署`, `Sign as ${mine}`)}</Button>
          )}
          {v.data.obligations.length > 0 && (
            <Table size="small" pagination={false} rowKey="id" dataSource={v.data.obligations}
              columns={[
                { title: tr('义务', 'Obligation'), render: (_, o) => `${o.promisor}：${bi(o.label, lang)}` },
                { title: tr('状态', 'Status'), render: (_, o) => <Tag color={o.status === 'discharged' ? 'green' : o.status === 'breached' ? 'red' : undefined}>{obligationWord(o.status, tr)}</Tag> },
                { title: tr('到期', 'Due'), dataIndex: 'due' },
              ]} />
          )}
          <Typography.Text strong>{tr('事件历史', 'Event history')}</Typography.Text>
          <Timeline items={v.data.history.map((h) => ({ key: h.n, content: `${fmtTime(h.time, lang)} · ${actionText(h.action, tr)}${h.role ? ` (${h.role})` : ''} · ${h.from ? statusWord(h.from, tr) : '∅'} → ${statusWord(h.to, tr)} · #${h.height}` }))} />
          {v.data.status === 'active' && mine && (
            <Space.Compact style={{ width: '100%' }}>
              <Input style={{ width: 200 }} value={event} onChange={(e) => setEvent(e.target.value)} placeholder={tr('事件名', 'Event')} />
              <Input value={input} onChange={(e) => setInput(e.target.value)} placeholder="{}" />
              <Button loading={busy} disabled={!event} onClick={() => act(() => submitContractEvent(client, key!, id, event, JSON.parse(input) as Record<string, JsonValue>), tr('事件已上链', 'Event recorded'))}>{tr('签名提交事件', 'Sign and submit the event')}</Button>
            </Space.Compact>
          )}
          {v.data.settlements.length > 0 && (<><Typography.Text strong>{tr('结算指令', 'Settlement instructions')}</Typography.Text><Json value={v.data.settlements} max={200} /></>)}
          {v.data.state && (<><Typography.Text strong>{tr('合同状态', 'Contract state')}</Typography.Text><Json value={v.data.state} max={200} /></>)}
        </Space>
      )}
    </Modal>
  );
}

function Instances() {
  const { tr, lang, auth } = useSession();
  const list = useLoad(() => listContracts(client, auth!.did, { limit: 100 }), [auth?.did]);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <Space style={{ marginBottom: 12 }}><Button onClick={list.reload} data-testid="instances-reload">{tr('刷新', 'Refresh')}</Button></Space>
      <ErrorBox error={list.error} />
      <Table size="small" rowKey="id" loading={list.loading} dataSource={list.data?.instances ?? []} data-testid="instances"
        locale={{ emptyText: <NoData text={tr('您还没有参与的合同', 'You are not a party to any contract yet')} /> }}
        onRow={(r) => ({ onClick: () => setOpen(r.id), style: { cursor: 'pointer' } })}
        columns={[
          { title: 'ID', dataIndex: 'id', render: (h: string) => <Hash value={h} /> },
          { title: tr('状态', 'Status'), dataIndex: 'status', render: (s: string) => statusTag(s, tr) },
          { title: tr('我的身份', 'My role'), dataIndex: 'role' },
          { title: tr('已签署', 'Signed'), dataIndex: 'signed', render: (s: string[]) => s.join(', ') || '—' },
          { title: tr('起草时间', 'Drafted'), render: (_, r) => fmtTime(r.createdAt.time, lang) },
        ]} />
      {open && <ContractInstance id={open} onClose={() => { setOpen(null); list.reload(); }} />}
    </>
  );
}

function Repository({ lib, onOpen }: { lib: Library; onOpen: (name: string) => void }) {
  const { tr, lang } = useSession();
  const { message } = App.useApp();
  const listing = useLoad(() => listContractTemplates(client), []);
  const [report, setReport] = useState<{ name: string; r: ScenarioReport } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const test = async (name: string) => {
    setBusy(name);
    try {
      setReport({ name, r: await testContractTemplate(client, name) });
    } catch (err) {
      message.error(errText(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      <ErrorBox error={listing.error} />
      <Table size="small" rowKey="name" loading={listing.loading} dataSource={listing.data?.library ?? []} pagination={false} data-testid="templates"
        columns={[
          { title: tr('模板', 'Template'), dataIndex: 'name' },
          { title: tr('标题', 'Title'), render: (_, t) => (t.title ? (lang === 'zh' ? t.title['zh-CN'] : t.title.en) : <Typography.Text type="danger">{t.error}</Typography.Text>) },
          { title: tr('版本', 'Version'), dataIndex: 'version' },
          { title: tr('条款数', 'Clauses'), render: (_, t) => lib.clauses.filter((c) => c.template === t.name).length },
          { title: tr('情景测试', 'Scenarios'), dataIndex: 'scenarios' },
          { title: tr('已部署', 'Deployed'), dataIndex: 'deployed', render: (d?: boolean) => (d ? <Tag color="green">{tr('是', 'yes')}</Tag> : <Tag>{tr('否', 'no')}</Tag>) },
          { title: tr('监管审核', 'Audit'), render: (_, t) => <Audit hash={t.sourceHash} name={t.name} /> },
          { title: '', render: (_, t) => (
            <Space>
              <Button size="small" onClick={() => onOpen(t.name)}>{tr('在低代码编辑器中打开', 'Open in the low-code editor')}</Button>
              <Button size="small" loading={busy === t.name} onClick={() => test(t.name)}>{tr('运行测试', 'Run tests')}</Button>
            </Space>
          ) },
        ]} />
      {report && <Card size="small" style={{ marginTop: 12 }} title={report.name}><Scenarios report={report.r} /></Card>}
      {(listing.data?.deployed.length ?? 0) > 0 && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('签约链上已部署的模板', 'Templates deployed on the signing chain')}</Typography.Title>
          <Table size="small" rowKey="template" pagination={false} dataSource={listing.data!.deployed}
            columns={[
              { title: tr('模板哈希', 'Template hash'), dataIndex: 'template', render: (h: string) => <Hash value={h} /> },
              { title: 'ID', dataIndex: 'id' },
              { title: tr('版本', 'Version'), dataIndex: 'version' },
              { title: tr('标题', 'Title'), render: (_, t) => (lang === 'zh' ? t.title['zh-CN'] : t.title.en) },
            ]} />
        </>
      )}
    </>
  );
}

export function Contracts() {
  const { tr } = useSession();
  const [tab, setTab] = useState('repo');
  const [base, setBase] = useState('payment-on-signature');
  const lib = useLoad<Library>(async () => {
    const listing = await listContractTemplates(client);
    const names = listing.library.filter((t) => !t.error).map((t) => t.name);
    const templates: Record<string, ContractTemplate> = {};
    await Promise.all(names.map(async (n) => { templates[n] = await getContractTemplate(client, n); }));
    return { names, templates, clauses: names.flatMap((n) => clausesOf(n, templates[n]!.source)) };
  }, []);
  return (
    <Card data-testid="page-contracts">
      <ErrorBox error={lib.error} />
      {lib.loading && <Spin />}
      {lib.data && (
        <Tabs activeKey={tab} onChange={setTab} items={[
          { key: 'repo', label: tr('模板库', 'Template repository'), children: <Repository lib={lib.data} onOpen={(n) => { setBase(n); setTab('editor'); }} /> },
          { key: 'editor', label: <span data-testid="tab-editor">{tr('低代码编辑器', 'Low-code editor')}</span>, children: lib.data.names.includes(base) ? <Editor lib={lib.data} base={base} setBase={setBase} /> : <NoData /> },
          { key: 'instances', label: <span data-testid="tab-instances">{tr('我的合同', 'My contracts')}</span>, children: <Instances /> },
        ]} />
      )}
    </Card>
  );
}
