-- Payment for metered sessions: a device with its own DID (a charging point, a machine, a
-- parking sensor) reports each session of use with its start and end. Each session is billed in
-- whole billing units, any started unit counting in full, at the price per unit, with a discount
-- for long sessions, and paid at once. Each session is billed once. The Provider may refund an
-- amount to the Customer, in the currency of the price.
contract metered-sessions
version 1.0.0
title "Payment for Metered Sessions of Use" | "按计时使用付费"
timezone +08:00
currency USD

party provider "the Provider" | "服务商"
party customer "the Customer" | "客户"
party device "the Device" | "计时设备"

param rate: Money "the price per billing unit" | "每计费单位价格"
param billingUnit: Duration "the billing unit" | "计费单位"
param longSession: Duration "the length from which a session is a long session" | "长时使用的起算时长"
param longSessionDiscount: Percent "the discount on a long session" | "长时使用折扣"
param maxSession: Duration "the longest session one record may report" | "单条记录可报告的最长使用时长"

state sessions: Int "the number of sessions billed" | "已计费的使用次数" = 0
state charged: Money "the amount charged net of refunds" | "已收取的费用（扣除退款后）" = 0.00 USD
state seen: List(Text, 1000) "the identifiers of the sessions billed" | "已计费的使用记录编号" = []

en: {provider} makes its equipment available to {customer}, who pays for each session of use. Sessions are recorded by {device}, which is identified by its own DID and signs every record it sends.
zh: {provider}向{customer}提供设备使用，{customer}按每次使用付费。使用情况由{device}记录；该设备以其自身DID识别，并签署其发送的每条记录。

clause billing "Billing of Sessions" | "计费"
  en: Each session is billed in whole billing units of {billingUnit} at {rate} per unit. A session of {longSession} or more is a long session, whose charge is reduced by {longSessionDiscount}. {customer} pays for each session as soon as it is recorded.
  zh: 每次使用按{billingUnit}为一个计费单位、每单位{rate}计费。使用时长达到{longSession}的为长时使用，其费用减少{longSessionDiscount}。每次使用一经记录，{customer}即支付相应费用。

  define length "the length of the session" | "本次使用时长" = ended - started
  define billedUnits "the billing units of the session" | "本次使用的计费单位数" =
    length in billingUnit rounded up
  define sessionCharge "the charge for the session" | "本次使用的费用" =
    if length >= longSession
    then (100% - longSessionDiscount) of (rate * billedUnits) rounded half up
    else rate * billedUnits

  on Session "a session record" | "使用记录" from device
    with sessionId: Text "the identifier of the session" | "使用记录编号"
    with started: Date "the start of the session" | "使用开始时间"
    with ended: Date "the end of the session" | "使用结束时间"
    require not (seen contains sessionId) else "This session has already been billed." | "该次使用已经计费，不重复计费。"
    require started < ended and ended <= now else "A session must end after it starts, and no later than it is recorded." | "使用结束时间须晚于开始时间，且不得晚于记录时间。"
    require length <= maxSession else "The session is longer than one record may report." | "该次使用时长超过单条记录可报告的最长时长。"
    append sessionId to seen
    set sessions = sessions + 1
    set charged = charged + sessionCharge
    pay sessionCharge from customer to provider for "payment for a metered session" | "计时使用费"
    respond units = billedUnits
    respond charge = sessionCharge

clause refunds "Refunds" | "退款"
  en: {provider} may refund {customer} any amount up to what has been charged, in the currency of the price.
  zh: {provider}可以在已收取费用的范围内向{customer}退款，退款以价格的币种支付。

  permission Refund "refund an amount to the Customer" | "向客户退款" by provider
    with amount: Money(any) "the amount refunded" | "退款金额"
    require amount.currency = rate.currency else "A refund is paid in the currency of the price." | "退款须以价格的币种支付。"
    require amount > 0.00 USD and amount <= charged else "A refund must be more than nothing and no more than what has been charged." | "退款金额须大于零，且不超过已收取的费用。"
    set charged = charged - amount
    pay amount from provider to customer for "a refund" | "退款"
    respond charged = charged
