"""ihome's Alipay module (src/pay/) against the gateway emulator, over real HTTP.

Starts tests/integration/alipay_emulator.py in-process with the TEST-ONLY keys of
tests/unit/data and runs the skipped doctest case tests/unit/alipay_live_test.cpp with
--no-skip: the C++ code signs the pay URL and the gateway calls, the emulator's own RSA2
implementation (python3-cryptography) checks them and signs the answers and notifies.
No stack: the handlers that use the module have their own suites.
"""

import os
import subprocess
import tempfile
import unittest

import alipay_emulator

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(REPO, "tests", "unit", "data")
UNIT = os.path.join(REPO, os.environ.get("UNIT", "build/unit_tests"))


class AlipayModuleTest(unittest.TestCase):
    def test_module_against_the_emulator(self):
        emulator = alipay_emulator.AlipayEmulator(
            os.path.join(DATA, "alipay_TEST_ONLY_app_public_key.pem"),
            alipay_private_key_file=os.path.join(DATA, "alipay_TEST_ONLY_gateway_private_key.pem"),
            alipay_public_key_file=os.path.join(DATA, "alipay_TEST_ONLY_gateway_public_key.pem"))
        with emulator:
            run = subprocess.run([UNIT, "--no-skip", "-tc=alipay live: pay*"], cwd=REPO, timeout=120,
                                 env=dict(os.environ, IHOME_ALIPAY_GATEWAY=emulator.gateway),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertEqual(run.returncode, 0, run.stdout)
            self.assertRegex(run.stdout, r"test cases: +1 \| +1 passed \| +0 failed")
            no = "20261201000000000042"
            # The refund that failed three times was made once; the rest once more.
            self.assertEqual(emulator.refunds_made(no), 2)
            self.assertEqual(emulator.refunded_fen(no), 29850)
            self.assertEqual(emulator.refund_requests(no), 7)
            self.assertEqual(emulator.trade(no).status, "TRADE_CLOSED")
            self.assertEqual(emulator.trades["ORDER_WAP"].method, "alipay.trade.wap.pay")
            # Nothing the module sent was refused for its signature or form.
            self.assertEqual(emulator.errors, [])

    def test_https_certificate_checks(self):
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = alipay_emulator.generate_tls_cert(tmp, "gateway", "localhost")
            emulator = alipay_emulator.AlipayEmulator(
                os.path.join(DATA, "alipay_TEST_ONLY_app_public_key.pem"),
                alipay_private_key_file=os.path.join(DATA, "alipay_TEST_ONLY_gateway_private_key.pem"),
                alipay_public_key_file=os.path.join(DATA, "alipay_TEST_ONLY_gateway_public_key.pem"),
                tls_cert_file=cert, tls_key_file=key)
            with emulator:
                env = dict(os.environ, IHOME_ALIPAY_TLS_GATEWAY=emulator.gateway, IHOME_ALIPAY_TLS_CERT=cert)
                run = subprocess.run([UNIT, "--no-skip", "-tc=alipay live: HTTPS*"], cwd=REPO, timeout=120,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                self.assertEqual(run.returncode, 0, run.stdout)
                self.assertRegex(run.stdout, r"test cases: +1 \| +1 passed \| +0 failed")
                # Only the trusted call got through.
                self.assertEqual(emulator.query_calls, 1)


if __name__ == "__main__":
    unittest.main()
