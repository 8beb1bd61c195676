/**
 * The risk report of a simulation (issue #24 item 2; white paper §5.2.2 安全管理服务): what
 * would fail, frozen parties touched, senders the chain's admission would refuse, supervision
 * rules that would fire, validator-set and policy changes — each a reason in zh-CN and en, and
 * the verdict: block if any reason blocks, else warn if any warns, else none.
 */
import { DID_RE, type JsonValue } from '../codec/index.ts';
import type { Frozen } from '../runtime/index.ts';
import type { AlertDraft } from '../supervision/index.ts';
import type { BalanceChange, RiskReason, SimDelivery, SimPacket, SimReceipt, Verdict } from '../sdk/index.ts';

/** DIDs looked for in one tx's args. */
const MAX_ARG_DIDS = 64;

/** What a chain's judge says about the parties of a simulation. */
export interface PartyJudge {
  /** The freeze on a DID as the tx's block read it (a freeze the same simulation votes applies to later blocks only). */
  frozen(did: string): Frozen | undefined;
  /** The admission policy and sender freezes: undefined when admitted, else why not. */
  refuse(did: string): { code: string; message: string } | undefined;
}

export interface RiskInput {
  receipts: SimReceipt[];
  /** The args of each non-synthetic receipt's tx, by tx hash. */
  args: ReadonlyMap<string, JsonValue>;
  balances: BalanceChange[];
  packets: SimPacket[];
  /** Packets delivered between chains of the fork (relay.ts). */
  delivered?: SimDelivery[];
  judges: ReadonlyMap<string, PartyJudge>;
  alerts: Array<{ chain: string; tx: string; alert: AlertDraft }>;
  overridden: boolean;
}

const proposalIn = (message: string): number | undefined => {
  const m = /proposal #(\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
};

