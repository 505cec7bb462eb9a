"""Paid stays against the real stack (API.md "Orders" statuses, "Payments").

Two providers: the sandbox (`make run`'s: our own /pay.html) and alipay, against a local
Alipay gateway emulator (tests/integration/alipay_emulator.py: python3-cryptography's RSA2,
independent of ihomed's OpenSSL code) that serves page pay, alipay.trade.query and
alipay.trade.refund and posts signed notifies — duplicated, late, tampered, never sent.
Proven here: the life cycle with pay_by exact for every reader; every tampered notify refused
with nothing changed; 1,000 duplicated notifies confirming once; a lost notify recovered by
the query; a refund failing three times then made once; ihomed killed (SIGKILL) at each step
of confirming and refunding, consistent after; racing bookings, notifies and cancellations
ending in one consistent state (the invariant scan).
"""

import os
import random
import shutil
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness
from harness import wait_for
from guests import book, day, end_stay, make_house, make_user
import alipay_emulator as ae

SANDBOX = None
ALIPAY = None
EMULATOR = None
KEYS_DIR = None
APP_KEYS = None

FAST_JOBS = {
    "IHOME_JOBS_INTERVAL_MS": "200",
    "IHOME_PAYMENT_QUERY_AFTER_S": "1",
    "IHOME_PAYMENT_QUERY_EVERY_S": "1",
    "IHOME_REFUND_RETRY_FIRST_S": "1",
    "IHOME_REFUND_RETRY_MAX_S": "1",
}


def alipay_env(extra=None):
    env = {"IHOME_PAYMENT_PROVIDER": "alipay", "IHOME_ALIPAY_APP_ID": EMULATOR.app_id,
           "IHOME_ALIPAY_PRIVATE_KEY_FILE": APP_KEYS[0],
           "IHOME_ALIPAY_PUBLIC_KEY_FILE": EMULATOR.alipay_public_key_file,
           "IHOME_ALIPAY_GATEWAY": EMULATOR.gateway, "IHOME_WORKERS": "3"}
    env.update(FAST_JOBS)
    env.update(extra or {})
    return env


def setUpModule():
    global SANDBOX, ALIPAY, EMULATOR, KEYS_DIR, APP_KEYS
    KEYS_DIR = tempfile.mkdtemp(prefix="ihome-pay-keys-")
    APP_KEYS = ae.generate_keypair(KEYS_DIR, "app")
    EMULATOR = ae.AlipayEmulator(APP_KEYS[1]).start()
    env = {"IHOME_PAYMENT_PROVIDER": "sandbox", "IHOME_WORKERS": "2"}
    env.update(FAST_JOBS)
    SANDBOX = harness.Stack(name="pay-sandbox", env=env).start()
    ALIPAY = harness.Stack(name="pay-alipay", env=alipay_env()).start()


def tearDownModule():
    for st in (SANDBOX, ALIPAY):
        if st is not None:
            st.stop()
    if EMULATOR is not None:
        EMULATOR.stop()
    if KEYS_DIR:
        shutil.rmtree(KEYS_DIR, ignore_errors=True)


def invariant_violations(st):
    """Issue 19's invariant scan: every night held by at most one order, and every confirmed
    fen either on a PAID/WAIT_COMMENT/COMPLETE order (earned) or refunded."""
    now = int(time.time())
    holds = ("(o.status IN ('WAIT_ACCEPT','PAID','WAIT_COMMENT','COMPLETE') OR "
             "(o.status = 'WAIT_PAYMENT' AND o.pay_by > %d))")
    doubles = st.db_query(
        "SELECT a.id, b.id FROM orders a JOIN orders b ON a.house_id = b.house_id AND a.id < b.id "
        "AND a.start_date < b.end_date AND b.start_date < a.end_date WHERE "
        + holds.replace("o.", "a.") % now + " AND " + holds.replace("o.", "b.") % now)
    money = st.db_query(
        "SELECT o.id, o.status, o.amount, o.earned, "
        "(SELECT ifnull(sum(amount),0) FROM payments WHERE order_id = o.id AND status = 'PAID') AS paid, "
        "(SELECT ifnull(sum(amount),0) FROM refunds WHERE order_id = o.id) AS refunded "
        "FROM orders o WHERE EXISTS (SELECT 1 FROM payments WHERE order_id = o.id)")
    bad_money = []
    for oid, status, amount, earned, paid, refunded in money:
        if paid - refunded != earned:
            bad_money.append((oid, status, "paid %d - refunded %d != earned %d" % (paid, refunded, earned)))
        if status in ("PAID", "WAIT_COMMENT", "COMPLETE") and earned != amount:
            bad_money.append((oid, status, "a paid stay keeps %d of %d" % (earned, amount)))
        if status in ("EXPIRED", "REJECTED") and earned != 0:
            bad_money.append((oid, status, "keeps %d" % earned))
        if refunded > paid:
            bad_money.append((oid, status, "refunded %d > paid %d" % (refunded, paid)))
    return doubles, bad_money


