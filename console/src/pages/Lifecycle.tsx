/**
 * The governance wizard (issue #25 item 1): every kind of proposal the governance chain knows,
 * made in three steps like the chain-creation wizard — what (the kind), the details (a form per
 * kind, checked here against the registry before anything is signed, with the chain's own rule
 * quoted), and a review (who votes, quorum, threshold and period read from the governance chain;
 * exactly what goes on chain) — then signed in this tab and followed on the live vote board.
 * create-chain and admit-member keep their own wizards (Chains, Alliance); this one points there.
 */
import { useMemo, useState } from 'react';
import { Alert, App, Button, Checkbox, Descriptions, Form, Input, InputNumber, Radio, Result, Select, Space, Steps, Typography } from 'antd';
import {
  DEFAULT_GOV_CHAIN, govChains, govGateways, govMembers, govPolicy, govPropose, govProposeCall, govRegulators,
  type SimulationResult, type ChainRecord, type Gateway, type Member, type Policy, type ProposalInput, type ProposalKind, type Regulator, type ValidatorInfo,
} from '../../../src/sdk/browser.ts';
import { Ident, Json, ModuleTag, StatusTag, UserText, roleList } from '../components.tsx';
import { ElectorateNotice, kindLabel, useElectorate } from '../gov.tsx';
import { ProposalBoard } from './Alliance.tsx';
import { SimulateFirst, confirmVerdict } from '../simfirst.tsx';
import { client, errNode, shortDid, useLoad, useSession } from '../session.tsx';

type Tr = (zh: string, en: string) => string;
const DID_RE = /^did:shulian:[1-9A-HJ-NP-Za-km-z]{20,44}$/;
const CHAIN_RE = /^[a-z][a-z0-9-]{0,31}$/;
const CHAIN_FIELD = 'chain';

/** The kinds this wizard makes, in the order an operator meets them, with what each does. */
const WIZARD_KINDS: Array<{ kind: ProposalKind; zh: string; en: string }> = [
  { kind: 'suspend-chain', zh: '暂停一条业务链：验证节点停止出块，交易被拒绝，状态保留，可再恢复。', en: 'Pause a business chain: its validators stop making blocks and txs are refused; state is kept and the chain can be resumed.' },
  { kind: 'resume-chain', zh: '恢复一条已暂停的链：被指定的节点自行重新启动它，从暂停处继续。', en: 'Resume a suspended chain: the named nodes start it again by themselves, from where it stopped.' },
  { kind: 'retire-chain', zh: '永久退役一条链：不再出块，不可恢复；已有数据仍可查询。', en: 'Retire a chain for good: no more blocks, no way back; its data can still be read.' },
  { kind: 'change-validators', zh: '变更一条链的验证节点集合，在该链的指定高度生效。', en: 'Change a chain\'s validator set, effective at a height of that chain.' },
  { kind: 'remove-member', zh: '将一个成员组织移出联盟（联盟唯一的运营方不能移除）。', en: 'Remove a member organisation from the alliance (the only operator cannot be removed).' },
  { kind: 'set-policy', zh: '修改联盟策略：业务链可用模块、提案规则（谁提案、谁投票、法定人数、门槛、投票期）等。', en: 'Change the alliance policy: modules business chains may run, proposal rules (who proposes, who votes, quorum, threshold, period) and more.' },
  { kind: 'register-regulator', zh: '登记监管方及其观察范围（链、模块、成员组织）。', en: 'Register a regulator and what it observes (chains, modules, organisations).' },
  { kind: 'register-gateway', zh: '登记跨链网关运营方及其可中继的链。', en: 'Register a cross-chain gateway operator and the chains it may relay for.' },
  { kind: 'freeze', zh: '冻结一个 DID（在所有链上拒绝其交易）、一份可执行法律合约实例或一个智能合约地址。', en: 'Freeze a DID (its txs refused on every chain), a lex contract instance or an EVM contract address.' },
  { kind: 'unfreeze', zh: '解除一项冻结。', en: 'Lift a freeze.' },
  { kind: 'register-route', zh: '在路由链上登记一条链的跨链路由（以 JSON 填写路由记录）。', en: 'Register a chain\'s cross-chain route on the routing chain (the route record as JSON).' },
];
const ROLES = ['operator', 'member', 'regulator', 'gateway-operator', 'service-provider'] as const;

