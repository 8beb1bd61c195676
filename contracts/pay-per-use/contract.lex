-- Payment per IoT event: a metering device reports each use; every report is paid at once,
-- at the unit price, until the spending limit is reached. Each record is counted once.
contract pay-per-use
version 1.0.0
title "Payment per Metered Use" | "按计量使用付费"
timezone +08:00
currency CNY

party provider "the Provider" | "服务商"
party customer "the Customer" | "客户"
party meter "the Meter" | "计量设备"

param unitPrice: Money "the price per unit of use" | "每单位使用量的价格"
param initialLimit: Money "the initial spending limit" | "初始费用上限"
param termStart: Date "the start of the term" | "服务期起始时间"
param termEnd: Date "the end of the term" | "服务期届满时间"
param maxUnitsPerRecord: Int "the largest number of units one record may count" | "单条记录可计入的最大使用量"

state unitsUsed: Int "the units of use counted so far" | "已计入的使用量" = 0
state charged: Money "the amount charged so far" | "已收取的费用" = 0.00 CNY
state spendingLimit: Money "the spending limit" | "费用上限" = initialLimit
state seen: List(Text, 1000) "the identifiers of the usage records counted" | "已计入的用量记录编号" = []

en: {provider} provides the metered service to {customer}. Use is measured by {meter}, a device identified by its own DID, which signs every usage record it sends.
zh: {provider}向{customer}提供按量计费服务。使用量由{meter}计量；该设备以其自身DID签署其发送的每条用量记录。

clause metering "Metering and Payment" | "计量与付款"
  en: Each usage record sent by {meter} during the term is paid by {customer} at {unitPrice} per unit, as soon as it is recorded.
  zh: 服务期内{meter}发送的每条用量记录一经记录，{customer}即按每单位{unitPrice}付费。

  on Usage "a usage record" | "用量记录" from meter
    with recordId: Text "the identifier of the record" | "记录编号"
    with units: Int "the units of use it counts" | "所计使用量"
    require now >= termStart and now < termEnd else "Use is paid for only during the term." | "仅对服务期内的使用付费。"
    require units > 0 and units <= maxUnitsPerRecord else "A usage record must count at least one unit and no more than the largest number allowed." | "每条用量记录所计使用量须至少为一个单位，且不超过允许的最大值。"
    require not (seen contains recordId) else "This usage record has already been counted." | "该用量记录已计入，不重复计费。"
    let charge "the charge for the record" | "本条记录的费用" = unitPrice * units
    require charged + charge <= spendingLimit else "The charge would exceed the spending limit." | "本次费用将超过费用上限。"
    append recordId to seen
    set unitsUsed = unitsUsed + units
    set charged = charged + charge
    pay charge from customer to provider for "payment for metered use" | "计量使用费"
    respond charge = charge
    respond charged = charged

clause limit "Spending Limit" | "费用上限"
  en: {customer} may raise the spending limit at any time, but never below what has already been charged.
  zh: {customer}可以随时提高费用上限，但不得低于已收取的费用。

  permission SetLimit "set a new spending limit" | "设定新的费用上限" by customer
    with newLimit: Money "the new spending limit" | "新的费用上限"
    require newLimit >= charged else "The new limit cannot be lower than the amount already charged." | "新的费用上限不得低于已收取的费用。"
    set spendingLimit = newLimit
    respond spendingLimit = spendingLimit