class PayCase(harness.ApiTestCase):
    st = None

    def user(self, verified=False):
        return make_user(self.st, verified=verified)

    def house(self, owner, **over):
        return make_house(owner, **over)

    def booked(self, guest, hid, start, end):
        r = book(guest, hid, start, end)
        self.assertOk(r)
        return r.json["order_id"]

    def accepted(self, offset=30, nights=2, price="199"):
        """(landlord, guest, house_id, order_id) of an accepted order: WAIT_PAYMENT."""
        landlord, guest = self.user(verified=True), self.user()
        hid = self.house(landlord, price=price)
        oid = self.booked(guest, hid, day(offset), day(offset + nights))
        self.assertOk(landlord.post("/api/order/accept", {"order_id": oid}))
        return landlord, guest, hid, oid

    def order(self, c, oid, role="custom"):
        for o in self.assertOk(c.get("/api/order/my", {"role": role}))["data"]["orders"]:
            if o["order_id"] == oid:
                return o
        self.fail("order %d not listed" % oid)

    def row(self, oid):
        return self.st.db_query("SELECT status, pay_by, earned FROM orders WHERE id = ?", (oid,))[0]

    def pay(self, guest, oid):
        r = guest.post("/api/order/pay", {"order_id": oid})
        self.assertOk(r)
        return r.json["data"]

    def assertClean(self):
        doubles, money = invariant_violations(self.st)
        self.assertEqual(doubles, [], "nights held twice")
        self.assertEqual(money, [], "money out of balance")


# ===== sandbox ===============================================================================