interface Registry { chains: ChainRecord[]; members: Member[]; policy: Policy | null; regulators: Regulator[]; gateways: Gateway[] }

interface Draft {
  title: string;
  description: string;
  chain: string;
  did: string;
  name: string;
  nameZh: string;
  chains: string[];
  modules: string[];
  orgs: string[];
  validators: string[];
  effectiveHeight: number;
  // set-policy
  policyModules: string[];
  maxOpenProposals: number | null;
  validatorChangeDelay: number | null;
  ruleKind: ProposalKind | '';
  quorumBps: number | null;
  thresholdBps: number | null;
  votingPeriod: number | null;
  voters: string[];
  proposers: string[];
  // freeze
  targetType: 'did' | 'contract' | 'evm-contract';
  contractId: string;
  reason: string;
  route: string;
}

const EMPTY: Draft = {
  title: '', description: '', chain: '', did: '', name: '', nameZh: '', chains: [], modules: [], orgs: [], validators: [], effectiveHeight: 0,
  policyModules: [], maxOpenProposals: null, validatorChangeDelay: null, ruleKind: '', quorumBps: null, thresholdBps: null, votingPeriod: null, voters: [], proposers: [],
  targetType: 'did', contractId: '', reason: '', route: '',
};

/** The proposal the draft makes, and what is wrong with it first (checked before signing, as the chain checks). */
export function buildProposal(kind: ProposalKind, d: Draft, reg: Registry, known: ValidatorInfo[], tr: Tr): { input: ProposalInput | null; problems: string[] } {
  const p: string[] = [];
  const head = { ...(d.title ? { title: d.title } : {}), ...(d.description ? { description: d.description } : {}) };
  const rec = reg.chains.find((c) => c.id === d.chain);
  const needChain = (): ChainRecord | null => {
    if (!d.chain) { p.push(tr('请选择链', 'Choose a chain')); return null; }
    if (!rec) { p.push(tr(`链 ${d.chain} 不在联盟登记中`, `Chain ${d.chain} is not in the alliance registry`)); return null; }
    return rec;
  };
  const needDid = (what: string, whatEn: string): void => {
    if (!DID_RE.test(d.did.trim())) p.push(tr(`${what}应为 did:shulian:… 形式的 DID`, `${whatEn} must be a DID of the form did:shulian:…`));
  };
  switch (kind) {
    case 'suspend-chain': case 'resume-chain': case 'retire-chain': {
      const r = needChain();
      if (r) {
        const ok = kind === 'suspend-chain' ? r.status === 'approved' || r.status === 'active' : kind === 'resume-chain' ? r.status === 'suspended' : r.status !== 'retired';
        const need = kind === 'suspend-chain' ? tr('已批准或运行中', 'approved or active') : kind === 'resume-chain' ? tr('已暂停', 'suspended') : tr('尚未退役', 'not yet retired');
        if (!ok) p.push(tr(`链 ${r.id} 当前为“${r.status}”；此操作要求链${need}`, `Chain ${r.id} is ${r.status}; this needs a chain that is ${need}`));
      }
      return { input: p.length ? null : { kind, chain: d.chain, ...head }, problems: p };
    }
    case 'change-validators': {
      const r = needChain();
      const validators = known.filter((k) => d.validators.includes(k.did));
      if (validators.length === 0) p.push(tr('至少选择一个验证节点', 'Choose at least one validator'));
      if (r) {
        if (r.status === 'retired') p.push(tr(`链 ${r.id} 已退役，验证节点不能再变更`, `Chain ${r.id} is retired; its validators can no longer change`));
        if (r.genesis.consensus.type === 'solo' && validators.length > 1) p.push(tr('单节点共识的链只能有一个验证节点', 'A solo chain runs exactly one validator'));
        if (r.genesis.consensus.type === 'tbft' && validators.length < 4) p.push(tr('TBFT 至少需要 4 个验证节点', 'TBFT needs at least 4 validators'));
        const last = r.validators.at(-1)!;
        const same = last.validators.length === validators.length && last.validators.every((v) => d.validators.includes(v.did));
        if (same) p.push(tr('所选集合与当前验证节点集合相同', 'The set chosen is the current validator set'));
        const min = last.effectiveHeight + (r.id === 'gov' ? 0 : 1) + (reg.policy?.validatorChangeDelay ?? 0);
        if (r.id !== 'gov' && d.effectiveHeight < min) p.push(tr(`生效高度至少为 ${min}（上一集合生效于 ${last.effectiveHeight}，通知期 ${reg.policy?.validatorChangeDelay ?? 0} 个区块）`, `The effective height must be at least ${min} (the last set took effect at ${last.effectiveHeight}; notice ${reg.policy?.validatorChangeDelay ?? 0} blocks)`));
      }
      return { input: p.length ? null : { kind, chain: d.chain, validators, effectiveHeight: d.effectiveHeight, ...head }, problems: p };
    }
    case 'remove-member': {
      needDid('成员', 'The member');
      const m = reg.members.find((x) => x.did === d.did.trim());
      if (d.did && !m) p.push(tr('该 DID 不是联盟成员', 'That DID is not a member of the alliance'));
      if (m?.roles.includes('operator') && reg.members.filter((x) => x.roles.includes('operator')).length === 1) p.push(tr('它是联盟唯一的运营方，请先接纳另一个运营方', 'It is the alliance\'s only operator; admit another operator first'));
      return { input: p.length ? null : { kind, did: d.did.trim(), ...head }, problems: p };
    }
    case 'set-policy': {
      const patch: Extract<ProposalInput, { kind: 'set-policy' }>['policy'] = {};
      const cur = reg.policy;
      if (cur && d.policyModules.length > 0 && [...d.policyModules].sort().join() !== [...cur.modules].sort().join()) patch.modules = d.policyModules;
      if (d.maxOpenProposals !== null && d.maxOpenProposals !== cur?.maxOpenProposals) patch.maxOpenProposals = d.maxOpenProposals;
      if (d.validatorChangeDelay !== null && d.validatorChangeDelay !== cur?.validatorChangeDelay) patch.validatorChangeDelay = d.validatorChangeDelay;
      if (d.ruleKind) {
        const rule: Record<string, unknown> = {};
        if (d.quorumBps !== null) { if (d.quorumBps < 1 || d.quorumBps > 10000) p.push(tr('法定人数应在 1 到 10000 基点之间', 'Quorum must be 1..10000 basis points')); rule.quorumBps = d.quorumBps; }
        if (d.thresholdBps !== null) { if (d.thresholdBps < 0 || d.thresholdBps > 9999) p.push(tr('通过门槛应在 0 到 9999 基点之间', 'Threshold must be 0..9999 basis points')); rule.thresholdBps = d.thresholdBps; }
        if (d.votingPeriod !== null) { if (d.votingPeriod < 1) p.push(tr('投票期至少 1 个区块', 'The voting period is at least 1 block')); rule.votingPeriod = d.votingPeriod; }
        if (d.voters.length > 0) rule.voters = d.voters;
        if (d.proposers.length > 0) rule.proposers = d.proposers;
        if (Object.keys(rule).length > 0) patch.kinds = { [d.ruleKind]: rule };
      }
      if (Object.keys(patch).length === 0) p.push(tr('请至少修改一项策略（与当前策略相同的值不算修改）', 'Change at least one field (a value equal to the current one is no change)'));
      return { input: p.length ? null : { kind, policy: patch, ...head }, problems: p };
    }
    case 'register-regulator': case 'register-gateway': {
      needDid(kind === 'register-gateway' ? '网关' : '监管方', kind === 'register-gateway' ? 'The gateway' : 'The regulator');
      if (!d.name.trim()) p.push(tr('请填写名称', 'Give a name'));
      if (d.chains.length === 0) p.push(tr('至少选择一条链', 'Choose at least one chain'));
      for (const c of d.chains) {
        if (c !== '*' && !reg.chains.some((r) => r.id === c)) p.push(tr(`链 ${c} 不在登记中`, `Chain ${c} is not registered`));
        if (kind === 'register-gateway' && reg.chains.find((r) => r.id === c)?.status === 'retired') p.push(tr(`链 ${c} 已退役，网关不能为其中继`, `Chain ${c} is retired; a gateway cannot relay for it`));
      }
      if (kind === 'register-gateway' && d.chains.includes('*')) p.push(tr('网关须列出具体的链', 'A gateway lists its chains by id'));
      const did = d.did.trim();
      if (kind === 'register-gateway' && reg.gateways.some((g) => g.did === did)) p.push(tr('该网关已登记', 'That gateway is already registered'));
      if (kind === 'register-regulator' && reg.regulators.some((g) => g.did === did)) p.push(tr('该监管方已登记', 'That regulator is already registered'));
      const input: ProposalInput | null = p.length ? null : kind === 'register-gateway'
        ? { kind, gateway: { did, name: d.name.trim(), chains: d.chains }, ...head }
        : { kind, regulator: { did, name: d.name.trim(), ...(d.nameZh.trim() ? { nameZh: d.nameZh.trim() } : {}), chains: d.chains, ...(d.modules.length ? { modules: d.modules } : {}), ...(d.orgs.length ? { orgs: d.orgs } : {}) }, ...head };
      return { input, problems: p };
    }
    case 'freeze': case 'unfreeze': {
      if (d.targetType === 'did') needDid('冻结对象', 'The target');
      else if (d.targetType === 'evm-contract') { needChain(); if (!/^0x[0-9a-fA-F]{40}$/.test(d.contractId.trim())) p.push(tr(`请填写合约地址：以“${'0x'}”开头的 40 位十六进制数`, 'Give the contract address: 0x and 40 hex digits')); }
      else { needChain(); if (!d.contractId.trim()) p.push(tr('请填写合约实例 ID', 'Give the contract instance id')); }
      if (!d.reason.trim()) p.push(tr('请写明理由（上链，投票方可见）', 'Give the reason (it goes on chain, voters see it)'));
      const target = d.targetType === 'did' ? { type: 'did' as const, did: d.did.trim() }
        : d.targetType === 'evm-contract' ? { type: 'evm-contract' as const, chain: d.chain, address: d.contractId.trim().toLowerCase() }
        : { type: 'contract' as const, chain: d.chain, id: d.contractId.trim() };
      return { input: p.length ? null : { kind, target, reason: d.reason.trim(), ...head }, problems: p };
    }
    case 'register-route': {
      let route: unknown;
      try {
        route = JSON.parse(d.route);
      } catch {
        p.push(tr('路由记录应为 JSON 对象', 'The route record must be a JSON object'));
      }
      if (route !== undefined && (typeof route !== 'object' || route === null || !CHAIN_RE.test(String((route as { chain?: unknown }).chain ?? '')))) p.push(tr(`路由记录须含合法的链 ID（${CHAIN_FIELD} 字段）`, `The route record needs a valid ${CHAIN_FIELD} field`));
      return { input: p.length ? null : ({ kind, route, ...head } as ProposalInput), problems: p };
    }
    default:
      return { input: null, problems: [tr('此类提案有自己的向导', 'This kind has its own wizard')] };
  }
}

