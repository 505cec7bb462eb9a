"""House calendar (API.md house/calendar): the answer's shape and defaults, every parameter
rule and errno, the booked nights night for night (check-out day free, only WAIT_ACCEPT,
WAIT_COMMENT and COMPLETE hold nights) at month and year boundaries and on 29 February, its
agreement with the booking check (a stay the calendar shows free is accepted, one crossing a
booked night is 4004, min/max days as reported), and the cache: every booking, cancel and
reject shows at once, and the cached answer is really served from memcached.

Dates: 2027-12 … 2028-03 are in the future (bookings allowed) and include 2028-02-29."""

import datetime
import unittest

import harness
from harness import ApiTestCase
from guests import (ACTIVE, UNKNOWN_ID, book, dates, day, insert_order, make_house,
                    make_user)

STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(name="calendar", env={"IHOME_WORKERS": "2"}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


class CalendarCase(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.owner = make_user(STACK, verified=True)
        cls.guest = make_user(STACK)

    def calendar(self, c, **params):
        r = c.get("/api/house/calendar", params)
        self.assertOk(r, "calendar %r" % (params,))
        self.assertNoStore(r)
        return r.json["data"]

    def booked(self, c, house_id, start, days):
        return self.calendar(c, house_id=house_id, **{"from": start, "days": days})["booked"]


class Shape(CalendarCase):
    def test_defaults_are_today_and_90_days_with_the_house_rules(self):
        hid = make_house(self.owner, min_days=2, max_days=14)
        data = self.calendar(harness.Client(STACK), house_id=hid)
        self.assertEqual(data, {"house_id": hid, "from": day(0), "days": 90, "min_days": 2,
                                "max_days": 14, "booked": [],
                                "prices": {day(i): "199.00" for i in range(90)}})  # API.md Pricing

    def test_public_without_login_and_max_days_0_means_no_limit(self):
        hid = make_house(self.owner)
        data = self.calendar(harness.Client(STACK), house_id=hid, days=366)
        self.assertEqual((data["days"], data["min_days"], data["max_days"]), (366, 1, 0))

    def test_a_blank_from_or_days_takes_the_default(self):
        hid = make_house(self.owner)
        data = self.calendar(self.guest, house_id=hid, **{"from": "", "days": ""})
        self.assertEqual((data["from"], data["days"]), (day(0), 90))

    def test_a_past_from_is_answered_too(self):
        hid = make_house(self.owner)
        insert_order(STACK, hid, self.guest.user_id, "2020-02-28", "2020-03-01", "COMPLETE")
        self.assertEqual(self.booked(self.guest, hid, "2020-02-01", 60), ["2020-02-28", "2020-02-29"])


class Errors(CalendarCase):
    def test_unknown_house_is_4002(self):
        r = self.guest.get("/api/house/calendar", {"house_id": UNKNOWN_ID})
        self.assertJsonAnswer(r, 200, 4002)

    def test_bad_house_id_is_4103(self):
        for bad in (None, "", "0", "-1", "abc", "1.5", "99999999999999999999"):
            params = {} if bad is None else {"house_id": bad}
            r = self.guest.get("/api/house/calendar", params)
            self.assertJsonAnswer(r, 200, 4103, "house_id=%r" % (bad,))

    def test_bad_from_is_4103(self):
        hid = make_house(self.owner)
        for bad in ("2027-02-29", "2027-2-01", "2027/02/01", "20270201", "tomorrow", "2027-13-01",
                    "2027-02-01T00:00"):
            r = self.guest.get("/api/house/calendar", {"house_id": hid, "from": bad})
            self.assertJsonAnswer(r, 200, 4103, "from=%r" % bad)

    def test_days_is_1_to_366(self):
        hid = make_house(self.owner)
        for ok in ("1", "366"):
            self.assertEqual(self.calendar(self.guest, house_id=hid, days=ok)["days"], int(ok))
        for bad in ("0", "367", "-1", "abc", "1.0", "1e2"):
            r = self.guest.get("/api/house/calendar", {"house_id": hid, "days": bad})
            self.assertJsonAnswer(r, 200, 4103, "days=%r" % bad)

    def test_post_is_405(self):
        r = self.guest.post("/api/house/calendar", {"house_id": 1})
        self.assertJsonAnswer(r, 405, 4201)


class Nights(CalendarCase):
    def test_leap_day_stay_occupies_every_night_but_the_check_out_day(self):
        hid = make_house(self.owner)
        self.assertOk(book(self.guest, hid, "2028-02-27", "2028-03-02"))
        self.assertEqual(self.booked(self.guest, hid, "2028-02-01", 60),
                         ["2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01"])
        self.assertEqual(self.booked(self.guest, hid, "2028-02-29", 1), ["2028-02-29"])
        self.assertEqual(self.booked(self.guest, hid, "2028-03-02", 30), [])

    def test_year_boundary_and_window_clipping(self):
        hid = make_house(self.owner)
        self.assertOk(book(self.guest, hid, "2027-12-30", "2028-01-02"))
        self.assertEqual(self.booked(self.guest, hid, "2027-12-01", 62),
                         ["2027-12-30", "2027-12-31", "2028-01-01"])
        self.assertEqual(self.booked(self.guest, hid, "2027-12-31", 1), ["2027-12-31"])
        self.assertEqual(self.booked(self.guest, hid, "2028-01-01", 5), ["2028-01-01"])
        self.assertEqual(self.booked(self.guest, hid, "2027-12-01", 29), [])

    def test_month_boundary_and_back_to_back_stays(self):
        hid = make_house(self.owner)
        self.assertOk(book(self.guest, hid, "2027-01-30", "2027-02-01"))
        self.assertOk(book(self.guest, hid, "2027-02-01", "2027-02-03"))  # checks in on check-out day
        self.assertEqual(self.booked(self.guest, hid, "2027-01-25", 14),
                         ["2027-01-30", "2027-01-31", "2027-02-01", "2027-02-02"])

    def test_only_active_orders_hold_nights(self):
        hid = make_house(self.owner)
        starts = {}
        for i, status in enumerate(ACTIVE + ("REJECTED", "CANCELED", "EXPIRED")):
            start = "2027-06-%02d" % (1 + 3 * i)
            starts[status] = start
            insert_order(STACK, hid, self.guest.user_id, start, "2027-06-%02d" % (2 + 3 * i), status)
        self.assertEqual(self.booked(self.guest, hid, "2027-06-01", 30), [starts[s] for s in ACTIVE])

    def test_a_year_long_window_lists_each_night_once_ascending(self):
        hid = make_house(self.owner)
        for start, end in (("2027-11-20", "2027-11-23"), ("2027-03-05", "2027-03-06"),
                           ("2027-07-31", "2027-08-02")):
            self.assertOk(book(self.guest, hid, start, end))
        got = self.booked(self.guest, hid, "2027-01-01", 366)
        want = dates("2027-03-05", "2027-03-06") + dates("2027-07-31", "2027-08-02") + \
            dates("2027-11-20", "2027-11-23")
        self.assertEqual(got, want)


class AgreesWithBooking(CalendarCase):
    def test_free_stays_are_accepted_and_crossing_a_booked_night_is_4004(self):
        hid = make_house(self.owner)
        self.assertOk(book(self.guest, hid, "2027-05-10", "2027-05-13"))
        booked = set(self.booked(self.guest, hid, "2027-05-01", 31))
        other = make_user(STACK)
        # Every one-night stay of May: accepted exactly when the calendar shows it free.
        for night in dates("2027-05-08", "2027-05-15"):
            nxt = (datetime.date.fromisoformat(night) + datetime.timedelta(days=1)).isoformat()
            if night in booked:
                self.assertJsonAnswer(book(other, hid, night, nxt), 200, 4004, night)
            else:
                self.assertOk(book(other, hid, night, nxt), night)
                booked.add(night)
                self.assertEqual(sorted(booked), self.booked(other, hid, "2027-05-01", 31))

    def test_min_and_max_days_as_reported_decide_the_length(self):
        hid = make_house(self.owner, min_days=2, max_days=3)
        data = self.calendar(self.guest, house_id=hid, **{"from": "2027-09-01", "days": 30})
        self.assertEqual((data["min_days"], data["max_days"]), (2, 3))
        self.assertJsonAnswer(book(self.guest, hid, "2027-09-01", "2027-09-02"), 200, 4103)
        self.assertJsonAnswer(book(self.guest, hid, "2027-09-01", "2027-09-05"), 200, 4103)
        self.assertOk(book(self.guest, hid, "2027-09-01", "2027-09-03"))
        self.assertOk(book(self.guest, hid, "2027-09-03", "2027-09-06"))


class Freshness(CalendarCase):
    def window(self, hid):
        return self.booked(self.guest, hid, "2027-10-01", 31)

    def test_booking_cancel_and_reject_show_at_once(self):
        hid = make_house(self.owner)
        self.assertEqual(self.window(hid), [])
        self.assertEqual(self.window(hid), [])  # now cached
        r = book(self.guest, hid, "2027-10-05", "2027-10-07")
        self.assertOk(r)
        first = r.json["order_id"]
        self.assertEqual(self.window(hid), ["2027-10-05", "2027-10-06"])
        self.assertOk(self.guest.post("/api/order/cancel", {"order_id": first}))
        self.assertEqual(self.window(hid), [])
        r = book(self.guest, hid, "2027-10-10", "2027-10-11")
        self.assertOk(r)
        second = r.json["order_id"]
        self.assertEqual(self.window(hid), ["2027-10-10"])
        self.assertOk(self.owner.post("/api/order/reject", {"order_id": second,
                                                            "reject_reason": "装修"}))
        self.assertEqual(self.window(hid), [])

    def test_accept_and_comment_keep_the_nights(self):
        hid = make_house(self.owner)
        r = book(self.guest, hid, "2027-10-20", "2027-10-22")
        self.assertOk(r)
        oid = r.json["order_id"]
        want = ["2027-10-20", "2027-10-21"]
        self.assertEqual(self.window(hid), want)
        self.assertOk(self.owner.post("/api/order/accept", {"order_id": oid}))  # PAID (provider none)
        self.assertEqual(self.window(hid), want)
        # The stay ends (the job stores WAIT_COMMENT on the check-out day); the guest reviews it.
        STACK.db_execute("UPDATE orders SET status = 'WAIT_COMMENT' WHERE id = ?", (oid,))
        self.assertEqual(self.window(hid), want)
        self.assertOk(self.guest.post("/api/order/comment", {"order_id": oid, "comment": "好"}))
        self.assertEqual(self.window(hid), want)

    def test_an_edit_of_min_and_max_days_shows_at_once(self):
        hid = make_house(self.owner, min_days=1, max_days=0)
        data = self.calendar(self.guest, house_id=hid, **{"from": "2027-10-01", "days": 31})
        self.assertEqual((data["min_days"], data["max_days"]), (1, 0))
        self.assertOk(self.owner.post("/api/house/edit", {"house_id": hid, "min_days": 3, "max_days": 7}))
        data = self.calendar(self.guest, house_id=hid, **{"from": "2027-10-01", "days": 31})
        self.assertEqual((data["min_days"], data["max_days"]), (3, 7))

    def test_the_answer_is_kept_in_memcached_under_the_sqlite_generations(self):
        # The read path (sql/008_read_path.sql): memcached keys carry the generations of
        # orders and houses that triggers move in every writing transaction.
        hid = make_house(self.owner)
        self.window(hid)
        gens = dict(STACK.db_query("SELECT kind, gen FROM generations"))
        # "~0": the latest pay_by that has passed (none here), which moves the order kind too.
        key = "calendar:%d:2027-10-01:31@%d.%d~0" % (hid, gens["house"], gens["order"])
        self.assertIsNotNone(STACK.cache_get(key), "no %s in memcached after a calendar answer" % key)

    def test_an_order_written_outside_ihomed_shows_at_once(self):
        # An operator's sqlite3, ihome-admin or a restore: no worker is told, SQLite says it.
        hid = make_house(self.owner)
        for _ in range(6):  # every worker has it cached
            self.assertEqual(self.window(hid), [])
        insert_order(STACK, hid, self.guest.user_id, "2027-10-08", "2027-10-10", "WAIT_ACCEPT")
        for _ in range(6):
            self.assertEqual(self.window(hid), ["2027-10-08", "2027-10-09"])
        STACK.db_execute("UPDATE orders SET status = 'CANCELED' WHERE house_id = ?", (hid,))
        for _ in range(6):
            self.assertEqual(self.window(hid), [])


class MemcachedStopped(ApiTestCase):
    """memcached stopped (SIGSTOP) on a stack of its own: the calendar answers from SQLite."""

    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(env={"IHOME_CACHE_TIMEOUT_MS": "300"}, name="calendar-mcstop").start()
        cls.addClassCleanup(cls.st.stop)
        owner, guest = make_user(cls.st, verified=True), make_user(cls.st)
        cls.hid = make_house(owner, min_days=1, max_days=9)
        insert_order(cls.st, cls.hid, guest.user_id, "2028-02-28", "2028-03-01", "WAIT_ACCEPT")
        cls.addClassCleanup(cls.st.pause_memcached())

    def test_calendar_answers_from_sqlite(self):
        r = harness.Client(self.st).get("/api/house/calendar",
                                        {"house_id": self.hid, "from": "2028-02-27", "days": 4})
        self.assertOk(r)
        self.assertEqual(r.json["data"], {"house_id": self.hid, "from": "2028-02-27", "days": 4,
                                          "min_days": 1, "max_days": 9,
                                          "booked": ["2028-02-28", "2028-02-29"],
                                          "prices": {d: "199.00" for d in ("2028-02-27", "2028-02-28",
                                                                           "2028-02-29", "2028-03-01")}})
        r = harness.Client(self.st).get("/api/house/calendar", {"house_id": UNKNOWN_ID})
        self.assertJsonAnswer(r, 200, 4002)


if __name__ == "__main__":
    unittest.main()
