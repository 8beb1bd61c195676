-- Royalties on net sales: the Licensee reports each quarter's sales; the royalty is charged on
-- net sales at rising marginal rates, never below a minimum; the Licensee withholds tax on the
-- royalty for the Licensor and pays it to the tax authority.
contract royalties
version 1.0.0
title "Licence with Royalties on Net Sales" | "按净销售额提成的许可合同"
timezone +08:00
currency CNY

party licensor "the Licensor" | "许可方"
party licensee "the Licensee" | "被许可方"
party taxAuthority "the tax authority" | "税务机关"

param firstQuarter: Date "the start of the first royalty quarter" | "首个提成季度的起始时间"
param quarters: Int "the number of royalty quarters" | "提成季度数"
param reportWithin: Duration "the time allowed for a quarterly report" | "季度报告期限"
param firstBand: Money "the upper limit of the first royalty band" | "第一档上限"
param secondBand: Money "the upper limit of the second royalty band" | "第二档上限"
param firstRate: Percent "the royalty rate of the first band" | "第一档提成率"
param secondRate: Percent "the royalty rate of the second band" | "第二档提成率"
param topRate: Percent "the royalty rate above the second band" | "超过第二档部分的提成率"
param minimumRoyalty: Money "the minimum royalty for a quarter" | "季度最低提成费"
param withholdingRate: Percent "the withholding tax rate" | "预提所得税税率"

state reported: Int "the number of quarters reported" | "已报告的季度数" = 0
state royaltiesPaid: Money "the royalties paid so far" | "累计提成费" = 0.00 CNY

tiers royaltyRates "royalty rates on net sales" | "净销售额提成费率"
  up to firstBand: firstRate
  up to secondBand: secondRate
  above: topRate

en: {licensor} grants {licensee} a licence to make and sell the licensed products, in return for royalties on their net sales.
zh: {licensor}许可{licensee}制造和销售许可产品，{licensee}按许可产品的净销售额支付提成费。

clause reports "Quarterly Reports" | "季度报告"
  en: Within {reportWithin} after each quarter ends, {licensee} reports the gross sales of the licensed products and the returns and allowances granted.
  zh: 每一季度结束后{reportWithin}内，{licensee}应报告许可产品的销售总额及退货与折让金额。

  obligation report "report the quarter's sales and pay its royalty" | "报告季度销售额并支付提成费"
    for each q from 1 to quarters
    promisor licensee
    promisee licensor
    due firstQuarter + (q * 3) months + reportWithin
    done when reported >= q

clause royalty "Royalty and Withholding Tax" | "提成费与预提税"
  en: The royalty for a quarter is charged on its net sales at the rates of the royalty bands, but is never less than {minimumRoyalty}. {licensee} withholds tax on the royalty at {withholdingRate} on behalf of {licensor} and pays the rest to {licensor}.
  zh: 季度提成费按净销售额分档累进计算，但不低于{minimumRoyalty}。{licensee}代{licensor}按{withholdingRate}的税率扣缴预提所得税，余额支付给{licensor}。

  on SalesReport "the sales report for a quarter" | "季度销售报告" from licensee
    with quarter: Int "the number of the quarter" | "季度序号"
    with grossSales: Money "the gross sales" | "销售总额"
    with returns: Money "the returns and allowances" | "退货与折让金额"
    require quarter = reported + 1 and quarter <= quarters else "Quarters are reported in order, each once." | "季度须按顺序逐一报告，每季度一次。"
    require now >= firstQuarter + (quarter * 3) months else "A quarter can be reported only after it ends." | "季度结束后方可报告。"
    require grossSales >= 0.00 CNY and returns >= 0.00 CNY and returns <= grossSales else "Returns and allowances must be between zero and the gross sales." | "退货与折让金额应介于零与销售总额之间。"
    let netSales "the net sales" | "净销售额" = grossSales - returns
    let royaltyDue "the royalty" | "提成费" = royaltyRates applied to netSales rounded half up at least minimumRoyalty
    let tax "the tax withheld" | "代扣税款" = withholdingRate of royaltyDue rounded half up
    pay royaltyDue - tax from licensee to licensor for "the royalty for the quarter, net of withholding tax" | "季度提成费（已扣除预提税）"
    withhold tax from licensee to taxAuthority on behalf of licensor for "withholding tax on the royalty" | "提成费预提所得税"
    set reported = quarter
    set royaltiesPaid = royaltiesPaid + royaltyDue
    respond netSales = netSales
    respond royalty = royaltyDue
    respond tax = tax
