#!/usr/bin/python3
"""Made the Alipay fixtures of tests/unit/alipay_test.cpp once (kept for the record; rerun
only to replace them): two TEST-ONLY RSA key pairs, never used anywhere but the tests, and
a notify and gateway answers signed by python3-cryptography (the emulator's RSA2 code), so
that the C++ verification is checked against an independent implementation.

    python3 tests/unit/data/make_alipay_fixtures.py tests/unit/data
"""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "integration"))
import alipay_emulator as emu  # noqa: E402

out = sys.argv[1]
# The app's pair as PKCS#1, Alipay's as PKCS#8: both private key formats are read.
emu.generate_keypair(out, "alipay_TEST_ONLY_app", pkcs1=True)
emu.generate_keypair(out, "alipay_TEST_ONLY_gateway")
alipay_key = emu.load_private_key(os.path.join(out, "alipay_TEST_ONLY_gateway_private_key.pem"))

notify = {
    "gmt_create": "2026-12-01 10:00:00", "charset": "utf-8", "gmt_payment": "2026-12-01 10:00:05",
    "notify_time": "2026-12-01 10:00:06", "subject": "爱家租房 & 海景房=2晚", "buyer_id": "2088102177846880",
    "invoice_amount": "298.50", "version": "1.0", "notify_id": "2026120100222100005a1b2c3d4e5f",
    "fund_bill_list": '[{"amount":"298.50","fundChannel":"ALIPAYACCOUNT"}]',
    "notify_type": "trade_status_sync", "out_trade_no": "20261201000000000042",
    "total_amount": "298.50", "trade_status": "TRADE_SUCCESS",
    "trade_no": "2026120122001400001234567890", "auth_app_id": "2021000000000001",
    "receipt_amount": "298.50", "point_amount": "0.00", "buyer_pay_amount": "298.50", "body": "",
    "app_id": "2021000000000001", "sign_type": "RSA2", "seller_id": "2088000000000001",
}
notify["sign"] = emu.rsa2_sign(alipay_key, emu.signing_string(notify, True))
with open(os.path.join(out, "alipay_notify_signed_by_python.txt"), "w") as f:
    f.write(urllib.parse.urlencode(notify) + "\n")

query = ('{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","buyer_pay_amount":"298.50",'
         '"buyer_user_id":"2088102177846880","out_trade_no":"20261201000000000042","point_amount":"0.00",'
         '"send_pay_date":"2026-12-01 10:00:05","total_amount":"298.50",'
         '"trade_no":"2026120122001400001234567890","trade_status":"TRADE_SUCCESS",'
         '"fund_bill_list":[{"amount":"298.50","fund_channel":"ALIPAYACCOUNT"}],"note":"房间 {1} \\"海景\\" \\/"}')
sign = emu.rsa2_sign(alipay_key, query)
# As the gateway sends it, and with the sign first and white space around: the signed text is
# the object's own, wherever it stands.
with open(os.path.join(out, "alipay_query_answer_signed_by_python.txt"), "w") as f:
    f.write('{"alipay_trade_query_response":%s,"sign":"%s"}\n' % (query, sign))
    f.write('{ "sign" : "%s" ,\t"alipay_trade_query_response" : %s }\n' % (sign, query))
refund = ('{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","buyer_user_id":"2088102177846880",'
          '"fund_change":"Y","gmt_refund_pay":"2026-12-01 11:00:00","out_trade_no":"20261201000000000042",'
          '"refund_fee":"100.00","send_back_fee":"100.00","trade_no":"2026120122001400001234567890"}')
with open(os.path.join(out, "alipay_refund_answer_signed_by_python.txt"), "w") as f:
    f.write('{"alipay_trade_refund_response":%s,"sign":"%s"}\n' % (refund, emu.rsa2_sign(alipay_key, refund)))
