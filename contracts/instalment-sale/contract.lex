-- Instalment sale with interest: after a down payment the Buyer repays the rest of the price in
-- equal monthly parts of principal, each with a month's interest on what is still owed.
-- Ownership passes when everything is paid; two missed instalments let the Seller terminate.
contract instalment-sale
version 1.0.0
title "Instalment Sale with Interest" | "分期付款买卖（附利息）"
timezone +08:00
currency CNY

party seller "the Seller" | "出卖人"
party buyer "the Buyer" | "买受人"

param price: Money "the price of the goods" | "货物价款"
param downPayment: Money "the down payment" | "首付款"
param instalments: Int "the number of monthly instalments" | "分期期数"
param annualRate: Percent "the annual interest rate" | "年利率"
param signedOn: Date "the date of this Contract" | "合同签订时间"
param firstDue: Date "the due date of the first instalment" | "首期分期款到期时间"
param lateFeeRate: Percent "the late fee, as a share of the instalment due" | "逾期违约金占当期应付款的比例"

state downPaid: Bool "the down payment has been paid" | "首付款已支付" = false
state paid: Int "the number of instalments paid" | "已支付的分期期数" = 0
state principalPaid: Money "the principal repaid so far" | "已偿还本金" = 0.00 CNY
state missed: Int "the number of instalments missed" | "逾期未付的期数" = 0
state titlePassed: Bool "ownership of the goods has passed to the Buyer" | "货物所有权已转移给买受人" = false

en: {seller} sells the goods described in the schedule to {buyer} for {price}, payable as a down payment of {downPayment} and the rest in {instalments} monthly instalments with interest at {annualRate} a year.
zh: {seller}将附件所列货物出卖给{buyer}，价款为{price}，其中首付款{downPayment}，余款分{instalments}期按月支付，并按年利率{annualRate}计息。

clause down "Down Payment" | "首付款"
  obligation payDown "pay the down payment" | "支付首付款"
    promisor buyer
    promisee seller
    due signedOn + 7 days
    done when downPaid

  permission PayDownPayment "pay the down payment" | "支付首付款" by buyer
    require not downPaid else "The down payment has already been paid." | "首付款已经支付。"
    set downPaid = true
    pay downPayment from buyer to seller for "the down payment" | "首付款"

clause instalmentsClause "Instalments and Interest" | "分期付款与利息"
  en: Each instalment repays an equal part of the financed amount, the last one repaying whatever remains, together with one month's interest on the principal still owed.
  zh: 每期偿还分期本金的等额部分，最后一期偿还剩余全部本金，并支付按未偿本金计算的一个月利息。

  define financed "the financed amount" | "分期本金" = price - downPayment
  define outstanding "the principal still owed" | "未偿本金" = financed - principalPaid
  define principalPart "the principal part of the next instalment" | "下一期应还本金" =
    if paid + 1 = instalments then outstanding else financed / instalments rounded down
  define interestPart "the interest part of the next instalment" | "下一期利息" =
    (annualRate / 12) of outstanding rounded half up
  define nextInstalment "the next instalment" | "下一期分期款" = principalPart + interestPart

  obligation payInstalment "pay the instalment" | "支付分期款"
    for each i from 1 to instalments
    promisor buyer
    promisee seller
    due firstDue + (i - 1) months
    done when paid >= i
    on breach
      set missed = missed + 1
      pay lateFeeRate of nextInstalment rounded half up from buyer to seller for "the late fee for a missed instalment" | "分期款逾期违约金"

  permission PayInstalment "pay the next instalment" | "支付下一期分期款" by buyer
    require downPaid else "The down payment must be paid before the instalments." | "须先支付首付款。"
    require paid < instalments else "All instalments have been paid." | "各期分期款均已付清。"
    let principal "the principal repaid" | "本期偿还的本金" = principalPart
    let interest "the interest paid" | "本期支付的利息" = interestPart
    pay principal + interest from buyer to seller for "an instalment of the price, with interest" | "分期价款及利息"
    set principalPaid = principalPaid + principal
    set paid = paid + 1
    if paid = instalments
      set titlePassed = true
    respond principal = principal
    respond interest = interest
    respond outstanding = outstanding

clause default "Default" | "违约解除"
  en: If {buyer} misses two instalments, {seller} may terminate this Contract before ownership has passed.
  zh: {buyer}有两期分期款逾期未付的，{seller}可以在所有权转移前解除本合同。

  permission Terminate "terminate this Contract for non-payment" | "因未付款解除本合同" by seller
    require missed >= 2 else "Fewer than two instalments have been missed." | "逾期未付的分期款不足两期。"
    require not titlePassed else "Ownership has already passed to the Buyer." | "所有权已转移给买受人。"
    terminate "the Seller terminated for two missed instalments" | "出卖人因两期分期款逾期未付而解除合同"
