-- Late delivery and penalty: the Seller pays a penalty for each period of late delivery,
-- any part of a day counting as a full day, capped at a share of the price; force majeure
-- excuses the penalty; after a long delay the Buyer may terminate.
contract late-delivery
version 1.0.0
title "Late Delivery and Penalty" | "迟延交付与违约金"
timezone +08:00
currency CNY

party seller "the Seller" | "卖方"
party buyer "the Buyer" | "买方"

param goodsValue: Money "the price of the Equipment" | "设备价款"
param agreedDelivery: Date "the agreed delivery date" | "约定交付时间"
param penaltyRate: Percent "the penalty rate for each penalty period" | "每一违约金计算期间的违约金比例"
param penaltyPeriod: Duration "the penalty period" | "违约金计算期间"
param capRate: Percent "the cap on the penalty, as a share of the price" | "违约金上限占价款的比例"
param terminationDelay: Duration "the delay after which the Buyer may terminate" | "买方可解除合同的迟延期间"

state delivered: Bool "the Equipment has been delivered" | "设备已交付" = false
state deliveredAt: Date "the time of delivery" | "交付时间" = agreedDelivery
state forceMajeure: Bool "the Seller has notified a force majeure event" | "卖方已通知发生不可抗力" = false

en: {seller} sells and {buyer} buys the Equipment described in the purchase order for {goodsValue}.
zh: {seller}向{buyer}出售采购订单所列设备，价款为{goodsValue}。

clause delivery "Delivery" | "交付"
  en: {seller} shall deliver the Equipment at the place named in the purchase order, no later than {agreedDelivery}.
  zh: {seller}应不迟于{agreedDelivery}在采购订单载明的地点交付设备。

  obligation deliver "deliver the Equipment" | "交付设备"
    promisor seller
    promisee buyer
    due agreedDelivery
    done when delivered

  on Delivered "the delivery of the Equipment" | "设备交付" from seller
    require not delivered else "The Equipment has already been delivered." | "设备已经交付，不能再次报告交付。"
    set delivered = true
    set deliveredAt = now
    pay penalty from seller to buyer for "the penalty for late delivery" | "迟延交付违约金"
    respond delayDays = delayDays
    respond penalty = penalty

clause penalty "Penalty for Late Delivery" | "迟延交付违约金"
  en: If the Equipment is delivered late, {seller} shall pay {buyer} a penalty of {penaltyRate} of {goodsValue} for every {penaltyPeriod} of delay, in proportion for part of a period, up to {capRate} of {goodsValue}.
  zh: 设备迟延交付的，{seller}应按每{penaltyPeriod}支付{goodsValue}的{penaltyRate}向{buyer}支付违约金，不满一个期间的按比例计算，但以{goodsValue}的{capRate}为限。

  define delayDays "the number of days of delay" | "迟延天数" =
    (deliveredAt - agreedDelivery) in days rounded up at least 0
  define penalty "the penalty" | "违约金" =
    penaltyRate of goodsValue * (delayDays days / penaltyPeriod) rounded half up
    capped at capRate of goodsValue rounded half up

  exception excused "force majeure" | "不可抗力" to penalty
    when forceMajeure
    then 0.00 CNY

clause forceMajeureClause "Force Majeure" | "不可抗力"
  en: {seller} is not liable for the penalty if, before the Equipment is delivered, it notifies {buyer} of an event beyond its reasonable control that prevents delivery.
  zh: {seller}在设备交付前向{buyer}通知发生其无法合理控制且妨碍交付的事件的，不承担违约金责任。

  on ForceMajeure "a force majeure event" | "不可抗力事件" from seller
    with description: Text "a description of the event" | "事件说明"
    require not delivered else "Force majeure can only be notified before delivery." | "不可抗力须在交付前通知。"
    require not forceMajeure else "Force majeure has already been notified." | "已通知过不可抗力。"
    set forceMajeure = true

clause termination "Termination" | "解除"
  en: If the delay exceeds {terminationDelay}, {buyer} may terminate this Contract and claim the penalty accrued to the date of termination.
  zh: 迟延超过{terminationDelay}的，{buyer}可以解除本合同，并要求支付截至解除之日已产生的违约金。

  permission Terminate "terminate this Contract for late delivery" | "因迟延交付解除本合同" by buyer
    require not delivered else "The Equipment has been delivered, so the Contract can no longer be terminated for late delivery." | "设备已交付，不能再以迟延交付为由解除合同。"
    require now - agreedDelivery > terminationDelay else "The delay is not yet long enough for the Buyer to terminate." | "迟延期间尚未达到买方可解除合同的期限。"
    set deliveredAt = now
    pay penalty from seller to buyer for "the penalty for late delivery, accrued to termination" | "截至解除时的迟延交付违约金"
    respond penalty = penalty
    terminate "the Buyer terminated the Contract for late delivery" | "买方因迟延交付解除合同"
