"""Landlords (API.md "Landlords"): the earnings summary and the iCal export, on the real stack.

The summary is checked against stays crafted so that every rule shows: a stay across a month
end (30 Jan -> 2 Feb: two nights in January, one in February), one across 29 February of a
leap year, one across each end of the year, rejected / cancelled / waiting orders that must
not count, a house without stays, another landlord's house that must not leak in.  Stays in
the past cannot be booked through the API (start_date not in the past), so those rows are
written straight into the stack's SQLite file, as an admin script would; a future stay is
booked and accepted through the API.  A small Python oracle computes what each summary must
say, night by night.

The iCal feed is parsed with a real RFC 5545 parser (Debian's python3-icalendar), and its
wire format (CRLF, 75-octet folding on UTF-8 boundaries) is checked byte by byte."""

import datetime
import os
import re
import socket
import time
import unittest

import harness
from harness import ApiTestCase
from guests import UNKNOWN_ID, day, make_house, make_user, nights

try:
    import icalendar
except ImportError:  # reported by the test that needs it, as a failure
    icalendar = None

STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(name="landlord", env={"IHOME_WORKERS": "2"}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


TOKEN_URL_RE = r"^/api/house/ical\?house_id=(\d+)&token=([A-Za-z0-9_-]{32})$"


def insert_stay(guest_id, house_id, start, end, price_fen, status):
    """A stay written directly into SQLite (past dates cannot be booked through the API)."""
    n = nights(start, end)
    conn = __import__("sqlite3").connect(STACK.db, timeout=10)
    try:
        with conn:
            # A paid stay earns its amount (orders.earned, sql/010_payments.sql).
            earned = n * price_fen if status in ("PAID", "WAIT_COMMENT", "COMPLETE") else 0
            cur = conn.execute(
                "INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount, status,"
                " earned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (guest_id, house_id, start, end, n, price_fen, n * price_fen, status, earned))
            return cur.lastrowid
    finally:
        conn.close()


def oracle(stays, houses, year):
    """The summary API.md defines, computed night by night. stays: (house_id, start, end, fen, status)."""
    first = datetime.date(year, 1, 1)
    last = datetime.date(year + 1, 1, 1)
    days = (last - first).days
    months = [{"orders": set(), "nights": 0, "amount": 0} for _ in range(12)]
    per_house = {h: {"orders": set(), "nights": 0, "amount": 0} for h, _t in houses}
    for i, (house, start, end, fen, status) in enumerate(stays):
        if status not in ("PAID", "WAIT_COMMENT", "COMPLETE") or house not in per_house:
            continue
        d = datetime.date.fromisoformat(start)
        while d < datetime.date.fromisoformat(end):
            if first <= d < last:
                m = months[d.month - 1]
                m["orders"].add(i)
                m["nights"] += 1
                m["amount"] += fen
                h = per_house[house]
                h["orders"].add(i)
                h["nights"] += 1
                h["amount"] += fen
            d += datetime.timedelta(days=1)

    def yuan(fen):
        return "%d.%02d" % (fen // 100, fen % 100)

    out_months = [{"month": "%04d-%02d" % (year, k + 1), "orders": len(m["orders"]),
                   "nights": m["nights"], "amount": yuan(m["amount"])} for k, m in enumerate(months)]
    out_houses = [{"house_id": h, "title": t, "orders": len(per_house[h]["orders"]),
                   "nights": per_house[h]["nights"], "amount": yuan(per_house[h]["amount"]),
                   "occupancy": round(per_house[h]["nights"] / days, 3)} for h, t in houses]
    total_orders = sum(x["orders"] for x in out_houses)
    total_nights = sum(x["nights"] for x in out_houses)
    total_amount = sum(per_house[h]["amount"] for h, _t in houses)
    return {"year": year, "total": {"orders": total_orders, "nights": total_nights,
                                    "amount": yuan(total_amount)},
            "months": out_months, "houses": out_houses}


class SummaryTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.landlord = make_user(STACK, verified=True)
        cls.guest = make_user(STACK, name="李四")
        cls.other = make_user(STACK, verified=True)
        cls.house_a = make_house(cls.landlord, title="房东中心测试·甲")
        cls.house_b = make_house(cls.landlord, title="房东中心测试·乙")
        cls.house_c = make_house(cls.landlord, title="房东中心测试·丙")
        cls.other_house = make_house(cls.other, title="别人的房子")
        g = cls.guest.user_id
        a, b = cls.house_a, cls.house_b
        cls.stays = [
            (a, "2024-01-30", "2024-02-02", 10000, "COMPLETE"),      # 2 nights Jan, 1 Feb
            (a, "2024-02-28", "2024-03-02", 20000, "WAIT_COMMENT"),  # 28, 29 Feb (leap), 1 Mar
            (a, "2023-12-30", "2024-01-02", 5000, "COMPLETE"),       # 2 nights 2023, 1 in 2024
            (a, "2024-12-31", "2025-01-03", 10000, "COMPLETE"),      # 1 night 2024, 2 in 2025
            (a, "2024-05-01", "2024-05-05", 10000, "REJECTED"),
            (a, "2024-06-01", "2024-06-05", 10000, "CANCELED"),
            (b, "2024-07-01", "2024-07-31", 30000, "COMPLETE"),      # 30 nights July
            (b, "2024-08-10", "2024-08-12", 30000, "WAIT_ACCEPT"),   # not accepted: not counted
            (cls.other_house, "2024-07-01", "2024-07-10", 99900, "COMPLETE"),
        ]
        for house, start, end, fen, status in cls.stays:
            insert_stay(g, house, start, end, fen, status)
        cls.houses = [(cls.house_a, "房东中心测试·甲"), (cls.house_b, "房东中心测试·乙"),
                      (cls.house_c, "房东中心测试·丙")]

    def summary(self, client, **params):
        r = client.get("/api/landlord/summary", params or None)
        self.assertOk(r)
        self.assertNoStore(r)
        return r.json["data"]

    def assertSummary(self, data, expected):
        self.assertEqual(data["year"], expected["year"])
        self.assertEqual(data["total"], expected["total"])
        self.assertEqual(data["months"], expected["months"])
        self.assertEqual(data["houses"], expected["houses"])

    def test_leap_year_with_month_and_year_crossings(self):
        data = self.summary(self.landlord, year=2024)
        self.assertSummary(data, oracle(self.stays, self.houses, 2024))
        self.assertEqual(data["days"], 366)
        months = {m["month"]: m for m in data["months"]}
        self.assertEqual(len(months), 12)
        # The cases of API.md, spelled out.
        self.assertEqual((months["2024-01"]["orders"], months["2024-01"]["nights"],
                          months["2024-01"]["amount"]), (2, 3, "250.00"))
        self.assertEqual((months["2024-02"]["orders"], months["2024-02"]["nights"],
                          months["2024-02"]["amount"]), (2, 3, "500.00"))
        self.assertEqual(months["2024-03"]["nights"], 1)
        self.assertEqual(months["2024-05"]["nights"], 0)   # rejected
        self.assertEqual(months["2024-06"]["nights"], 0)   # cancelled
        self.assertEqual(months["2024-08"]["nights"], 0)   # waiting
        self.assertEqual(months["2024-12"]["nights"], 1)
        self.assertEqual(data["total"], {"orders": 5, "nights": 38, "amount": "10050.00"})
        a = data["houses"][0]
        self.assertEqual((a["orders"], a["nights"], a["amount"], a["occupancy"]), (4, 8, "1050.00", 0.022))
        self.assertEqual(data["houses"][1]["occupancy"], 0.082)       # 30 / 366
        self.assertEqual(data["houses"][2], {"house_id": self.house_c, "title": "房东中心测试·丙",
                                             "orders": 0, "nights": 0, "amount": "0.00", "occupancy": 0})

    def test_neighbour_years(self):
        d2023 = self.summary(self.landlord, year=2023)
        self.assertSummary(d2023, oracle(self.stays, self.houses, 2023))
        self.assertEqual(d2023["days"], 365)
        self.assertEqual(d2023["months"][11]["nights"], 2)
        d2025 = self.summary(self.landlord, year="2025")
        self.assertSummary(d2025, oracle(self.stays, self.houses, 2025))
        self.assertEqual(d2025["months"][0]["nights"], 2)

    def test_stay_booked_and_accepted_through_the_api(self):
        landlord = make_user(STACK, verified=True)
        house = make_house(landlord, title="接口预订", price="123.45")
        start, end = day(40), day(44)
        r = self.guest.post("/api/order", {"house_id": house, "start_date": start, "end_date": end})
        self.assertOk(r)
        order_id = r.json["order_id"]
        year = datetime.date.fromisoformat(start).year
        empty = self.summary(landlord, year=year)
        self.assertEqual(empty["total"], {"orders": 0, "nights": 0, "amount": "0.00"})   # waiting
        self.assertOk(landlord.post("/api/order/accept", {"order_id": order_id}))
        stays = [(house, start, end, 12345, "WAIT_COMMENT")]
        for y in {datetime.date.fromisoformat(start).year, datetime.date.fromisoformat(end).year}:
            self.assertSummary(self.summary(landlord, year=y), oracle(stays, [(house, "接口预订")], y))

    def test_default_year_is_the_current_one(self):
        data = self.summary(self.landlord)
        self.assertEqual(data["year"], datetime.date.today().year)
        self.assertEqual(len(data["months"]), 12)

    def test_no_houses(self):
        data = self.summary(self.guest, year=2024)
        self.assertEqual(data["total"], {"orders": 0, "nights": 0, "amount": "0.00"})
        self.assertEqual(data["houses"], [])
        self.assertEqual([m["nights"] for m in data["months"]], [0] * 12)

    def test_other_landlords_see_only_their_own(self):
        data = self.summary(self.other, year=2024)
        self.assertEqual([h["house_id"] for h in data["houses"]], [self.other_house])
        self.assertEqual(data["total"], {"orders": 1, "nights": 9, "amount": "8991.00"})

    def test_login_required(self):
        r = harness.Client(STACK).get("/api/landlord/summary?year=2024")
        self.assertJsonAnswer(r, 200, 4101)

    def test_year_is_validated(self):
        for bad in ("abc", "1899", "9999", "2024.5", "", "-2024"):
            r = self.landlord.get("/api/landlord/summary?year=" + bad)
            self.assertJsonAnswer(r, 200, 4103, bad)

    def test_index_exists(self):
        rows = STACK.db_query("SELECT sql FROM sqlite_master WHERE name = 'orders_house_stays'")
        self.assertEqual(len(rows), 1)
        self.assertIn("earned", rows[0][0])


class IcalTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.owner = make_user(STACK, verified=True)
        cls.guest = make_user(STACK, name="王小明")
        cls.stranger = make_user(STACK)
        # A long title of 3-byte characters, with characters TEXT must escape: the calendar
        # name is folded across lines, and must come back whole from the parser.
        cls.title = "日历测试，长标题;含转义\\的房子" + "好" * 30
        cls.house = make_house(cls.owner, title=cls.title)
        g = cls.guest.user_id
        cls.too_old = insert_stay(g, cls.house, day(-40), day(-31), 19900, "COMPLETE")
        cls.edge = insert_stay(g, cls.house, day(-35), day(-30), 19900, "COMPLETE")
        cls.accepted = insert_stay(g, cls.house, day(-3), day(2), 19900, "WAIT_COMMENT")
        cls.rejected = insert_stay(g, cls.house, day(10), day(12), 19900, "REJECTED")
        cls.canceled = insert_stay(g, cls.house, day(12), day(14), 19900, "CANCELED")
        r = cls.guest.post("/api/order", {"house_id": cls.house, "start_date": day(20), "end_date": day(23)})
        assert r.errno == 0, r
        cls.waiting = r.json["order_id"]

    def url_of(self, client, house):
        """The house's calendar URL, made by a reset the first time (a GET makes none)."""
        r = client.get("/api/house/ical_url", {"house_id": house})
        self.assertOk(r)
        self.assertNoStore(r)
        url = r.json["data"]["url"]
        if url is None:
            r = client.post("/api/house/ical_url/reset", {"house_id": house})
            self.assertOk(r)
            self.assertNoStore(r)
            url = r.json["data"]["url"]
        self.assertRegex(url, TOKEN_URL_RE)
        return url

    def test_a_get_never_makes_a_token_a_reset_makes_the_first(self):
        house = make_house(self.owner)
        tokens = lambda: STACK.db_query("SELECT token FROM house_ical_tokens WHERE house_id = ?", (house,))
        for _ in range(3):
            r = self.owner.get("/api/house/ical_url", {"house_id": house})
            self.assertOk(r)
            self.assertEqual(r.json["data"], {"url": None})
            self.assertNoStore(r)
        self.assertEqual(tokens(), [], "a GET wrote a token")
        self.assertJsonAnswer(harness.Client(STACK).get("/api/house/ical?house_id=%d&token=%s" % (house, "A" * 32)),
                              404, 4002)
        r = self.owner.post("/api/house/ical_url/reset", {"house_id": house})
        self.assertOk(r)
        url = r.json["data"]["url"]
        self.assertRegex(url, TOKEN_URL_RE)
        self.assertEqual(tokens(), [(re.match(TOKEN_URL_RE, url).group(2),)])
        self.assertEqual(self.owner.get("/api/house/ical_url", {"house_id": house}).json["data"]["url"], url)
        self.assertEqual(harness.Client(STACK).get(url).status, 200)

    def test_url_is_stable_until_reset(self):
        house = make_house(self.owner)
        url = self.url_of(self.owner, house)
        self.assertEqual(self.url_of(self.owner, house), url)
        self.assertEqual(int(re.match(TOKEN_URL_RE, url).group(1)), house)
        self.assertEqual(harness.Client(STACK).get(url).status, 200)
        r = self.owner.post("/api/house/ical_url/reset", {"house_id": house})
        self.assertOk(r)
        fresh = r.json["data"]["url"]
        self.assertRegex(fresh, TOKEN_URL_RE)
        self.assertNotEqual(fresh, url)
        self.assertEqual(self.url_of(self.owner, house), fresh)
        # The old URL is dead at once; the new one works.
        self.assertJsonAnswer(harness.Client(STACK).get(url), 404, 4002)
        self.assertEqual(harness.Client(STACK).get(fresh).status, 200)
        # Tokens are per house.
        other = self.url_of(self.owner, self.house)
        self.assertNotEqual(re.match(TOKEN_URL_RE, other).group(2), re.match(TOKEN_URL_RE, fresh).group(2))

    def test_the_token_never_reaches_a_log(self):
        house = make_house(self.owner)
        url = self.url_of(self.owner, house)
        token = re.match(TOKEN_URL_RE, url).group(2)
        self.assertEqual(harness.Client(STACK).get(url).status, 200)
        self.assertJsonAnswer(harness.Client(STACK).get(url + "A"), 404, 4002)
        # nginx's access log (the dev stack's, the same log_format as production's) and
        # ihomed's stderr: the requests are there, the token is not.
        with open(os.path.join(STACK.var, "log", "nginx-access.log"), encoding="utf-8") as f:
            access = f.read()
        self.assertIn("/api/house/ical?house_id=%d&token=" % house, access)
        self.assertNotIn(token, access)
        self.assertNotIn(token, STACK.read_log_tail(100000))

    def test_the_token_stays_out_of_nginx_error_lines(self):
        # nginx's error lines quote the request line, token and all (no log_format
        # there): a request refused by nginx itself (a declared body over
        # client_max_body_size) is logged for any other URL, never for the feed.
        house = make_house(self.owner)
        token = re.match(TOKEN_URL_RE, self.url_of(self.owner, house)).group(2)
        marker = "marker" + token[::-1]

        def refused(path):
            with socket.create_connection(("127.0.0.1", STACK.port), timeout=10) as s:
                s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n"
                           "Connection: close\r\n\r\n" % path).encode())
                answer = b""
                while not answer.endswith(b"}") and len(answer) < 65536:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
            return answer.split(b" ", 2)[1]

        self.assertEqual(refused("/api/house/info?house_id=%d&token=%s" % (house, marker)), b"413")
        self.assertEqual(refused("/api/house/ical?house_id=%d&token=%s" % (house, token)), b"413")
        deadline = time.monotonic() + 5
        while marker not in STACK.read_log_tail(100000) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn(marker, STACK.read_log_tail(100000), "nginx logs a request it refuses")
        self.assertNotIn(token, STACK.read_log_tail(100000))

    def test_the_token_stays_out_of_nginx_error_lines_while_ihomed_is_away(self):
        # ihomed stopped or restarting: its socket file is gone, and nginx logs the failed
        # connect() (ENOENT, like EACCES) at level crit, request line and all.  Calendar
        # apps keep polling the feed meanwhile; its token must not land in the log then
        # either.  The socket is moved away for a moment, then back.
        house = make_house(self.owner)
        token = re.match(TOKEN_URL_RE, self.url_of(self.owner, house)).group(2)
        marker = "marker" + token[::-1]
        sock = os.path.join(STACK.var, "run", "ihomed.sock")
        away = sock + ".away"
        os.rename(sock, away)
        try:
            info = harness.Client(STACK).get("/api/house/info?house_id=%d&token=%s" % (house, marker))
            ical = harness.Client(STACK).get("/api/house/ical?house_id=%d&token=%s" % (house, token))
        finally:
            os.rename(away, sock)
        self.assertEqual((info.status, ical.status), (503, 503))
        deadline = time.monotonic() + 5
        while marker not in STACK.read_log_tail(100000) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn(marker, STACK.read_log_tail(100000), "nginx logs a failed connect()")
        self.assertNotIn(token, STACK.read_log_tail(100000))
        self.assertEqual(harness.Client(STACK).get("/api/house/ical?house_id=%d&token=%s"
                                                   % (house, token)).status, 200)

    def test_owner_only(self):
        for path, send in (("/api/house/ical_url", lambda c, b: c.get("/api/house/ical_url", b)),
                           ("/api/house/ical_url/reset", lambda c, b: c.post("/api/house/ical_url/reset", b))):
            self.assertJsonAnswer(send(self.stranger, {"house_id": self.house}), 200, 4105, path)
            self.assertJsonAnswer(send(harness.Client(STACK), {"house_id": self.house}), 200, 4101, path)
            self.assertJsonAnswer(send(self.owner, {"house_id": UNKNOWN_ID}), 200, 4002, path)
            for bad in ("abc", "0", "-1", ""):
                self.assertJsonAnswer(send(self.owner, {"house_id": bad}), 200, 4103, path + " " + bad)
        self.assertJsonAnswer(self.owner.post("/api/house/ical_url/reset", {"house_id": self.house},
                                              csrf=False), 403, 4201)

    def test_wrong_token_unknown_house_same_404(self):
        url = self.url_of(self.owner, self.house)
        token = re.match(TOKEN_URL_RE, url).group(2)
        other_house = make_house(self.owner)
        anon = harness.Client(STACK)
        bodies = set()
        for path in ("/api/house/ical?house_id=%d&token=%s" % (self.house, token[:-1] + ("A" if token[-1] != "A" else "B")),
                     "/api/house/ical?house_id=%d" % self.house,
                     "/api/house/ical?house_id=%d&token=" % self.house,
                     "/api/house/ical?house_id=%d&token=%s" % (UNKNOWN_ID, token),
                     "/api/house/ical?house_id=%d&token=%s" % (other_house, token),  # never asked: no token
                     "/api/house/ical?house_id=abc&token=%s" % token,
                     "/api/house/ical?token=%s" % token,
                     "/api/house/ical?house_id=%d&token=%s" % (self.house, token + "AAAA")):
            r = anon.get(path)
            self.assertJsonAnswer(r, 404, 4002, path)
            bodies.add(r.body)
        self.assertEqual(len(bodies), 1, bodies)

    def fetch(self):
        url = self.url_of(self.owner, self.house)
        r = harness.Client(STACK).get(url)
        self.assertEqual(r.status, 200, r)
        return r

    def test_headers(self):
        r = self.fetch()
        self.assertEqual(r.header("Content-Type"), "text/calendar; charset=utf-8")
        self.assertEqual(r.header("Cache-Control"), "private, max-age=300")

    def test_wire_format(self):
        body = self.fetch().body
        self.assertTrue(body.endswith(b"\r\n"))
        self.assertNotIn(b"\n", body.replace(b"\r\n", b""), "a bare LF")
        self.assertNotIn(b"\r", body.replace(b"\r\n", b""), "a bare CR")
        lines = body[:-2].split(b"\r\n")
        folded = 0
        for line in lines:
            self.assertLessEqual(len(line), 75, line)
            line.decode("utf-8")   # every physical line is whole UTF-8: no sequence was cut
            folded += line.startswith(b" ")
        self.assertGreater(folded, 0, "the long calendar name should have been folded")
        self.assertEqual(lines[0], b"BEGIN:VCALENDAR")
        self.assertEqual(lines[-1], b"END:VCALENDAR")
        self.assertIn(b"VERSION:2.0", lines)
        self.assertTrue(any(l.startswith(b"PRODID:") for l in lines))

    def test_parsed_by_icalendar(self):
        self.assertIsNotNone(icalendar, "python3-icalendar is not installed (scripts/install-deps)")
        body = self.fetch().body
        cal = icalendar.Calendar.from_ical(body)
        self.assertEqual(str(cal["VERSION"]), "2.0")
        self.assertEqual(str(cal["X-WR-CALNAME"]), "爱家租房 · " + self.title)
        events = {}
        for ev in cal.walk("VEVENT"):
            events[str(ev["UID"])] = ev
            self.assertIn("DTSTAMP", ev)
            self.assertEqual(ev["DTSTART"].params.get("VALUE"), "DATE")
            self.assertEqual(ev["DTEND"].params.get("VALUE"), "DATE")
        expected = {self.edge: (day(-35), day(-30), "CONFIRMED"),
                    self.accepted: (day(-3), day(2), "CONFIRMED"),
                    self.waiting: (day(20), day(23), "TENTATIVE")}
        self.assertEqual(set(events), {"order-%d@ihome" % o for o in expected})
        for order_id, (start, end, status) in expected.items():
            ev = events["order-%d@ihome" % order_id]
            self.assertEqual(ev.decoded("DTSTART"), datetime.date.fromisoformat(start))
            self.assertEqual(ev.decoded("DTEND"), datetime.date.fromisoformat(end))
            self.assertEqual(str(ev["STATUS"]), status)
        # UIDs are stable: a second fetch lists the same ones.
        again = icalendar.Calendar.from_ical(self.fetch().body)
        self.assertEqual({str(e["UID"]) for e in again.walk("VEVENT")}, set(events))

    def test_no_guest_data(self):
        body = self.fetch().body.decode("utf-8")
        unfolded = body.replace("\r\n ", "")
        for secret in (self.guest.mobile, "王小明"):
            self.assertNotIn(secret, unfolded)
        # Nothing but the calendar's own properties: no ATTENDEE, ORGANIZER, CONTACT, DESCRIPTION.
        names = {line.split(":", 1)[0].split(";", 1)[0] for line in unfolded.split("\r\n") if line}
        self.assertLessEqual(names, {"BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD",
                                     "X-WR-CALNAME", "UID", "DTSTAMP", "DTSTART", "DTEND",
                                     "SUMMARY", "STATUS", "TRANSP"})


if __name__ == "__main__":
    unittest.main()