function DetailsForm({ kind, d, set, reg, known }: { kind: ProposalKind; d: Draft; set: (p: Partial<Draft>) => void; reg: Registry; known: ValidatorInfo[] }) {
  const { tr, lang } = useSession();
  const chainOptions = (filter: (c: ChainRecord) => boolean) => reg.chains.filter(filter).map((c) => ({ value: c.id, label: <span data-testid={`gw-chain-opt-${c.id}`}><Ident>{c.id}</Ident> · <StatusTag status={c.status} /></span> }));
  const chainPick = (filter: (c: ChainRecord) => boolean = () => true) => (
    <Form.Item label={tr('链', 'Chain')} required>
      <Select data-testid="gw-chain" value={d.chain || undefined} showSearch onChange={(c: string) => set({ chain: c, validators: reg.chains.find((r) => r.id === c)?.validators.at(-1)?.validators.map((v) => v.did) ?? [] })} options={chainOptions(filter)} />
    </Form.Item>
  );
  const memberLabel = (m: Member) => <span><UserText>{lang === 'zh' ? m.nameZh || m.name : m.name}</UserText> · {shortDid(m.did)}</span>;
  switch (kind) {
    case 'suspend-chain': return chainPick((c) => c.status === 'approved' || c.status === 'active');
    case 'resume-chain': return chainPick((c) => c.status === 'suspended');
    case 'retire-chain': return chainPick((c) => c.status !== 'retired');
    case 'change-validators': {
      const rec = reg.chains.find((c) => c.id === d.chain);
      return (
        <>
          {chainPick((c) => c.status !== 'retired')}
          <Form.Item label={tr('新的验证节点集合', 'New validator set')} required>
            <Checkbox.Group value={d.validators} onChange={(v) => set({ validators: v as string[] })} options={known.map((k) => ({ value: k.did, label: <span title={k.did}>{shortDid(k.did)}</span> }))} />
          </Form.Item>
          <Form.Item label={tr('在该链上的生效高度', 'Effective height on that chain')} extra={rec ? tr(`当前集合生效于高度 ${rec.validators.at(-1)!.effectiveHeight}；通知期 ${reg.policy?.validatorChangeDelay ?? 0} 个区块`, `The current set took effect at ${rec.validators.at(-1)!.effectiveHeight}; notice ${reg.policy?.validatorChangeDelay ?? 0} blocks`) : null}>
            <InputNumber min={0} value={d.effectiveHeight} onChange={(v) => set({ effectiveHeight: Number(v ?? 0) })} />
          </Form.Item>
        </>
      );
    }
    case 'remove-member':
      return (
        <Form.Item label={tr('要移除的成员组织', 'Member organisation to remove')} required>
          <Select data-testid="gw-member" value={d.did || undefined} onChange={(v: string) => set({ did: v })} options={reg.members.map((m) => ({ value: m.did, label: <span>{memberLabel(m)} · {roleList(m.roles, tr)}</span> }))} />
        </Form.Item>
      );
    case 'set-policy':
      return (
        <>
          <Form.Item label={tr('业务链可用模块（勾选后替换当前列表）', 'Modules business chains may run (replaces the current list)')}>
            <Select mode="tags" data-testid="gw-policy-modules" value={d.policyModules.length ? d.policyModules : reg.policy?.modules ?? []} onChange={(v: string[]) => set({ policyModules: v })} tagRender={(p) => <Ident tag>{p.label}</Ident>} options={(reg.policy?.modules ?? []).map((m) => ({ value: m, label: m }))} />
          </Form.Item>
          <Space wrap>
            <Form.Item label={tr('每个提案方最多进行中的提案', 'Most open proposals per proposer')}><InputNumber min={1} value={d.maxOpenProposals} onChange={(v) => set({ maxOpenProposals: v === null ? null : Number(v) })} /></Form.Item>
            <Form.Item label={tr('验证节点变更通知期（区块）', 'Notice for validator changes (blocks)')}><InputNumber min={0} value={d.validatorChangeDelay} onChange={(v) => set({ validatorChangeDelay: v === null ? null : Number(v) })} /></Form.Item>
          </Space>
          <Form.Item label={tr('修改某类提案的规则', 'Change the rules of one kind of proposal')}>
            <Select allowClear data-testid="gw-rule-kind" value={d.ruleKind || undefined} onChange={(k?: ProposalKind) => {
              const r = k ? reg.policy?.kinds[k] : undefined;
              set({ ruleKind: k ?? '', quorumBps: r?.quorumBps ?? null, thresholdBps: r?.thresholdBps ?? null, votingPeriod: r?.votingPeriod ?? null, voters: r?.voters ?? [], proposers: r?.proposers ?? [] });
            }} options={Object.keys(reg.policy?.kinds ?? {}).map((k) => ({ value: k, label: kindLabel(k, tr) }))} />
          </Form.Item>
          {d.ruleKind && (
            <Space wrap align="start">
              <Form.Item label={tr('法定人数（基点，10000 = 100%）', 'Quorum (basis points, 10000 = 100%)')}><InputNumber value={d.quorumBps} onChange={(v) => set({ quorumBps: v === null ? null : Number(v) })} /></Form.Item>
              <Form.Item label={tr('通过门槛（基点）', 'Threshold (basis points)')}><InputNumber value={d.thresholdBps} onChange={(v) => set({ thresholdBps: v === null ? null : Number(v) })} /></Form.Item>
              <Form.Item label={tr('投票期（区块）', 'Voting period (blocks)')}><InputNumber value={d.votingPeriod} onChange={(v) => set({ votingPeriod: v === null ? null : Number(v) })} /></Form.Item>
              <Form.Item label={tr('投票角色', 'Voter roles')}><Checkbox.Group value={d.voters} onChange={(v) => set({ voters: v as string[] })} options={ROLES.map((r) => ({ value: r, label: roleList([r], tr) }))} /></Form.Item>
              <Form.Item label={tr('提案角色', 'Proposer roles')}><Checkbox.Group value={d.proposers} onChange={(v) => set({ proposers: v as string[] })} options={ROLES.map((r) => ({ value: r, label: roleList([r], tr) }))} /></Form.Item>
            </Space>
          )}
        </>
      );
    case 'register-regulator': case 'register-gateway':
      return (
        <>
          <Form.Item label="DID" required><Input data-testid="gw-did" value={d.did} onChange={(e) => set({ did: e.target.value })} placeholder="did:shulian:…" /></Form.Item>
          <Form.Item label={tr('名称', 'Name')} required><Input data-testid="gw-name" value={d.name} onChange={(e) => set({ name: e.target.value })} /></Form.Item>
          {kind === 'register-regulator' && <Form.Item label={tr('中文名称', 'Name in Chinese')}><Input value={d.nameZh} onChange={(e) => set({ nameZh: e.target.value })} /></Form.Item>}
          <Form.Item label={kind === 'register-gateway' ? tr('可中继的链', 'Chains it may relay for') : tr('观察的链（* 为全部）', 'Chains it observes (* for all)')} required>
            <Select mode="multiple" data-testid="gw-chains" value={d.chains} onChange={(v: string[]) => set({ chains: v })}
              options={[...(kind === 'register-regulator' ? [{ value: '*', label: tr('全部链', 'every chain') }] : []), ...reg.chains.filter((c) => c.status !== 'retired').map((c) => ({ value: c.id, label: c.id }))]} />
          </Form.Item>
          {kind === 'register-regulator' && (
            <>
              <Form.Item label={tr('观察的模块（不选为全部）', 'Modules it observes (none chosen: all)')}><Select mode="tags" value={d.modules} onChange={(v: string[]) => set({ modules: v })} /></Form.Item>
              <Form.Item label={tr('观察的成员组织（不选为全部）', 'Organisations it observes (none chosen: all)')}><Select mode="multiple" value={d.orgs} onChange={(v: string[]) => set({ orgs: v })} options={reg.members.map((m) => ({ value: m.did, label: memberLabel(m) }))} /></Form.Item>
            </>
          )}
        </>
      );
    case 'freeze': case 'unfreeze':
      return (
        <>
          <Form.Item label={tr('对象', 'Target')}>
            <Radio.Group value={d.targetType} onChange={(e) => set({ targetType: e.target.value as Draft['targetType'] })} options={[{ value: 'did', label: 'DID' }, { value: 'contract', label: tr('可执行法律合约实例', 'lex contract instance') }, { value: 'evm-contract', label: tr('智能合约地址', 'EVM contract address') }]} data-testid="gw-target-type" />
          </Form.Item>
          {d.targetType === 'did'
            ? <Form.Item label="DID" required><Input data-testid="gw-did" value={d.did} onChange={(e) => set({ did: e.target.value })} placeholder="did:shulian:…" /></Form.Item>
            : <>{chainPick()}<Form.Item label={d.targetType === 'evm-contract' ? tr('合约地址', 'Contract address') : tr('合约实例 ID', 'Contract instance id')} required><Input data-testid="gw-contract" value={d.contractId} onChange={(e) => set({ contractId: e.target.value })} placeholder={d.targetType === 'evm-contract' ? '0x…' : ''} /></Form.Item></>}
          <Form.Item label={tr('理由', 'Reason')} required><Input.TextArea data-testid="gw-reason" rows={2} value={d.reason} onChange={(e) => set({ reason: e.target.value })} /></Form.Item>
        </>
      );
    case 'register-route':
      return <Form.Item label={tr('路由记录（JSON）', 'Route record (JSON)')} required><Input.TextArea rows={8} value={d.route} onChange={(e) => set({ route: e.target.value })} style={{ fontFamily: 'ui-monospace, monospace' }} /></Form.Item>;
    default: return null;
  }
}

