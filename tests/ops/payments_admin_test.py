"""`ihome-admin payments` on a running stack (payment_provider = sandbox): an open payment, a
refund made by the job process, and a failed and a not-yet-tried refund written by SQL (as
the job process leaves them when Alipay keeps refusing), each listed with its order id,
out_trade_no, trade_no, out_request_no, amount in yuan and local times; --order, --since,
--all and bad arguments."""

import os
import re
import sys
import time
import unittest

from opslib import KeptStack, describe, harness, run, script, wait_for

sys.path.insert(0, os.path.join(harness.REPO, "tests", "integration"))
import guests  # noqa: E402


def local(ts):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


class AdminPayments(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = KeptStack(name="payments", env={"IHOME_PAYMENT_PROVIDER": "sandbox",
                                                    "IHOME_JOBS_INTERVAL_MS": "200"}).start()
        try:
            cls.make_rows()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop(check=False)
        cls.stack.discard()

    @classmethod
    def accepted(cls, start, end):
        """A booking of the guest, accepted by the landlord: WAIT_PAYMENT.  Its order id."""
        r = guests.book(cls.guest, cls.house, guests.day(start), guests.day(end))
        assert r.errno == 0, r.describe()
        order_id = r.json["data"]["order_id"] if "data" in r.json else r.json["order_id"]
        r = cls.landlord.post("/api/order/accept", {"order_id": order_id})
        assert r.errno == 0, r.describe()
        return order_id

    @classmethod
    def pay_url(cls, order_id):
        r = cls.guest.post("/api/order/pay", {"order_id": order_id})
        assert r.errno == 0, r.describe()
        return r.json["data"]["pay_url"].split("payment=", 1)[1]

    @classmethod
    def make_rows(cls):
        s = cls.stack
        cls.landlord = guests.make_user(s, verified=True)
        cls.house = guests.make_house(cls.landlord)
        cls.guest = guests.make_user(s)
        # 1. open: asked for the pay URL, never paid.
        cls.open_order = cls.accepted(10, 12)
        cls.open_no = cls.pay_url(cls.open_order)
        # 2. paid, then cancelled by the guest long before check-in: refunded in full by the
        #    job process.
        cls.refunded_order = cls.accepted(20, 22)
        cls.refunded_no = cls.pay_url(cls.refunded_order)
        r = cls.guest.post("/api/pay/sandbox/confirm", {"out_trade_no": cls.refunded_no})
        assert r.errno == 0, r.describe()
        r = cls.guest.post("/api/order/cancel", {"order_id": cls.refunded_order, "reason": "行程有变"})
        assert r.errno == 0, r.describe()
        done = wait_for(lambda: s.db_query(
            "SELECT out_request_no FROM refunds WHERE order_id = ? AND status = 'DONE'",
            (cls.refunded_order,)), 30)
        assert done, "the job process made no refund"
        cls.refunded_request = done[0][0]
        # 3. paid; two refunds written as the job process leaves them: one tried 3 times and
        #    failed, one not tried yet (both due in an hour, so the job leaves them alone).
        cls.failing_order = cls.accepted(30, 33)
        cls.failing_no = cls.pay_url(cls.failing_order)
        r = cls.guest.post("/api/pay/sandbox/confirm", {"out_trade_no": cls.failing_no})
        assert r.errno == 0, r.describe()
        (payment_id, cls.failing_trade_no), = s.db_query(
            "SELECT id, trade_no FROM payments WHERE out_trade_no = ?", (cls.failing_no,))
        now = int(time.time())
        cls.next_try = now + 3600
        for no, amount, attempts, error in (("ops-failed-1", 12345, 3, "ACQ.SYSTEM_ERROR: 系统繁忙\nretry"),
                                            ("ops-pending-1", 500, 0, None)):
            s.db_execute(
                "INSERT INTO refunds (payment_id, order_id, out_request_no, amount, reason, status,"
                " attempts, next_attempt_at, last_error, created_at)"
                " VALUES (?, ?, ?, ?, 'ops test', 'PENDING', ?, ?, ?, ?)",
                (payment_id, cls.failing_order, no, amount, attempts, cls.next_try, error, now - 600))

    def admin(self, *args):
        return run([script("ihome-admin"), "--db", self.stack.db, "payments"] + list(args))

    def sections(self, out):
        """{title: [lines]} of the command's output."""
        result, title = {}, None
        for line in out.splitlines():
            m = re.match(r"^== (.*): (\d+)$", line)
            if m:
                title = m.group(1)
                result[title] = []
            elif title and line.strip():
                result[title].append(line)
        return result

    def row(self, lines, *needles):
        for line in lines:
            if all(n in line for n in needles):
                return line
        self.fail("no line with %r in:\n%s" % (needles, "\n".join(lines)))

    def test_lists_open_failed_pending_and_refunded(self):
        r = self.admin()
        self.assertEqual(r.returncode, 0, describe(r))
        s = self.sections(r.stdout)
        self.assertEqual(list(s), ["open payments (OPEN)", "failed refunds (PENDING, tried and failed)",
                                   "pending refunds (PENDING, not tried yet)",
                                   "refunded (DONE) in the last 7 days"], r.stdout)
        amount = self.stack.db_query("SELECT amount FROM orders WHERE id = ?", (self.open_order,))[0][0]
        self.row(s["open payments (OPEN)"], str(self.open_order), self.open_no, "sandbox",
                 "%d.%02d" % (amount // 100, amount % 100))
        self.assertNotIn(self.failing_no, "\n".join(s["open payments (OPEN)"]))
        failed = self.row(s["failed refunds (PENDING, tried and failed)"], str(self.failing_order),
                          self.failing_no, self.failing_trade_no, "ops-failed-1", "123.45",
                          "ACQ.SYSTEM_ERROR: 系统繁忙 retry", local(self.next_try))
        self.assertRegex(failed, r"\b3\b")
        self.row(s["pending refunds (PENDING, not tried yet)"], "ops-pending-1", "5.00", self.failing_no)
        self.assertNotIn("ops-failed-1", "\n".join(s["pending refunds (PENDING, not tried yet)"]))
        trade_no, paid = self.stack.db_query(
            "SELECT trade_no, amount FROM payments WHERE out_trade_no = ?", (self.refunded_no,))[0]
        done_at = self.stack.db_query("SELECT done_at FROM refunds WHERE out_request_no = ?",
                                      (self.refunded_request,))[0][0]
        self.row(s["refunded (DONE) in the last 7 days"], str(self.refunded_order), self.refunded_no,
                 trade_no, self.refunded_request, "%d.%02d" % (paid // 100, paid % 100), local(done_at))

    def test_order_since_all(self):
        r = self.admin("--order", str(self.open_order))
        self.assertEqual(r.returncode, 0, describe(r))
        s = self.sections(r.stdout)
        self.assertIn(self.open_no, r.stdout)
        self.assertNotIn(self.refunded_no, r.stdout)
        self.assertEqual(s["failed refunds (PENDING, tried and failed)"], ["(none)"])
        r = self.admin("--since", time.strftime("%Y-%m-%d", time.localtime(time.time() + 2 * 86400)))
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertNotIn(self.refunded_request, r.stdout)
        self.assertIn("ops-failed-1", r.stdout)  # failures are listed whatever their age
        r = self.admin("--since", "2000-01-01 00:00")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn(self.refunded_request, r.stdout)
        r = self.admin("--all")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("== refunded (DONE), all: ", r.stdout)
        self.assertIn(self.refunded_request, r.stdout)
        for bad in (["--since", "yesterday"], ["--since", "2026-13-45"], ["--order", "1 OR 1=1"],
                    ["--order", "x"], ["--all", "--since", "2026-01-01"], ["--bogus"], ["--since"]):
            r = self.admin(*bad)
            self.assertEqual(r.returncode, 2, "%s: %s" % (bad, describe(r)))

    def test_help_names_the_command(self):
        r = run([script("ihome-admin"), "--help"])
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("payments [--since DATE | --all] [--order ID]", r.stdout)


if __name__ == "__main__":
    unittest.main()
