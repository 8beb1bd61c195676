-- Volume discount: each order is priced at the discount of the bracket the year's total
-- volume has reached; at the end of the year the whole year is repriced at the final bracket
-- and the Seller refunds the difference.
contract volume-discount
version 1.0.0
title "Supply Agreement with Volume Discounts" | "批量折扣供货协议"
timezone +08:00
currency CNY

party seller "the Seller" | "供货方"
party buyer "the Buyer" | "采购方"

param unitPrice: Money "the list price per unit" | "单位目录价"
param yearStart: Date "the start of the contract year" | "合同年度起始时间"
param maxOrder: Int "the largest number of units in one order" | "单笔订单最大数量"

state unitsOrdered: Int "the units ordered in the contract year" | "合同年度累计订购数量" = 0
state listTotal: Money "the list price of all orders in the year" | "年度订单目录价合计" = 0.00 CNY
state paidTotal: Money "the amount paid for all orders in the year" | "年度订单实付合计" = 0.00 CNY
state settled: Bool "the year-end adjustment has been made" | "年终结算已完成" = false

tiers discountRates "volume discount rates" | "批量折扣率"
  below 1000: 0%
  below 5000: 5%
  below 20000: 8%
  above: 12%

en: {seller} supplies and {buyer} buys the products in the price list at {unitPrice} per unit, less the volume discounts below.
zh: {seller}按每单位{unitPrice}的目录价向{buyer}供应价目表所列产品，并给予以下批量折扣。

clause orders "Orders and Discounts" | "订单与折扣"
  en: Each order is priced at the discount rate of the bracket that the units ordered in the contract year, this order included, fall in.
  zh: 每笔订单按本合同年度累计订购数量（含本订单）所在档次的折扣率计价。

  permission Order "place an order" | "下订单" by buyer
    with orderNo: Text "the order number" | "订单编号"
    with units: Int "the number of units" | "订购数量"
    require not settled and now >= yearStart and now < yearStart + 1 year else "Orders count only within the contract year." | "仅合同年度内的订单适用本协议。"
    require units > 0 and units <= maxOrder else "An order must be for at least one unit and no more than the largest order allowed." | "订购数量须至少为一个单位，且不超过单笔订单最大数量。"
    let cumulative "the units ordered in the year, this order included" | "含本订单在内的年度累计订购数量" = unitsOrdered + units
    let discountRate "the discount rate" | "折扣率" = discountRates rate for cumulative
    let listPrice "the list price of the order" | "订单目录价" = unitPrice * units
    let orderPrice "the price of the order" | "订单价格" = listPrice - discountRate of listPrice rounded half up
    set unitsOrdered = cumulative
    set listTotal = listTotal + listPrice
    set paidTotal = paidTotal + orderPrice
    pay orderPrice from buyer to seller for "the price of an order" | "订单价款"
    respond discountRate = discountRate
    respond price = orderPrice

clause yearEnd "Year-End Adjustment" | "年终结算"
  en: After the contract year ends, all orders of the year are repriced at the discount rate of the final bracket, and {seller} refunds the difference to {buyer}.
  zh: 合同年度结束后，全年订单按最终档次的折扣率重新计价，{seller}向{buyer}退还差额。

  define finalPrice "the price of the year's orders at the final discount rate" | "按最终折扣率计算的年度订单价格" =
    listTotal - (discountRates rate for unitsOrdered) of listTotal rounded half up

  permission Settle "claim the year-end adjustment" | "申请年终结算" by buyer, seller
    require now >= yearStart + 1 year else "The contract year has not ended yet." | "合同年度尚未结束。"
    require not settled else "The year-end adjustment has already been made." | "年终结算已经完成。"
    set settled = true
    pay paidTotal - finalPrice from seller to buyer for "the year-end volume discount adjustment" | "年终批量折扣调整款"
    respond refund = paidTotal - finalPrice
    terminate "the contract year has ended and been settled" | "合同年度已结束并完成结算"
