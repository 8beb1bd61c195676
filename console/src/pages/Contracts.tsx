import { useEffect, useMemo, useRef, useState, type JSX, type ReactNode } from 'react';
import {
  Alert, App, Button, Card, Col, Collapse, Descriptions, Empty, Form, Input, Modal, Result, Row, Segmented, Select, Space, Spin, Switch, Table, Tabs, Tag, Timeline, Typography,
} from 'antd';
import {
  DEFAULT_SIGN_CHAIN, type SimulationResult, canonicalize, compileContract, deployContractTemplate, draftContract, getContract, getContractFingerprint, getContractTemplate, listContractTemplates,
  listContracts, signContract, submitContractEvent, supApproval, supApproveCall, testContractTemplate,
  type CompileResponse, type ContractTemplate, type ContractView, type Diagnostic, type JsonValue, type ScenarioReport, type TemplateSummary,
} from '../../../src/sdk/browser.ts';
import { SolidityIde } from './Solidity.tsx';
import { ErrorBox, Hash, Ident, Json, NoData, fmtTime } from '../components.tsx';
import { LEX_DIAG_ZH } from '../i18n/errors.ts';
import {
  clausesOf, companions, compose, defaultPartyMap, foreignParties, freshDate,
  type ClauseEntry, type PartyMap,
} from '../lexcompose.ts';
import { LocalError, client, errNode, errText, shortDid, useLoad, useSession, say } from '../session.tsx';
import { SimulateFirst, confirmVerdict } from '../simfirst.tsx';

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
  return m[s] ? tr(m[s][0], m[s][1]) : tr('其他', 'other');
}

/** A lex label in the console's language. */
function bi(l: { en: string; 'zh-CN'?: string; zh?: string }, lang: 'zh' | 'en'): string {
  return lang === 'zh' ? l['zh-CN'] ?? l.zh ?? l.en : l.en;
}

const CONTRACT_STATUS: Record<string, [string, string, string]> = {
  draft: ['default', '草稿', 'draft'], signing: ['processing', '签署中', 'signing'], active: ['success', '履行中', 'active'],
  completed: ['success', '已完成', 'completed'], terminated: ['error', '已终止', 'terminated'], disputed: ['warning', '争议中', 'disputed'],
};

function statusWord(s: string, tr: Tr): string {
  const m = CONTRACT_STATUS[s];
  return m ? tr(m[1], m[2]) : tr('其他', 'other');
}

function statusTag(s: string, tr: Tr) {
  const v = CONTRACT_STATUS[s];
  return <Tag color={v?.[0]}>{statusWord(s, tr)}</Tag>;
}

function actionText(a: string, tr: Tr): string {
  const m: Record<string, [string, string]> = {
    drafted: ['起草', 'drafted'], signed: ['签署', 'signed'], countersigned: ['公证/法院副署', 'countersigned'], activated: ['生效', 'activated'],
    event: ['事件', 'event'], completed: ['完成', 'completed'], terminated: ['终止', 'terminated'], disputed: ['提出争议', 'disputed'],
    resolved: ['争议解决', 'resolved'], settlementSent: ['结算指令已发送', 'settlement sent'], paymentConfirmed: ['付款已确认', 'payment confirmed'], paymentFailed: ['付款失败', 'payment failed'],
  };
  return m[a] ? tr(m[a][0], m[a][1]) : tr('其他', 'other');
}

/** A party role of a template in the current language ("卖方" for seller), the name itself when the template is unknown. */
function partyLabel(summary: TemplateSummary | undefined, name: string, lang: 'zh' | 'en'): ReactNode {
  const p = summary?.parties.find((x) => x.name === name);
  return p ? bi(p.label, lang) : <Ident>{name}</Ident>;
}

/** Template summaries by source hash, fetched once per hash (party labels for instances). */
const summaries = new Map<string, Promise<TemplateSummary | undefined>>();
function summaryOf(template: string): Promise<TemplateSummary | undefined> {
  let s = summaries.get(template);
  if (!s) {
    s = getContractTemplate(client, template).then((t) => t.summary, () => undefined);
    summaries.set(template, s);
  }
  return s;
}

