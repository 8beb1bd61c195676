-- Acceptance of delivery: after each delivery the Customer has an inspection period to accept
-- (and pay) or reject; silence means acceptance. The Supplier may deliver a second time after
-- a rejection; a second rejection ends the Contract.
contract acceptance-of-delivery
version 1.0.0
title "Delivery and Acceptance" | "交付与验收"
timezone +08:00
currency CNY

party supplier "the Supplier" | "供方"
party customer "the Customer" | "需方"

param price: Money "the price" | "合同价款"
param deliveryDue: Date "the latest delivery time" | "最迟交付时间"
param inspectionPeriod: Duration "the inspection period" | "验收期"

enum Outcome "the outcome of inspection" | "验收结果"
  open "not yet decided" | "尚未确定"
  accepted "accepted" | "验收合格"
  deemed "deemed accepted" | "视为验收合格"
  rejected "finally rejected" | "最终验收不合格"

state deliveries: Int "the number of deliveries made" | "已交付次数" = 0
state decisions: Int "the number of inspections decided" | "已作出验收结论的次数" = 0
state deliveredAt: Date "the time of the latest delivery" | "最近一次交付时间" = deliveryDue
state outcome: Outcome "the outcome of inspection" | "验收结果" = Outcome.open

en: {supplier} delivers the goods and services in the specification to {customer} for {price}, payable on acceptance.
zh: {supplier}向{customer}交付技术规格所列货物和服务，合同价款为{price}，验收合格后支付。

clause delivery "Delivery" | "交付"
  obligation deliver "deliver the goods" | "交付货物"
    promisor supplier
    promisee customer
    due deliveryDue
    done when deliveries >= 1

  on Delivered "a delivery of the goods" | "交付货物" from supplier
    require outcome = Outcome.open and deliveries = decisions and deliveries < 2 else "A delivery can be made only before anything was accepted, and again only after a rejection." | "仅可在未验收时交付，或在验收不合格后再次交付。"
    set deliveries = deliveries + 1
    set deliveredAt = now
    respond inspectUntil = now + inspectionPeriod

clause acceptance "Inspection and Acceptance" | "检验与验收"
  en: Within {inspectionPeriod} after each delivery, {customer} accepts the goods or rejects them with reasons. If it does neither, the goods are deemed accepted at the end of the inspection period.
  zh: 每次交付后{inspectionPeriod}内，{customer}应验收合格或说明理由拒收。逾期未作表示的，视为验收合格。

  obligation inspect "inspect the delivery and accept or reject it" | "检验交付物并作出验收结论"
    for each n from 1 to 2
    promisor customer
    promisee supplier
    due deliveredAt + inspectionPeriod
    only if deliveries >= n
    done when decisions >= n
    on breach
      set decisions = n
      set outcome = Outcome.deemed
      pay price from customer to supplier for "the price, the goods being deemed accepted" | "合同价款（视为验收合格）"

  permission Accept "accept the delivery" | "验收合格" by customer
    require deliveries > decisions else "There is no delivery awaiting inspection." | "没有待验收的交付。"
    set decisions = deliveries
    set outcome = Outcome.accepted
    pay price from customer to supplier for "the price, on acceptance" | "合同价款（验收合格）"

  permission Reject "reject the delivery" | "拒收" by customer
    with reasons: Text "the reasons for rejection" | "拒收理由"
    require deliveries > decisions else "There is no delivery awaiting inspection." | "没有待验收的交付。"
    require reasons != "" else "Reasons must be given for a rejection." | "拒收须说明理由。"
    set decisions = deliveries
    if deliveries >= 2
      set outcome = Outcome.rejected
      terminate "the Customer rejected the second delivery" | "需方拒收第二次交付"
