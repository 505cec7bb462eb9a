"""Listing management (API.md "house/edit", "house/status", "house/image/delete",
"house/image/cover", `status` in house/my and house/info): every rule and errno, every
cache that shows the house reacting at once (detail, search, index), booking an offline
house refused even while the status changes under it, and an edit racing bookings never
giving a booking a half-edited house.

One stack with 4 workers for the module."""

import os
import threading
import time
import unittest

import harness
from guests import day, make_user
from harness import ApiTestCase, make_png, multipart

STACK = None
UNKNOWN_HOUSE = 2147483647
AREA = 14  # only this module publishes here (the search checks look at one area)


def setUpModule():
    global STACK
    STACK = harness.Stack(name="listing", env={"IHOME_WORKERS": "4"}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


def house_body(**over):
    body = {"title": "管理测试房", "price": "100", "district": AREA, "address": "平谷区府前街1号",
            "room_count": 2, "acreage": 60, "house_unit": "两室一厅", "house_capacity": 3,
            "beds": "双人床1张", "deposit": "50", "min_days": 1, "max_days": 0, "facility": [1, 3]}
    body.update(over)
    return body


class ListingCase(ApiTestCase):
    @property
    def st(self):
        return STACK

    def user(self, verified=True):
        return make_user(self.st, verified)

    def house(self, owner, **over):
        r = owner.post("/api/house/newhouse", house_body(**over))
        self.assertOk(r)
        return r.json["house_id"]

    def image(self, owner, hid, shade=90):
        body, ctype = multipart(fields=[("house_id", str(hid))],
                                files=[("house_image", "p.png", "image/png", make_png(24, 16, shade))])
        r = owner.post("/api/house/image", raw=body, content_type=ctype)
        self.assertOk(r)
        return r.json["url"]

    def info(self, c, hid):
        r = c.get("/api/house/info", {"house_id": hid})
        self.assertOk(r)
        return r.json["data"]["house"]

    def my(self, owner, hid):
        houses = owner.get("/api/house/my").json["data"]["houses"]
        return next(h for h in houses if h["house_id"] == hid)

    def search_ids(self, c, **params):
        params.setdefault("aid", AREA)
        ids, page = [], 1
        while True:
            params["p"] = page
            data = c.get("/api/house/list", params).json["data"]
            ids += [h["house_id"] for h in data["houses"]]
            if page >= data["total_page"]:
                return ids
            page += 1

    def index_ids(self, c):
        return [h["house_id"] for h in c.get("/api/house/index").json["data"]]

    def edit(self, c, hid, **fields):
        fields["house_id"] = hid
        return c.post("/api/house/edit", fields)

    def status(self, c, hid, status):
        return c.post("/api/house/status", {"house_id": hid, "status": status})

    def book(self, c, hid, offset, nights=1):
        return c.post("/api/order", {"house_id": hid, "start_date": day(offset), "end_date": day(offset + nights)})

    def media_files(self):
        return os.listdir(os.path.join(self.st.var, "media"))


class OwnerOnly(ListingCase):
    def test_every_write_is_login_owner_and_known_house_only(self):
        owner, stranger = self.user(), self.user(verified=False)
        hid = self.house(owner)
        url = self.image(owner, hid)
        anon = harness.Client(self.st)
        writes = [("/api/house/edit", {"title": "别人改的"}),
                  ("/api/house/status", {"status": "offline"}),
                  ("/api/house/image/cover", {"url": url}),
                  ("/api/house/image/delete", {"url": url})]
        for path, body in writes:
            with self.subTest(path=path):
                self.assertJsonAnswer(anon.post(path, dict(body, house_id=hid)), 200, 4101)
                self.assertJsonAnswer(stranger.post(path, dict(body, house_id=hid)), 200, 4105)
                self.assertJsonAnswer(owner.post(path, dict(body, house_id=UNKNOWN_HOUSE)), 200, 4002)
                self.assertJsonAnswer(owner.post(path, dict(body, house_id="abc")), 200, 4103)
                self.assertJsonAnswer(owner.post(path, dict(body, house_id=hid), csrf=False), 403, 4201)
        house = self.info(owner, hid)
        self.assertEqual((house["title"], house["status"], house["images"]), ("管理测试房", "online", [url]))
        self.assertIn(url.rsplit("/", 1)[1], self.media_files())


class Edit(ListingCase):
    def test_only_the_fields_sent_change(self):
        owner = self.user()
        hid = self.house(owner)
        before = self.info(owner, hid)
        self.assertOk(self.edit(owner, hid, title="改过的标题"))
        after = self.info(owner, hid)
        self.assertEqual(after["title"], "改过的标题")
        del before["title"], after["title"]
        self.assertEqual(before, after)
        self.assertOk(self.edit(owner, hid, price="288.50", district=AREA, address="平谷区新地址2号",
                                room_count=3, acreage=75, house_unit="三室", house_capacity=5, beds="大床2张",
                                deposit="0", min_days=2, max_days=10, facility=[2, 24]))
        h = self.info(owner, hid)
        self.assertEqual((h["price"], h["address"], h["room_count"], h["acreage"], h["unit"], h["capacity"],
                          h["beds"], h["deposit"], h["min_days"], h["max_days"], h["facilities"]),
                         ("288.50", "平谷区新地址2号", 3, 75, "三室", 5, "大床2张", "0.00", 2, 10, [2, 24]))
        self.assertOk(self.edit(owner, hid, facility=[]))
        self.assertEqual(self.info(owner, hid)["facilities"], [])
        self.assertOk(self.edit(owner, hid, area_id=3))
        self.assertEqual(self.st.db_query("SELECT area_id FROM houses WHERE id = ?", (hid,))[0][0], 3)

    def test_each_field_has_newhouses_rules_4103_and_nothing_changes(self):
        owner = self.user()
        hid = self.house(owner, min_days=2, max_days=5)
        before = self.info(owner, hid)
        bad = [{}, {"title": ""}, {"title": "x" * 65}, {"title": "a\u0001b"}, {"price": "0"},
               {"price": "1.234"}, {"price": "1000000.01"}, {"price": None}, {"district": 99},
               {"area_id": 0}, {"address": ""}, {"room_count": 0}, {"room_count": 101},
               {"acreage": 0}, {"house_unit": "x" * 65}, {"house_capacity": 0}, {"beds": "x" * 65},
               {"deposit": "-1"}, {"min_days": 0}, {"max_days": -1}, {"facility": [999]},
               {"facility": "wifi"}, {"min_days": 3, "max_days": 2},
               {"max_days": 1},   # below the stored min_days (2)
               {"min_days": 6}]   # above the stored max_days (5)
        for fields in bad:
            with self.subTest(fields=fields):
                self.assertJsonAnswer(self.edit(owner, hid, **fields), 200, 4103)
        self.assertEqual(self.info(owner, hid), before)
        self.assertOk(self.edit(owner, hid, max_days=0))
        self.assertOk(self.edit(owner, hid, min_days=30))

    def test_orders_keep_their_price_and_amount(self):
        owner, guest = self.user(), self.user(verified=False)
        hid = self.house(owner, price="100")
        r = self.book(guest, hid, 10, 2)
        self.assertOk(r)
        oid = r.json["order_id"]
        self.assertOk(self.edit(owner, hid, price="300"))
        order = next(o for o in guest.get("/api/order/my").json["data"]["orders"] if o["order_id"] == oid)
        self.assertEqual(order["amount"], "200.00")
        r = self.book(guest, hid, 20, 2)
        self.assertOk(r)
        self.assertEqual(self.st.db_query("SELECT amount FROM orders WHERE id = ?", (r.json["order_id"],))[0][0],
                         60000)

    def test_detail_search_and_index_show_the_edit_at_once(self):
        owner, guest = self.user(), self.user(verified=False)
        hid = self.house(owner, title="缓存前", price="111")
        self.image(owner, hid)
        self.st.db_execute("UPDATE houses SET order_count = 100000 WHERE id = ?", (hid,))
        self.assertOk(self.edit(owner, hid, title="触发缓存"))  # any write drops the caches
        anon = harness.Client(self.st)
        # Fill every cache (a logged-in reader bypasses nginx's micro-cache).
        self.assertEqual(self.info(guest, hid)["title"], "触发缓存")
        listed = {h["house_id"]: h for h in guest.get("/api/house/list", {"aid": AREA, "sk": "price-des"}).json["data"]["houses"]}
        index = {h["house_id"]: h for h in guest.get("/api/house/index").json["data"]}
        self.assertIn(hid, index)
        self.assertOk(self.edit(owner, hid, title="缓存后", price="222"))
        self.assertEqual((self.info(guest, hid)["title"], self.info(guest, hid)["price"]), ("缓存后", "222.00"))
        listed = {h["house_id"]: h for h in guest.get("/api/house/list", {"aid": AREA, "sk": "price-des"}).json["data"]["houses"]}
        if hid in listed:
            self.assertEqual((listed[hid]["title"], listed[hid]["price"]), ("缓存后", "222.00"))
        index = {h["house_id"]: h for h in guest.get("/api/house/index").json["data"]}
        self.assertEqual(index[hid]["title"], "缓存后")
        time.sleep(1.1)  # past the micro-cache
        self.assertEqual(self.info(anon, hid)["title"], "缓存后")
        self.st.db_execute("UPDATE houses SET order_count = 0 WHERE id = ?", (hid,))
        self.assertOk(self.edit(owner, hid, title="缓存后"))

    def test_an_edit_racing_bookings_never_gives_a_half_edited_house(self):
        """Two consistent versions: (100 yuan, min 1 night) and (200 yuan, min 2 nights).
        A half-edited house would accept a 1-night stay at 200 (or refuse at 100)."""
        owner = self.user()
        guests = [self.user(verified=False) for _ in range(3)]
        hid = self.house(owner, price="100", min_days=1)
        stop = threading.Event()
        errors = []

        def editor():
            flip = False
            while not stop.is_set():
                fields = {"price": "200", "min_days": 2} if not flip else {"price": "100", "min_days": 1}
                r = self.edit(owner, hid, **fields)
                if r.errno != 0:
                    errors.append(r.describe())
                flip = not flip

        def booker(g, offsets):
            for i, offset in enumerate(offsets):
                r = self.book(g, hid, offset, 1 + i % 2)
                if r.errno not in (0, 4103):
                    errors.append(r.describe())

        t = threading.Thread(target=editor)
        t.start()
        workers = [threading.Thread(target=booker, args=(g, range(30 + 3 * k * 40, 30 + 3 * k * 40 + 120, 3)))
                   for k, g in enumerate(guests)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        stop.set()
        t.join()
        self.assertEqual(errors, [])
        rows = self.st.db_query("SELECT days, price, amount FROM orders WHERE house_id = ?", (hid,))
        self.assertGreater(len(rows), 10, "too few bookings went through to tell anything")
        for days, price, amount in rows:
            self.assertIn(price, (10000, 20000))
            self.assertEqual(amount, days * price)
            if days == 1:
                self.assertEqual(price, 10000, "a 1-night stay booked on the min-2-nights version")


class Status(ListingCase):
    def test_a_new_house_is_online_in_my_and_info(self):
        owner = self.user()
        hid = self.house(owner)
        self.assertEqual(self.my(owner, hid)["status"], "online")
        self.assertEqual(self.info(owner, hid)["status"], "online")

    def test_bad_status_is_4103(self):
        owner = self.user()
        hid = self.house(owner)
        for status in ("", "closed", "ONLINE", None):
            with self.subTest(status=status):
                self.assertJsonAnswer(self.status(owner, hid, status), 200, 4103)
        self.assertJsonAnswer(owner.post("/api/house/status", {"house_id": hid}), 200, 4103)

    def test_offline_leaves_search_and_index_cannot_be_booked_and_comes_back(self):
        owner, guest = self.user(), self.user(verified=False)
        hid = self.house(owner)
        self.image(owner, hid)
        self.st.db_execute("UPDATE houses SET order_count = 100001 WHERE id = ?", (hid,))
        self.assertOk(self.edit(owner, hid, title="上下架"))
        self.assertIn(hid, self.search_ids(guest))
        self.assertIn(hid, self.search_ids(guest, sd=day(50), ed=day(52)))
        self.assertIn(hid, self.index_ids(guest))
        self.assertOk(self.book(guest, hid, 3))

        self.assertOk(self.status(owner, hid, "offline"))
        self.assertNotIn(hid, self.search_ids(guest))
        self.assertNotIn(hid, self.search_ids(guest, sd=day(50), ed=day(52)))
        self.assertNotIn(hid, self.index_ids(guest))
        self.assertJsonAnswer(self.book(guest, hid, 60), 200, 4004)
        self.assertEqual((self.info(guest, hid)["status"], self.my(owner, hid)["status"]), ("offline", "offline"))
        orders = guest.get("/api/order/my").json["data"]["orders"]
        self.assertEqual([o["status"] for o in orders if o["house_id"] == hid], ["WAIT_ACCEPT"], "its orders go on")
        self.assertOk(self.status(owner, hid, "offline"), "setting it again is fine")

        self.assertOk(self.status(owner, hid, "online"))
        self.assertIn(hid, self.search_ids(guest))
        self.assertIn(hid, self.index_ids(guest))
        self.assertOk(self.book(guest, hid, 60))
        self.st.db_execute("UPDATE houses SET order_count = 0 WHERE id = ?", (hid,))
        self.assertOk(self.edit(owner, hid, title="上下架"))

    def test_an_offline_house_in_favourites_calendar_ical_and_the_landlord_summary(self):
        """Offline is 'not bookable now', not 'gone': guests keep (and may add) it among
        their favourites, its calendar and iCal feed still answer (its orders go on), and
        the landlord's summary still counts it; only search and the index leave it out."""
        owner, guest, fan = self.user(), self.user(verified=False), self.user(verified=False)
        hid = self.house(owner, title="下线后的收藏与日历")
        self.assertOk(self.book(guest, hid, 5, 2))
        self.assertOk(fan.post("/api/user/favorites", {"house_id": hid}))
        feed = owner.post("/api/house/ical_url/reset", {"house_id": hid}).json["data"]["url"]
        self.assertOk(self.status(owner, hid, "offline"))
        self.assertNotIn(hid, self.search_ids(guest))
        self.assertNotIn(hid, [h["house_id"] for h in
                               guest.get("/api/house/list", {"q": "下线后的收藏"}).json["data"]["houses"]])

        self.assertOk(guest.post("/api/user/favorites", {"house_id": hid}), "an offline house can be saved")
        for c in (fan, guest):
            self.assertIn(hid, c.get("/api/user/favorites/ids").json["data"]["house_ids"])
            self.assertIn(hid, [h["house_id"] for h in c.get("/api/user/favorites").json["data"]["houses"]])
        info = self.info(harness.Client(self.st), hid)
        self.assertEqual((info["status"], info["favorite_count"]), ("offline", 2))

        r = guest.get("/api/house/calendar", {"house_id": hid, "from": day(0), "days": 10})
        self.assertOk(r)
        self.assertEqual(r.json["data"]["booked"], [day(5), day(6)])
        r = harness.Client(self.st).get(feed)
        self.assertEqual(r.status, 200)
        self.assertIn(b"DTSTART;VALUE=DATE:" + day(5).replace("-", "").encode(), r.body)
        houses = owner.get("/api/landlord/summary").json["data"]["houses"]
        self.assertIn(hid, [h["house_id"] for h in houses])

    def test_no_booking_started_after_offline_was_acknowledged_gets_through(self):
        owner = self.user()
        guests = [self.user(verified=False) for _ in range(3)]
        hid = self.house(owner)
        offline_at = []
        results = []  # (start time, errno)
        lock = threading.Lock()

        stop = threading.Event()

        def booker(g, base):
            for i in range(200):
                if stop.is_set():
                    return
                started = time.monotonic()
                r = self.book(g, hid, base + i)
                with lock:
                    results.append((started, r.errno))

        workers = [threading.Thread(target=booker, args=(g, 100 + 200 * k)) for k, g in enumerate(guests)]
        for w in workers:
            w.start()
        time.sleep(0.1)
        self.assertOk(self.status(owner, hid, "offline"))
        offline_at.append(time.monotonic())
        time.sleep(0.3)
        stop.set()
        for w in workers:
            w.join()
        after = [e for started, e in results if started > offline_at[0]]
        self.assertTrue(after, "no booking started after the status change")
        self.assertEqual(set(after), {4004})
        self.assertTrue(all(e in (0, 4004) for _s, e in results))
        booked = self.st.db_query("SELECT COUNT(*) FROM orders WHERE house_id = ?", (hid,))[0][0]
        self.assertEqual(booked, sum(1 for _s, e in results if e == 0))


class Images(ListingCase):
    def test_delete_removes_row_and_file_and_the_oldest_remaining_becomes_cover(self):
        owner, guest = self.user(), self.user(verified=False)
        hid = self.house(owner)
        a, b, c = (self.image(owner, hid, shade) for shade in (10, 120, 240))
        self.assertEqual(self.info(guest, hid)["images"], [a, b, c])
        self.assertEqual(self.my(owner, hid)["img_url"], a)
        # Not the cover: the cover stays.
        self.assertOk(owner.post("/api/house/image/delete", {"house_id": hid, "url": b}))
        self.assertEqual(self.info(guest, hid)["images"], [a, c])
        self.assertNotIn(b.rsplit("/", 1)[1], self.media_files())
        # Deleting it again, or a URL that is no image of this house: 4002.
        self.assertJsonAnswer(owner.post("/api/house/image/delete", {"house_id": hid, "url": b}), 200, 4002)
        for url in ("/media/nothing.jpg", "/etc/passwd", "/media/../ihome.db", "x"):
            with self.subTest(url=url):
                self.assertJsonAnswer(owner.post("/api/house/image/delete", {"house_id": hid, "url": url}), 200, 4002)
        self.assertJsonAnswer(owner.post("/api/house/image/delete", {"house_id": hid, "url": ""}), 200, 4103)
        self.assertJsonAnswer(owner.post("/api/house/image/delete", {"house_id": hid}), 200, 4103)
        other = self.house(owner)
        d = self.image(owner, other)
        self.assertJsonAnswer(owner.post("/api/house/image/delete", {"house_id": hid, "url": d}), 200, 4002)
        self.assertIn(d.rsplit("/", 1)[1], self.media_files())
        # The cover: the oldest remaining one (c) takes over.
        self.assertOk(owner.post("/api/house/image/delete", {"house_id": hid, "url": a}))
        self.assertEqual(self.info(guest, hid)["images"], [c])
        self.assertEqual(self.my(owner, hid)["img_url"], c)
        self.assertOk(owner.post("/api/house/image/delete", {"house_id": hid, "url": c}))
        self.assertEqual(self.info(guest, hid)["images"], [])
        self.assertIsNone(self.my(owner, hid)["img_url"])
        self.assertEqual(self.st.db_query("SELECT COUNT(*) FROM house_images WHERE house_id = ?", (hid,))[0][0], 0)

    def test_cover_goes_first_everywhere_and_an_unknown_url_is_4002(self):
        owner, guest = self.user(), self.user(verified=False)
        hid = self.house(owner)
        a, b, c = (self.image(owner, hid, shade) for shade in (10, 120, 240))
        self.st.db_execute("UPDATE houses SET order_count = 100002 WHERE id = ?", (hid,))
        self.assertOk(self.edit(owner, hid, title="封面测试"))
        self.assertEqual(self.info(guest, hid)["images"][0], a)
        idx = {h["house_id"]: h for h in guest.get("/api/house/index").json["data"]}
        self.assertEqual(idx[hid]["img_url"], a)
        self.assertOk(owner.post("/api/house/image/cover", {"house_id": hid, "url": c}))
        self.assertEqual(self.info(guest, hid)["images"], [c, a, b])
        self.assertEqual(self.my(owner, hid)["img_url"], c)
        idx = {h["house_id"]: h for h in guest.get("/api/house/index").json["data"]}
        self.assertEqual(idx[hid]["img_url"], c)
        listed = {h["house_id"]: h for h in guest.get("/api/house/list", {"aid": AREA}).json["data"]["houses"]}
        if hid in listed:
            self.assertEqual(listed[hid]["img_url"], c)
        self.assertJsonAnswer(owner.post("/api/house/image/cover", {"house_id": hid, "url": "/media/zzz.jpg"}), 200, 4002)
        other = self.house(owner)
        d = self.image(owner, other)
        self.assertJsonAnswer(owner.post("/api/house/image/cover", {"house_id": hid, "url": d}), 200, 4002)
        self.assertEqual(self.info(guest, hid)["images"][0], c)
        # Deleting a non-cover image keeps the chosen cover.
        self.assertOk(owner.post("/api/house/image/delete", {"house_id": hid, "url": a}))
        self.assertEqual(self.info(guest, hid)["images"], [c, b])
        self.st.db_execute("UPDATE houses SET order_count = 0 WHERE id = ?", (hid,))
        self.assertOk(self.edit(owner, hid, title="封面测试"))


if __name__ == "__main__":
    unittest.main()
