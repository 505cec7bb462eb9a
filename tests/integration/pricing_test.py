"""Pricing (API.md "Pricing", and `amount` in "Orders"): the price fields of newhouse and edit
with every validation rule, house/prices and house/prices/clear (owner only, at most 366
nights, within the next two years, stored as ranges that split and merge), house/calendar's
prices, house/quote (night by night, the discounts, every `reason`), the booking freezing its
quote (amount and breakdown; a later price change leaves the order and the landlord summary
as they were) and house/list with min_price/max_price, stay_total and price sorts.

A small Python oracle (quote()) prices stays night by night the way API.md says; the server
must agree to the fen."""

import datetime
import json
import unittest

import harness
from guests import UNKNOWN_ID, book, day, make_house, make_user
from harness import ApiTestCase

STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(name="pricing").start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


def fen(yuan):
    """'298.50' -> 29850."""
    whole, _, frac = str(yuan).partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def yuan(f):
    return "%d.%02d" % (f // 100, f % 100)


def quote(price, weekend=0, fee=0, weekly=0, monthly=0, dated=None, sd=None, ed=None):
    """The oracle: {nights:[(date, fen)], nights_total, discount, total}."""
    dated = dated or {}
    d, stop = datetime.date.fromisoformat(sd), datetime.date.fromisoformat(ed)
    out = []
    while d < stop:
        iso = d.isoformat()
        if iso in dated:
            p = dated[iso]
        elif weekend and d.weekday() in (4, 5):  # Friday, Saturday nights
            p = weekend
        else:
            p = price
        out.append((iso, p))
        d += datetime.timedelta(days=1)
    n = len(out)
    pct = monthly if n >= 28 and monthly > 0 else (weekly if n >= 7 else 0)
    total_nights = sum(p for _, p in out)
    discount = (total_nights * pct + 50) // 100
    return {"nights": out, "nights_total": total_nights, "discount": discount,
            "total": total_nights + fee - discount}


def next_weekday(offset, weekday):
    """The first day at or after today + offset whose weekday() is `weekday`, as an offset."""
    d = datetime.date.today() + datetime.timedelta(days=offset)
    while d.weekday() != weekday:
        d += datetime.timedelta(days=1)
        offset += 1
    return offset


class PricingCase(ApiTestCase):
    def landlord(self):
        return make_user(STACK, True)

    def guest(self):
        return make_user(STACK, False)

    def info(self, house_id):
        r = harness.Client(STACK).get("/api/house/info", {"house_id": house_id})
        return self.assertOk(r)["data"]["house"]

    def quote(self, house_id, sd, ed, client=None):
        r = (client or harness.Client(STACK)).get("/api/house/quote",
                                                  {"house_id": house_id, "sd": sd, "ed": ed})
        return r

    def assertQuote(self, house_id, sd, ed, expect, available=True, reason=None):
        r = self.quote(house_id, sd, ed)
        data = self.assertOk(r)["data"]
        self.assertNoStore(r)
        self.assertEqual(data["available"], available, r.describe())
        self.assertEqual(data["reason"], reason, r.describe())
        self.assertEqual([(n["date"], fen(n["price"])) for n in data["nights"]], expect["nights"])
        self.assertEqual(fen(data["nights_total"]), expect["nights_total"])
        self.assertEqual(fen(data["discount"]), expect["discount"])
        self.assertEqual(fen(data["total"]), expect["total"])
        self.assertEqual(fen(data["nights_total"]) + fen(data["cleaning_fee"]) - fen(data["discount"]),
                         fen(data["total"]))
        return data


class FieldsTest(PricingCase):
    def test_defaults_shown_in_info(self):
        h = make_house(self.landlord(), price="199")
        info = self.info(h)
        self.assertEqual((info["weekend_price"], info["cleaning_fee"], info["weekly_discount"],
                          info["monthly_discount"]), ("", "0.00", 0, 0))

    def test_set_on_newhouse_and_edit(self):
        owner = self.landlord()
        h = make_house(owner, price="100", weekend_price="288.5", cleaning_fee="50",
                       weekly_discount=10, monthly_discount="20")
        info = self.info(h)
        self.assertEqual((info["weekend_price"], info["cleaning_fee"], info["weekly_discount"],
                          info["monthly_discount"]), ("288.50", "50.00", 10, 20))
        # edit changes only what is sent; "" takes the weekend price away
        self.assertOk(owner.post("/api/house/edit", {"house_id": h, "cleaning_fee": "0"}))
        info = self.info(h)
        self.assertEqual((info["weekend_price"], info["cleaning_fee"], info["weekly_discount"]),
                         ("288.50", "0.00", 10))
        self.assertOk(owner.post("/api/house/edit", {"house_id": h, "weekend_price": ""}))
        self.assertEqual(self.info(h)["weekend_price"], "")
        self.assertOk(owner.post("/api/house/edit", {"house_id": h, "weekly_discount": 50,
                                                     "monthly_discount": 70, "weekend_price": 120}))
        info = self.info(h)
        self.assertEqual((info["weekend_price"], info["weekly_discount"], info["monthly_discount"]),
                         ("120.00", 50, 70))

    def test_every_rule(self):
        owner = self.landlord()
        h = make_house(owner)
        bad = [("weekend_price", "0"), ("weekend_price", "-1"), ("weekend_price", "1.001"),
               ("weekend_price", "1000000.01"), ("weekend_price", "abc"), ("weekend_price", None),
               ("weekend_price", [1]), ("cleaning_fee", "-1"), ("cleaning_fee", "1000000.01"),
               ("cleaning_fee", "1.234"), ("cleaning_fee", "x"), ("cleaning_fee", ""),
               ("cleaning_fee", None), ("weekly_discount", -1), ("weekly_discount", 51),
               ("weekly_discount", "1.5"), ("weekly_discount", "x"), ("weekly_discount", None),
               ("monthly_discount", -1), ("monthly_discount", 71), ("monthly_discount", "ten"),
               ("monthly_discount", 2.5)]
        for field, value in bad:
            with self.subTest(field=field, value=value):
                r = owner.post("/api/house/newhouse", dict(
                    {"title": "t", "price": "199", "district": 1, "address": "a", "room_count": 1,
                     "acreage": 30, "house_capacity": 2, "facility": []}, **{field: value}))
                self.assertJsonAnswer(r, 200, 4103)
                self.assertIn(field, r.json["errmsg"])
                r = owner.post("/api/house/edit", {"house_id": h, field: value})
                self.assertJsonAnswer(r, 200, 4103)
                self.assertIn(field, r.json["errmsg"])
        info = self.info(h)
        self.assertEqual((info["weekend_price"], info["cleaning_fee"], info["weekly_discount"],
                          info["monthly_discount"]), ("", "0.00", 0, 0))
        for field, value in [("weekend_price", "0.01"), ("weekend_price", "1000000"),
                             ("cleaning_fee", "1000000"), ("weekly_discount", 0),
                             ("monthly_discount", "70")]:
            with self.subTest(ok=field, value=value):
                self.assertOk(owner.post("/api/house/edit", {"house_id": h, field: value}))


class QuoteTest(PricingCase):
    @classmethod
    def setUpClass(cls):
        cls.owner = make_user(STACK, True)
        cls.terms = dict(price=10000, weekend=15000, fee=5000, weekly=10, monthly=20)
        cls.house = make_house(cls.owner, price="100", weekend_price="150", cleaning_fee="50",
                               weekly_discount=10, monthly_discount=20, max_days=40)

    def test_nights_weekends_and_thresholds(self):
        start = next_weekday(20, 0)  # a Monday
        for n in (1, 2, 5, 6, 7, 8, 27, 28, 29, 40):
            with self.subTest(nights=n):
                sd, ed = day(start), day(start + n)
                self.assertQuote(self.house, sd, ed, quote(sd=sd, ed=ed, **self.terms))

    def test_reasons(self):
        g = self.guest()
        owner = self.landlord()
        h = make_house(owner, price="80", min_days=2, max_days=5)
        self.assertQuote(h, day(-1), day(2), quote(8000, sd=day(-1), ed=day(2)), False, "past")
        self.assertQuote(h, day(10), day(11), quote(8000, sd=day(10), ed=day(11)), False, "min_days")
        self.assertQuote(h, day(10), day(16), quote(8000, sd=day(10), ed=day(16)), False, "max_days")
        self.assertQuote(h, day(10), day(12), quote(8000, sd=day(10), ed=day(12)))
        self.assertOk(book(g, h, day(10), day(12)))
        self.assertQuote(h, day(11), day(13), quote(8000, sd=day(11), ed=day(13)), False, "booked")
        self.assertQuote(h, day(12), day(14), quote(8000, sd=day(12), ed=day(14)))  # check-in on check-out day
        self.assertOk(owner.post("/api/house/status", {"house_id": h, "status": "offline"}))
        self.assertQuote(h, day(20), day(22), quote(8000, sd=day(20), ed=day(22)), False, "offline")

    def test_bad_parameters(self):
        c = harness.Client(STACK)
        for params, errno in [({"sd": day(5), "ed": day(6)}, 4103),
                              ({"house_id": 0, "sd": day(5), "ed": day(6)}, 4103),
                              ({"house_id": "x", "sd": day(5), "ed": day(6)}, 4103),
                              ({"house_id": self.house, "ed": day(6)}, 4103),
                              ({"house_id": self.house, "sd": day(5)}, 4103),
                              ({"house_id": self.house, "sd": "2026-02-30", "ed": day(6)}, 4103),
                              ({"house_id": self.house, "sd": day(6), "ed": day(6)}, 4103),
                              ({"house_id": self.house, "sd": day(7), "ed": day(6)}, 4103),
                              ({"house_id": self.house, "sd": day(1), "ed": day(3652)}, 4103),
                              ({"house_id": self.house, "sd": day(733), "ed": day(735)}, 4103),  # as booking
                              ({"house_id": UNKNOWN_ID, "sd": day(5), "ed": day(6)}, 4002)]:
            with self.subTest(params=params):
                self.assertJsonAnswer(c.get("/api/house/quote", params), 200, errno)


class DatePricesTest(PricingCase):
    def rows(self, h):
        return STACK.db_query("SELECT start_date, end_date, price FROM house_prices WHERE house_id = ?"
                              " ORDER BY start_date", (h,))

    def test_ranges_split_and_merge_and_show_everywhere(self):
        owner = self.landlord()
        h = make_house(owner, price="100", weekend_price="150")
        self.assertOk(owner.post("/api/house/prices", {"house_id": h, "from": day(10), "to": day(20),
                                                      "price": "300"}))
        self.assertEqual(self.rows(h), [(day(10), day(20), 30000)])
        self.assertOk(owner.post("/api/house/prices", {"house_id": h, "from": day(14), "to": day(16),
                                                      "price": "388.8"}))
        self.assertEqual(self.rows(h), [(day(10), day(14), 30000), (day(14), day(16), 38880),
                                        (day(16), day(20), 30000)])
        self.assertOk(owner.post("/api/house/prices/clear", {"house_id": h, "from": day(15),
                                                            "to": day(17)}))
        self.assertEqual(self.rows(h), [(day(10), day(14), 30000), (day(14), day(15), 38880),
                                        (day(17), day(20), 30000)])
        self.assertOk(owner.post("/api/house/prices", {"house_id": h, "from": day(14), "to": day(17),
                                                      "price": 300}))
        self.assertEqual(self.rows(h), [(day(10), day(20), 30000)])  # one range again
        self.assertOk(owner.post("/api/house/prices/clear", {"house_id": h, "from": day(0),
                                                            "to": day(366)}))
        self.assertEqual(self.rows(h), [])
        # 366 nights at once is still a handful of rows
        self.assertOk(owner.post("/api/house/prices", {"house_id": h, "from": day(1), "to": day(367),
                                                      "price": 500}))
        self.assertEqual(len(self.rows(h)), 1)
        self.assertOk(owner.post("/api/house/prices/clear", {"house_id": h, "from": day(1),
                                                            "to": day(367)}))

        dated = {d: 30000 for d in [day(i) for i in range(10, 20)]}
        dated[day(12)] = 99900
        self.assertOk(owner.post("/api/house/prices", {"house_id": h, "from": day(10), "to": day(20),
                                                      "price": "300"}))
        self.assertOk(owner.post("/api/house/prices", {"house_id": h, "from": day(12), "to": day(13),
                                                      "price": "999"}))
        # calendar: every night of its window
        cal = self.assertOk(harness.Client(STACK).get("/api/house/calendar",
                                                      {"house_id": h, "from": day(5), "days": 20}))
        prices = cal["data"]["prices"]
        self.assertEqual(len(prices), 20)
        for i in range(5, 25):
            d = day(i)
            want = quote(10000, 15000, dated=dated, sd=d, ed=day(i + 1))["nights_total"]
            self.assertEqual(fen(prices[d]), want, d)
        # the quote: a price change in the middle of the stay
        self.assertQuote(h, day(8), day(16), quote(10000, 15000, dated=dated, sd=day(8), ed=day(16)))

    def test_rules(self):
        owner, other = self.landlord(), self.landlord()
        h = make_house(owner)
        ok = {"house_id": h, "from": day(3), "to": day(5), "price": "100"}
        anon = harness.Client(STACK)
        anon.ensure_xsrf()
        self.assertJsonAnswer(anon.post("/api/house/prices", ok), 200, 4101)
        self.assertJsonAnswer(other.post("/api/house/prices", ok), 200, 4105)
        self.assertJsonAnswer(other.post("/api/house/prices/clear", ok), 200, 4105)
        self.assertJsonAnswer(owner.post("/api/house/prices", dict(ok, house_id=UNKNOWN_ID)), 200, 4002)
        self.assertJsonAnswer(owner.post("/api/house/prices/clear", dict(ok, house_id=UNKNOWN_ID)), 200,
                              4002)
        bad = [{"house_id": 0}, {"house_id": "x"}, {"from": "2026-13-01"}, {"from": None},
               {"to": "x"}, {"from": day(5), "to": day(5)}, {"from": day(6), "to": day(5)},
               {"from": day(-1)}, {"from": day(1), "to": day(368)}, {"from": day(700), "to": day(732)},
               {"price": "0"}, {"price": "-5"}, {"price": "1.001"}, {"price": "1000000.01"},
               {"price": None}, {"price": "abc"}]
        for over in bad:
            with self.subTest(over=over):
                self.assertJsonAnswer(owner.post("/api/house/prices", dict(ok, **over)), 200, 4103)
        for over in bad[:10]:
            with self.subTest(clear=over):
                body = dict(ok, **over)
                body.pop("price")
                self.assertJsonAnswer(owner.post("/api/house/prices/clear", body), 200, 4103)
        missing = dict(ok)
        missing.pop("price")
        self.assertJsonAnswer(owner.post("/api/house/prices", missing), 200, 4103)
        # the edges are allowed: today, 366 nights, the last night of the two years
        self.assertOk(owner.post("/api/house/prices", dict(ok, **{"from": day(0), "to": day(366)})))
        self.assertOk(owner.post("/api/house/prices", dict(ok, **{"from": day(700), "to": day(731)})))
        self.assertEqual(STACK.db_query("SELECT count(*) FROM house_prices WHERE house_id = ?", (h,)),
                         [(2,)])


class BookingTest(PricingCase):
    def test_booking_freezes_the_quote(self):
        owner, g = self.landlord(), self.guest()
        h = make_house(owner, price="100", weekend_price="150", cleaning_fee="30", weekly_discount=10)
        start = next_weekday(30, 0)
        sd, ed = day(start), day(start + 8)
        self.assertOk(owner.post("/api/house/prices", {"house_id": h, "from": day(start + 2),
                                                      "to": day(start + 3), "price": "333.33"}))
        want = quote(10000, 15000, 3000, 10, 0, {day(start + 2): 33333}, sd=sd, ed=ed)
        q = self.assertQuote(h, sd, ed, want)
        r = self.assertOk(book(g, h, sd, ed))
        self.assertEqual(fen(r["amount"]), want["total"])
        self.assertEqual(r["amount"], q["total"])
        order_id = r["order_id"]
        (amount, record), = STACK.db_query("SELECT amount, quote FROM orders WHERE id = ?", (order_id,))
        self.assertEqual(amount, want["total"])
        record = json.loads(record)
        self.assertEqual([tuple(n) for n in record["nights"]], want["nights"])
        self.assertEqual((record["nights_total"], record["cleaning_fee"], record["discount"],
                          record["total"]), (want["nights_total"], 3000, want["discount"], want["total"]))

        self.assertOk(owner.post("/api/order/accept", {"order_id": order_id}))
        year = sd[:4]
        summary = self.assertOk(owner.get("/api/landlord/summary", {"year": year}))["data"]
        # every price there is changes afterwards
        self.assertOk(owner.post("/api/house/edit", {"house_id": h, "price": "999", "weekend_price": "",
                                                     "cleaning_fee": "500", "weekly_discount": 0}))
        self.assertOk(owner.post("/api/house/prices", {"house_id": h, "from": sd, "to": ed,
                                                      "price": "1234"}))
        mine = self.assertOk(g.get("/api/order/my", {"role": "custom"}))["data"]["orders"]
        self.assertEqual([o["amount"] for o in mine if o["order_id"] == order_id], [q["total"]])
        theirs = self.assertOk(owner.get("/api/order/my", {"role": "landlord"}))["data"]["orders"]
        self.assertEqual([o["amount"] for o in theirs if o["order_id"] == order_id], [q["total"]])
        self.assertEqual(self.assertOk(owner.get("/api/landlord/summary", {"year": year}))["data"], summary)
        self.assertEqual(STACK.db_query("SELECT amount FROM orders WHERE id = ?", (order_id,)),
                         [(want["total"],)])
        # a new booking pays the new prices
        later = self.assertOk(book(g, h, day(start + 20), day(start + 22)))
        self.assertEqual(fen(later["amount"]), 2 * 99900 + 50000)

    def test_plain_house_amount_is_nights_times_price(self):
        owner, g = self.landlord(), self.guest()
        h = make_house(owner, price="199.99")
        r = self.assertOk(book(g, h, day(40), day(43)))
        self.assertEqual(r["amount"], "599.97")


class SearchTest(PricingCase):
    AREA = 16  # only this test class publishes here

    @classmethod
    def setUpClass(cls):
        owner = make_user(STACK, True)
        cls.owner = owner
        cls.a = make_house(owner, district=cls.AREA, price="100")
        cls.b = make_house(owner, district=cls.AREA, price="200", cleaning_fee="100")
        cls.c = make_house(owner, district=cls.AREA, price="150", weekend_price="600")
        cls.d = make_house(owner, district=cls.AREA, price="300", weekly_discount=50)
        cls.terms = {cls.a: dict(price=10000), cls.b: dict(price=20000, fee=10000),
                     cls.c: dict(price=15000, weekend=60000), cls.d: dict(price=30000, weekly=50)}

    def search(self, **params):
        params.setdefault("aid", self.AREA)
        r = harness.Client(STACK).get("/api/house/list", params)
        return r

    def ids(self, **params):
        data = self.assertOk(self.search(**params))["data"]
        return [h["house_id"] for h in data["houses"]], data

    def test_undated_base_price(self):
        self.assertEqual(self.ids(sk="price-inc")[0], [self.a, self.c, self.b, self.d])
        self.assertEqual(self.ids(sk="price-des")[0], [self.d, self.b, self.c, self.a])
        self.assertEqual(self.ids(sk="price-inc", min_price="150")[0], [self.c, self.b, self.d])
        self.assertEqual(self.ids(sk="price-inc", max_price="150")[0], [self.a, self.c])
        self.assertEqual(self.ids(sk="price-inc", min_price="150.01", max_price=200)[0], [self.b])
        ids, data = self.ids(min_price="1000")
        self.assertEqual((ids, data["total_page"]), ([], 0))
        self.assertNotIn("stay_total", self.ids()[1]["houses"][0])

    def test_dated_average_nightly_price(self):
        for start, n in [(next_weekday(60, 4), 2), (next_weekday(60, 0), 2), (next_weekday(90, 0), 7),
                         (next_weekday(120, 3), 3)]:
            sd, ed = day(start), day(start + n)
            totals = {h: quote(sd=sd, ed=ed, **t)["total"] for h, t in self.terms.items()}
            inc = sorted(totals, key=lambda h: (totals[h], -h))
            des = sorted(totals, key=lambda h: (-totals[h], -h))
            with self.subTest(sd=sd, nights=n):
                ids, data = self.ids(sd=sd, ed=ed, sk="price-inc")
                self.assertEqual(ids, inc)
                for h in data["houses"]:
                    self.assertEqual(fen(h["stay_total"]), totals[h["house_id"]])
                self.assertEqual(self.ids(sd=sd, ed=ed, sk="price-des")[0], des)
                # new: every house still carries its stay's total
                for h in self.ids(sd=sd, ed=ed)[1]["houses"]:
                    self.assertEqual(fen(h["stay_total"]), totals[h["house_id"]])
                cut = totals[inc[1]]  # the second cheapest's total: its average as the bound
                if cut % n == 0:
                    lo = yuan(cut // n)
                    self.assertEqual(self.ids(sd=sd, ed=ed, sk="price-inc", min_price=lo)[0],
                                     [h for h in inc if totals[h] >= cut])
                    self.assertEqual(self.ids(sd=sd, ed=ed, sk="price-inc", max_price=lo)[0],
                                     [h for h in inc if totals[h] <= cut])

    def test_date_price_moves_the_house(self):
        owner = self.owner
        start = next_weekday(150, 0)
        sd, ed = day(start), day(start + 2)
        self.assertEqual(self.ids(sd=sd, ed=ed, sk="price-inc")[0][0], self.a)
        self.assertOk(owner.post("/api/house/prices", {"house_id": self.a, "from": sd, "to": ed,
                                                      "price": "5000"}))
        ids, data = self.ids(sd=sd, ed=ed, sk="price-inc")
        self.assertEqual(ids[-1], self.a)
        self.assertEqual(data["houses"][-1]["stay_total"], "10000.00")
        self.assertOk(owner.post("/api/house/prices/clear", {"house_id": self.a, "from": sd, "to": ed}))
        self.assertEqual(self.ids(sd=sd, ed=ed, sk="price-inc")[0][0], self.a)

    def test_bad_price_parameters(self):
        for params in [{"min_price": "x"}, {"max_price": "-1"}, {"min_price": "1.001"},
                       {"min_price": "300", "max_price": "200"}, {"max_price": "1000000.01"}]:
            with self.subTest(params=params):
                self.assertJsonAnswer(self.search(**params), 200, 4103)


if __name__ == "__main__":
    unittest.main()
