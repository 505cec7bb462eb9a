"""Ratings and replies (API.md "Orders": comment with `rating`, `order/reply`,
`house/comments`, `sk=rating`): the rating's validation, the house's average and count kept
exact under concurrent comments, `rating`/`rating_count` on every house answer that API.md
names, the rating sort through the search index against the SQL order, the landlord's one
reply and the public, paged comments.

Orders reach WAIT_COMMENT by a row written straight into the database (a stay that ended),
so these tests do not depend on how an order gets there (accept, payment, check-out day)."""

import unittest

import harness
from guests import day, insert_order, make_house, make_user
from harness import ApiTestCase, make_png, multipart, run_together

STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(name="review", env={"IHOME_WORKERS": "4"}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


COMMENT_KEYS = {"user_name", "user_avatar", "ctime", "comment", "rating", "reply", "reply_time", "stay"}


class ReviewCase(ApiTestCase):
    offset = 0

    def setUp(self):
        self.st = STACK

    def stayed(self, guest, house_id):
        """A stay of `guest`'s at the house that ended: its order in WAIT_COMMENT."""
        ReviewCase.offset += 2
        start = day(-400 + ReviewCase.offset)
        end = day(-399 + ReviewCase.offset)
        insert_order(self.st, house_id, guest.user_id, start, end, "WAIT_COMMENT")
        return self.st.db_query("SELECT max(id) FROM orders WHERE user_id = ?", (guest.user_id,))[0][0]

    def house_row(self, hid):
        return self.st.db_query("SELECT rating_sum, rating_count, order_count FROM houses WHERE id = ?", (hid,))[0]

    def test_rating_is_optional_but_1_to_5_when_sent(self):
        landlord, guest = make_user(self.st, verified=True), make_user(self.st)
        hid = make_house(landlord)
        oid = self.stayed(guest, hid)
        for bad in (0, 6, -1, "五", 4.5, "", None, [3]):
            r = guest.post("/api/order/comment", {"order_id": oid, "comment": "好", "rating": bad})
            self.assertJsonAnswer(r, 200, 4103, "rating %r" % (bad,))
        self.assertEqual(self.house_row(hid), (0, 0, 0))
        self.assertOk(guest.post("/api/order/comment", {"order_id": oid, "comment": "很好", "rating": "4"}))
        self.assertEqual(self.house_row(hid), (4, 1, 1))
        # The classic front end sends none: the stay completes, the rating stays as it was.
        oid2 = self.stayed(guest, hid)
        self.assertOk(guest.post("/api/order/comment", {"order_id": oid2, "comment": "还行"}))
        self.assertEqual(self.house_row(hid), (4, 1, 2))
        info = guest.get("/api/house/info", {"house_id": hid}).json["data"]["house"]
        self.assertEqual((info["rating"], info["rating_count"]), (4.0, 1))
        self.assertEqual([c["rating"] for c in info["comments"]], [None, 4])
        for c in info["comments"]:
            self.assertEqual(set(c), COMMENT_KEYS)

    def test_concurrent_comments_keep_the_sum_and_count_exact(self):
        landlord = make_user(self.st, verified=True)
        hid = make_house(landlord)
        n = 12
        guests = [make_user(self.st) for _ in range(n)]
        orders = [self.stayed(g, hid) for g in guests]
        stars = [(i % 5) + 1 for i in range(n)]

        def comment(i):
            return guests[i].post("/api/order/comment",
                                  {"order_id": orders[i], "comment": "第%d位" % i, "rating": stars[i]})

        results = run_together(n, comment)
        for r in results:
            self.assertNotIsInstance(r, BaseException, r)
            self.assertOk(r)
        self.assertEqual(self.house_row(hid), (sum(stars), n, n))
        # And the answers show it at once: average of 36/12 = 3.0.
        info = make_user(self.st).get("/api/house/info", {"house_id": hid}).json["data"]["house"]
        self.assertEqual((info["rating"], info["rating_count"]), (round(sum(stars) / n, 1), n))
        self.assertEqual(len(info["comments"]), 10, "house/info carries the 10 newest")

    def test_every_house_answer_carries_rating_and_rating_count(self):
        landlord, guest = make_user(self.st, verified=True), make_user(self.st)
        area = 14
        hid = make_house(landlord, title="评分展示房", district=area)
        body, ctype = multipart(fields=[("house_id", str(hid))],
                                files=[("house_image", "a.png", "image/png", make_png(32, 32))])
        self.assertOk(landlord.post("/api/house/image", raw=body, content_type=ctype))
        for stars in (5, 4, 4):
            self.assertOk(guest.post("/api/order/comment", {"order_id": self.stayed(guest, hid),
                                                            "comment": "好", "rating": stars}))
        want = (4.3, 3)

        def pick(houses):
            return [(h["rating"], h["rating_count"]) for h in houses if h["house_id"] == hid]

        lst = guest.get("/api/house/list", {"aid": area}).json["data"]["houses"]
        self.assertEqual(pick(lst), [want])
        mine = landlord.get("/api/house/my").json["data"]["houses"]
        self.assertEqual(pick(mine), [want])
        self.assertOk(guest.post("/api/user/favorites", {"house_id": hid}))
        fav = guest.get("/api/user/favorites").json["data"]["houses"]
        self.assertEqual(pick(fav), [want])
        index = guest.get("/api/house/index").json["data"]
        for h in index:
            self.assertIn("rating", h)
            self.assertIn("rating_count", h)
        unrated = make_house(landlord, title="未评分房", district=area)
        lst = guest.get("/api/house/list", {"aid": area}).json["data"]["houses"]
        self.assertEqual([(h["rating"], h["rating_count"]) for h in lst if h["house_id"] == unrated], [(None, 0)])

    def test_sk_rating_best_first_unrated_last_ties_by_count_then_newest(self):
        landlord = make_user(self.st, verified=True)
        area = 15
        guests = [make_user(self.st) for _ in range(3)]
        plan = [[], [4], [4, 4], [5, 4], [], [3, 5], [2]]  # stars per house, oldest house first
        ids = []
        for i, stars in enumerate(plan):
            hid = make_house(landlord, title="排序房%d" % i, district=area)
            ids.append(hid)
            for j, s in enumerate(stars):
                self.assertOk(guests[j].post("/api/order/comment", {
                    "order_id": self.stayed(guests[j], hid), "comment": "评%d" % s, "rating": s}))
        # 4.5 (3); 4.0 of 2 (5, newer), 4.0 of 2 (2); 4.0 of 1 (1); 2.0 (6); unrated newest first (4, 0)
        want = [ids[3], ids[5], ids[2], ids[1], ids[6], ids[4], ids[0]]
        anon = harness.Client(self.st)
        got = anon.get("/api/house/list", {"aid": area, "sk": "rating"}).json["data"]["houses"]
        self.assertEqual([h["house_id"] for h in got], want)
        # With dates the same order (the index's date filter); far dates go to SQL, same order.
        for sd, ed in ((day(10), day(12)), (day(600), day(602))):
            got = anon.get("/api/house/list", {"aid": area, "sk": "rating", "sd": sd, "ed": ed}).json
            self.assertEqual([h["house_id"] for h in got["data"]["houses"]], want, (sd, ed))
        self.assertJsonAnswer(anon.get("/api/house/list", {"sk": "stars"}), 200, 4103)

    def test_reply_by_the_owner_once_under_a_comment_shown_everywhere(self):
        landlord, guest, other = make_user(self.st, verified=True), make_user(self.st), make_user(self.st)
        hid = make_house(landlord)
        oid = self.stayed(guest, hid)
        self.assertJsonAnswer(landlord.post("/api/order/reply", {"order_id": oid, "reply": "谢谢"}), 200, 4004)
        self.assertOk(guest.post("/api/order/comment", {"order_id": oid, "comment": "<b>好</b>", "rating": 5}))
        self.assertJsonAnswer(guest.post("/api/order/reply", {"order_id": oid, "reply": "我"}), 200, 4105)
        self.assertJsonAnswer(other.post("/api/order/reply", {"order_id": oid, "reply": "我"}), 200, 4105)
        self.assertJsonAnswer(landlord.post("/api/order/reply", {"order_id": 2147483647, "reply": "x"}), 200, 4002)
        for bad in ("", "   ", "x" * 513, "a\u0007b"):
            self.assertJsonAnswer(landlord.post("/api/order/reply", {"order_id": oid, "reply": bad}), 200, 4103)
        self.assertJsonAnswer(harness.Client(self.st).post("/api/order/reply", {"order_id": oid, "reply": "x"}),
                              200, 4101)
        before = guest.get("/api/house/info", {"house_id": hid}).json["data"]["house"]["comments"][0]
        self.assertOk(landlord.post("/api/order/reply", {"order_id": oid, "reply": "欢迎再来"}))
        self.assertJsonAnswer(landlord.post("/api/order/reply", {"order_id": oid, "reply": "再来"}), 200, 4004)
        c = guest.get("/api/house/info", {"house_id": hid}).json["data"]["house"]["comments"][0]
        self.assertEqual((c["comment"], c["rating"], c["reply"], c["ctime"]),
                         ("<b>好</b>", 5, "欢迎再来", before["ctime"]))
        self.assertRegex(c["reply_time"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        page = harness.Client(self.st).get("/api/house/comments", {"house_id": hid}).json["data"]
        self.assertEqual(page["comments"][0]["reply"], "欢迎再来")
        orders = landlord.get("/api/order/my", {"role": "landlord"}).json["data"]["orders"]
        mine = [o for o in orders if o["order_id"] == oid][0]
        self.assertEqual((mine["comment"], mine["rating"], mine["reply"]), ("<b>好</b>", 5, "欢迎再来"))

    def test_house_comments_are_public_paged_newest_first(self):
        landlord = make_user(self.st, verified=True)
        guest = make_user(self.st, name="评论者%d" % (ReviewCase.offset + 7))
        hid = make_house(landlord)
        for i in range(13):
            self.assertOk(guest.post("/api/order/comment", {"order_id": self.stayed(guest, hid),
                                                            "comment": "第%d条" % i, "rating": 3}))
        anon = harness.Client(self.st)
        p1 = anon.get("/api/house/comments", {"house_id": hid})
        self.assertOk(p1)
        d1 = p1.json["data"]
        self.assertEqual((d1["total_page"], d1["current_page"], len(d1["comments"])), (2, 1, 10))
        d2 = anon.get("/api/house/comments", {"house_id": hid, "p": 2}).json["data"]
        self.assertEqual(len(d2["comments"]), 3)
        texts = [c["comment"] for c in d1["comments"] + d2["comments"]]
        self.assertEqual(sorted(texts), sorted("第%d条" % i for i in range(13)))
        for c in d1["comments"]:
            self.assertEqual(set(c), COMMENT_KEYS)
            self.assertEqual(c["user_name"], guest.name)
            self.assertRegex(c["stay"], r"^\d{4}-\d\d$")
        self.assertEqual(anon.get("/api/house/comments", {"house_id": hid, "p": 3}).json["data"]["comments"], [])
        self.assertJsonAnswer(anon.get("/api/house/comments", {"house_id": 2147483647}), 200, 4002)
        for bad in ({}, {"house_id": "x"}, {"house_id": hid, "p": 0}, {"house_id": hid, "p": "a"}):
            self.assertJsonAnswer(anon.get("/api/house/comments", bad), 200, 4103, str(bad))


if __name__ == "__main__":
    unittest.main()