/**
 * Names inside the legal text that stay as written in either language: list markers such as
 * "(a)" and "(iv)", and the template's id after 模板. The text itself is what the parties sign, so
 * it is shown unchanged; these runs are only marked as identifiers.
 */
const NAMES_IN_TEXT = /(\((?:[a-z]|[ivx]{1,5})\)|(?<=模板)[a-z][a-z0-9]*(?:-[a-z0-9]+)+)/;
function withNames(t: string): ReactNode[] {
  return t.split(NAMES_IN_TEXT).map((p, i) => (i % 2 === 1 ? <Ident key={i}>{p}</Ident> : p));
}

/** Markdown from the lex renderer, shown as React text (never as HTML): headings, paragraphs, lists and tables. */
function LegalText({ markdown }: { markdown: string }) {
  const lines = markdown.split('\n');
  const out: JSX.Element[] = [];
  const clean = (t: string) => t.replace(/\*\*/g, '').replace(/\\([\\`*_{}[\]()#+\-.!|])/g, '$1');
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
          <tbody>{rows.map((r, j) => <tr key={j}>{r.map((c, k) => <td key={k} style={{ border: '1px solid #d9d9d9', padding: '4px 8px', fontWeight: j === 0 ? 600 : 400 }}>{withNames(c)}</td>)}</tr>)}</tbody>
        </table>,
      );
      continue;
    }
    const h = /^(#{1,4})\s+(.*)$/.exec(line);
    if (h) out.push(<Typography.Title key={i} level={Math.min(5, h[1]!.length + 2) as 3 | 4 | 5}>{withNames(clean(h[2]!))}</Typography.Title>);
    else if (line.trim() !== '') out.push(<Typography.Paragraph key={i} style={{ marginBottom: 8 }}>{withNames(clean(line).replace(/^[-*]\s+/, '• '))}</Typography.Paragraph>);
  }
  return <div data-testid="legal-text" style={{ fontFamily: 'Georgia, "Songti SC", serif', lineHeight: 1.8 }}>{out}</div>;
}

/** A compiler finding in the current language: its own Chinese text, else what its code means. */
function diagText(d: Diagnostic, lang: 'zh' | 'en'): string {
  if (lang === 'en') return d.message;
  return d.zh ?? LEX_DIAG_ZH[d.code] ?? '编译器的其他发现';
}

function Findings({ diagnostics, paramsError }: { diagnostics: Diagnostic[]; paramsError?: { code: string; message: string; zh?: string } }) {
  const { tr, lang } = useSession();
  if (diagnostics.length === 0 && !paramsError) return <Alert type="success" showIcon title={tr('编译器未发现问题：条款之间一致，可以起草签署。', 'The compiler found nothing wrong: the clauses fit together and the contract can be drafted.')} data-testid="findings-ok" />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="findings">
      {diagnostics.map((d, i) => (
        <Alert key={i} type={d.severity === 'error' ? 'error' : 'warning'} showIcon data-testid={`finding-${d.code}`}
          title={<span title={d.message}>{d.severity === 'error' ? tr('需要修改', 'Must be fixed') : tr('请注意', 'Worth a look')} · {tr(`第 ${d.line} 行`, `line ${d.line}`)}{tr('：', ': ')}{diagText(d, lang)} <Ident>{d.code}</Ident></span>} />
      ))}
      {paramsError && <Alert type="warning" showIcon data-testid="params-error" title={<span title={paramsError.message}>{tr('条款参数：', 'Terms: ')}{lang === 'zh' ? paramsError.zh ?? '参数与模板不符' : paramsError.message}</span>} />}
    </Space>
  );
}

function Scenarios({ report }: { report: ScenarioReport }) {
  const { tr, lang } = useSession();
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="scenario-report">
      <Alert type={report.ok ? 'success' : 'error'} showIcon title={tr(`情景测试：通过 ${report.passed}，失败 ${report.failed}`, `Scenario tests: ${report.passed} passed, ${report.failed} failed`)} />
      {report.templates.flatMap((t) => t.files).map((f) => (
        <div key={f.file}>
          <Tag color={f.passed ? 'green' : 'red'}>{f.passed ? tr('通过', 'pass') : tr('失败', 'fail')}</Tag>{lang === 'zh' ? f.nameZh ?? tr('（未附中文说明的情景）', '') : f.name} · {tr(`${f.steps} 步`, `${f.steps} steps`)}
          {f.failures.map((x, i) => <div key={i} style={{ color: '#cf1322', marginLeft: 24 }}>{tr(`第 ${x.step} 步`, `step ${x.step}`)}{tr('：', ': ')}<Typography.Text code>{x.message}</Typography.Text></div>)}
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

/** A field hint with its examples (dates, lengths of time) set as code, so they read as what to type. */
function Hint({ text }: { text: string }) {
  const parts = text.split(/(\d{4}-\d{2}-\d{2}(?:T[\d:]+(?:[+-]\d{2}:\d{2})?)?|\d+ (?:days|hours|minutes|weeks|seconds))/);
  return <span>{parts.map((p, i) => (i % 2 === 1 ? <Typography.Text key={i} code>{p}</Typography.Text> : p))}</span>;
}

/** Milliseconds of a Date term's value (date alone read at the end of that day, +08:00 when no offset). */
function dateMs(v: string): number | undefined {
  const t = v.trim();
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(t) ? Date.parse(`${t}T23:59:59+08:00`) : Date.parse(/[+-]\d{2}:\d{2}$|Z$/.test(t) ? t : `${t}+08:00`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Waits this long after the last change before asking the node to compile. */
const COMPILE_DEBOUNCE_MS = 400;

function Editor({ lib, base, setBase }: { lib: Library; base: string; setBase: (b: string) => void }) {
  const { tr, lang, auth, key } = useSession();
  const { message, modal } = App.useApp();
  // The simulation of exactly the deployment to be signed (null until simulated, cleared on any change).
  const [sim, setSim] = useState<SimulationResult | null>(null);
  const baseTpl = lib.templates[base];
  const [picks, setPicks] = useState<ClauseEntry[]>(() => lib.clauses.filter((c) => c.template === base));
  const [partyMap, setPartyMap] = useState<PartyMap>({});
  const [values, setValues] = useState<Record<string, string>>({});
  const [code, setCode] = useState<string | null>(null);
  const [compiled, setCompiled] = useState<CompileResponse | null>(null);
  const [compiling, setCompiling] = useState(false);
  // The legal text follows the console's language until the user picks one.
  const [pickedTextLang, setTextLang] = useState<'zh-CN' | 'en' | null>(null);
  const textLang = pickedTextLang ?? (lang === 'zh' ? 'zh-CN' : 'en');
  const [report, setReport] = useState<ScenarioReport | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [draft, setDraft] = useState<{ id: string; fingerprint: string; signed: boolean } | null>(null);
  const seq = useRef(0);
  const now = useMemo(() => Date.now(), []);

  // Switching the base template starts again from its own clauses and sample terms.
  useEffect(() => {
    setPicks(lib.clauses.filter((c) => c.template === base));
    setPartyMap({});
    setCode(null);
    setDraft(null);
    setReport(null);
  }, [base, lib]);

  // Foreign parties map onto the base's parties on their side of the deal, unless the user chose otherwise.
  const parties0 = useMemo(() => (baseTpl ? { ...defaultPartyMap(baseTpl.source, picks), ...partyMap } : {}), [baseTpl, picks, partyMap]);
  const foreign = useMemo(() => (baseTpl ? foreignParties(baseTpl.source, picks) : []), [baseTpl, picks]);
  const composition = useMemo(() => (baseTpl ? compose(baseTpl.source, picks, parties0) : { source: '', dropped: [] }), [baseTpl, picks, parties0]);
  const source = code ?? composition.source;

  const summary = compiled && compiled.ok ? compiled.summary : null;
  const partyNames = summary?.parties.map((p) => p.name) ?? baseTpl?.summary.parties.map((p) => p.name) ?? [];
  const paramDefs = summary?.params ?? baseTpl?.summary.params ?? [];

  // Defaults: each template's sample, with date terms that lie in the past moved to 30 days from now.
  // Parties: the signed-in DID for the first one; the others are for the user to name.
  const samples = useMemo(() => {
    const s: Record<string, JsonValue> = {};
    for (const t of [base, ...picks.map((p) => p.template)]) for (const [k, v] of Object.entries(lib.templates[t]?.sample ?? {})) if (!(k in s)) s[k] = v;
    return s;
  }, [base, picks, lib]);
  const dateParams = new Set(paramDefs.filter((d) => d.type === 'Date').map((d) => d.name));
  const valueOf = (name: string, i = -1): string => {
    if (values[name] !== undefined) return values[name]!;
    if (i >= 0) return i === 0 && auth ? auth.did : '';
    const sample = asText(samples[name]);
    return dateParams.has(name) ? freshDate(sample, now) : sample;
  };

  const params = useMemo(() => {
    const p: Record<string, JsonValue> = {};
    for (const d of paramDefs) p[d.name] = paramValue(d.type, valueOf(d.name));
    return p;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [paramDefs, values, samples]);
  const parties = useMemo(() => Object.fromEntries(partyNames.map((n, i) => [n, valueOf(n, i)])), [partyNames, values, samples, auth]); // eslint-disable-line react-hooks/exhaustive-deps

  // The node compiles and renders the source when what would be compiled changes, once the user
  // pauses: keyed on the request's content, so a new answer (a new summary object) never asks again.
  const request = useMemo(() => canonicalize({ source, params: { ...params, ...parties } }), [source, params, parties]);
  useEffect(() => {
    if (!source) return;
    const n = ++seq.current;
    setCompiling(true);
    const t = setTimeout(() => {
      compileContract(client, JSON.parse(request) as { source: string; params: Record<string, JsonValue> }).then(
        (r) => { if (n === seq.current) { setCompiled(r); setCompiling(false); } },
        (e: unknown) => { if (n === seq.current) { setCompiled(null); setCompiling(false); message.error(errNode(e)); } },
      );
    }, COMPILE_DEBOUNCE_MS);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [request]);

  const move = (i: number, d: -1 | 1) => setPicks((ps) => {
    const a = [...ps];
    const j = i + d;
    if (j < 0 || j >= a.length) return a;
    [a[i], a[j]] = [a[j]!, a[i]!];
    return a;
  });

  /** Adds a clause with the clauses of its template it cannot work without, in their template's order. */
  const add = (c: ClauseEntry) => {
    const extra = companions(c, lib.clauses, picks);
    const order = (x: ClauseEntry) => lib.clauses.indexOf(x);
    setCode(null);
    setPicks([...picks, ...[c, ...extra].sort((a, b) => order(a) - order(b))]);
    if (extra.length > 0) {
      message.info(say(
        `同时加入了它所依赖的条款：${extra.map((x) => x.title.zh).join('、')}`,
        `Also added the clauses it needs: ${extra.map((x) => x.title.en).join(', ')}`,
      ));
    }
  };

  const runTests = async () => {
    setBusy('test');
    try {
      setReport(await testContractTemplate(client, base));
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(null);
    }
  };

  const startDraft = async () => {
    if (!key) return message.error(say('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)'));
    setBusy('draft');
    try {
      const dep = await deployContractTemplate(client, key, source);
      const d = await draftContract(client, key, { template: dep.result.template, params, parties });
      setDraft({ id: d.result.id, fingerprint: d.result.fingerprint, signed: false });
      message.success(say('合同草稿已上链，等待各方签署', 'The draft is on chain, waiting for the parties to sign'));
    } catch (err) {
      message.error(errNode(err));
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
      if (!fp.matches || fp.fingerprint !== draft.fingerprint) throw new LocalError('指纹不一致，拒绝签署', 'The fingerprint does not match; not signing');
      await signContract(client, key, draft.id, draft.fingerprint);
      setDraft({ ...draft, signed: true });
      message.success(say('已签署', 'Signed'));
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(null);
    }
  };

  const titleOf = (n: string) => { const t = lib.templates[n]?.summary.title; return t ? bi(t, lang) : n; };
  const byTemplate = lib.names.map((n) => ({ name: n, clauses: lib.clauses.filter((c) => c.template === n) }));
  const ok = compiled?.ok === true && compiled.diagnostics.every((d) => d.severity !== 'error') && !compiled.paramsError;
  const myParty = partyNames.find((n) => parties[n] === auth?.did);
  const partySummary = summary ?? baseTpl?.summary;
  const baseParties = baseTpl?.summary.parties ?? [];
  const pastDates = paramDefs.filter((d) => d.type === 'Date' && (dateMs(valueOf(d.name)) ?? Infinity) < Date.now());

  return (
    <Row gutter={16} data-testid="lowcode-editor">
      <Col span={10}>
        <Card size="small" title={tr('1. 选择基础模板', '1. Choose a base template')}>
          <Select style={{ width: '100%' }} value={base} onChange={setBase} data-testid="base-template"
            options={lib.names.map((n) => ({ value: n, label: <span>{titleOf(n)} <Ident>{n}</Ident></span> }))} />
        </Card>
        <Card size="small" style={{ marginTop: 12 }} title={tr('2. 从条款库挑选条款', '2. Pick clauses from the library')}>
          <Collapse size="small" items={byTemplate.map((t) => ({
            key: t.name,
            label: titleOf(t.name),
            children: t.clauses.map((c) => (
              <div key={c.id} style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', padding: '2px 0' }}>
                <span>{lang === 'zh' ? c.title.zh : c.title.en}</span>
                <Button size="small" disabled={picks.some((p) => p.id === c.id)} onClick={() => add(c)} data-testid={`add-clause-${c.id}`}>{tr('加入', 'Add')}</Button>
              </div>
            )),
          }))} />
          <Typography.Text strong style={{ display: 'block', marginTop: 12 }}>{tr('已选条款（按顺序）', 'Chosen clauses (in order)')}</Typography.Text>
          {picks.length === 0 ? <Typography.Text type="secondary">{tr('尚未选择条款', 'No clauses chosen')}</Typography.Text> : picks.map((p, i) => (
            <div key={p.id} style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', padding: '2px 0' }} data-testid="picked-clause">
              <span>{i + 1}. {lang === 'zh' ? p.title.zh : p.title.en} <Typography.Text type="secondary">{tr('（', '(')}{titleOf(p.template)}{tr('）', ')')}</Typography.Text></span>
              <Space size={4}>
                <Button size="small" onClick={() => move(i, -1)}>↑</Button>
                <Button size="small" onClick={() => move(i, 1)}>↓</Button>
                <Button size="small" danger onClick={() => { setCode(null); setPicks(picks.filter((x) => x.id !== p.id)); }} data-testid={`remove-clause-${p.id}`}>{tr('移除', 'Remove')}</Button>
              </Space>
            </div>
          ))}
          {composition.dropped.map((d) => (
            <Alert key={`${d.clause}/${d.name}`} type="info" showIcon style={{ marginTop: 8 }} data-testid="dropped-exception"
              title={tr(`已略去例外“${d.label.zh}”：所选条款中没有能触发它的条款`, `Left out the exception "${d.label.en}": none of the chosen clauses can trigger it`)} />
          ))}
        </Card>
        {foreign.length > 0 && (
          <Card size="small" style={{ marginTop: 12 }} title={tr('当事方对应', 'Parties')} data-testid="party-map">
            <Typography.Paragraph type="secondary">{tr('来自其他模板的条款中的当事方，对应到本合同的当事方：', 'The parties of clauses from other templates, as parties of this contract:')}</Typography.Paragraph>
            {foreign.map((f) => (
              <div key={f.key} style={{ display: 'flex', alignItems: 'center', gap: 8, marginBottom: 6 }}>
                <span style={{ minWidth: 180 }}>{lang === 'zh' ? f.label.zh : f.label.en}{tr('（', ' (')}{titleOf(f.template)}{tr('）', ')')}</span>
                <span>→</span>
                <Select style={{ width: 220 }} size="small" value={parties0[f.key] ?? ''} data-testid={`party-map-${f.name}`}
                  onChange={(v: string) => { setCode(null); setPartyMap({ ...partyMap, [f.key]: v || null }); }}
                  options={[...baseParties.map((b) => ({ value: b.name, label: bi(b.label, lang) })), { value: '', label: tr('作为另一方当事人', 'a party of its own') }]} />
              </div>
            ))}
          </Card>
        )}
        <Card size="small" style={{ marginTop: 12 }} title={tr('3. 填写当事方与条款参数', '3. Fill in the parties and terms')}>
          <Form layout="vertical" size="small">
            {partyNames.map((n, i) => (
              <Form.Item key={n} label={<span>{partyLabel(partySummary, n, lang)}{tr('（DID）', ' (DID)')}</span>}>
                <Input value={valueOf(n, i)} onChange={(e) => setValues({ ...values, [n]: e.target.value })} data-testid={`party-${n}`}
                  placeholder={i === 0 ? undefined : tr('对方的 DID', 'the other party\'s DID')} />
              </Form.Item>
            ))}
            {paramDefs.map((d) => (
              <Form.Item key={d.name} label={bi(d.label, lang)} extra={<Hint text={lang === 'zh' ? d.typeWordsZh ?? '' : d.typeWords} />}>
                {d.type === 'Bool'
                  ? <Switch checked={valueOf(d.name) === 'true'} onChange={(c) => setValues({ ...values, [d.name]: String(c) })} />
                  : <Input value={valueOf(d.name)} onChange={(e) => setValues({ ...values, [d.name]: e.target.value })} data-testid={`param-${d.name}`} />}
              </Form.Item>
            ))}
            {pastDates.map((d) => (
              <Alert key={d.name} type="warning" showIcon style={{ marginBottom: 8 }} data-testid={`past-date-${d.name}`}
                title={tr(`“${bi(d.label, 'zh')}”已是过去的时间`, `"${bi(d.label, 'en')}" is already in the past`)} />
            ))}
          </Form>
        </Card>
        <Card size="small" style={{ marginTop: 12 }} title={tr('4. 测试并起草', '4. Test and draft')}>
          <Space wrap>
            <Button loading={busy === 'test'} onClick={runTests} data-testid="run-scenarios">{tr('运行基础模板的情景测试', 'Run the base template\'s scenario tests')}</Button>
            <Button type="primary" disabled={!ok || !sim} loading={busy === 'draft'} onClick={() => sim && confirmVerdict(sim, modal, tr, async () => { await startDraft(); })} data-testid="start-draft">{tr('签名起草，发起签署', 'Sign the draft and start signing')}</Button>
          </Space>
          {ok && <div style={{ marginTop: 12 }}><SimulateFirst calls={[{ chain: DEFAULT_SIGN_CHAIN, module: 'lexcontract', method: 'deploy', args: { source } }]} onResult={setSim} /></div>}
          {report && <div style={{ marginTop: 12 }}><Scenarios report={report} /></div>}
          {draft && (
            <Result status="success" style={{ padding: 12 }} data-testid="draft-result"
              title={draft.signed ? tr('您已签署，等待其他当事方', 'You have signed; waiting for the other parties') : tr('草稿已上链', 'Draft on chain')}
              subTitle={<span>{tr('合同编号', 'Contract id')} <Hash value={draft.id} /> · {tr('指纹', 'fingerprint')} <Hash value={draft.fingerprint} /></span>}
              extra={!draft.signed && myParty ? <Button type="primary" loading={busy === 'sign'} onClick={signNow} data-testid="sign-draft">{tr('以', 'Sign as ')}{partyLabel(partySummary, myParty, lang)}{tr('身份签署', '')}</Button> : undefined} />
          )}
        </Card>
      </Col>
      <Col span={14}>
        <Card size="small" title={<Space>{tr('法律文本（实时渲染）', 'Legal text (live)')}{compiling && <Spin size="small" />}</Space>}
          extra={<Segmented size="small" value={textLang} onChange={(v) => setTextLang(v as 'zh-CN' | 'en')} options={[{ label: tr('中文', 'Chinese'), value: 'zh-CN' }, { label: tr('英文', 'English'), value: 'en' }]} />}>
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
  const v = useLoad<{ view: ContractView; summary: TemplateSummary | undefined }>(async () => {
    const view = await getContract(client, id);
    return { view, summary: await summaryOf(view.instance.template) };
  }, [id]);
  const [busy, setBusy] = useState(false);
  const [event, setEvent] = useState('');
  const [input, setInput] = useState('{}');
  const data = v.data?.view;
  const summary = v.data?.summary;
  const mine = data ? Object.entries(data.instance.parties).find(([, d]) => d === auth?.did)?.[0] : undefined;
  const act = async (f: () => Promise<unknown>, ok: string) => {
    if (!key) return message.error(say('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)'));
    setBusy(true);
    try {
      await f();
      message.success(ok);
      v.reload();
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  const sign = () => act(async () => {
    const fp = await getContractFingerprint(client, id);
    if (!fp.matches) throw new LocalError('节点重新计算的指纹与合同不一致，拒绝签署', 'The fingerprint the node recomputes does not match; not signing');
    await signContract(client, key!, id, fp.fingerprint);
  }, tr('已签署', 'Signed'));
  return (
    <Modal open width={960} title={`${tr('合同', 'Contract')} ${id.slice(0, 12)}…`} footer={null} onCancel={onClose}>
      <ErrorBox error={v.error} />
      {data && (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="contract-instance">
          <Descriptions size="small" bordered column={2} items={[
            { key: 's', label: tr('状态', 'Status'), children: statusTag(data.status, tr) },
            { key: 't', label: tr('模板', 'Template'), children: <span>{summary ? bi(summary.title, lang) : null} <Hash value={data.instance.template} /></span> },
            { key: 'f', label: tr('指纹', 'Fingerprint'), span: 2, children: <Hash value={data.instance.fingerprint} /> },
            ...Object.entries(data.instance.parties).map(([name, did]) => ({
              key: name, label: partyLabel(summary, name, lang), span: 2,
              children: <span>{shortDid(did)} {data.signatures[name] ? <Tag color="green">{tr('已签署', 'signed')} #{data.signatures[name]!.height}</Tag> : <Tag>{tr('未签署', 'not signed')}</Tag>}</span>,
            })),
          ]} />
          {mine && !data.signatures[mine] && (data.status === 'draft' || data.status === 'signing') && (
            <Button type="primary" loading={busy} onClick={sign} data-testid="instance-sign">{tr('以', 'Sign as ')}{partyLabel(summary, mine, lang)}{tr('身份签署', '')}</Button>
          )}
          {data.obligations.length > 0 && (
            <Table size="small" pagination={false} rowKey="id" dataSource={data.obligations}
              columns={[
                { title: tr('义务', 'Obligation'), render: (_, o) => <span>{partyLabel(summary, o.promisor, lang)}{tr('：', ': ')}{bi(o.label, lang)}</span> },
                { title: tr('状态', 'Status'), render: (_, o) => <Tag color={o.status === 'discharged' ? 'green' : o.status === 'breached' ? 'red' : undefined}>{obligationWord(o.status, tr)}</Tag> },
                { title: tr('到期', 'Due'), dataIndex: 'due', render: (d: unknown) => (typeof d === 'number' ? fmtTime(d, lang) : d === undefined || d === null ? '—' : <Ident>{String(d)}</Ident>) },
              ]} />
          )}
          <Typography.Text strong>{tr('事件历史', 'Event history')}</Typography.Text>
          <Timeline items={data.history.map((h) => ({ key: h.n, content: <span>{fmtTime(h.time, lang)} · {actionText(h.action, tr)}{h.role ? <>{tr('（', ' (')}{partyLabel(summary, h.role, lang)}{tr('）', ')')}</> : null} · {h.from ? statusWord(h.from, tr) : '∅'} → {statusWord(h.to, tr)} · #{h.height}</span> }))} />
          {data.status === 'active' && mine && (
            <Space.Compact style={{ width: '100%' }}>
              <Select style={{ width: 240 }} value={event || undefined} onChange={setEvent} placeholder={tr('事件', 'Event')} data-testid="instance-event"
                options={(summary?.events ?? []).filter((e) => e.from === 'anyone' || (mine !== undefined && e.from.includes(mine))).map((e) => ({ value: e.name, label: bi(e.label, lang) }))} />
              <Input value={input} onChange={(e) => setInput(e.target.value)} placeholder="{}" />
              <Button loading={busy} disabled={!event} onClick={() => act(async () => {
                let args: Record<string, JsonValue>;
                try {
                  args = JSON.parse(input) as Record<string, JsonValue>;
                } catch {
                  throw new LocalError('事件信息应为 JSON 对象', 'The event information must be a JSON object');
                }
                await submitContractEvent(client, key!, id, event, args);
              }, tr('事件已上链', 'Event recorded'))}>{tr('签名提交事件', 'Sign and submit the event')}</Button>
            </Space.Compact>
          )}
          {data.settlements.length > 0 && (<><Typography.Text strong>{tr('结算指令', 'Settlement instructions')}</Typography.Text><Json value={data.settlements} max={200} /></>)}
          {data.state && (<><Typography.Text strong>{tr('合同状态', 'Contract state')}</Typography.Text><Json value={data.state} max={200} /></>)}
        </Space>
      )}
    </Modal>
  );
}

function Instances() {
  const { tr, lang, auth } = useSession();
  const list = useLoad(async () => {
    const r = await listContracts(client, auth!.did, { limit: 100 });
    const sums = new Map<string, TemplateSummary | undefined>();
    await Promise.all([...new Set(r.instances.map((i) => i.template))].map(async (t) => sums.set(t, await summaryOf(t))));
    return { instances: r.instances, sums };
  }, [auth?.did]);
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
          { title: tr('合同', 'Contract'), render: (_, r) => { const s = list.data?.sums.get(r.template); return s ? bi(s.title, lang) : '—'; } },
          { title: tr('我的身份', 'My role'), render: (_, r) => partyLabel(list.data?.sums.get(r.template), r.role, lang) },
          { title: tr('已签署', 'Signed'), render: (_, r) => (r.signed.length === 0 ? '—' : r.signed.map((n, i) => <span key={n}>{i > 0 ? tr('、', ', ') : ''}{partyLabel(list.data?.sums.get(r.template), n, lang)}</span>)) },
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
      message.error(errNode(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      <ErrorBox error={listing.error} />
      <Table size="small" rowKey="name" loading={listing.loading} dataSource={listing.data?.library ?? []} pagination={false} data-testid="templates"
        columns={[
          { title: tr('模板', 'Template'), dataIndex: 'name', render: (n: string) => <Ident>{n}</Ident> },
          { title: tr('标题', 'Title'), render: (_, t) => (t.title ? (lang === 'zh' ? t.title['zh-CN'] : t.title.en) : <Typography.Text type="danger" title={t.error}>{tr('无法编译', 'does not compile')}</Typography.Text>) },
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
      {report && <Card size="small" style={{ marginTop: 12 }} title={<span>{lib.templates[report.name] ? bi(lib.templates[report.name]!.summary.title, lang) : null} <Ident>{report.name}</Ident></span>}><Scenarios report={report.r} /></Card>}
      {(listing.data?.deployed.length ?? 0) > 0 && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('签约链上已部署的模板', 'Templates deployed on the signing chain')}</Typography.Title>
          <Table size="small" rowKey="template" pagination={false} dataSource={listing.data!.deployed}
            columns={[
              { title: tr('模板哈希', 'Template hash'), dataIndex: 'template', render: (h: string) => <Hash value={h} /> },
              { title: 'ID', dataIndex: 'id', render: (x: string) => <Ident>{x}</Ident> },
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
          { key: 'solidity', label: <span data-testid="tab-solidity">{tr('Solidity 合约', 'Solidity contracts')}</span>, children: <SolidityIde /> },
        ]} />
      )}
    </Card>
  );
}
