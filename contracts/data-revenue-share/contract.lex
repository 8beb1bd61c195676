-- Data-service revenue share: the Platform sells access to a model API; each month it reports
-- the revenue, keeps its fee, and the rest is split among the data source, the algorithm
-- provider and the compute provider; tax on the data source's share is withheld for it.
contract data-revenue-share
version 1.0.0
title "Data Service Revenue Sharing Agreement" | "数据服务收益分成协议"
timezone +08:00
currency CNY

party platform "the Platform" | "平台方"
party dataSource "the Data Source" | "数据源方"
party algorithm "the Algorithm Provider" | "算法服务商"
party compute "the Compute Provider" | "算力提供方"
party taxAuthority "the tax authority" | "税务机关"

param firstPeriod: Date "the start of the first settlement month" | "首个结算月的起始时间"
param periods: Int "the number of settlement months" | "结算月数"
param settleWithin: Duration "the time allowed for settling a month" | "结算期限"
param platformFee: Percent "the Platform's fee" | "平台服务费比例"
param dataShare: Percent "the Data Source's share" | "数据源方分成比例"
param algorithmShare: Percent "the Algorithm Provider's share" | "算法服务商分成比例"
param computeShare: Percent "the Compute Provider's share" | "算力提供方分成比例"
param withholdingRate: Percent "the tax rate withheld on the Data Source's share" | "数据源方分成的代扣税率"

state settledPeriods: Int "the number of months settled" | "已结算月数" = 0
state totalRevenue: Money "the revenue reported so far" | "累计收入" = 0.00 CNY
state totalCalls: Int "the API calls reported so far" | "累计调用次数" = 0

en: The model served by {platform} was trained with data authorised through {dataSource}, algorithms from {algorithm} and computing power from {compute}. Its API revenue is shared among them as this Contract says.
zh: {platform}提供服务的模型，以经{dataSource}授权的数据、{algorithm}的算法和{compute}的算力训练而成，其API收入按本合同约定分配。

clause settlement "Monthly Settlement" | "月度结算"
  en: Each month {platform} reports the revenue received from users of the API and keeps its fee of {platformFee}. The rest is split: {dataShare} to {dataSource}, {algorithmShare} to {algorithm} and {computeShare} to {compute}.
  zh: {platform}每月报告API使用方支付的收入，并收取{platformFee}的平台服务费，余额按以下比例分配：{dataSource}{dataShare}，{algorithm}{algorithmShare}，{compute}{computeShare}。
  en: A month's payments that the payer's account cannot cover when the month is reported are not lost: they wait for the payer's funds until that month's settlement deadline.
  zh: 报告当月收入时付款方账户资金无法支付的，当月款项不因此失效，而是等待付款方资金到账，直至当月结算期限届满。

  obligation settle "report and settle the month's revenue" | "报告并结算当月收入"
    for each p from 1 to periods
    promisor platform
    promisee dataSource
    due firstPeriod + p months + settleWithin
    done when settledPeriods >= p

  on MonthlyRevenue "the revenue of a settlement month" | "结算月收入" from platform
    with period: Int "the number of the month" | "结算月序号"
    with calls: Int "the number of API calls" | "API调用次数"
    with revenue: Money "the revenue received" | "所收收入"
    require period = settledPeriods + 1 and period <= periods else "Months are settled in order, each once." | "结算月须按顺序逐月结算，每月一次。"
    require now >= firstPeriod + period months else "A month can be settled only after it ends." | "结算月结束后方可结算。"
    require calls >= 0 and revenue >= 0.00 CNY else "Calls and revenue cannot be negative." | "调用次数和收入不能为负数。"
    let deadline "the settlement deadline of the month" | "当月结算期限" = firstPeriod + period months + settleWithin
    let fee "the Platform's fee" | "平台服务费" = platformFee of revenue rounded half up
    let distributable "the revenue to share" | "可分配收入" = revenue - fee
    split distributable from platform for "the revenue share for the month" | "当月收益分成"
      to dataSource: dataShare
      to algorithm: algorithmShare
      to compute: computeShare
      if insufficient funds wait until deadline
    let tax "the tax withheld from the Data Source's share" | "数据源方分成的代扣税款" = withholdingRate of (dataShare of distributable) rounded half up
    withhold tax from dataSource to taxAuthority for "tax on the Data Source's share, withheld at source" | "数据源方分成应纳税款（源泉扣缴）"
      if insufficient funds wait until deadline
    set settledPeriods = period
    set totalRevenue = totalRevenue + revenue
    set totalCalls = totalCalls + calls
    respond fee = fee
    respond distributable = distributable
    respond tax = tax
