"""Orders (API.md "Orders", and the parts of "Houses" that orders change): booking with every
validation rule and errno, the life cycle accept / reject / comment / cancel with every
forbidden transition, the guest's and the landlord's lists, the search's date filter, the
house page and the index reacting at once — and two stress tests against the real stack:
concurrent bookings of the same nights through nginx at 4 prefork workers, and workers
killed by SIGKILL while bookings are in flight.

The module's tests share one stack started with IHOME_WORKERS=4; the crash test has its own.
Every test books on houses of its own, so dates may repeat between tests; they are still
spread out (see the offsets each test uses) so that a failure reads unambiguously."""

import datetime
import os
import random
import signal
import sqlite3
import threading
import time
import unittest
import uuid

import harness
from guests import UNKNOWN_ID, book, day, end_stay, make_house, make_user, nights
from harness import ApiTestCase, make_png, multipart, run_together, masked

STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(name="order", env={"IHOME_WORKERS": "4"}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


ORDER_KEYS = {"order_id", "house_id", "title", "img_url", "start_date", "end_date", "ctime",
              "days", "amount", "status", "comment", "pay_by", "paid_amount", "refund_amount",
              "canceled_by", "cancel_reason"}
ORDER_KEYS |= {"rating", "reply", "conversation_id"}  # API.md "order/my" (tests/integration/review_test.py)
TIMESTAMP_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
MEDIA_URL_RE = r"^/media/[A-Za-z0-9_-]{43}\.jpg$"
AREA_DEFAULT = 1
AREA_SEARCH = 13          # only the search test publishes here


# ----- small helpers ----------------------------------------------------------------------

def proc_age(pid):
    """Seconds since process `pid` started, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    start_ticks = int(fields[19])  # field 22 of stat: starttime
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


class OrderCase(ApiTestCase):
    stack = None  # a class with its own stack sets this

    @property
    def st(self):
        return type(self).stack or STACK

    # -- users and houses --------------------------------------------------------------------
    def user(self, verified=False, name=None):
        return make_user(self.st, verified, name)

    def landlord(self, name=None):
        return make_user(self.st, True, name)

    def anon(self):
        return harness.Client(self.st)

    def house(self, owner, **over):
        return make_house(owner, **over)

    def add_image(self, owner, house_id, data=None):
        body, ctype = multipart(fields=[("house_id", str(house_id))],
                                files=[("house_image", "p.png", "image/png", data or make_png(16, 12))])
        r = owner.post("/api/house/image", raw=body, content_type=ctype)
        self.assertOk(r, "house image upload")
        return r.json["url"]

    # -- orders ------------------------------------------------------------------------------
    def book(self, c, house_id, start, end):
        return book(c, house_id, start, end)

    def book_ok(self, c, house_id, start, end):
        r = book(c, house_id, start, end)
        self.assertOk(r, "booking house %s %s..%s" % (house_id, start, end))
        self.assertEqual(r.json.get("errmsg"), "OK", r.describe())
        oid = r.json.get("order_id")
        self.assertIs(type(oid), int, "order_id is not an integer: " + r.describe())
        self.assertGreater(oid, 0)
        return oid

    def act(self, c, action, order_id, **extra):
        body = {"order_id": order_id}
        if action == "reject" and "reject_reason" not in extra:
            body["reject_reason"] = "房屋维修中"
        if action == "comment" and "comment" not in extra:
            body["comment"] = "很干净，推荐"
        body.update(extra)
        return c.post("/api/order/" + action, body)

    def act_ok(self, c, action, order_id, **extra):
        r = self.act(c, action, order_id, **extra)
        self.assertOk(r, "%s order %s" % (action, order_id))
        return r

    def my_orders(self, c, role=None, p=None):
        params = {}
        if role is not None:
            params["role"] = role
        if p is not None:
            params["p"] = p
        r = c.get("/api/order/my", params)
        self.assertOk(r, "my orders %r" % (params,))
        return r.json["data"]

    def listed(self, c, role, order_id):
        """The item of `order_id` in c's first page of orders for `role`, or None."""
        for o in self.my_orders(c, role)["orders"]:
            if o["order_id"] == order_id:
                return o
        return None

    # -- database ----------------------------------------------------------------------------
    def status(self, order_id):
        rows = self.st.db_query("SELECT status FROM orders WHERE id = ?", (order_id,))
        self.assertEqual(len(rows), 1, "order %s not in the database" % order_id)
        return rows[0][0]

    def order_row(self, order_id):
        rows = self.st.db_query(
            "SELECT user_id, house_id, start_date, end_date, days, price, amount, status, comment"
            " FROM orders WHERE id = ?", (order_id,))
        self.assertEqual(len(rows), 1, "order %s not in the database" % order_id)
        keys = ("user_id", "house_id", "start_date", "end_date", "days", "price", "amount",
                "status", "comment")
        return dict(zip(keys, rows[0]))

    def order_count(self, house_id=None):
        if house_id is None:
            return self.st.db_query("SELECT count(*) FROM orders")[0][0]
        return self.st.db_query("SELECT count(*) FROM orders WHERE house_id = ?", (house_id,))[0][0]

    def house_order_count(self, house_id):
        return self.st.db_query("SELECT order_count FROM houses WHERE id = ?", (house_id,))[0][0]

    def insert_order(self, guest_id, house_id, start, end, status="WAIT_ACCEPT", price=19900,
                     comment=None):
        days = nights(start, end)
        self.st.db_execute(
            "INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount,"
            " status, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guest_id, house_id, start, end, days, price, days * price, status, comment))

    def assertTimestampNow(self, value, msg=""):
        self.assertRegex(value or "", TIMESTAMP_RE, msg)
        when = time.mktime(time.strptime(value, "%Y-%m-%d %H:%M:%S"))
        self.assertLess(abs(when - time.time()), 300,
                        "%s: %r is not the server's local time now" % (msg, value))

    def order_in(self, status, offset=40):
        """(landlord, guest, house_id, order_id) with the order brought to `status` through
        the API."""
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        oid = self.book_ok(guest, hid, day(offset), day(offset + 2))
        if status == "PAID":
            self.act_ok(landlord, "accept", oid)  # payment_provider = none: paid at the door
        elif status == "WAIT_COMMENT":
            self.act_ok(landlord, "accept", oid)
            end_stay(self.st, oid)
        elif status == "COMPLETE":
            self.act_ok(landlord, "accept", oid)
            end_stay(self.st, oid)
            self.act_ok(guest, "comment", oid)
        elif status == "REJECTED":
            self.act_ok(landlord, "reject", oid)
        elif status == "CANCELED":
            self.act_ok(guest, "cancel", oid)
        self.assertEqual(self.status(oid), status)
        return landlord, guest, hid, oid


# ===== login and CSRF =========================================================================

class LoginAndCsrf(OrderCase):
    def test_every_order_url_needs_login_4101(self):
        c = self.anon()
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        oid = self.book_ok(guest, hid, day(10), day(12))
        self.assertJsonAnswer(self.book(c, hid, day(20), day(22)), 200, 4101, "POST /api/order")
        self.assertJsonAnswer(c.get("/api/order/my"), 200, 4101, "GET /api/order/my")
        self.assertJsonAnswer(c.get("/api/order/my?role=landlord"), 200, 4101, "landlord list")
        for action in ("accept", "reject", "comment", "cancel"):
            with self.subTest(action=action):
                self.assertJsonAnswer(self.act(c, action, oid), 200, 4101, action)
        self.assertEqual(self.order_count(hid), 1)
        self.assertEqual(self.status(oid), "WAIT_ACCEPT")

    def test_login_is_checked_before_the_parameters(self):
        c = self.anon()
        self.assertJsonAnswer(c.post("/api/order", {"house_id": "x", "start_date": "nope"}),
                              200, 4101)
        self.assertJsonAnswer(c.post("/api/order", {}), 200, 4101)
        self.assertJsonAnswer(c.get("/api/order/my?role=admin&p=0"), 200, 4101)
        for action in ("accept", "reject", "comment", "cancel"):
            with self.subTest(action=action):
                self.assertJsonAnswer(c.post("/api/order/" + action, {"order_id": "x"}), 200, 4101)

    def test_every_order_post_without_or_with_a_wrong_csrf_token_is_403_and_changes_nothing(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        oid = self.book_ok(guest, hid, day(10), day(12))
        body = {"house_id": hid, "start_date": day(20), "end_date": day(22)}
        for csrf in (False, "wrong-token"):
            with self.subTest(csrf=csrf):
                self.assertJsonAnswer(guest.post("/api/order", body, csrf=csrf), 403, 4201)
                for who, action, extra in ((landlord, "accept", {}),
                                           (landlord, "reject", {"reject_reason": "不行"}),
                                           (guest, "cancel", {})):
                    r = who.post("/api/order/" + action, dict(order_id=oid, **extra), csrf=csrf)
                    self.assertJsonAnswer(r, 403, 4201, action)
        self.assertEqual(self.order_count(hid), 1)
        self.assertEqual(self.status(oid), "WAIT_ACCEPT")
        self.act_ok(landlord, "accept", oid)
        end_stay(self.st, oid)
        for csrf in (False, "wrong-token"):
            r = guest.post("/api/order/comment", {"order_id": oid, "comment": "好"}, csrf=csrf)
            self.assertJsonAnswer(r, 403, 4201, "comment")
        self.assertEqual(self.status(oid), "WAIT_COMMENT")
        self.assertEqual(self.house_order_count(hid), 0)


# ===== POST /api/order =======================================================================

class Booking(OrderCase):
    def test_booking_answers_order_id_and_stores_a_wait_accept_order(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord, price="199")
        oid = self.book_ok(guest, hid, day(30), day(33))
        self.assertEqual(self.order_row(oid), {
            "user_id": guest.user_id, "house_id": hid, "start_date": day(30), "end_date": day(33),
            "days": 3, "price": 19900, "amount": 59700, "status": "WAIT_ACCEPT", "comment": None})

    def test_amount_is_nights_times_price_shown_in_yuan_with_two_decimals(self):
        landlord, guest = self.landlord(), self.user()
        cases = [("199", 3, "597.00", 59700), ("298.50", 3, "895.50", 89550),
                 ("0.01", 7, "0.07", 7), ("1000000", 2, "2000000.00", 200000000),
                 ("88.8", 1, "88.80", 8880)]
        ids = {}
        for i, (price, n, shown, fen) in enumerate(cases):
            hid = self.house(landlord, price=price)
            ids[self.book_ok(guest, hid, day(40 + 10 * i), day(40 + 10 * i + n))] = (n, shown, fen)
        listed = {o["order_id"]: o for o in self.my_orders(guest)["orders"]}
        for oid, (n, shown, fen) in ids.items():
            with self.subTest(amount=shown):
                self.assertEqual((listed[oid]["days"], listed[oid]["amount"]), (n, shown))
                row = self.order_row(oid)
                self.assertEqual((row["days"], row["amount"]), (n, fen))

    def test_house_id_as_a_numeric_string_and_an_urlencoded_body_are_accepted(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        self.book_ok(guest, hid, day(30), day(31))
        r = guest.post("/api/order", form={"house_id": str(hid), "start_date": day(31),
                                           "end_date": day(32)})
        self.assertOk(r, "urlencoded booking")
        self.assertEqual(self.order_count(hid), 2)

    def test_house_id_must_be_a_positive_integer_4103(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        for bad in (0, -1, "0", "-5", "abc", "", "1.5", 1.5, "1e2", None, [hid], {"id": hid},
                    True, "9223372036854775808"):
            with self.subTest(house_id=bad):
                r = guest.post("/api/order", {"house_id": bad, "start_date": day(30),
                                              "end_date": day(32)})
                self.assertJsonAnswer(r, 200, 4103)
        r = guest.post("/api/order", {"start_date": day(30), "end_date": day(32)})
        self.assertJsonAnswer(r, 200, 4103, "house_id missing")
        self.assertEqual(self.order_count(hid), 0)

    def test_dates_must_be_strict_yyyy_mm_dd_4103(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        year = datetime.date.today().year + 1
        bad_dates = ["%d-1-05" % year, "%d/01/05" % year, "%d0105" % year, "%d-02-30" % year,
                     "%d-13-01" % year, "%d-00-10" % year, "%d-01-00" % year, "%d-04-31" % year,
                     "05-01-%d" % year, "%d-01-05T00:00:00" % year, "%d-01-05 12:00" % year,
                     "tomorrow", "", "%d-O1-05" % year, int("%d0105" % year), None, [day(30)]]
        if year % 4 != 0:
            bad_dates.append("%d-02-29" % year)
        for bad in bad_dates:
            with self.subTest(start_date=bad):
                r = guest.post("/api/order", {"house_id": hid, "start_date": bad,
                                              "end_date": day(400)})
                self.assertJsonAnswer(r, 200, 4103)
            with self.subTest(end_date=bad):
                r = guest.post("/api/order", {"house_id": hid, "start_date": day(30),
                                              "end_date": bad})
                self.assertJsonAnswer(r, 200, 4103)
        self.assertJsonAnswer(guest.post("/api/order", {"house_id": hid, "end_date": day(32)}),
                              200, 4103, "start_date missing")
        self.assertJsonAnswer(guest.post("/api/order", {"house_id": hid, "start_date": day(30)}),
                              200, 4103, "end_date missing")
        self.assertEqual(self.order_count(hid), 0)

    def test_end_date_must_be_at_least_one_night_after_start_date_4103(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        self.assertJsonAnswer(self.book(guest, hid, day(30), day(30)), 200, 4103, "0 nights")
        self.assertJsonAnswer(self.book(guest, hid, day(30), day(29)), 200, 4103, "end before start")
        self.assertJsonAnswer(self.book(guest, hid, day(30), day(20)), 200, 4103, "end far before")
        self.assertEqual(self.order_count(hid), 0)
        oid = self.book_ok(guest, hid, day(30), day(31))
        self.assertEqual(self.order_row(oid)["days"], 1)

    def test_start_date_today_is_accepted_and_a_start_in_the_past_is_4103(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        for start, end in ((day(-1), day(1)), (day(-1), day(0)), (day(-30), day(-28)),
                           ("2001-01-01", "2001-01-03")):
            with self.subTest(start=start):
                self.assertJsonAnswer(self.book(guest, hid, start, end), 200, 4103)
        self.assertEqual(self.order_count(hid), 0)
        oid = self.book_ok(guest, hid, day(0), day(1))
        self.assertEqual(self.order_row(oid)["start_date"], day(0))

    def test_start_date_more_than_about_two_years_ahead_is_4103(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        self.book_ok(guest, hid, day(365), day(367))
        self.book_ok(guest, hid, day(720), day(722))
        for start in (day(800), day(1200), "2999-01-01", "9999-12-30"):
            with self.subTest(start=start):
                end = (datetime.date.fromisoformat(start) + datetime.timedelta(days=1)).isoformat()
                self.assertJsonAnswer(self.book(guest, hid, start, end), 200, 4103)
        self.assertEqual(self.order_count(hid), 2)

    def test_unknown_house_is_4002(self):
        guest = self.user()
        before = self.order_count()
        for hid in (UNKNOWN_ID, 9223372036854775807):
            with self.subTest(house_id=hid):
                self.assertJsonAnswer(self.book(guest, hid, day(30), day(32)), 200, 4002)
        self.assertEqual(self.order_count(), before)

    def test_own_house_is_4105(self):
        landlord = self.landlord()
        hid = self.house(landlord)
        self.assertJsonAnswer(self.book(landlord, hid, day(30), day(32)), 200, 4105)
        self.assertEqual(self.order_count(hid), 0)

    def test_nights_outside_min_days_and_max_days_are_4103(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord, min_days=2, max_days=4)
        self.assertJsonAnswer(self.book(guest, hid, day(30), day(31)), 200, 4103, "1 night < 2")
        self.assertJsonAnswer(self.book(guest, hid, day(30), day(35)), 200, 4103, "5 nights > 4")
        self.assertJsonAnswer(self.book(guest, hid, day(30), day(60)), 200, 4103, "30 nights > 4")
        self.assertEqual(self.order_count(hid), 0)
        self.book_ok(guest, hid, day(30), day(32))   # exactly min_days
        self.book_ok(guest, hid, day(40), day(44))   # exactly max_days

    def test_max_days_0_means_no_upper_limit(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord, min_days=3, max_days=0, price="10")
        self.assertJsonAnswer(self.book(guest, hid, day(30), day(32)), 200, 4103, "2 nights < 3")
        oid = self.book_ok(guest, hid, day(30), day(150))
        self.assertEqual(self.order_row(oid)["days"], 120)
        self.assertEqual(self.order_row(oid)["amount"], 120 * 1000)

    def test_validation_order_login_params_dates_house_owner_nights_overlap(self):
        landlord, guest, other = self.landlord(), self.user(), self.user()
        hid = self.house(landlord, min_days=2, max_days=3)
        self.book_ok(other, hid, day(50), day(53))
        # Malformed parameters come before the house is looked up.
        self.assertJsonAnswer(self.book(guest, UNKNOWN_ID, "x", day(52)), 200, 4103, "bad date, unknown house")
        self.assertJsonAnswer(self.book(guest, UNKNOWN_ID, day(52), day(52)), 200, 4103, "0 nights, unknown house")
        self.assertJsonAnswer(self.book(guest, UNKNOWN_ID, day(-3), day(-1)), 200, 4103, "past, unknown house")
        self.assertJsonAnswer(self.book(guest, UNKNOWN_ID, day(900), day(902)), 200, 4103, "too far, unknown house")
        self.assertJsonAnswer(self.book(landlord, hid, day(-3), day(-1)), 200, 4103, "past, own house")
        # Then the house: unknown before anything about nights.
        self.assertJsonAnswer(self.book(guest, UNKNOWN_ID, day(60), day(61)), 200, 4002, "unknown house, 1 night")
        # Own house before min_days/max_days and before the overlap.
        self.assertJsonAnswer(self.book(landlord, hid, day(60), day(61)), 200, 4105, "own house, 1 night")
        self.assertJsonAnswer(self.book(landlord, hid, day(51), day(53)), 200, 4105, "own house, taken")
        # Nights before the overlap.
        self.assertJsonAnswer(self.book(guest, hid, day(51), day(52)), 200, 4103, "1 night, taken")
        self.assertJsonAnswer(self.book(guest, hid, day(50), day(54)), 200, 4103, "4 nights, taken")
        self.assertJsonAnswer(self.book(guest, hid, day(51), day(53)), 200, 4004, "2 nights, taken")
        self.assertEqual(self.order_count(hid), 1)


class Overlap(OrderCase):
    def stay(self, status):
        """A house with a stay on nights day(100)..day(102) (check-out day(103)) in `status`."""
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        oid = self.book_ok(guest, hid, day(100), day(103))
        if status in ("PAID", "WAIT_COMMENT", "COMPLETE"):
            self.act_ok(landlord, "accept", oid)
        if status in ("WAIT_COMMENT", "COMPLETE"):
            # The stay has ended and comes back to its dates: as the database holds such an
            # order of a past stay (the nights rules do not look at the day).
            start, end = end_stay(self.st, oid)
            if status == "COMPLETE":
                self.act_ok(guest, "comment", oid)
            self.st.db_execute("UPDATE orders SET start_date = ?, end_date = ? WHERE id = ?",
                               (day(100), day(103), oid))
        if status == "REJECTED":
            self.act_ok(landlord, "reject", oid)
        if status == "CANCELED":
            self.act_ok(guest, "cancel", oid)
        self.assertEqual(self.status(oid), status)
        return hid, guest

    SHARING = [(97, 101, "sharing the first night"), (102, 105, "sharing the last night"),
               (101, 102, "a night inside"), (99, 106, "covering the stay"),
               (100, 103, "the same dates"), (100, 101, "the same check-in"),
               (102, 103, "the same check-out")]

    def test_sharing_a_night_with_a_waiting_stay_is_4004(self):
        hid, _ = self.stay("WAIT_ACCEPT")
        other = self.user()
        for s, e, what in self.SHARING:
            with self.subTest(what):
                self.assertJsonAnswer(self.book(other, hid, day(s), day(e)), 200, 4004, what)
        self.assertEqual(self.order_count(hid), 1)

    def test_checking_in_on_the_check_out_day_or_out_on_the_check_in_day_is_fine(self):
        hid, _ = self.stay("WAIT_ACCEPT")
        other = self.user()
        self.book_ok(other, hid, day(103), day(105))   # in on the stay's check-out day
        self.book_ok(other, hid, day(98), day(100))    # out on the stay's check-in day
        self.assertJsonAnswer(self.book(other, hid, day(99), day(104)), 200, 4004, "now all taken")

    def test_accepted_and_completed_stays_block_their_nights_4004(self):
        for status in ("PAID", "WAIT_COMMENT", "COMPLETE"):
            hid, _ = self.stay(status)
            other = self.user()
            for s, e, what in self.SHARING:
                with self.subTest(status=status, what=what):
                    self.assertJsonAnswer(self.book(other, hid, day(s), day(e)), 200, 4004)
            self.book_ok(other, hid, day(103), day(104))

    def test_rejected_and_canceled_stays_do_not_block(self):
        for status in ("REJECTED", "CANCELED"):
            with self.subTest(status=status):
                hid, guest = self.stay(status)
                other = self.user()
                self.book_ok(other, hid, day(101), day(102))
                # and the guest of the freed stay may book again (now 4004 only where `other` is)
                self.assertJsonAnswer(self.book(guest, hid, day(100), day(103)), 200, 4004)
                self.book_ok(guest, hid, day(102), day(103))

    def test_the_same_guest_cannot_book_overlapping_nights_twice(self):
        hid, guest = self.stay("WAIT_ACCEPT")
        self.assertJsonAnswer(self.book(guest, hid, day(100), day(103)), 200, 4004)
        self.assertJsonAnswer(self.book(guest, hid, day(102), day(104)), 200, 4004)
        self.assertEqual(self.order_count(hid), 1)

    def test_a_stay_on_another_house_does_not_block(self):
        hid, _ = self.stay("WAIT_ACCEPT")
        landlord, other = self.landlord(), self.user()
        hid2 = self.house(landlord)
        self.book_ok(other, hid2, day(100), day(103))


# ===== life cycle ============================================================================

class LifeCycle(OrderCase):
    def test_book_accept_comment_completes_the_stay_and_counts_it_on_the_house(self):
        landlord = self.landlord()
        guest = self.user(name="房客" + uuid.uuid4().hex[:8])
        hid = self.house(landlord, title="生命周期", price="120.50")
        oid = self.book_ok(guest, hid, day(60), day(62))
        self.assertEqual(self.listed(guest, "custom", oid)["status"], "WAIT_ACCEPT")
        self.assertEqual(self.listed(landlord, "landlord", oid)["status"], "WAIT_ACCEPT")
        self.act_ok(landlord, "accept", oid)
        self.assertEqual(self.status(oid), "PAID")  # payment_provider = none
        self.assertEqual(self.listed(guest, "custom", oid)["status"], "PAID")
        self.assertJsonAnswer(self.act(guest, "comment", oid), 200, 4004, "a review before the stay")
        end_stay(self.st, oid)
        self.assertEqual(self.status(oid), "WAIT_COMMENT")
        self.assertEqual(self.listed(guest, "custom", oid)["status"], "WAIT_COMMENT")
        self.assertEqual(self.listed(landlord, "landlord", oid)["status"], "WAIT_COMMENT")
        self.assertIsNone(self.listed(guest, "custom", oid)["comment"])
        self.assertEqual(self.house_order_count(hid), 0, "accept does not count the stay yet")
        # Prime the house page's cache, so "at once" means past a cached answer.
        info = self.assertOk(guest.get("/api/house/info", {"house_id": hid}))["data"]["house"]
        self.assertEqual((info["order_count"], info["comments"]), (0, []))
        self.act_ok(guest, "comment", oid, comment="  房间干净，房东热情  ")
        self.assertEqual(self.status(oid), "COMPLETE")
        mine = self.listed(guest, "custom", oid)
        self.assertEqual((mine["status"], mine["comment"]), ("COMPLETE", "房间干净，房东热情"))
        theirs = self.listed(landlord, "landlord", oid)
        self.assertEqual((theirs["status"], theirs["comment"]), ("COMPLETE", "房间干净，房东热情"))
        self.assertEqual(self.house_order_count(hid), 1)
        info = self.assertOk(self.anon().get("/api/house/info", {"house_id": hid}))["data"]["house"]
        self.assertEqual(info["order_count"], 1)
        self.assertEqual(len(info["comments"]), 1, info["comments"])
        c = info["comments"][0]
        self.assertEqual((c["user_name"], c["comment"]), (masked(guest.name), "房间干净，房东热情"))
        self.assertTimestampNow(c["ctime"], "comment ctime")
        my_houses = self.assertOk(landlord.get("/api/house/my"))["data"]["houses"]
        self.assertEqual([h["order_count"] for h in my_houses if h["house_id"] == hid], [1])

    def test_reject_stores_the_reason_as_the_orders_comment(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        oid = self.book_ok(guest, hid, day(60), day(62))
        self.act_ok(landlord, "reject", oid, reject_reason=" 那几天要装修 ")
        self.assertEqual(self.order_row(oid)["status"], "REJECTED")
        self.assertEqual(self.order_row(oid)["comment"], "那几天要装修")
        for who, role in ((guest, "custom"), (landlord, "landlord")):
            o = self.listed(who, role, oid)
            self.assertEqual((o["status"], o["comment"]), ("REJECTED", "那几天要装修"), role)
        self.assertEqual(self.house_order_count(hid), 0)
        info = self.assertOk(guest.get("/api/house/info", {"house_id": hid}))["data"]["house"]
        self.assertEqual(info["comments"], [], "a reject reason is no comment of the house")

    def test_cancel_by_the_guest_frees_the_nights_for_a_new_booking(self):
        landlord, guest, other = self.landlord(), self.user(), self.user()
        hid = self.house(landlord)
        oid = self.book_ok(guest, hid, day(60), day(63))
        self.assertJsonAnswer(self.book(other, hid, day(60), day(63)), 200, 4004)
        self.act_ok(guest, "cancel", oid)
        self.assertEqual(self.order_row(oid)["status"], "CANCELED")
        self.assertIsNone(self.order_row(oid)["comment"])
        self.assertEqual(self.listed(guest, "custom", oid)["status"], "CANCELED")
        self.assertEqual(self.listed(landlord, "landlord", oid)["status"], "CANCELED")
        new = self.book_ok(other, hid, day(60), day(63))
        self.assertNotEqual(new, oid)
        self.assertEqual(self.status(oid), "CANCELED")

    def test_order_id_as_a_numeric_string_is_accepted(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        oid = self.book_ok(guest, hid, day(60), day(62))
        self.assertOk(landlord.post("/api/order/accept", {"order_id": str(oid)}))
        end_stay(self.st, oid)
        self.assertOk(guest.post("/api/order/comment", form={"order_id": str(oid), "comment": "好"}))
        self.assertEqual(self.status(oid), "COMPLETE")

    # -- forbidden transitions: 4004 ----------------------------------------------------------
    def test_accept_twice_is_4004(self):
        landlord, guest, hid, oid = self.order_in("PAID")
        self.assertJsonAnswer(self.act(landlord, "accept", oid), 200, 4004)
        self.assertEqual(self.status(oid), "PAID")

    def test_comment_before_accept_is_4004(self):
        landlord, guest, hid, oid = self.order_in("WAIT_ACCEPT")
        self.assertJsonAnswer(self.act(guest, "comment", oid), 200, 4004)
        self.assertEqual(self.order_row(oid)["status"], "WAIT_ACCEPT")
        self.assertIsNone(self.order_row(oid)["comment"])
        self.assertEqual(self.house_order_count(hid), 0)

    def test_cancel_once_the_stay_has_begun_is_4004(self):
        landlord, guest, hid, oid = self.order_in("WAIT_COMMENT")
        self.assertJsonAnswer(self.act(guest, "cancel", oid), 200, 4004)
        self.assertJsonAnswer(self.act(landlord, "cancel", oid, reason="漏水"), 200, 4004)
        self.assertEqual(self.status(oid), "WAIT_COMMENT")
        landlord, guest, hid, oid = self.order_in("PAID", offset=0)  # the check-in day is today
        self.assertJsonAnswer(self.act(guest, "cancel", oid), 200, 4004)
        self.assertEqual(self.status(oid), "PAID")

    def test_reject_after_cancel_is_4004(self):
        landlord, guest, hid, oid = self.order_in("CANCELED")
        self.assertJsonAnswer(self.act(landlord, "reject", oid), 200, 4004)
        self.assertEqual(self.order_row(oid)["status"], "CANCELED")
        self.assertIsNone(self.order_row(oid)["comment"])

    def test_every_action_outside_its_state_is_4004_and_changes_nothing(self):
        allowed = {("accept", "WAIT_ACCEPT"), ("reject", "WAIT_ACCEPT"),
                   ("cancel", "WAIT_ACCEPT"), ("cancel", "PAID"), ("comment", "WAIT_COMMENT")}
        for i, status in enumerate(("WAIT_ACCEPT", "PAID", "WAIT_COMMENT", "COMPLETE", "REJECTED",
                                    "CANCELED")):
            landlord, guest, hid, oid = self.order_in(status, offset=40 + 5 * i)
            before = self.order_row(oid)
            count = self.house_order_count(hid)
            for action in ("accept", "reject", "comment", "cancel"):
                if (action, status) in allowed:
                    continue
                actor = landlord if action in ("accept", "reject") else guest
                with self.subTest(action=action, status=status):
                    self.assertJsonAnswer(self.act(actor, action, oid), 200, 4004)
            self.assertEqual(self.order_row(oid), before, status)
            self.assertEqual(self.house_order_count(hid), count, status)

    # -- wrong people: 4105 --------------------------------------------------------------------
    def test_comment_by_the_landlord_is_4105(self):
        landlord, guest, hid, oid = self.order_in("WAIT_COMMENT")
        self.assertJsonAnswer(self.act(landlord, "comment", oid), 200, 4105)
        self.assertEqual(self.status(oid), "WAIT_COMMENT")
        self.assertEqual(self.house_order_count(hid), 0)

    def test_accept_by_the_guest_is_4105(self):
        landlord, guest, hid, oid = self.order_in("WAIT_ACCEPT")
        self.assertJsonAnswer(self.act(guest, "accept", oid), 200, 4105)
        self.assertEqual(self.status(oid), "WAIT_ACCEPT")

    def test_reject_by_the_guest_and_cancel_by_the_landlord_are_4105(self):
        landlord, guest, hid, oid = self.order_in("WAIT_ACCEPT")
        self.assertJsonAnswer(self.act(guest, "reject", oid), 200, 4105)
        # The landlord may cancel only a paid stay (with a reason); an unpaid one they reject.
        self.assertJsonAnswer(self.act(landlord, "cancel", oid, reason="不方便"), 200, 4004)
        self.assertEqual(self.order_row(oid)["status"], "WAIT_ACCEPT")
        self.assertIsNone(self.order_row(oid)["comment"])

    def test_a_third_user_can_do_nothing_4105_in_any_state(self):
        third = self.landlord()   # even a verified landlord of other houses
        self.house(third)
        for i, status in enumerate(("WAIT_ACCEPT", "PAID", "WAIT_COMMENT", "COMPLETE", "REJECTED",
                                    "CANCELED")):
            landlord, guest, hid, oid = self.order_in(status, offset=40 + 5 * i)
            before = self.order_row(oid)
            for action in ("accept", "reject", "comment", "cancel"):
                with self.subTest(action=action, status=status):
                    self.assertJsonAnswer(self.act(third, action, oid), 200, 4105)
            self.assertEqual(self.order_row(oid), before)
            self.assertIsNone(self.listed(third, "custom", oid))
            self.assertIsNone(self.listed(third, "landlord", oid))

    # -- unknown and malformed ids, texts --------------------------------------------------------
    def test_unknown_order_is_4002(self):
        c = self.landlord()
        for action in ("accept", "reject", "comment", "cancel"):
            for oid in (UNKNOWN_ID, 9223372036854775807):
                with self.subTest(action=action, order_id=oid):
                    self.assertJsonAnswer(self.act(c, action, oid), 200, 4002)

    def test_order_id_must_be_a_positive_integer_4103(self):
        landlord, guest, hid, oid = self.order_in("WAIT_ACCEPT")
        for action, who in (("accept", landlord), ("reject", landlord), ("comment", guest),
                            ("cancel", guest)):
            for bad in (0, -1, "abc", "", 1.5, "1.5", None, [oid], True):
                with self.subTest(action=action, order_id=bad):
                    self.assertJsonAnswer(self.act(who, action, bad), 200, 4103)
            with self.subTest(action=action, order_id="missing"):
                body = {"reject_reason": "x", "comment": "x"}
                self.assertJsonAnswer(who.post("/api/order/" + action, body), 200, 4103)
        self.assertEqual(self.status(oid), "WAIT_ACCEPT")

    def test_reject_reason_is_1_to_256_characters_4103(self):
        landlord, guest, hid, oid = self.order_in("WAIT_ACCEPT")
        for bad in ("", "   ", "拒" * 257, "a\x07b", "第一行\n第二行", 42, None, ["不行"]):
            with self.subTest(reject_reason=bad):
                self.assertJsonAnswer(self.act(landlord, "reject", oid, reject_reason=bad), 200, 4103)
        r = landlord.post("/api/order/reject", {"order_id": oid})
        self.assertJsonAnswer(r, 200, 4103, "reject_reason missing")
        self.assertEqual(self.order_row(oid)["status"], "WAIT_ACCEPT")
        self.assertIsNone(self.order_row(oid)["comment"])
        self.act_ok(landlord, "reject", oid, reject_reason="拒" * 256)
        self.assertEqual(self.order_row(oid)["comment"], "拒" * 256)
        # One character is enough.
        _l, _g, _h, oid2 = self.order_in("WAIT_ACCEPT", offset=50)
        self.act_ok(_l, "reject", oid2, reject_reason="否")

    def test_comment_is_1_to_1024_characters_4103(self):
        landlord, guest, hid, oid = self.order_in("WAIT_COMMENT")
        for bad in ("", "   ", "好" * 1025, "a\x00b", "a\x1bb", 5, None, ["好"]):
            with self.subTest(comment=bad):
                self.assertJsonAnswer(self.act(guest, "comment", oid, comment=bad), 200, 4103)
        self.assertJsonAnswer(guest.post("/api/order/comment", {"order_id": oid}), 200, 4103,
                              "comment missing")
        self.assertEqual(self.order_row(oid)["status"], "WAIT_COMMENT")
        self.assertEqual(self.house_order_count(hid), 0)
        self.act_ok(guest, "comment", oid, comment="好" * 1024)
        self.assertEqual(self.order_row(oid)["comment"], "好" * 1024)
        self.assertEqual(self.house_order_count(hid), 1)
        _l, g2, h2, oid2 = self.order_in("WAIT_COMMENT", offset=50)
        self.act_ok(g2, "comment", oid2, comment="赞")

    def test_every_completed_stay_counts_once_on_its_house(self):
        landlord = self.landlord()
        hid = self.house(landlord)
        guests = [self.user() for _ in range(3)]
        ids = [self.book_ok(g, hid, day(70 + 3 * i), day(72 + 3 * i)) for i, g in enumerate(guests)]
        for oid in ids:
            self.act_ok(landlord, "accept", oid)
            end_stay(self.st, oid)
        for n, (g, oid) in enumerate(zip(guests, ids), start=1):
            self.act_ok(g, "comment", oid, comment="第%d条" % n)
            self.assertEqual(self.house_order_count(hid), n)
            info = self.assertOk(g.get("/api/house/info", {"house_id": hid}))["data"]["house"]
            self.assertEqual(info["order_count"], n)
            self.assertEqual(sorted(c["comment"] for c in info["comments"]),
                             sorted("第%d条" % k for k in range(1, n + 1)))
            self.assertEqual(self.act(g, "comment", oid).errno, 4004, "a second comment")
        self.assertEqual(self.house_order_count(hid), 3)

    def test_the_index_order_follows_completed_stays_at_once(self):
        landlord, guest = self.landlord(), self.user()
        older = self.house(landlord, title="先发布")
        newer = self.house(landlord, title="后发布")
        top = self.st.db_query("SELECT COALESCE(MAX(order_count), 0) FROM houses")[0][0] + 100
        # Equal order_count written before the images: each upload refreshes the index.
        for hid in (older, newer):
            self.st.db_execute("UPDATE houses SET order_count = ? WHERE id = ?", (top, hid))
        url_older = self.add_image(landlord, older)
        url_newer = self.add_image(landlord, newer)
        index = self.assertOk(self.anon().get("/api/house/index"))["data"]
        unrated = {"rating": None, "rating_count": 0}
        self.assertEqual(index[:2], [{"house_id": newer, "title": "后发布", "img_url": url_newer, **unrated},
                                     {"house_id": older, "title": "先发布", "img_url": url_older, **unrated}],
                         "a tie lists the newer house first")
        oid = self.book_ok(guest, older, day(80), day(81))
        self.act_ok(landlord, "accept", oid)
        index = self.assertOk(self.anon().get("/api/house/index"))["data"]
        self.assertEqual([h["house_id"] for h in index[:2]], [newer, older], "accept counts nothing")
        end_stay(self.st, oid)
        self.act_ok(guest, "comment", oid)
        index = self.assertOk(self.anon().get("/api/house/index"))["data"]
        self.assertEqual([h["house_id"] for h in index[:2]], [older, newer],
                         "the completed stay moves the older house ahead at once")
        info = self.assertOk(self.anon().get("/api/house/info", {"house_id": older}))["data"]
        self.assertEqual(info["house"]["order_count"], top + 1)
        booked = self.assertOk(self.anon().get("/api/house/list", {"sk": "booking"}))["data"]
        ids = [h["house_id"] for h in booked["houses"]]
        self.assertEqual(ids[:2], [older, newer], "the booking sort follows at once")


# ===== GET /api/order/my =====================================================================

class Lists(OrderCase):
    def test_guest_list_shows_my_orders_with_their_fields_newest_first(self):
        landlord, guest, stranger = self.landlord(), self.user(), self.user()
        plain = self.house(landlord, title="无图房", price="199")
        pictured = self.house(landlord, title="有图房", price="298.50")
        url = self.add_image(landlord, pictured)
        a = self.book_ok(guest, plain, day(90), day(93))
        b = self.book_ok(guest, pictured, day(90), day(91))
        self.book_ok(stranger, plain, day(95), day(96))
        c = self.book_ok(guest, plain, day(100), day(102))
        self.act_ok(landlord, "reject", c, reject_reason="不方便")
        r = guest.get("/api/order/my?role=custom")
        self.assertOk(r)
        self.assertNoStore(r)
        data = r.json["data"]
        self.assertEqual((data["total_page"], data["current_page"]), (1, 1))
        orders = data["orders"]
        self.assertEqual([o["order_id"] for o in orders], [c, b, a])
        for o in orders:
            self.assertEqual(set(o), ORDER_KEYS)
            self.assertTimestampNow(o["ctime"], "ctime")
        strip = [{k: v for k, v in o.items() if k != "ctime"} for o in orders]
        self.assertEqual(strip, [
            {"order_id": c, "house_id": plain, "title": "无图房", "img_url": None,
             "start_date": day(100), "end_date": day(102), "days": 2, "amount": "398.00",
             "status": "REJECTED", "comment": "不方便", "pay_by": None, "paid_amount": "0.00", "refund_amount": "0.00",
             "canceled_by": None, "cancel_reason": None, "rating": None, "reply": None, "conversation_id": None},
            {"order_id": b, "house_id": pictured, "title": "有图房", "img_url": url,
             "start_date": day(90), "end_date": day(91), "days": 1, "amount": "298.50",
             "status": "WAIT_ACCEPT", "comment": None, "pay_by": None, "paid_amount": "0.00", "refund_amount": "0.00",
             "canceled_by": None, "cancel_reason": None, "rating": None, "reply": None, "conversation_id": None},
            {"order_id": a, "house_id": plain, "title": "无图房", "img_url": None,
             "start_date": day(90), "end_date": day(93), "days": 3, "amount": "597.00",
             "status": "WAIT_ACCEPT", "comment": None, "pay_by": None, "paid_amount": "0.00", "refund_amount": "0.00",
             "canceled_by": None, "cancel_reason": None, "rating": None, "reply": None, "conversation_id": None},
        ])
        self.assertRegex(url, MEDIA_URL_RE)

    def test_default_role_is_custom(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord)
        oid = self.book_ok(guest, hid, day(90), day(92))
        self.assertEqual(self.my_orders(guest), self.my_orders(guest, "custom"))
        self.assertEqual([o["order_id"] for o in self.my_orders(guest)["orders"]], [oid])
        self.assertEqual(self.my_orders(landlord)["orders"], [], "a landlord made no orders")
        self.assertEqual(self.my_orders(guest, "", None)["orders"][0]["order_id"], oid)

    def test_landlord_list_shows_the_orders_on_my_houses_only(self):
        landlord, rival = self.landlord(), self.landlord()
        g1, g2 = self.user(), self.user()
        h1 = self.house(landlord, title="房一")
        h2 = self.house(landlord, title="房二")
        h3 = self.house(rival, title="别家")
        a = self.book_ok(g1, h1, day(90), day(92))
        self.book_ok(g1, h3, day(90), day(92))
        b = self.book_ok(g2, h2, day(90), day(94))
        c = self.book_ok(rival, h1, day(95), day(96))   # a landlord may be someone's guest
        self.act_ok(landlord, "accept", b)
        data = self.my_orders(landlord, "landlord")
        self.assertEqual((data["total_page"], data["current_page"]), (1, 1))
        self.assertEqual([o["order_id"] for o in data["orders"]], [c, b, a])
        for o in data["orders"]:
            self.assertEqual(set(o), ORDER_KEYS)
        self.assertEqual({k: v for k, v in data["orders"][1].items() if k != "ctime"},
                         {"order_id": b, "house_id": h2, "title": "房二", "img_url": None,
                          "start_date": day(90), "end_date": day(94), "days": 4,
                          "amount": "796.00", "status": "PAID", "comment": None, "pay_by": None,
                          "paid_amount": "0.00", "refund_amount": "0.00", "canceled_by": None,
                          "cancel_reason": None, "rating": None, "reply": None, "conversation_id": None})
        self.assertEqual([o["order_id"] for o in self.my_orders(rival, "custom")["orders"]], [c])
        self.assertEqual(len(self.my_orders(rival, "landlord")["orders"]), 1)
        empty = self.my_orders(g1, "landlord")
        self.assertEqual(empty, {"orders": [], "total_page": 0, "current_page": 1})

    def test_no_orders_is_an_empty_list_with_zero_pages(self):
        c = self.user()
        for role in ("custom", "landlord"):
            self.assertEqual(self.my_orders(c, role),
                             {"orders": [], "total_page": 0, "current_page": 1})

    def test_unknown_role_and_malformed_page_are_4103(self):
        c = self.user()
        for role in ("admin", "CUSTOM", "Landlord", "custom ", "guest", "landlords"):
            with self.subTest(role=role):
                self.assertJsonAnswer(c.get("/api/order/my", {"role": role}), 200, 4103)
        for p in ("0", "-1", "abc", "1.5", "1e2"):
            with self.subTest(p=p):
                self.assertJsonAnswer(c.get("/api/order/my", {"role": "custom", "p": p}), 200, 4103)

    def test_pages_of_20_newest_first_for_guest_and_landlord(self):
        landlord, guest = self.landlord(), self.user()
        hid = self.house(landlord, price="199")
        first = [self.book_ok(guest, hid, day(10 + 2 * i), day(11 + 2 * i)) for i in range(3)]
        # Volume straight into SQLite: 20 more stays, far apart, after the API's three.
        for i in range(20):
            self.insert_order(guest.user_id, hid, day(200 + 2 * i), day(201 + 2 * i))
        rows = self.st.db_query("SELECT id FROM orders WHERE house_id = ? ORDER BY id DESC", (hid,))
        all_ids = [r[0] for r in rows]
        self.assertEqual(len(all_ids), 23)
        self.assertEqual(all_ids[-3:], first[::-1])
        for role, who in (("custom", guest), ("landlord", landlord)):
            with self.subTest(role=role):
                p1 = self.my_orders(who, role)
                self.assertEqual((p1["total_page"], p1["current_page"]), (2, 1))
                self.assertEqual([o["order_id"] for o in p1["orders"]], all_ids[:20])
                explicit = self.my_orders(who, role, 1)
                self.assertEqual(explicit, p1)
                p2 = self.my_orders(who, role, 2)
                self.assertEqual((p2["total_page"], p2["current_page"]), (2, 2))
                self.assertEqual([o["order_id"] for o in p2["orders"]], all_ids[20:])
                self.assertEqual([o["amount"] for o in p2["orders"]], ["199.00"] * 3)
                p3 = self.my_orders(who, role, 3)
                self.assertEqual(p3, {"orders": [], "total_page": 2, "current_page": 3})
        # Exactly 20 is one page, 21 two.
        g2 = self.user()
        h2 = self.house(landlord)
        for i in range(20):
            self.insert_order(g2.user_id, h2, day(200 + 2 * i), day(201 + 2 * i))
        self.assertEqual(self.my_orders(g2)["total_page"], 1)
        self.assertEqual(len(self.my_orders(g2)["orders"]), 20)
        self.book_ok(g2, h2, day(10), day(11))
        self.assertEqual(self.my_orders(g2)["total_page"], 2)
        self.assertEqual(len(self.my_orders(g2, p=2)["orders"]), 1)


# ===== the search's date filter ==============================================================

class SearchDates(OrderCase):
    def search_ids(self, c, sd, ed):
        r = c.get("/api/house/list", {"aid": AREA_SEARCH, "sd": sd, "ed": ed})
        self.assertOk(r, "search %s..%s" % (sd, ed))
        return [h["house_id"] for h in r.json["data"]["houses"]]

    def test_the_date_filter_follows_booking_cancel_reject_accept_and_comment_at_once(self):
        landlord, guest, other = self.landlord(), self.user(), self.user()
        hid = self.house(landlord, district=AREA_SEARCH, title="搜索用")
        sd, ed = day(120), day(123)
        viewer = self.user()  # logged in: "at once" (anonymous visitors: within 1 s)
        self.assertEqual(self.search_ids(viewer, sd, ed), [hid])      # cached from here on
        oid = self.book_ok(guest, hid, sd, ed)
        self.assertEqual(self.search_ids(viewer, sd, ed), [], "after booking")
        self.assertEqual(self.search_ids(viewer, day(122), day(124)), [], "sharing a night")
        self.assertEqual(self.search_ids(viewer, day(123), day(125)), [hid], "in on check-out day")
        self.assertEqual(self.search_ids(viewer, day(118), day(120)), [hid], "out on check-in day")
        self.act_ok(guest, "cancel", oid)
        self.assertEqual(self.search_ids(viewer, sd, ed), [hid], "after cancel")
        self.assertEqual(self.search_ids(viewer, day(122), day(124)), [hid], "after cancel")
        oid = self.book_ok(other, hid, sd, ed)
        self.assertEqual(self.search_ids(viewer, sd, ed), [], "after the second booking")
        self.act_ok(landlord, "reject", oid)
        self.assertEqual(self.search_ids(viewer, sd, ed), [hid], "after reject")
        oid = self.book_ok(guest, hid, sd, ed)
        self.assertEqual(self.search_ids(viewer, sd, ed), [], "after the third booking")
        self.act_ok(landlord, "accept", oid)
        self.assertEqual(self.search_ids(viewer, sd, ed), [], "after accept")
        self.act_ok(guest, "cancel", oid)  # paid (provider none), 120 days ahead
        self.assertEqual(self.search_ids(viewer, sd, ed), [hid], "after cancelling a paid stay")


# ===== concurrency ===========================================================================

class ConcurrentBooking(OrderCase):
    """12 logged-in guests book one house at the same instant through nginx and 4 workers."""

    GUESTS = 12

    @classmethod
    def setUpClass(cls):
        cls.guests = [make_user(STACK) for _ in range(cls.GUESTS)]
        cls.landlord_client = make_user(STACK, verified=True)
        cls.hid = make_house(cls.landlord_client, title="抢订", price="99.90")

    def fire(self, ranges, lo, hi):
        """Guest i books ranges[i] (offsets from today), all released together; the round's
        dates lie within offsets lo..hi."""
        def one(i):
            s, e = ranges[i]
            return book(self.guests[i], self.hid, day(s), day(e))
        results = run_together(len(ranges), one)
        # The invariant first: whatever the answers, no two active orders share a night.
        self.assertNoActiveOverlap(lo, hi)
        for i, r in enumerate(results):
            self.assertIsInstance(r, harness.Response, "guest %d: %r" % (i, r))
            self.assertJsonAnswer(r, 200, r.errno, "guest %d" % i)
            self.assertIn(r.errno, (0, 4004), "guest %d: %s" % (i, r.describe()))
        return results

    def active(self, lo, hi):
        return self.st.db_query(
            "SELECT id, user_id, start_date, end_date FROM orders WHERE house_id = ? AND status IN"
            " ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE') AND start_date < ? AND end_date > ?"
            " ORDER BY start_date", (self.hid, day(hi), day(lo)))

    def assertNoActiveOverlap(self, lo, hi):
        pairs = self.st.db_query(
            "SELECT a.id, a.start_date, a.end_date, b.id, b.start_date, b.end_date FROM orders a"
            " JOIN orders b ON a.house_id = b.house_id AND a.id < b.id"
            " WHERE a.house_id = ? AND a.status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE')"
            " AND b.status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE')"
            " AND a.start_date < b.end_date AND b.start_date < a.end_date"
            " AND a.start_date < ? AND a.end_date > ?", (self.hid, day(hi), day(lo)))
        self.assertEqual(pairs, [], "active orders that share a night (double booking)")

    def check_round(self, ranges, results, lo, hi):
        """The invariants of one round: winners are in the DB as booked; no two active orders
        share a night; every 4004 shares a night with an active order."""
        winners = {}
        for i, r in enumerate(results):
            if r.errno == 0:
                winners[r.json["order_id"]] = (self.guests[i].user_id, day(ranges[i][0]), day(ranges[i][1]))
        active = self.active(lo, hi)
        self.assertEqual({row[0]: tuple(row[1:]) for row in active}, winners,
                         "the active orders of the round are exactly the answered winners")
        for i, r in enumerate(results):
            if r.errno == 4004:
                s, e = day(ranges[i][0]), day(ranges[i][1])
                self.assertTrue(any(a[2] < e and a[3] > s for a in active),
                                "guest %d was refused %s..%s though no active stay shares a night"
                                " (%r)" % (i, s, e, active))
        return winners

    def test_12_guests_same_or_all_overlapping_dates_exactly_one_wins_in_15_rounds(self):
        n = self.GUESTS
        patterns = [
            lambda i: (0, 3),                              # the very same dates
            lambda i: (0, 1),                              # one night
            lambda i: (i % 3, 6 - i % 3),                  # nested around nights 2..3
            lambda i: (5 - i % 5, 6 + i % 4),              # every stay holds night 5
            lambda i: (2, 3 + i),                          # the same check-in, longer and longer
            lambda i: (i % 6, 6 + (i * 7) % 5),            # same check-out-ish, varied starts
        ]
        for rnd in range(15):
            base = 100 + 20 * rnd
            pattern = patterns[rnd % len(patterns)]
            ranges = [tuple(base + x for x in pattern(i)) for i in range(n)]
            with self.subTest(round=rnd, ranges=ranges[:3]):
                results = self.fire(ranges, base - 1, base + 20)
                errnos = sorted(r.errno for r in results)
                self.assertEqual(errnos, [0] + [4004] * (n - 1),
                                 "round %d: %r" % (rnd, [r.describe() for r in results if r.errno]))
                winners = self.check_round(ranges, results, base - 1, base + 20)
                self.assertEqual(len(winners), 1)

    def test_pairwise_partly_overlapping_dates_never_double_book(self):
        n = self.GUESTS
        rng = random.Random(20240517)
        rounds = [
            [(i, i + 2) for i in range(n)],                         # chain, step 1, 2 nights
            [(i, i + 3) for i in range(n)],                         # chain, step 1, 3 nights
            [(2 * i, 2 * i + 3) for i in range(n)],                 # chain, step 2, 3 nights
            [(n - 1 - i, n + 1 - i) for i in range(n)],             # chain, reversed
        ]
        for _ in range(4):
            rounds.append([(s, s + rng.randint(1, 4)) for s in (rng.randint(0, 14) for _ in range(n))])
        for k, offsets in enumerate(rounds):
            base = 400 + 40 * k
            ranges = [(base + s, base + e) for s, e in offsets]
            with self.subTest(round=k):
                results = self.fire(ranges, base - 1, base + 39)
                winners = self.check_round(ranges, results, base - 1, base + 39)
                self.assertGreaterEqual(len(winners), 1)


# ===== worker crashes while bookings are in flight ===========================================

class WorkerCrashDuringBookings(OrderCase):
    """SIGKILL to ihomed workers while guests keep booking: answers stay JSON, the database
    stays whole (no half-written order, no double booking), the master respawns."""

    WORKERS = 4
    THREADS = 8
    YOUNG = 5.5   # ihomed counts a worker dying younger than 5 s as a crash loop (back-off)

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(name="ordercrash", env={"IHOME_WORKERS": str(cls.WORKERS)}).start()
        cls.addClassCleanup(cls.stack.stop)

    def test_killed_workers_lose_no_booking_write_no_half_order_and_are_respawned(self):
        st = self.st
        landlord = self.landlord()
        prices = ["199", "298.50", "0.01"]
        houses = [self.house(landlord, price=p, max_days=5) for p in prices]
        guests = [self.user() for _ in range(self.THREADS)]
        master, workers = st.ihomed_master_and_workers()
        self.assertEqual(len(workers), self.WORKERS, workers)
        # Kill only workers older than ihomed's crash-loop threshold, so each is respawned
        # at once instead of after a growing back-off.
        deadline = time.monotonic() + 10
        while min(proc_age(p) or 0 for p in workers) < self.YOUNG and time.monotonic() < deadline:
            time.sleep(0.2)

        stop = threading.Event()
        answers = []          # (range, Response or exception)
        lock = threading.Lock()

        def loop(i):
            rng = random.Random(i)
            c = guests[i]
            while not stop.is_set():
                hid = rng.choice(houses)
                s = rng.randint(30, 90)
                e = s + rng.randint(1, 4)
                try:
                    r = book(c, hid, day(s), day(e))
                except Exception as exc:  # noqa: BLE001 - a broken connection is a finding
                    r = exc
                with lock:
                    answers.append(((hid, day(s), day(e), c.user_id), r))

        threads = [threading.Thread(target=loop, args=(i,)) for i in range(self.THREADS)]
        for t in threads:
            t.start()
        killed = []

        def kill(victim):
            if (proc_age(victim) or 0) >= self.YOUNG:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        try:
            time.sleep(0.5)
            for n, victim in enumerate(workers):
                if n % 2 == 0:
                    kill(victim)        # whenever it is: in a request, between two, in a commit
                else:
                    # Certainly in flight: hold SQLite's write lock so that every worker waits
                    # inside a booking's BEGIN IMMEDIATE, kill one, then let the others go on.
                    conn = sqlite3.connect(st.db, timeout=10, isolation_level=None)
                    try:
                        conn.execute("BEGIN IMMEDIATE")
                        time.sleep(0.4)
                        kill(victim)
                        time.sleep(0.1)
                    finally:
                        conn.rollback()
                        conn.close()
                time.sleep(0.6)
            time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        self.assertEqual(len(killed), self.WORKERS, "every original worker was killed once")
        self.assertGreater(len(answers), 20, "the guests kept booking")

        # Every answer is JSON: ihomed's own, or nginx's 503 for the lost requests.
        lost = 0
        for (hid, s, e, uid), r in answers:
            what = "booking %s %s..%s" % (hid, s, e)
            self.assertIsInstance(r, harness.Response, "%s: no HTTP answer: %r" % (what, r))
            self.assertFalse(r.body.lstrip().startswith(b"<"), "%s: HTML: %s" % (what, r.describe()))
            self.assertIsInstance(r.json, dict, "%s: not JSON: %s" % (what, r.describe()))
            self.assertEqual(harness.normalize_content_type(r.content_type), harness.JSON_CONTENT_TYPE,
                             "%s: %s" % (what, r.describe()))
            if r.status == 200:
                self.assertIn(r.errno, (0, 4004), "%s: %s" % (what, r.describe()))
            else:
                self.assertEqual(r.status, 503, "%s: %s" % (what, r.describe()))
                self.assertNotEqual(r.errno, 0, what)
                lost += 1
        self.assertGreaterEqual(lost, 1, "no booking was in flight when its worker was killed")

        # The master respawned every worker and the stack serves again.
        deadline = time.monotonic() + 15
        while True:
            now_master, now_workers = st.ihomed_master_and_workers()
            health = harness.Client(st).get("/api/health")
            if (len(now_workers) == self.WORKERS and health.status == 200) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(now_master, master, "the master itself survived")
        self.assertEqual(len(now_workers), self.WORKERS, "workers respawned: %r" % now_workers)
        self.assertFalse(set(now_workers) & set(killed))
        self.assertJsonAnswer(health, 200, 0, "health after the crashes")
        self.assertEqual((health.json.get("db"), health.json.get("cache")), ("ok", "ok"))

        # The database is whole.
        self.assertEqual(st.db_query("PRAGMA integrity_check"), [("ok",)])
        self.assertEqual(st.db_query("PRAGMA foreign_key_check"), [])
        half = st.db_query(
            "SELECT o.id, o.days, o.price, o.amount, o.start_date, o.end_date, h.price"
            " FROM orders o LEFT JOIN houses h ON h.id = o.house_id"
            " LEFT JOIN users u ON u.id = o.user_id"
            " WHERE h.id IS NULL OR u.id IS NULL OR o.amount != o.days * o.price"
            " OR o.price != h.price OR o.days != CAST(julianday(o.end_date) - julianday(o.start_date) AS INTEGER)"
            " OR o.days < 1 OR o.status != 'WAIT_ACCEPT' OR o.comment IS NOT NULL")
        self.assertEqual(half, [], "orders not whole")
        overlaps = st.db_query(
            "SELECT a.id, b.id FROM orders a JOIN orders b ON a.house_id = b.house_id AND a.id < b.id"
            " WHERE a.status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE')"
            " AND b.status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE')"
            " AND a.start_date < b.end_date AND b.start_date < a.end_date")
        self.assertEqual(overlaps, [], "double bookings after the crashes")

        # Every booking answered with errno 0 is in the database as booked; every 4004 shares a
        # night with a stay that is there; at most the lost answers left rows nobody was told of.
        rows = {r[0]: tuple(r[1:]) for r in st.db_query(
            "SELECT id, house_id, start_date, end_date, user_id FROM orders")}
        told = set()
        for (hid, s, e, uid), r in answers:
            if r.status == 200 and r.errno == 0:
                oid = r.json.get("order_id")
                self.assertEqual(rows.get(oid), (hid, s, e, uid), "acknowledged order %s" % oid)
                told.add(oid)
            elif r.status == 200 and r.errno == 4004:
                self.assertTrue(any(h == hid and rs < e and re_ > s for h, rs, re_, _u in rows.values()),
                                "4004 for %s %s..%s with no stay sharing a night" % (hid, s, e))
        self.assertLessEqual(len(set(rows) - told), lost,
                             "orders written that no answer reported, beyond the lost requests")
        # And the stack books again.
        g = self.user()
        self.book_ok(g, houses[0], day(200), day(201))


if __name__ == "__main__":
    unittest.main()
