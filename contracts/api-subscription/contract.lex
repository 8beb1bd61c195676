-- API subscription in the service market (white paper §1.4, §7.2): a buyer subscribes to an API
-- product on a plan. Usage is what the market's metering gateways committed on chain for the
-- period; the market module reports it once per period (only it may send a Metered event). The
-- period's charge is paid by the buyer and split among the provider and the contributors (data
-- source, algorithm, compute); tax on each contributor's share is withheld for the authority.
contract api-subscription
version 1.0.0
title "API Product Subscription and Revenue Sharing Agreement" | "API产品订阅与收益分成协议"
timezone +08:00
currency CNY

party provider "the Provider" | "服务商"
party buyer "the Subscriber" | "订阅方"
party dataSource "the Data Source" | "数据源方"
party algorithm "the Algorithm Provider" | "算法服务商"
party compute "the Compute Provider" | "算力提供方"
party taxAuthority "the tax authority" | "税务机关"

param firstPeriod: Date "the start of the first billing period" | "首个计费期间的起始时间"
param periodLength: Duration "the length of a billing period" | "计费期间长度"
param periods: Int "the number of billing periods" | "计费期间数"
param baseFee: Money "the fixed fee for each billing period" | "每一计费期间的固定费用"
param includedUnits: Int "the units of use included in the fixed fee" | "固定费用所含使用量"
param unitPrice: Money "the price per unit of use beyond the included units" | "超出所含使用量后每单位使用量的价格"
param tierUnits: Int "the units of use charged at the first price in a period" | "每一计费期间按首档价格计费的使用量"
param tierPrice: Money "the price per unit of use beyond the first tier" | "超出首档后每单位使用量的价格"
param providerShare: Percent "the Provider's share" | "服务商分成比例"
param dataShare: Percent "the Data Source's share" | "数据源方分成比例"
param algorithmShare: Percent "the Algorithm Provider's share" | "算法服务商分成比例"
param computeShare: Percent "the Compute Provider's share" | "算力提供方分成比例"
param withholdingRate: Percent "the tax rate withheld on the Data Source's share" | "数据源方分成的代扣税率"

state settledPeriods: Int "the number of billing periods settled" | "已结算计费期间数" = 0
state totalUnits: Int "the units of use settled so far" | "累计结算使用量" = 0
state totalCharged: Money "the amount charged so far" | "累计收取费用" = 0.00 CNY

en: {provider} provides an API product to {buyer} through the metering gateways of the service market. The product is assembled from data of {dataSource}, algorithms of {algorithm} and computing power of {compute}.
zh: {provider}通过服务市场的计量网关向{buyer}提供API产品。该产品由{dataSource}的数据、{algorithm}的算法和{compute}的算力组合而成。

clause usage "Usage and Charges" | "用量与费用"
  en: The usage of a billing period is the number of units the market's metering gateways committed on chain for this subscription in that period, as reported by the market at the end of the period. Each billing period {buyer} pays {baseFee}, which includes {includedUnits} units; further units are charged at {unitPrice} each up to {tierUnits} units in the period, and at {tierPrice} beyond.
  zh: 计费期间的用量，为服务市场计量网关在该期间就本订阅在链上提交的使用量，由服务市场在期间届满时报告。{buyer}每一计费期间支付{baseFee}，含{includedUnits}单位使用量；超出部分在该期间{tierUnits}单位以内按每单位{unitPrice}计费，超过的按每单位{tierPrice}计费。
  en: The charge is split: {providerShare} to {provider}, {dataShare} to {dataSource}, {algorithmShare} to {algorithm} and {computeShare} to {compute}.
  zh: 费用按以下比例分配：{provider}{providerShare}，{dataSource}{dataShare}，{algorithm}{algorithmShare}，{compute}{computeShare}。

  obligation settle "settle the billing period" | "结算计费期间"
    for each p from 1 to periods
    promisor buyer
    promisee provider
    due firstPeriod + periodLength * (p + 1)
    done when settledPeriods >= p

  on MeteredUsage "the usage of a billing period committed by the metering gateways" | "计量网关提交的计费期间用量" from provider
    with period: Int "the number of the billing period" | "计费期间序号"
    with units: Int "the units of use committed" | "已提交的使用量"
    require period = settledPeriods + 1 and period <= periods else "Billing periods are settled in order, each once." | "计费期间须按顺序逐期结算，每期一次。"
    require now >= firstPeriod + periodLength * period else "A billing period can be settled only after it ends." | "计费期间届满后方可结算。"
    require units >= 0 else "Usage cannot be negative." | "用量不能为负数。"
    let billable "the units of use beyond the included units" | "超出所含使用量的使用量" = units - includedUnits at least 0
    let firstTier "the units charged at the first price" | "按首档价格计费的使用量" = billable capped at tierUnits
    let charge "the charge for the billing period" | "本计费期间的费用" = baseFee + unitPrice * firstTier + tierPrice * (billable - firstTier)
    split charge from buyer for "the API subscription charge for the billing period" | "本计费期间的API订阅费用"
      to provider: providerShare
      to dataSource: dataShare
      to algorithm: algorithmShare
      to compute: computeShare
    let tax "the tax withheld from the Data Source's share" | "数据源方分成的代扣税款" = withholdingRate of (dataShare of charge rounded down) rounded half up
    withhold tax from dataSource to taxAuthority for "tax on the Data Source's share, withheld at source" | "数据源方分成应纳税款（源泉扣缴）"
    set settledPeriods = period
    set totalUnits = totalUnits + units
    set totalCharged = totalCharged + charge
    respond charge = charge
    respond tax = tax
