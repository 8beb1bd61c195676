/**
 * The Solidity side of the contract IDE (issue #25 item 3): for business chains running the `evm`
 * module, paste or upload a source, compile it on the node (POST /v1/evm/compile: bounded in
 * size, time and concurrency; the compiler's diagnostics with line and column), deploy a contract
 * with a signed `evm.deploy` tx (constructor arguments from its ABI), and call any function
 * through a form generated from the ABI: view and pure functions through eth_call (no tx), the
 * others as signed `evm.call` txs. Keys sign in this tab; nothing but the signed tx leaves it.
 * Contracts deployed from this tab are remembered in localStorage per chain (address and ABI).
 */
import { useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, Empty, Form, Input, Row, Select, Space, Table, Tag, Typography, Upload } from 'antd';
import { Interface, type Fragment, type FunctionFragment, type ParamType } from 'ethers';
import { compileSolidity, ethCall, govEvmFreezes, type FreezeRecord, type SolcContract, type SolcResult } from '../../../src/sdk/browser.ts';
import { ErrorBox, Ident, Mono, UserText } from '../components.tsx';
import { LocalError, client, errNode, useLoad, useSession, say } from '../session.tsx';

const SAMPLE = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

contract Greeter {
    string public greeting;
    uint256 public changes;

    constructor(string memory initial) {
        greeting = initial;
    }

    function setGreeting(string calldata next) external {
        greeting = next;
        changes += 1;
    }
}
`;
/** The node refuses more (api/solc.ts); said here before sending. */
const MAX_SOURCE_BYTES = 64 * 1024;
const STORE = 'shulian.console.evm.deployed';
// Names that are the same in both languages: the module, the compiler and its target.
const EVM_MODULE = 'evm';
const SOLC = 'solc';
const EVM_VERSION = 'shanghai';

interface Deployed { chain: string; address: string; name: string; abi: SolcContract['abi']; tx: string }

function loadDeployed(): Deployed[] {
  try {
    const v = JSON.parse(localStorage.getItem(STORE) ?? '[]') as Deployed[];
    return Array.isArray(v) ? v.slice(0, 50) : [];
  } catch {
    return [];
  }
}

/** A form value as the ABI type wants it: arrays and tuples as JSON, bool as true/false, numbers as decimal text. */
export function parseArg(p: ParamType, raw: string): unknown {
  const t = p.baseType;
  if (t === 'array' || t === 'tuple') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new LocalError(`参数“${p.name || p.type}”：应为 JSON，例如 [1,2]`, `argument ${p.name || p.type}: JSON is expected, e.g. [1,2]`);
    }
  }
  if (t === 'bool') {
    if (raw !== 'true' && raw !== 'false') throw new LocalError(`参数“${p.name || p.type}”：应为“${'true'}”或“${'false'}”`, `argument ${p.name || p.type}: true or false`);
    return raw === 'true';
  }
  if (/^u?int/.test(t) && !/^-?\d+$/.test(raw.trim())) throw new LocalError(`参数“${p.name || p.type}”：应为整数`, `argument ${p.name || p.type}: a whole number`);
  if (t === 'address' && !/^0x[0-9a-fA-F]{40}$/.test(raw.trim())) throw new LocalError(`参数“${p.name || p.type}”：应为以“${'0x'}”开头的 40 位十六进制地址`, `argument ${p.name || p.type}: an address, 0x and 40 hex digits`);
  return t === 'address' ? raw.trim().toLowerCase() : raw;
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function ArgInputs({ inputs, values, set, prefix }: { inputs: readonly ParamType[]; values: Record<string, string>; set: (k: string, v: string) => void; prefix: string }) {
  return (
    <span data-ident="">
      {inputs.map((p, i) => (
        <Input key={i} size="small" style={{ width: 220 }} placeholder={`${p.name || `arg${i}`} (${p.type})`} data-testid={`${prefix}-arg-${i}`}
          value={values[`${prefix}:${i}`] ?? ''} onChange={(e) => set(`${prefix}:${i}`, e.target.value)} />
      ))}
    </span>
  );
}

/** The generated form: one row per function of the ABI, read functions answered at once, writes signed. */
/** A contract frozen by governance: the freeze's proposal and reason (docs/engines.md#freezing-an-evm-contract). */
function FrozenBadge({ d, f }: { d: Deployed; f: FreezeRecord | undefined }) {
  const { tr } = useSession();
  if (!f) return <Tag color="green" data-testid={`sol-active-${d.address}`}>{tr('正常', 'active')}</Tag>;
  return (
    <Tag color="red" title={f.reason} data-testid={`sol-frozen-${d.address}`}>
      {f.how === 'emergency' ? tr(`紧急冻结 · 第 ${f.proposal} 号提案`, `emergency freeze · proposal #${f.proposal}`) : tr(`已冻结 · 第 ${f.proposal} 号提案`, `frozen · proposal #${f.proposal}`)}
    </Tag>
  );
}

