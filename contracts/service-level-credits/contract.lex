-- Service level agreement: the Customer pays a monthly fee, reduced by a service credit when
-- the availability measured by an independent monitoring service falls below the target.
contract service-level-credits
version 1.0.0
title "Service Level Agreement with Service Credits" | "服务水平协议与服务费抵扣"
timezone +08:00
currency CNY

party provider "the Provider" | "服务商"
party customer "the Customer" | "客户"
party monitor "the Monitoring Service" | "监测服务方"

param monthlyFee: Money "the monthly service fee" | "月服务费"
param firstMonth: Date "the start of the first service month" | "首个服务月的起始时间"
param serviceMonths: Int "the number of service months" | "服务月数"
param target: Percent "the availability target" | "可用性目标"
param reportWithin: Duration "the time allowed for reporting a month" | "报告期限"

state reported: Int "the number of service months reported" | "已报告的服务月数" = 0
state lowMonths: Int "the number of consecutive months below 95% availability" | "可用性连续低于95%的月数" = 0
state credits: Money "the service credits given so far" | "累计服务费抵扣" = 0.00 CNY

tiers creditRates "service credit rates" | "服务费抵扣比例"
  below 95%: 50%
  below 99%: 25%
  below target: 10%
  above: 0%

en: {provider} provides the hosted service described in the order form to {customer}. The service level is measured each month by {monitor}.
zh: {provider}向{customer}提供订单所述托管服务。服务水平由{monitor}按月测量。

clause reporting "Measurement" | "服务水平测量"
  en: {monitor} reports the availability of each service month after the month ends.
  zh: {monitor}应在每个服务月结束后报告该月可用性。

  obligation report "report the availability of the service month" | "报告服务月可用性"
    for each m from 1 to serviceMonths
    promisor monitor
    promisee customer
    due firstMonth + m months + reportWithin
    done when reported >= m

clause credits "Service Credits and Payment" | "服务费抵扣与付款"
  en: If the availability of a month falls below {target}, the fee for that month is reduced by a service credit according to the schedule of service credit rates. {customer} pays the reduced fee.
  zh: 某月可用性低于{target}的，按服务费抵扣比例表减免当月服务费。{customer}支付减免后的服务费。

  define availability "the availability of the month" | "当月可用性" = uptimeMinutes / totalMinutes
  define creditRate "the credit rate" | "抵扣比例" = creditRates rate for availability
  define credit "the service credit" | "服务费抵扣额" = creditRate of monthlyFee rounded half up
  define lowMonthsAfter "the number of consecutive months below 95% availability after this report" | "本次报告后可用性连续低于95%的月数" =
    if availability < 95%
    then lowMonths + 1
    else 0

  on MonthlyReport "the availability of a service month" | "服务月可用性" from monitor
    with month: Int "the number of the service month" | "服务月序号"
    with uptimeMinutes: Int "the minutes the service was available" | "服务可用分钟数"
    with totalMinutes: Int "the minutes in the month" | "当月总分钟数"
    require month = reported + 1 and month <= serviceMonths else "Service months are reported in order, each once, up to the last month." | "服务月须按顺序逐月报告，每月一次，至最后一个服务月为止。"
    require now >= firstMonth + month months else "A service month can be reported only after it ends." | "服务月结束后方可报告。"
    require totalMinutes > 0 and uptimeMinutes >= 0 and uptimeMinutes <= totalMinutes else "The minutes of availability must be between zero and the minutes in the month." | "可用分钟数应介于零与当月总分钟数之间。"
    set reported = month
    set credits = credits + credit
    set lowMonths = lowMonthsAfter
    pay monthlyFee - credit from customer to provider for "the monthly service fee, less the service credit" | "月服务费（已扣除服务费抵扣）"
    respond creditRate = creditRate
    respond credit = credit

clause termination "Termination for Poor Service" | "因服务不达标解除"
  en: If availability stays below the lowest tier for two months in a row, {customer} may terminate this Contract.
  zh: 可用性连续两个月低于最低分档的，{customer}可以解除本合同。

  permission Terminate "terminate this Contract" | "解除本合同" by customer
    require lowMonths >= 2 else "Availability has not been below 95% for two consecutive months." | "可用性未连续两个月低于95%。"
    terminate "the Customer terminated for two consecutive months of poor availability" | "客户因连续两个月可用性不达标而解除合同"