class Sandbox(PayCase):
    st = None

    @classmethod
    def setUpClass(cls):
        cls.st = SANDBOX

    def test_accept_waits_for_payment_with_pay_by_and_pay_url(self):
        landlord, guest, hid, oid = self.accepted(price="298.50")
        o = self.order(guest, oid)
        self.assertEqual(o["status"], "WAIT_PAYMENT")
        when = time.mktime(time.strptime(o["pay_by"], "%Y-%m-%d %H:%M:%S"))
        self.assertLess(abs(when - (time.time() + 120 * 60)), 120, "pay_by = now + 120 minutes")
        self.assertEqual((o["paid_amount"], o["refund_amount"]), ("0.00", "0.00"))
        data = self.pay(guest, oid)
        self.assertEqual(data["amount"], "597.00")
        self.assertEqual(data["pay_by"], o["pay_by"])
        self.assertRegex(data["pay_url"], r"^/pay\.html\?payment=ih%d_[0-9a-f]{16}$" % oid)
        self.assertEqual(self.pay(guest, oid)["pay_url"], data["pay_url"], "the open payment, handed back")
        self.assertEqual(self.st.db_query("SELECT count(*) FROM payments WHERE order_id = ?", (oid,))[0][0], 1)
        self.assertJsonAnswer(landlord.post("/api/order/pay", {"order_id": oid}), 200, 4105)
        self.assertJsonAnswer(self.user().post("/api/order/pay", {"order_id": oid}), 200, 4105)
        for bad in (0, "x", None, -3):
            self.assertJsonAnswer(guest.post("/api/order/pay", {"order_id": bad}), 200, 4103)
        self.assertJsonAnswer(guest.post("/api/order/pay", {"order_id": 2147483647}), 200, 4002)
        otn = data["pay_url"].split("=", 1)[1]
        view = self.assertOk(guest.get("/api/pay/sandbox/payment", {"out_trade_no": otn}))["data"]
        self.assertEqual((view["order_id"], view["amount"], view["status"]), (oid, "597.00", "OPEN"))
        self.assertJsonAnswer(landlord.get("/api/pay/sandbox/payment", {"out_trade_no": otn}), 200, 4105)
        # Confirming pays the order once; a second confirmation changes nothing.
        done = self.assertOk(guest.post("/api/pay/sandbox/confirm", {"out_trade_no": otn}))["data"]
        self.assertEqual((done["order_id"], done["paid"], done["refunded"]), (oid, True, False))
        self.assertOk(guest.post("/api/pay/sandbox/confirm", {"out_trade_no": otn}))
        o = self.order(guest, oid)
        self.assertEqual((o["status"], o["paid_amount"], o["pay_by"]), ("PAID", "597.00", None))
        self.assertEqual(self.row(oid)[2], 59700)
        self.assertJsonAnswer(guest.post("/api/order/pay", {"order_id": oid}), 200, 4004, "paid already")
        self.assertJsonAnswer(self.user().post("/api/pay/sandbox/confirm", {"out_trade_no": otn}), 200, 4105)
        self.assertClean()

    def test_a_review_only_from_the_check_out_day(self):
        landlord, guest, hid, oid = self.accepted()
        self.assertJsonAnswer(guest.post("/api/order/comment", {"order_id": oid, "comment": "好"}), 200, 4004)
        otn = self.pay(guest, oid)["pay_url"].split("=", 1)[1]
        self.assertOk(guest.post("/api/pay/sandbox/confirm", {"out_trade_no": otn}))
        self.assertJsonAnswer(guest.post("/api/order/comment", {"order_id": oid, "comment": "好"}), 200, 4004)
        # The check-out day comes: WAIT_COMMENT as every reader sees it, whatever the job stored.
        self.st.db_execute("UPDATE orders SET start_date = ?, end_date = ? WHERE id = ?", (day(-2), day(0), oid))
        self.assertEqual(self.order(guest, oid)["status"], "WAIT_COMMENT")
        self.assertOk(guest.post("/api/order/comment", {"order_id": oid, "comment": "好"}))
        self.assertEqual(self.order(guest, oid)["status"], "COMPLETE")
        self.assertClean()

    def test_nights_are_free_exactly_at_pay_by_for_every_reader(self):
        landlord, guest, hid, oid = self.accepted(offset=60, nights=3)
        other, viewer = self.user(), self.user()
        sd, ed = day(60), day(63)
        cal = {"house_id": hid, "from": sd, "days": 5}
        search = {"sd": sd, "ed": ed, "aid": 1, "p": 1}

        def booked_nights():
            return self.assertOk(viewer.get("/api/house/calendar", cal))["data"]["booked"]

        def found():
            ids = []
            for p in range(1, 50):
                data = self.assertOk(viewer.get("/api/house/list", dict(search, p=p)))["data"]
                ids += [h["house_id"] for h in data["houses"]]
                if p >= data["total_page"]:
                    break
            return hid in ids

        # pay_by a few seconds ahead: the caches, the index and memcached hold "booked" now.
        pay_by = int(time.time()) + 3
        self.st.db_execute("UPDATE orders SET pay_by = ? WHERE id = ?", (pay_by, oid))
        self.assertEqual(booked_nights(), [sd, day(61), day(62)])
        self.assertFalse(found())
        self.assertJsonAnswer(book(other, hid, sd, ed), 200, 4004)
        while time.time() < pay_by:
            time.sleep(0.05)
        # No write happened since (the job may store EXPIRED any moment; readers must not wait).
        self.assertEqual(booked_nights(), [], "calendar at pay_by")
        self.assertTrue(found(), "search at pay_by")
        self.assertEqual(self.order(guest, oid)["status"], "EXPIRED")
        self.assertJsonAnswer(guest.post("/api/order/pay", {"order_id": oid}), 200, 4004, "pay after pay_by")
        self.assertOk(book(other, hid, sd, ed))
        self.assertClean()

    def test_cancel_by_the_guest_and_by_the_landlord_refund_by_policy(self):
        # Far ahead: all back.  3 days ahead: half.  The landlord: all, with a reason.
        for offset, who, want in ((30, "guest", "398.00"), (3, "guest", "199.00"), (2, "landlord", "398.00")):
            with self.subTest(offset=offset, who=who):
                landlord, guest, hid, oid = self.accepted(offset=offset)
                otn = self.pay(guest, oid)["pay_url"].split("=", 1)[1]
                self.assertOk(guest.post("/api/pay/sandbox/confirm", {"out_trade_no": otn}))
                c = guest if who == "guest" else landlord
                if who == "landlord":
                    self.assertJsonAnswer(c.post("/api/order/cancel", {"order_id": oid}), 200, 4103)
                    self.assertJsonAnswer(c.post("/api/order/cancel", {"order_id": oid, "reason": "x" * 257}),
                                          200, 4103)
                    self.assertEqual(self.row(oid)[0], "PAID")
                r = self.assertOk(c.post("/api/order/cancel", {"order_id": oid, "reason": "临时有事"}))
                self.assertEqual(r["data"]["refund"], want)
                o = self.order(guest, oid)
                self.assertEqual((o["status"], o["refund_amount"], o["canceled_by"], o["cancel_reason"]),
                                 ("CANCELED", want, who, "临时有事"))
                self.assertEqual(self.st.db_query(
                    "SELECT status FROM refunds WHERE order_id = ?", (oid,)), [("DONE",)])
                self.assertOk(book(self.user(), hid, day(offset), day(offset + 2)))  # nights free
        self.assertClean()

    def test_an_unpaid_order_cancelled_refunds_nothing_and_closes_its_payment(self):
        landlord, guest, hid, oid = self.accepted()
        otn = self.pay(guest, oid)["pay_url"].split("=", 1)[1]
        r = self.assertOk(guest.post("/api/order/cancel", {"order_id": oid}))
        self.assertEqual(r["data"]["refund"], "0.00")
        self.assertEqual(self.st.db_query("SELECT status FROM payments WHERE out_trade_no = ?", (otn,)),
                         [("CLOSED",)])
        # Money that still comes for it goes straight back.
        done = self.assertOk(guest.post("/api/pay/sandbox/confirm", {"out_trade_no": otn}))["data"]
        self.assertEqual((done["paid"], done["refunded"]), (False, True))
        self.assertEqual(self.order(guest, oid)["refund_amount"], "398.00")
        self.assertClean()

    def test_the_alipay_urls_are_404_under_the_sandbox(self):
        c = harness.Client(self.st)
        r = c.request("POST", "/api/pay/notify/alipay", body=b"a=b",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 404)
        self.assertEqual(c.get("/api/pay/return/alipay?out_trade_no=x").status, 404)