function AbiForm({ d, frozen }: { d: Deployed; frozen?: FreezeRecord | undefined }) {
  const { tr, sendTx } = useSession();
  const { message } = App.useApp();
  const iface = useMemo(() => new Interface(d.abi as never), [d.abi]);
  const fns = useMemo(() => iface.fragments.filter((f: Fragment): f is FunctionFragment => f.type === 'function'), [iface]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [out, setOut] = useState<Record<string, { ok: boolean; text: string }>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const set = (k: string, v: string) => setValues((x) => ({ ...x, [k]: v }));
  const run = async (f: FunctionFragment) => {
    setBusy(f.format());
    try {
      const args = f.inputs.map((p, i) => parseArg(p, values[`${f.name}:${i}`] ?? ''));
      const data = iface.encodeFunctionData(f, args);
      if (f.constant) {
        const ret = await ethCall(client, d.chain, { to: d.address, data });
        setOut((o) => ({ ...o, [f.format()]: { ok: true, text: show([...iface.decodeFunctionResult(f, ret)]) } }));
      } else {
        const inc = await sendTx(d.chain, { module: 'evm', method: 'call', args: { to: d.address, data } });
        const r = inc.receipt.result as { returnData?: string; gasUsed?: number } | undefined;
        const decoded = r?.returnData && f.outputs.length > 0 ? show([...iface.decodeFunctionResult(f, r.returnData)]) : '';
        setOut((o) => ({ ...o, [f.format()]: { ok: true, text: `${tr('已上链', 'committed')} · ${tr('区块', 'block')} ${inc.height} · ${tr('燃料', 'gas')} ${r?.gasUsed ?? '?'}${decoded ? ` · ${decoded}` : ''}` } }));
        message.success(say('交易已上链', 'The transaction is committed'));
      }
    } catch (err) {
      setOut((o) => ({ ...o, [f.format()]: { ok: false, text: err instanceof LocalError ? tr(err.zh, err.en) : (err as Error).message } }));
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
    {frozen ? (
      <Alert type="error" showIcon style={{ marginBottom: 8 }} data-testid="abi-frozen"
        title={tr(`该合约已被治理冻结（第 ${frozen.proposal} 号提案：${frozen.reason}）：对它的调用（含经其他合约的调用与只读查询）都会被拒绝，解冻提案通过后恢复。`,
          `This contract is frozen by governance (proposal #${frozen.proposal}: ${frozen.reason}): calls to it — through other contracts and reads too — are refused until an unfreeze proposal passes.`)} />
    ) : null}
    <Table size="small" pagination={false} rowKey={(f) => f.format()} dataSource={fns} data-testid="abi-form"
      columns={[
        { title: tr('函数', 'Function'), render: (_, f: FunctionFragment) => <span><Ident>{f.name}</Ident> {f.constant ? <Tag color="blue">{tr('只读', 'read')}</Tag> : <Tag color="orange">{tr('写入（签名交易）', 'write (signed tx)')}</Tag>}</span> },
        { title: tr('参数', 'Arguments'), render: (_, f: FunctionFragment) => <Space wrap><ArgInputs inputs={f.inputs} values={values} set={set} prefix={f.name} /></Space> },
        { title: '', render: (_, f: FunctionFragment) => <Button size="small" loading={busy === f.format()} onClick={() => run(f)} data-testid={`abi-call-${f.name}`}>{f.constant ? tr('查询', 'Read') : tr('签名调用', 'Sign and call')}</Button> },
        { title: tr('结果', 'Result'), render: (_, f: FunctionFragment) => { const o = out[f.format()]; return o ? <Typography.Text type={o.ok ? undefined : 'danger'} data-testid={`abi-out-${f.name}`}>{o.text}</Typography.Text> : null; } },
      ]} />
    </>
  );
}

export function SolidityIde() {
  const { tr, sendTx, key } = useSession();
  const { message } = App.useApp();
  const chains = useLoad(async () => (await client.chains()).filter((c) => c.modules.includes('evm')), []);
  const [chain, setChain] = useState<string>();
  const [source, setSource] = useState(SAMPLE);
  const [compiled, setCompiled] = useState<SolcResult | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [picked, setPicked] = useState<string>();
  const [ctor, setCtor] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<'compile' | 'deploy' | null>(null);
  const [deployed, setDeployed] = useState<Deployed[]>(loadDeployed);
  const [open, setOpen] = useState<string | null>(null);
  // Governance freezes of the contracts listed, per chain (the governance chain's latest state).
  const listed = [...new Set(deployed.map((d) => d.chain))].sort();
  const freezes = useLoad(async () => Object.fromEntries(await Promise.all(listed.map(async (c) => [c, await govEvmFreezes(client, c)] as const))), [listed.join(',')]);
  const frozenOf = (d: Deployed): FreezeRecord | undefined => freezes.data?.[d.chain]?.[d.address.toLowerCase()];
  const size = new TextEncoder().encode(source).length;
  const target = chain ?? chains.data?.[0]?.id;
  const contract = compiled?.contracts.find((c) => c.name === picked) ?? compiled?.contracts.find((c) => c.bytecode.length > 2);
  const ctorInputs = useMemo(() => (contract ? new Interface(contract.abi as never).deploy.inputs : []), [contract]);

  const compile = async () => {
    setBusy('compile');
    setErr(null);
    try {
      const r = await compileSolidity(client, source);
      setCompiled(r);
      setPicked(r.contracts.find((c) => c.bytecode.length > 2)?.name);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(null);
    }
  };
  const deploy = async () => {
    if (!contract || !target) return;
    setBusy('deploy');
    try {
      if (!key) throw new LocalError('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)');
      const iface = new Interface(contract.abi as never);
      const args = ctorInputs.map((p, i) => parseArg(p, ctor[`ctor:${i}`] ?? ''));
      const code = contract.bytecode + iface.encodeDeploy(args).slice(2);
      const inc = await sendTx(target, { module: 'evm', method: 'deploy', args: { code } });
      const address = (inc.receipt.result as { address: string }).address;
      const d: Deployed = { chain: target, address, name: contract.name, abi: contract.abi, tx: inc.hash };
      const next = [d, ...deployed.filter((x) => x.address !== address)].slice(0, 50);
      setDeployed(next);
      localStorage.setItem(STORE, JSON.stringify(next));
      setOpen(address);
      message.success(say(`已部署 ${contract.name}：${address}`, `${contract.name} deployed at ${address}`));
    } catch (e) {
      message.error(errNode(e));
    } finally {
      setBusy(null);
    }
  };
  const upload = (f: File | undefined) => {
    if (!f) return;
    if (f.size > MAX_SOURCE_BYTES) return message.error(say(`文件 ${f.size} 字节，超过节点可编译的 ${MAX_SOURCE_BYTES} 字节`, `The file is ${f.size} bytes, more than the ${MAX_SOURCE_BYTES} the node compiles`));
    void f.text().then((t) => { setSource(t); setCompiled(null); });
  };

  if (chains.data && chains.data.length === 0) {
    return <Alert type="info" showIcon data-testid="sol-no-chain" title={tr(`本节点没有运行“${EVM_MODULE}”模块的业务链`, `No business chain on this node runs the ${EVM_MODULE} module`)}
      description={tr(`Solidity 合约只能部署在运行“${EVM_MODULE}”模块的业务链上：在“链管理”中提议创建业务链时勾选该模块（联盟策略须允许该模块）。`, `Solidity contracts deploy only to business chains running the ${EVM_MODULE} module: tick it when proposing a chain under Chains (the alliance policy must allow the module).`)} />;
  }
  const errors = compiled?.diagnostics.filter((d) => d.severity === 'error') ?? [];
  return (
    <div data-testid="solidity-ide">
      <ErrorBox error={chains.error ?? err} />
      <Row gutter={16}>
        <Col span={13}>
          <Space style={{ marginBottom: 8 }} wrap>
            <span>{tr('目标链', 'Chain')}</span>
            <Select style={{ width: 180 }} value={target} onChange={setChain} data-testid="sol-chain" options={(chains.data ?? []).map((c) => ({ value: c.id, label: <Ident>{c.id}</Ident> }))} />
            <Upload showUploadList={false} maxCount={1} accept=".sol,text/plain" beforeUpload={(f) => { upload(f); return false; }}>
              <Button data-testid="sol-upload">{tr('上传 Solidity 源文件', 'Upload a Solidity file')}</Button>
            </Upload>
          </Space>
          <Input.TextArea data-testid="sol-source" value={source} onChange={(e) => { setSource(e.target.value); setCompiled(null); }} autoSize={{ minRows: 16, maxRows: 32 }} spellCheck={false}
            style={{ fontFamily: 'ui-monospace, monospace', fontSize: 12 }} />
          <Space style={{ marginTop: 8 }}>
            <Button type="primary" loading={busy === 'compile'} disabled={size === 0 || size > MAX_SOURCE_BYTES} onClick={compile} data-testid="sol-compile">{tr('编译', 'Compile')}</Button>
            <Typography.Text type={size > MAX_SOURCE_BYTES ? 'danger' : 'secondary'}>{tr(`${size} / ${MAX_SOURCE_BYTES} 字节；由节点上的编译器“${SOLC}”编译（目标 EVM 版本“${EVM_VERSION}”），限时 30 秒`, `${size} / ${MAX_SOURCE_BYTES} bytes; compiled by ${SOLC} on the node (target EVM ${EVM_VERSION}), within 30 s`)}</Typography.Text>
          </Space>
        </Col>
        <Col span={11}>
          {compiled && (
            <Card size="small" title={<span>{tr('编译结果', 'Compiler output')} · <Typography.Text code>{compiled.compiler}</Typography.Text></span>}>
              {compiled.diagnostics.length === 0
                ? <Alert type="success" showIcon data-testid="sol-ok" title={tr('编译通过，无警告', 'Compiled, no warnings')} />
                : (
                  <Space orientation="vertical" style={{ width: '100%' }} data-testid="sol-diagnostics">
                    {compiled.diagnostics.map((d, i) => (
                      <Alert key={i} type={d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info'} showIcon
                        title={<span>{d.line !== undefined ? <Tag data-testid="sol-diag-place">{tr(`第 ${d.line} 行第 ${d.column} 列`, `line ${d.line}, column ${d.column}`)}</Tag> : null}<Typography.Text code>{d.message}</Typography.Text></span>} />
                    ))}
                  </Space>
                )}
              {errors.length === 0 && compiled.contracts.length > 0 && (
                <Form layout="vertical" style={{ marginTop: 12 }}>
                  <Form.Item label={tr('合约', 'Contract')}>
                    <Select value={contract?.name} onChange={setPicked} data-testid="sol-contract" options={compiled.contracts.map((c) => ({ value: c.name, label: <Ident>{c.name}</Ident>, disabled: c.bytecode.length <= 2 }))} />
                  </Form.Item>
                  {ctorInputs.length > 0 && (
                    <Form.Item label={tr('构造参数', 'Constructor arguments')}>
                      <Space wrap><ArgInputs inputs={ctorInputs} values={ctor} set={(k, v) => setCtor((x) => ({ ...x, [k]: v }))} prefix="ctor" /></Space>
                    </Form.Item>
                  )}
                  <Button type="primary" loading={busy === 'deploy'} disabled={!target} onClick={deploy} data-testid="sol-deploy">{tr(`签名并部署到 ${target ?? ''}`, `Sign and deploy to ${target ?? ''}`)}</Button>
                </Form>
              )}
            </Card>
          )}
        </Col>
      </Row>
      <Typography.Title level={5} style={{ marginTop: 16 }}>{tr('已部署的合约（本浏览器部署的）', 'Deployed contracts (from this browser)')}</Typography.Title>
      {deployed.length === 0 ? <Empty description={tr('尚未部署', 'None yet')} /> : (
        <Table size="small" pagination={false} rowKey="address" dataSource={deployed} data-testid="sol-deployed"
          expandable={{ expandedRowKeys: open ? [open] : [], onExpand: (o, d) => setOpen(o ? d.address : null), expandedRowRender: (d) => <AbiForm d={d} frozen={frozenOf(d)} /> }}
          columns={[
            { title: tr('合约', 'Contract'), dataIndex: 'name', render: (n: string) => <Ident>{n}</Ident> },
            { title: tr('链', 'Chain'), dataIndex: 'chain', render: (c: string) => <Ident>{c}</Ident> },
            { title: tr('地址', 'Address'), dataIndex: 'address', render: (a: string) => <Mono copy>{a}</Mono> },
            { title: <Space>{tr('治理状态', 'Governance')}<Button size="small" type="link" onClick={freezes.reload} data-testid="sol-freezes-reload">{tr('刷新', 'Refresh')}</Button></Space>, render: (_, d: Deployed) => <FrozenBadge d={d} f={frozenOf(d)} /> },
          ]} />
      )}
      <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
        {tr(`版本、升级与冻结：“${EVM_MODULE}”模块的合约部署后代码不可变，没有升级入口（需部署新合约并迁移）。治理可以冻结一个合约地址（冻结提案，目标类型为合约地址）：冻结后对它的直接调用在提交时即被拒绝，经其他合约的调用与只读查询在执行时被拒绝，解冻提案通过后恢复。`,
          'Versions, upgrade and freeze: code deployed with the evm module is immutable and has no upgrade path (deploy a new contract and migrate). Governance can freeze a contract address (a freeze proposal with target type evm-contract): a direct call to it is then refused at submission, calls through other contracts and eth_call reads in execution, until an unfreeze proposal passes.')}
      </Typography.Paragraph>
    </div>
  );
}
