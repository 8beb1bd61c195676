-- Perishable goods: a temperature sensor travelling with the shipment reports readings; each
-- reading outside the permitted range reduces the price, up to a cap; too many let the Buyer
-- reject the shipment. The Buyer pays the reduced price when it accepts the goods.
contract perishable-goods
version 1.0.0
title "Sale of Perishable Goods with Temperature Monitoring" | "冷链生鲜货物买卖（温度监测）"
timezone +08:00
currency CNY

party seller "the Seller" | "卖方"
party buyer "the Buyer" | "买方"
party sensor "the Sensor" | "温度传感器"

param price: Money "the price of the goods" | "货物价款"
param deliveryDue: Date "the latest delivery time" | "最迟交付时间"
param minTemp: Decimal "the lowest permitted temperature, in degrees Celsius" | "最低允许温度（摄氏度）"
param maxTemp: Decimal "the highest permitted temperature, in degrees Celsius" | "最高允许温度（摄氏度）"
param reductionPerReading: Percent "the price reduction for each reading outside the permitted range" | "每次温度超限读数的价款扣减比例"
param maxReduction: Percent "the cap on the price reduction" | "价款扣减上限比例"
param rejectAfter: Int "the number of readings outside the range that allows the Buyer to reject" | "买方可拒收的超限读数次数"

state readings: Int "the number of readings received" | "已收到的读数次数" = 0
state excursions: Int "the number of readings outside the permitted range" | "温度超限读数次数" = 0
state delivered: Bool "the Buyer has accepted the goods" | "买方已接收货物" = false

en: {seller} sells {buyer} the perishable goods in the purchase order, to be kept between {minTemp} and {maxTemp} degrees Celsius from loading until delivery. {sensor} travels with the goods and signs each reading with its own DID.
zh: {seller}向{buyer}出售采购订单所列生鲜货物，自装货至交付期间货物温度应保持在摄氏{minTemp}度至{maxTemp}度之间。{sensor}随货运输，并以其自身DID签署每一读数。

clause delivery "Delivery" | "交付"
  obligation deliver "deliver the goods" | "交付货物"
    promisor seller
    promisee buyer
    due deliveryDue
    done when delivered

clause monitoring "Temperature Monitoring" | "温度监测"
  en: Every reading sent by {sensor} before the goods are accepted counts. A reading below {minTemp} or above {maxTemp} degrees is an excursion.
  zh: 货物被接收前{sensor}发送的每一读数均予计入。低于{minTemp}度或高于{maxTemp}度的读数为温度超限。

  define plausible "the reading is a plausible temperature" | "读数为合理的温度值" =
    celsius >= -80 and celsius <= 80
  define excursion "the reading is an excursion" | "读数温度超限" =
    celsius < minTemp or celsius > maxTemp

  on Reading "a temperature reading" | "温度读数" from sensor
    with celsius: Decimal "the temperature in degrees Celsius" | "摄氏温度"
    require not delivered else "Readings after the goods were accepted do not count." | "货物接收后的读数不予计入。"
    require plausible else "The reading is not a plausible temperature." | "该读数不是合理的温度值。"
    set readings = readings + 1
    if excursion
      set excursions = excursions + 1
    respond excursion = excursion
    respond excursions = excursions

clause price "Price Reduction and Payment" | "价款扣减与支付"
  en: For each excursion the price is reduced by {reductionPerReading} of the price, but by no more than {maxReduction} of the price in total. {buyer} pays the reduced price when it accepts the goods.
  zh: 每发生一次温度超限，价款扣减价款的{reductionPerReading}，但扣减总额不超过价款的{maxReduction}。{buyer}接收货物时支付扣减后的价款。

  define reduction "the price reduction" | "价款扣减额" =
    (reductionPerReading * excursions) of price rounded half up
    capped at maxReduction of price rounded half up

  permission Accept "accept the goods" | "接收货物" by buyer
    require not delivered else "The goods have already been accepted." | "货物已经接收。"
    set delivered = true
    pay price - reduction from buyer to seller for "the price of the goods, less the reduction for temperature excursions" | "货物价款（已扣减温度超限扣减额）"
    respond reduction = reduction

  permission Reject "reject the shipment" | "拒收货物" by buyer
    require not delivered else "The goods have already been accepted." | "货物已经接收。"
    require excursions >= rejectAfter else "Too few readings were outside the permitted range to reject the shipment." | "温度超限读数次数不足，不能拒收。"
    terminate "the Buyer rejected the shipment for temperature excursions" | "买方因温度超限拒收货物"