class ProviderNone(PayCase):
    """The harness's default stacks: payment_provider = none."""

    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(name="pay-none", env={"IHOME_WORKERS": "1"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.st.stop()

    def test_accept_is_paid_at_the_door_and_the_payment_urls_are_closed(self):
        landlord, guest, hid, oid = self.accepted()
        self.assertEqual(self.order(guest, oid)["status"], "PAID")
        self.assertJsonAnswer(guest.post("/api/order/pay", {"order_id": oid}), 200, 4004)
        self.assertEqual(guest.get("/api/pay/sandbox/payment?out_trade_no=x").status, 404)
        self.assertEqual(guest.post("/api/pay/sandbox/confirm", {"out_trade_no": "x"}).status, 404)
        r = self.assertOk(guest.post("/api/order/cancel", {"order_id": oid}))
        self.assertEqual(r["data"]["refund"], "0.00")


# ===== alipay ================================================================================

class Alipay(PayCase):
    @classmethod
    def setUpClass(cls):
        cls.st = ALIPAY

    def paying(self, **kw):
        """An accepted order whose guest went to Alipay's cashier: (landlord, guest, hid, oid, otn)."""
        landlord, guest, hid, oid = self.accepted(**kw)
        data = self.pay(guest, oid)
        url = urllib.parse.urlsplit(data["pay_url"])
        self.assertEqual("%s://%s%s" % (url.scheme, url.netloc, url.path), EMULATOR.gateway)
        q = dict(urllib.parse.parse_qsl(url.query))
        self.assertEqual(q["method"], "alipay.trade.page.pay")
        self.assertEqual(q["sign_type"], "RSA2")
        self.assertEqual(q["notify_url"], self.st.url + "/api/pay/notify/alipay")
        status, _page = EMULATOR.open(data["pay_url"])
        self.assertEqual(status, 200, EMULATOR.errors[-3:])
        otn = self.st.db_query("SELECT out_trade_no FROM payments WHERE order_id = ?", (oid,))[0][0]
        return landlord, guest, hid, oid, otn

    def test_a_signed_notify_pays_the_order(self):
        landlord, guest, hid, oid, otn = self.paying(price="120.50")
        self.assertEqual(EMULATOR.trade(otn).total_fen, 24100)
        status, body = EMULATOR.pay(otn)
        self.assertEqual((status, body), (200, "success"))
        o = self.order(guest, oid)
        self.assertEqual((o["status"], o["paid_amount"]), ("PAID", "241.00"))
        trade_no = self.st.db_query("SELECT trade_no FROM payments WHERE out_trade_no = ?", (otn,))[0][0]
        self.assertEqual(trade_no, EMULATOR.trade(otn).trade_no, "traced to the provider's number")
        self.assertClean()

    def test_every_tampered_notify_is_refused_and_changes_nothing(self):
        landlord, guest, hid, oid, otn = self.paying()
        # Not paid at Alipay: the job's queries find nothing to confirm meanwhile (they only
        # add "queried" events), so whatever changes would be the forgeries' doing.
        state = ("SELECT status, trade_no, paid_at, amount FROM payments WHERE out_trade_no = ?", (otn,))
        events = ("SELECT count(*) FROM payment_events WHERE event <> 'queried'", ())
        before, events_before = self.st.db_query(*state), self.st.db_query(*events)
        for name, params in EMULATOR.tampered_notifies(otn).items():
            with self.subTest(tamper=name):
                self.assertEqual(EMULATOR.post_notify(params, out_trade_no=otn), (200, "failure"))
        self.assertEqual(self.st.db_query(*state), before)
        self.assertEqual(self.st.db_query(*events), events_before)
        self.assertEqual(self.row(oid)[0], "WAIT_PAYMENT")
        self.assertEqual(self.st.db_query("SELECT count(*) FROM refunds WHERE order_id = ?", (oid,))[0][0], 0)
        self.assertEqual(EMULATOR.pay(otn), (200, "success"))  # the genuine one still works
        self.assertEqual(self.row(oid)[0], "PAID")
        self.assertClean()

    def test_a_thousand_duplicated_notifies_confirm_once(self):
        landlord, guest, hid, oid, otn = self.paying()
        EMULATOR.pay(otn, notify=False)
        results = EMULATOR.send_notifies_concurrently(otn, 1000, threads=8)
        self.assertEqual({r for r in results}, {(200, "success")})
        pid = self.st.db_query("SELECT id FROM payments WHERE out_trade_no = ?", (otn,))[0][0]
        self.assertEqual(self.st.db_query(
            "SELECT event, count(*) FROM payment_events WHERE payment_id = ? AND event LIKE 'paid%' GROUP BY event",
            (pid,)), [("paid", 1)])
        self.assertEqual(self.row(oid)[0], "PAID")
        self.assertEqual(self.st.db_query("SELECT count(*) FROM refunds WHERE order_id = ?", (oid,))[0][0], 0)
        self.assertClean()

    def test_a_lost_notify_is_recovered_by_the_query(self):
        landlord, guest, hid, oid, otn = self.paying()
        EMULATOR.pay(otn, notify=False)
        self.assertTrue(wait_for(lambda: self.row(oid)[0] == "PAID", 20), "not recovered by alipay.trade.query")
        self.assertEqual(self.st.db_query("SELECT trade_no FROM payments WHERE out_trade_no = ?", (otn,))[0][0],
                         EMULATOR.trade(otn).trade_no)
        self.assertEqual(EMULATOR.send_notify(otn), (200, "success"), "the late notify is a repeat")
        self.assertClean()

    def test_the_browser_return_is_verified_and_never_confirms_alone(self):
        landlord, guest, hid, oid, otn = self.paying()
        EMULATOR.pay(otn, notify=False)
        params = EMULATOR.return_params(otn)
        bad = dict(params, total_amount="0.01")
        r = guest.get("/api/pay/return/alipay?" + urllib.parse.urlencode(bad))
        self.assertEqual(r.status, 400)
        self.assertEqual(self.row(oid)[0], "WAIT_PAYMENT")
        r = guest.get("/api/pay/return/alipay?" + urllib.parse.urlencode(params))
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header("Location"), "/orders.html?paid=%d" % oid)
        self.assertEqual(self.row(oid)[0], "PAID", "asked alipay.trade.query, which says paid")

    def test_a_refund_failing_three_times_is_made_on_the_fourth_once(self):
        landlord, guest, hid, oid, otn = self.paying(offset=40)
        EMULATOR.pay(otn)
        EMULATOR.fail_next_refunds(1, mode="error")
        EMULATOR.fail_next_refunds(1, mode="drop")
        EMULATOR.fail_next_refunds(1, mode="drop_after")
        r = self.assertOk(guest.post("/api/order/cancel", {"order_id": oid}))
        self.assertEqual(r["data"]["refund"], "398.00")
        self.assertEqual(self.row(oid)[0], "CANCELED", "cancelled even though the refund failed")
        self.assertTrue(wait_for(lambda: self.st.db_query(
            "SELECT status FROM refunds WHERE order_id = ?", (oid,)) == [("DONE",)], 25))
        attempts = self.st.db_query("SELECT attempts FROM refunds WHERE order_id = ?", (oid,))[0][0]
        self.assertEqual(attempts, 4)
        self.assertEqual(EMULATOR.refunds_made(otn), 1)
        self.assertEqual(EMULATOR.refunded_fen(otn), 39800)
        self.assertClean()

    def test_a_late_payment_is_refunded_when_its_nights_are_gone(self):
        landlord, guest, hid, oid, otn = self.paying(offset=50)
        self.st.db_execute("UPDATE orders SET pay_by = ? WHERE id = ?", (int(time.time()) - 1, oid))
        other = self.user()
        self.assertOk(book(other, hid, day(50), day(52)))
        EMULATOR.pay(otn)
        self.assertTrue(wait_for(lambda: EMULATOR.refunded_fen(otn) == 39800, 15))
        self.assertEqual(self.row(oid)[0], "EXPIRED")
        self.assertEqual(self.order(guest, oid)["refund_amount"], "398.00")
        self.assertClean()

    def test_a_late_payment_is_taken_while_the_nights_are_free(self):
        landlord, guest, hid, oid, otn = self.paying(offset=55)
        self.st.db_execute("UPDATE orders SET pay_by = ? WHERE id = ?", (int(time.time()) - 1, oid))
        EMULATOR.pay(otn)
        self.assertEqual(self.row(oid)[0], "PAID")
        self.assertEqual(EMULATOR.refunds_made(otn), 0)
        self.assertClean()

    def test_racing_bookings_notifies_and_cancellations_end_consistent(self):
        rng = random.Random(19)
        landlord = self.user(verified=True)
        houses = [self.house(landlord) for _ in range(3)]
        guests = [self.user() for _ in range(6)]
        errors = []

        def scenario(i):
            try:
                hid = houses[i % len(houses)]
                start = 70 + 4 * (i // len(houses))
                g = guests[i % len(guests)]
                r = book(g, hid, day(start), day(start + 2))
                if r.errno != 0:
                    return
                oid = r.json["order_id"]
                landlord.post("/api/order/accept", {"order_id": oid})
                pr = g.post("/api/order/pay", {"order_id": oid})
                if pr.errno != 0:
                    return
                EMULATOR.open(pr.json["data"]["pay_url"])
                otn = self.st.db_query("SELECT out_trade_no FROM payments WHERE order_id = ?", (oid,))[0][0]
                pick = rng.random()
                actions = [lambda: EMULATOR.pay(otn)]
                if pick < 0.3:
                    actions.append(lambda: g.post("/api/order/cancel", {"order_id": oid}))
                elif pick < 0.6:
                    actions.append(lambda: landlord.post("/api/order/cancel", {"order_id": oid, "reason": "有变"}))
                elif pick < 0.8:
                    self.st.db_execute("UPDATE orders SET pay_by = ? WHERE id = ?", (int(time.time()), oid))
                    actions.append(lambda: book(guests[(i + 1) % len(guests)], hid, day(start), day(start + 2)))
                threads = [threading.Thread(target=a) for a in actions]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            except Exception as e:  # reported below
                errors.append(repr(e))

        runners = [threading.Thread(target=scenario, args=(i,)) for i in range(18)]
        for t in runners:
            t.start()
        for t in runners:
            t.join()
        self.assertEqual(errors, [])
        # Refunds owed are made by the job; then the books balance.
        self.assertTrue(wait_for(lambda: self.st.db_query(
            "SELECT count(*) FROM refunds WHERE status = 'PENDING'")[0][0] == 0, 20))
        self.assertClean()
        for otn, refunded in self.st.db_query(
                "SELECT p.out_trade_no, ifnull(sum(r.amount), 0) FROM payments p LEFT JOIN refunds r "
                "ON r.payment_id = p.id WHERE p.status = 'PAID' GROUP BY p.id"):
            self.assertEqual(EMULATOR.refunded_fen(otn), refunded, "the provider refunded what we recorded")


# ===== killed at every step ==================================================================

class KilledMidway(PayCase):
    """ihomed killed with SIGKILL at each step of confirming and refunding (as rotate-key's
    tests do): after the master respawns the process, money and nights are consistent, and
    nothing is confirmed or refunded twice."""

    def stack(self, step):
        flag = os.path.join(KEYS_DIR, "crash-" + step.replace(":", "-") + "-%d" % time.time_ns())
        st = harness.Stack(name="pay-crash", env=alipay_env({
            "IHOME_TEST_PAY_CRASH": step, "IHOME_TEST_PAY_CRASH_FLAG": flag, "IHOME_WORKERS": "2"})).start()
        self.addCleanup(st.stop)
        self.st = st
        return st, flag

    def paid_order(self):
        landlord, guest, hid, oid = self.accepted(offset=30)
        data = self.pay(guest, oid)
        EMULATOR.open(data["pay_url"])
        otn = self.st.db_query("SELECT out_trade_no FROM payments WHERE order_id = ?", (oid,))[0][0]
        return landlord, guest, oid, otn

    def test_confirm_killed_before_and_after_its_commit(self):
        for step in ("confirm:in_tx", "confirm:after_commit"):
            with self.subTest(step=step):
                st, flag = self.stack(step)
                landlord, guest, oid, otn = self.paid_order()
                first = EMULATOR.pay(otn)
                self.assertTrue(os.path.exists(flag), "the crash point was reached")
                self.assertNotEqual(first, (200, "success"), "a killed worker answers no success")
                want = "WAIT_PAYMENT" if step == "confirm:in_tx" else "PAID"
                self.assertEqual(self.row(oid)[0], want, "rolled back whole, or committed whole")
                self.assertEqual(EMULATOR.send_notify(otn), (200, "success"), "Alipay's retry")
                self.assertEqual(self.row(oid)[0], "PAID")
                self.assertEqual(st.db_query("SELECT count(*) FROM payment_events WHERE event = 'paid'")[0][0], 1)
                self.assertClean()

    def test_refund_killed_at_each_step(self):
        for step in ("refund:recorded", "refund:before_call", "refund:after_call"):
            with self.subTest(step=step):
                st, flag = self.stack(step)
                landlord, guest, oid, otn = self.paid_order()
                self.assertEqual(EMULATOR.pay(otn), (200, "success"))
                r = guest.post("/api/order/cancel", {"order_id": oid})
                self.assertEqual(self.row(oid)[0], "CANCELED", "%s: %s" % (step, r.describe()))
                self.assertTrue(wait_for(lambda: os.path.exists(flag), 10), "the crash point was reached")
                self.assertTrue(wait_for(lambda: st.db_query(
                    "SELECT status FROM refunds WHERE order_id = ?", (oid,)) == [("DONE",)], 25),
                    st.db_query("SELECT * FROM refunds WHERE order_id = ?", (oid,)))
                self.assertEqual(EMULATOR.refunds_made(otn), 1)
                self.assertEqual(EMULATOR.refunded_fen(otn), 39800)
                self.assertClean()


if __name__ == "__main__":
    unittest.main()
