-- Rental deposit: the Tenant pays a deposit before the lease starts; after the Tenant moves out
-- the Landlord may deduct documented repair costs, up to the deposit, and must return the rest
-- within the return period, or pay a penalty for late return.
contract rental-deposit
version 1.0.0
title "Lease Security Deposit" | "租赁押金"
timezone +08:00
currency CNY

party landlord "the Landlord" | "出租人"
party tenant "the Tenant" | "承租人"

param deposit: Money "the deposit" | "押金"
param leaseStart: Date "the start of the lease" | "租期起始时间"
param returnWithin: Duration "the period for returning the deposit" | "押金退还期限"
param lateReturnPenalty: Percent "the penalty for late return, as a share of the deposit" | "逾期退还违约金占押金的比例"

state depositPaid: Bool "the deposit has been paid" | "押金已支付" = false
state movedOut: Bool "the Tenant has returned the premises" | "承租人已返还房屋" = false
state movedOutAt: Date "the time the premises were returned" | "房屋返还时间" = leaseStart
state deductions: Money "the deductions claimed" | "已主张的扣除额" = 0.00 CNY
state returned: Bool "the deposit has been settled" | "押金已结清" = false

en: {tenant} rents the premises from {landlord} under the lease agreement of even date and provides the security deposit below.
zh: {tenant}依同日签订的租赁协议向{landlord}承租房屋，并按下列约定交付押金。

clause payment "Payment of the Deposit" | "押金的交付"
  obligation payDeposit "pay the deposit" | "支付押金"
    promisor tenant
    promisee landlord
    due leaseStart
    done when depositPaid

  permission PayDeposit "pay the deposit" | "支付押金" by tenant
    require not depositPaid else "The deposit has already been paid." | "押金已经支付。"
    set depositPaid = true
    pay deposit from tenant to landlord for "the security deposit" | "租赁押金"

clause moveOut "Return of the Premises" | "房屋返还"
  on ReturnedPremises "the return of the premises" | "房屋返还" from tenant, landlord
    require depositPaid else "No deposit was paid, so there is nothing to settle." | "未支付押金，无需结算。"
    require not movedOut else "The premises have already been returned." | "房屋已经返还。"
    set movedOut = true
    set movedOutAt = now
    respond settleBy = now + returnWithin

clause deductionsClause "Deductions" | "押金扣除"
  en: Within {returnWithin} after the premises are returned, {landlord} may deduct from the deposit the documented cost of repairing damage beyond normal wear, never more than the deposit in total.
  zh: 房屋返还后{returnWithin}内，{landlord}可以从押金中扣除修复超出正常损耗的损坏所需的有据费用，但扣除总额不得超过押金。

  permission Deduct "deduct the cost of repairs from the deposit" | "从押金中扣除维修费用" by landlord
    with amount: Money "the cost of repairs" | "维修费用"
    with evidence: Text "a reference to the invoices and photographs" | "发票及照片的索引"
    require movedOut and not returned else "Deductions can be claimed only after the premises are returned and before the deposit is settled." | "仅可在房屋返还后、押金结清前主张扣除。"
    require amount > 0.00 CNY and deductions + amount <= deposit else "The deductions must be positive and may not exceed the deposit in total." | "扣除额须为正数，且扣除总额不得超过押金。"
    set deductions = deductions + amount
    respond remaining = deposit - deductions

clause refund "Return of the Deposit" | "押金退还"
  en: {landlord} returns the deposit, less the deductions, within {returnWithin} after the premises are returned. If it does not, it returns it with a penalty of {lateReturnPenalty} of the deposit.
  zh: {landlord}应在房屋返还后{returnWithin}内退还扣除后的押金；逾期的，应退还押金并支付押金{lateReturnPenalty}的违约金。

  obligation returnDeposit "return the deposit, less the deductions" | "退还扣除后的押金"
    promisor landlord
    promisee tenant
    due movedOutAt + returnWithin
    only if movedOut
    done when returned
    on breach
      set returned = true
      pay deposit - deductions + (lateReturnPenalty of deposit rounded half up) from landlord to tenant for "the deposit less deductions, with the penalty for late return" | "扣除后的押金及逾期退还违约金"

  permission ReturnDeposit "return the deposit" | "退还押金" by landlord
    require movedOut and not returned else "The deposit can be returned once, after the premises are returned." | "押金仅可在房屋返还后退还一次。"
    set returned = true
    pay deposit - deductions from landlord to tenant for "the return of the deposit, less deductions" | "退还押金（已扣除维修费用）"
    respond refunded = deposit - deductions
