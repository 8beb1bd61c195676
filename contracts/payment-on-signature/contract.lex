-- Payment upon signature: the fee is paid the moment both parties have signed; if either has
-- not signed by the deadline, the Contract lapses.
contract payment-on-signature
version 1.0.0
title "Engagement with Payment upon Signature" | "签约即付款的委托协议"
timezone +08:00
currency CNY

party client "the Client" | "委托方"
party contractor "the Contractor" | "受托方"

param fee: Money "the fee payable upon signature" | "签约款"
param signBy: Date "the deadline for signing" | "签署截止时间"

state clientSigned: Bool "the Client has signed" | "委托方已签署" = false
state contractorSigned: Bool "the Contractor has signed" | "受托方已签署" = false

en: {client} engages {contractor} for the services in the statement of work. {client} pays {fee} as soon as both parties have signed this Contract.
zh: {client}委托{contractor}提供工作说明书所列服务。双方签署本合同后，{client}即支付{fee}。

clause signing "Signature and Payment" | "签署与付款"
  obligation clientSigns "sign this Contract" | "签署本合同"
    promisor client
    promisee contractor
    due signBy
    done when clientSigned
    on breach
      terminate "the Client did not sign in time" | "委托方未按时签署"

  obligation contractorSigns "sign this Contract" | "签署本合同"
    promisor contractor
    promisee client
    due signBy
    done when contractorSigned
    on breach
      terminate "the Contractor did not sign in time" | "受托方未按时签署"

  on Signed "its signature of this Contract" | "其对本合同的签署" from client, contractor
    if sender = client
      require not clientSigned else "The Client has already signed." | "委托方已经签署。"
      set clientSigned = true
    else
      require not contractorSigned else "The Contractor has already signed." | "受托方已经签署。"
      set contractorSigned = true
    if clientSigned and contractorSigned
      pay fee from client to contractor for "the fee payable upon signature" | "签约款"
    respond allSigned = clientSigned and contractorSigned
