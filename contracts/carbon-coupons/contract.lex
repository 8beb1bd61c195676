-- Carbon credits for coupons: citizens who travel green earn carbon points on the travel
-- platform and redeem them for a Mall coupon; when a coupon is used, the Mall pays a customer
-- acquisition fee, split between the Community Fund and the travel platform.
contract carbon-coupons
version 1.0.0
title "Redemption of Carbon Points for Shopping Coupons" | "碳积分兑换商场消费券"
timezone +08:00
currency CNY

party mall "the Mall" | "商场"
party travel "the Green Travel Platform" | "绿色出行平台"
party fund "the Community Fund" | "社区公益基金"

param pointsPerCoupon: Int "the carbon points needed for one coupon" | "兑换一张消费券所需的碳积分"
param couponValue: Money "the face value of a coupon" | "消费券面额"
param minimumSpend: Money "the minimum purchase for using a coupon" | "消费券使用门槛"
param acquisitionFee: Money "the acquisition fee for each coupon used" | "每张已使用消费券的获客费"
param fundShare: Percent "the Community Fund's share of the fee" | "社区公益基金分得比例"
param travelShare: Percent "the Green Travel Platform's share of the fee" | "绿色出行平台分得比例"
param maxCoupons: Int "the most coupons the Mall offers" | "商场提供的消费券上限"
param campaignEnd: Date "the end of the campaign" | "活动截止时间"

state issued: List(Text, 2000) "the coupons issued" | "已发放的消费券" = []
state used: List(Text, 2000) "the coupons used" | "已使用的消费券" = []
state pointsRedeemed: Int "the carbon points redeemed" | "已兑换的碳积分" = 0

en: To encourage green travel, {mall} offers coupons to citizens who redeem carbon points earned on {travel}, and pays for each coupon used a fee shared by {fund} and {travel}.
zh: 为鼓励绿色出行，{mall}向以在{travel}获得的碳积分兑换的市民提供消费券，并就每张已使用的消费券支付获客费，由{fund}与{travel}分享。

clause redemption "Redemption" | "积分兑换"
  en: Until {campaignEnd}, a citizen may redeem {pointsPerCoupon} carbon points on {travel} for one coupon worth {couponValue} on a purchase of at least {minimumSpend}, while coupons last.
  zh: 在{campaignEnd}之前，市民可在{travel}以{pointsPerCoupon}碳积分兑换一张消费券，单笔消费满{minimumSpend}可抵扣{couponValue}，发完即止。

  on Redemption "a citizen's redemption of carbon points" | "市民兑换碳积分" from travel
    with citizen: DID "the citizen's DID" | "市民的DID"
    with points: Int "the carbon points redeemed" | "兑换的碳积分"
    with couponId: Text "the coupon number" | "消费券编号"
    require now < campaignEnd else "The campaign has ended." | "活动已结束。"
    require points = pointsPerCoupon else "Exactly the number of points for one coupon must be redeemed." | "须以恰好一张消费券所需的碳积分兑换。"
    require count(issued) < maxCoupons else "All coupons have been issued." | "消费券已发完。"
    require not (issued contains couponId) else "This coupon number has already been issued." | "该消费券编号已发放。"
    append couponId to issued
    set pointsRedeemed = pointsRedeemed + points
    respond couponValue = couponValue
    respond remaining = maxCoupons - count(issued)

clause use "Use of Coupons and Acquisition Fee" | "消费券使用与获客费"
  en: When a coupon is used, {mall} pays {acquisitionFee}, of which {fundShare} goes to {fund} and {travelShare} to {travel}.
  zh: 每使用一张消费券，{mall}支付{acquisitionFee}，其中{fundShare}归{fund}，{travelShare}归{travel}。

  on CouponUsed "the use of a coupon" | "消费券的使用" from mall
    with couponId: Text "the coupon number" | "消费券编号"
    with purchase: Money "the amount of the purchase" | "消费金额"
    require issued contains couponId else "No coupon with this number was issued." | "未发放该编号的消费券。"
    require not (used contains couponId) else "This coupon has already been used." | "该消费券已使用。"
    require purchase >= minimumSpend else "The purchase does not reach the minimum for the coupon." | "消费金额未达使用门槛。"
    append couponId to used
    split acquisitionFee from mall for "the acquisition fee for a coupon used" | "消费券获客费"
      to fund: fundShare
      to travel: travelShare
    respond discount = couponValue
    respond toPay = purchase - couponValue