/** The wizard; `kinds` limits the kinds offered (the Chains page offers the chain lifecycle ones), `chain` preselects a chain. */
export function GovernanceWizard({ kinds, chain }: { kinds?: ProposalKind[]; chain?: string }) {
  const { tr, key, govTick } = useSession();
  const { message, modal } = App.useApp();
  const offered = WIZARD_KINDS.filter((k) => !kinds || kinds.includes(k.kind));
  const [kind, setKind] = useState<ProposalKind>(offered[0]!.kind);
  const [step, setStepRaw] = useState(0);
  // The simulation of exactly what the review step signs (simulate first, docs/simulation.md#in-the-console).
  const [sim, setSim] = useState<SimulationResult | null>(null);
  const setStep = (n: number) => { setSim(null); setStepRaw(n); };
  const [d, setD] = useState<Draft>({ ...EMPTY, chain: chain ?? '' });
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<number | null>(null);
  const set = (p: Partial<Draft>) => setD((x) => ({ ...x, ...p }));
  const electorate = useElectorate(kind);
  const reg = useLoad<Registry>(async () => {
    const [chains, members, policy, regulators, gateways] = await Promise.all([govChains(client), govMembers(client), govPolicy(client), govRegulators(client), govGateways(client)]);
    return { chains, members, policy, regulators, gateways };
  }, [govTick]);
  const known = useMemo(() => {
    const m = new Map<string, ValidatorInfo>();
    for (const r of reg.data?.chains ?? []) for (const v of r.validators.at(-1)?.validators ?? []) m.set(v.did, { did: v.did, publicKey: v.publicKey, power: 1 });
    return [...m.values()];
  }, [reg.data]);
  const built = reg.data ? buildProposal(kind, d, reg.data, known, tr) : { input: null, problems: [] };

  const submit = async () => {
    if (!built.input) return;
    if (!key) return message.error(tr('请先解锁签名密钥（页面顶部的“解锁”）', 'Unlock your signing key first (Unlock, at the top)'));
    setBusy(true);
    try {
      const r = await govPropose(client, key, built.input, { timeoutMs: 60_000 });
      setDone(r.id);
    } catch (err) {
      message.error(errNode(err));
    } finally {
      setBusy(false);
    }
  };
  const restart = () => { setDone(null); setStep(0); setD({ ...EMPTY, chain: chain ?? '' }); };

  if (done !== null) {
    return (
      <div data-testid="gw-done">
        <Result status="success" title={tr(`已提交治理提案 #${done}（${kindLabel(kind, tr)}）`, `Governance proposal #${done} (${kindLabel(kind, tr)}) is submitted`)}
          subTitle={tr('成员组织在下方签名投票；通过后由治理链执行，列表会自动更新。', 'Member organisations vote below with their signatures; once approved the governance chain carries it out, and this list follows by itself.')}
          extra={<Button onClick={restart} data-testid="gw-again">{tr('再提一项', 'Propose another')}</Button>} />
        <ProposalBoard kinds={[kind]} />
      </div>
    );
  }
  return (
    <div data-testid="gov-wizard">
      <Steps current={step} size="small" style={{ marginBottom: 20 }} items={[{ title: tr('提案类型', 'Kind') }, { title: tr('内容', 'Details') }, { title: tr('确认提交', 'Review') }]} />
      {step === 0 && (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Radio.Group value={kind} onChange={(e) => { setKind(e.target.value as ProposalKind); }} data-testid="gw-kind" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
            options={offered.map((k) => ({ value: k.kind, label: <span data-testid={`gw-kind-${k.kind}`}><b>{kindLabel(k.kind, tr)}</b> — <Typography.Text type="secondary">{tr(k.zh, k.en)}</Typography.Text></span> }))} />
          {!kinds && <Typography.Text type="secondary">{tr('创建业务链、接纳成员各有专门向导：见“链管理”和“链联盟”页。', 'Creating a business chain and admitting a member have wizards of their own: see the Chains and Alliance pages.')}</Typography.Text>}
          <ElectorateNotice kind={kind} e={electorate.data} />
        </Space>
      )}
      {step === 1 && reg.data && (
        <Form layout="vertical" style={{ maxWidth: 720 }}>
          <DetailsForm kind={kind} d={d} set={set} reg={reg.data} known={known} />
          <Form.Item label={tr('提案标题（可选；不填时按类型和对象显示）', 'Proposal title (optional; without one it is shown by its kind and subject)')}><Input value={d.title} onChange={(e) => set({ title: e.target.value })} /></Form.Item>
          <Form.Item label={tr('说明（投票方可见）', 'Description (voters see it)')}><Input.TextArea rows={2} value={d.description} onChange={(e) => set({ description: e.target.value })} /></Form.Item>
        </Form>
      )}
      {step === 2 && built.input && (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <ElectorateNotice kind={kind} e={electorate.data} />
          <Descriptions size="small" bordered column={1} data-testid="gw-summary" items={[
            { key: 'k', label: tr('类型', 'Kind'), children: kindLabel(kind, tr) },
            ...('chain' in built.input && typeof built.input.chain === 'string' ? [{ key: 'c', label: tr('链', 'Chain'), children: <Ident>{built.input.chain}</Ident> }] : []),
            ...(kind === 'set-policy' && d.policyModules.length ? [{ key: 'm', label: tr('模块', 'Modules'), children: d.policyModules.map((m) => <ModuleTag key={m} m={m} />) }] : []),
            ...(d.title ? [{ key: 't', label: tr('标题', 'Title'), children: <UserText>{d.title}</UserText> }] : []),
          ]} />
          <Typography.Text type="secondary">{tr('提交到链上的内容：', 'What goes on chain:')}</Typography.Text>
          <Json value={built.input} max={260} />
          <SimulateFirst calls={[{ chain: DEFAULT_GOV_CHAIN, ...govProposeCall(built.input) }]} passProposals onResult={setSim} />
        </Space>
      )}
      {step === 1 && built.problems.length > 0 && <Alert style={{ marginTop: 12 }} type="warning" showIcon data-testid="gw-problems" title={built.problems.join(tr('；', '; '))} />}
      <Space style={{ marginTop: 16 }}>
        {step > 0 && <Button onClick={() => setStep(step - 1)}>{tr('上一步', 'Back')}</Button>}
        {step === 0 && <Button type="primary" disabled={electorate.data === null || (electorate.data !== undefined && (!electorate.data.canPropose || electorate.data.voters.length === 0))} onClick={() => setStep(1)} data-testid="gw-next">{tr('下一步', 'Next')}</Button>}
        {step === 1 && <Button type="primary" disabled={!built.input} onClick={() => setStep(2)} data-testid="gw-next">{tr('下一步', 'Next')}</Button>}
        {step === 2 && <Button type="primary" loading={busy} disabled={!sim} onClick={() => sim && confirmVerdict(sim, modal, tr, async () => { await submit(); })} data-testid="gw-submit">{tr('签名并提交提案', 'Sign and submit the proposal')}</Button>}
      </Space>
    </div>
  );
}
