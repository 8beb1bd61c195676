/**
 * The trade scenario's supervision rules (docs/supervision.md): customs sees every eBL move between
 * chains (提单+监管); the 离岸贸易 rule compares a deal's invoice, bill of lading and payment as
 * the bank files them, and raises when they differ (三流一致). Ids carry the run's tag.
 */
import { TRADE_CHAINS, type RuleSpec } from '../sdk/index.ts';

/** The regulator's two rules (ids tagged per run): eBL moves across chains; the offshore-trade three-flow match. */
export function tradeRules(tag: string): { eblMove: RuleSpec; offshore: RuleSpec } {
  const { carrier, bank } = TRADE_CHAINS;
  const p = 'tx.args.payload';
  return {
    eblMove: {
      id: `ebl-move-${tag}`, title: 'An electronic bill of lading moved between chains', titleZh: '电子提单跨链流转', severity: 'info',
      scope: { chains: [carrier, bank], modules: ['xdoc'] }, kind: 'match', when: 'tx.method == "send" && ok',
    },
    offshore: {
      id: `offshore-trade-${tag}`, title: 'Offshore trade: invoice, bill of lading and payment do not match', titleZh: '离岸贸易：发票、提单与付款不一致', severity: 'high',
      scope: { chains: [bank], modules: ['xchain'] }, kind: 'match',
      when: `tx.method == "send" && ok && has(${p}.kind) && ${p}.kind == "offshore-trade" && !(${p}.invoice.amount == ${p}.payment.amount && ${p}.invoice.currency == ${p}.payment.currency && ${p}.invoice.seller == ${p}.payment.to && ${p}.invoice.buyer == ${p}.payment.from && ${p}.ebl.shipper == ${p}.invoice.seller && ${p}.ebl.goods == ${p}.invoice.goods)`,
    },
  };
}