export function riskOf(input: RiskInput): { verdict: Verdict; reasons: RiskReason[] } {
  const reasons: RiskReason[] = [];
  const frozenSeen = new Set<string>();
  for (const r of input.receipts) {
    if (r.status === 'failed') {
      const message = r.message ?? r.code ?? 'failed';
      if (r.code === 'FROZEN') {
        const proposal = proposalIn(message);
        reasons.push({
          level: 'block', kind: 'FROZEN', chain: r.chain, tx: r.tx, ...(proposal !== undefined ? { proposal } : {}),
          en: `${r.module}.${r.method} by ${r.from} would be refused on ${r.chain}: ${message}`,
          zh: `${r.from} 在 ${r.chain} 上的 ${r.module}.${r.method} 将被拒绝:涉及被冻结的一方${proposal !== undefined ? `(治理提案 #${proposal})` : ''}`,
        });
      } else {
        reasons.push({
          level: 'warn', kind: 'TX_FAILS', chain: r.chain, tx: r.tx,
          en: `${r.module}.${r.method} by ${r.from} would fail on ${r.chain} with ${r.code}: ${message}`,
          zh: `${r.from} 在 ${r.chain} 上的 ${r.module}.${r.method} 将执行失败(错误码 ${r.code})`,
        });
      }
    }
    for (const e of r.events) {
      if (e.type === 'ValidatorSetChanged' || e.type === 'ValidatorSetScheduled') {
        reasons.push({ level: 'warn', kind: 'VALIDATORS_CHANGE', chain: r.chain, tx: r.tx, en: `the validator set changes (${e.module}.${e.type})`, zh: `验证节点集合将发生变更(${e.module}.${e.type})` });
      } else if (e.type === 'PolicyChanged') {
        reasons.push({ level: 'warn', kind: 'POLICY_CHANGE', chain: r.chain, tx: r.tx, en: 'the alliance policy changes (who may propose, vote thresholds)', zh: '联盟治理策略将发生变更(提案权限、表决门槛)' });
      } else if (e.module === 'governance' && ['Frozen', 'Unfrozen', 'MemberAdmitted', 'MemberRemoved', 'ChainApproved', 'ChainResumed', 'ChainPromoted', 'RegulatorRegistered', 'GatewayRegistered', 'RouteApproved', 'ProposalApproved'].includes(e.type)) {
        reasons.push({ level: 'info', kind: 'GOVERNANCE_CHANGE', chain: r.chain, tx: r.tx, en: `governance: ${e.type}`, zh: `治理变更:${e.type}` });
      }
    }
    if (r.synthetic) continue;
    const judge = input.judges.get(r.chain);
    if (!judge) continue;
    const refused = judge.refuse(r.from);
    if (refused && !frozenSeen.has(`${r.chain}|${r.from}`)) {
      frozenSeen.add(`${r.chain}|${r.from}`);
      const frozen = refused.code === 'TX_FROZEN';
      const proposal = proposalIn(refused.message);
      reasons.push({
        level: 'block', kind: frozen ? 'FROZEN_PARTY' : 'NOT_ADMITTED', chain: r.chain, tx: r.tx, ...(proposal !== undefined ? { proposal } : {}),
        en: `chain ${r.chain} would not admit a tx from ${r.from}: ${refused.message}`,
        zh: frozen ? `${r.from} 已被冻结${proposal !== undefined ? `(治理提案 #${proposal})` : ''},${r.chain} 不会接受其交易` : `${r.chain} 的准入策略不接受 ${r.from} 的交易`,
      });
    }
    // Parties named in the args (payees, contract parties), the sender's own freeze aside.
    for (const did of didsIn(input.args.get(r.tx) ?? null)) touched(r.chain, did, r.tx);
  }
  for (const b of input.balances) touched(b.chain, b.did, undefined);
  for (const p of input.packets) {
    reasons.push({ level: 'info', kind: 'PACKET', chain: p.chain, en: `a cross-chain packet to ${p.dstChain} (sequence ${p.sequence}) would be sent`, zh: `将向 ${p.dstChain} 发送跨链数据包(序号 ${p.sequence})` });
  }
  for (const d of input.delivered ?? []) {
    const ack = d.ack as { ok?: boolean; code?: string; message?: string } | undefined;
    const what = `packet ${d.srcChain}→${d.dstChain} #${d.sequence} (port ${d.srcPort}→${d.dstPort})`;
    if (ack?.ok === false) {
      reasons.push({
        level: ack.code === 'FROZEN' ? 'block' : 'warn', kind: 'PACKET_FAILS', chain: d.dstChain,
        en: `${what} would be refused on ${d.dstChain} with ${ack.code}: ${ack.message ?? ''}`,
        zh: `发往 ${d.dstChain} 的跨链数据包(序号 ${d.sequence})将在对方链上执行失败(错误码 ${ack.code})`,
      });
    } else if (d.status === 'expired') {
      reasons.push({ level: 'warn', kind: 'PACKET_FAILS', chain: d.dstChain, en: `${what} would arrive after its timeout and be refunded`, zh: `发往 ${d.dstChain} 的跨链数据包(序号 ${d.sequence})将超时并退回` });
    }
    if (d.error !== undefined) {
      reasons.push({ level: 'warn', kind: 'PACKET_FAILS', chain: d.status === 'failed' ? d.dstChain : d.srcChain, en: `${what}: ${d.error}`, zh: `跨链数据包 ${d.srcChain}→${d.dstChain}(序号 ${d.sequence})处理失败:${d.error}` });
    }
  }
  for (const { chain, tx, alert } of input.alerts) {
    const sev = alert.severity;
    const level = sev === 'critical' || sev === 'high' ? 'block' : sev === 'info' ? 'info' : 'warn';
    reasons.push({
      level, kind: 'RULE', chain, tx, rule: { id: alert.rule, version: alert.version, severity: sev, title: alert.title },
      en: `supervision rule "${alert.rule}" (${sev}) would fire: ${alert.title} — ${alert.detail}`,
      zh: `监管规则「${alert.rule}」(${sev})将触发:${alert.title}`,
    });
  }
  if (input.overridden) {
    reasons.push({ level: 'info', kind: 'OVERRIDE', chain: '*', en: 'the result depends on overridden block time, height or balances', zh: '结果依赖于覆盖的区块时间、高度或余额' });
  }
  const verdict: Verdict = reasons.some((r) => r.level === 'block') ? 'block' : reasons.some((r) => r.level === 'warn') ? 'warn' : 'none';
  return { verdict, reasons };

  function touched(chain: string, did: string, tx: string | undefined): void {
    const key = `${chain}|${did}`;
    if (frozenSeen.has(key)) return;
    const f = input.judges.get(chain)?.frozen(did);
    if (!f) return;
    frozenSeen.add(key);
    reasons.push({
      level: 'block', kind: 'FROZEN_PARTY', chain, proposal: f.proposal, ...(tx ? { tx } : {}),
      en: `${did} is frozen by governance proposal #${f.proposal} (${f.how}) since governance height ${f.since}: ${f.reason}`,
      zh: `${did} 已被治理提案 #${f.proposal} 冻结(自治理链高度 ${f.since} 起):${f.reason}`,
    });
  }
}

/** DIDs in a JSON value (strings that are whole DIDs), at most MAX_ARG_DIDS. */
export function didsIn(v: JsonValue | null): string[] {
  const out = new Set<string>();
  const walk = (x: JsonValue | null, depth: number): void => {
    if (out.size >= MAX_ARG_DIDS || depth > 16 || x === null) return;
    if (typeof x === 'string') {
      if (DID_RE.test(x)) out.add(x);
    } else if (Array.isArray(x)) for (const y of x) walk(y, depth + 1);
    else if (typeof x === 'object') for (const y of Object.values(x)) walk(y ?? null, depth + 1);
  };
  walk(v, 0);
  return [...out];
}
