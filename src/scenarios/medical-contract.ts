/**
 * The research consortium's revenue-sharing agreement of the medical-research scenario (医研结合,
 * scenarios/medical/README.md), in lex: signed by the alumni association, the two hospitals, the
 * algorithm provider and the compute provider (and the tax authority, which receives the tax
 * withheld) before the product exists. The market's subscription contracts pay the association,
 * the seller; each period the association reports that revenue here, keeps its fee, and the rest
 * is split among the hospitals, the algorithm provider and the compute provider, with tax on each
 * hospital's share withheld at source. The consent threshold is one of its terms.
 */
export const MEDICAL_CONTRACT_SOURCE = `-- 医研结合 (white paper §4.1): the consortium's revenue-sharing agreement (scenarios/medical/README.md).
contract medical-research-share
version 1.0.0
title "Medical Research Data Consortium Revenue Sharing Agreement" | "医研结合数据联合体收益分成协议"
timezone +08:00
currency CNY

party association "the Alumni Association" | "校友会"
party hospitalA "the First Hospital" | "第一医院"
party hospitalB "the Second Hospital" | "第二医院"
party algorithm "the Algorithm Provider" | "算法服务商"
party compute "the Compute Provider" | "算力提供方"
party taxAuthority "the tax authority" | "税务机关"

param minConsents: Int "the alumni consents needed before any computation" | "开展计算前所需的校友授权数"
param firstPeriod: Date "the start of the first settlement period" | "首个结算期间的起始时间"
param periodLength: Duration "the length of a settlement period" | "结算期间长度"
param periods: Int "the number of settlement periods" | "结算期间数"
param settleWithin: Duration "the time allowed for settling a period" | "结算期限"
param associationFee: Percent "the Association's fee" | "校友会服务费比例"
param hospitalAShare: Percent "the First Hospital's share" | "第一医院分成比例"
param hospitalBShare: Percent "the Second Hospital's share" | "第二医院分成比例"
param algorithmShare: Percent "the Algorithm Provider's share" | "算法服务商分成比例"
param computeShare: Percent "the Compute Provider's share" | "算力提供方分成比例"
param withholdingRate: Percent "the tax rate withheld on each hospital's share" | "医院分成的代扣税率"

state settledPeriods: Int "the number of periods settled" | "已结算期间数" = 0
state totalRevenue: Money "the revenue reported so far" | "累计收入" = 0.00 CNY
state totalCalls: Int "the API calls reported so far" | "累计调用次数" = 0

en: {association} offers, as an API, statistics computed over the records of {hospitalA} and {hospitalB} about alumni who consented, with the algorithms of {algorithm} and the computing power of {compute}. Its revenue is shared as this Contract says.
zh: {association}以API形式提供基于{hospitalA}和{hospitalB}中已授权校友记录计算的统计结果，使用{algorithm}的算法和{compute}的算力。其收入按本合同约定分配。

clause data "Data and Consent" | "数据与授权"
  en: The hospitals contribute only the records of alumni who consented through {association}, and no computation runs before {minConsents} alumni have consented. An alumnus who withdraws is left out of every later computation. The records are usable but not visible: only aggregate results leave a computation.
  zh: 医院仅提供经{association}授权的校友记录；授权校友不足{minConsents}人时不开展任何计算。撤回授权的校友不参与此后的任何计算。数据可用不可见：计算只输出汇总结果。

clause settlement "Periodic Settlement" | "定期结算"
  en: Each period {association} reports the revenue it received from the API's subscribers and keeps its fee of {associationFee}. The rest is split: {hospitalAShare} to {hospitalA}, {hospitalBShare} to {hospitalB}, {algorithmShare} to {algorithm} and {computeShare} to {compute}. Tax at {withholdingRate} on each hospital's share is withheld for {taxAuthority}.
  zh: {association}每一期间报告从API订阅方收取的收入，并收取{associationFee}的服务费，余额按以下比例分配：{hospitalA}{hospitalAShare}，{hospitalB}{hospitalBShare}，{algorithm}{algorithmShare}，{compute}{computeShare}。各医院分成按{withholdingRate}代扣税款，缴付{taxAuthority}。

  obligation settle "report and settle the period's revenue" | "报告并结算当期收入"
    for each p from 1 to periods
    promisor association
    promisee hospitalA
    due firstPeriod + periodLength * p + settleWithin
    done when settledPeriods >= p

  on PeriodRevenue "the revenue of a settlement period" | "结算期间收入" from association
    with period: Int "the number of the period" | "结算期间序号"
    with calls: Int "the number of API calls" | "API调用次数"
    with revenue: Money "the revenue received" | "所收收入"
    require period = settledPeriods + 1 and period <= periods else "Periods are settled in order, each once." | "结算期间须按顺序逐期结算，每期一次。"
    require now >= firstPeriod + periodLength * period else "A period can be settled only after it ends." | "结算期间届满后方可结算。"
    require calls >= 0 and revenue >= 0.00 CNY else "Calls and revenue cannot be negative." | "调用次数和收入不能为负数。"
    let fee "the Association's fee" | "校友会服务费" = associationFee of revenue rounded half up
    let distributable "the revenue to share" | "可分配收入" = revenue - fee
    split distributable from association for "the revenue share of the period" | "当期收益分成"
      to hospitalA: hospitalAShare
      to hospitalB: hospitalBShare
      to algorithm: algorithmShare
      to compute: computeShare
    let taxA "the tax withheld from the First Hospital's share" | "第一医院分成的代扣税款" = withholdingRate of (hospitalAShare of distributable rounded down) rounded half up
    withhold taxA from hospitalA to taxAuthority for "tax on the First Hospital's share, withheld at source" | "第一医院分成应纳税款（源泉扣缴）"
    let taxB "the tax withheld from the Second Hospital's share" | "第二医院分成的代扣税款" = withholdingRate of (hospitalBShare of distributable rounded down) rounded half up
    withhold taxB from hospitalB to taxAuthority for "tax on the Second Hospital's share, withheld at source" | "第二医院分成应纳税款（源泉扣缴）"
    set settledPeriods = period
    set totalRevenue = totalRevenue + revenue
    set totalCalls = totalCalls + calls
    respond fee = fee
    respond distributable = distributable
    respond taxA = taxA
    respond taxB = taxB
`;
