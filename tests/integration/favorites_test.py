"""Favourites (API.md "Favourites"): add and remove (idempotent), the list (house/list's
fields, newest first, 10 a page) and the ids, every errno (login 4101, CSRF 403, house_id
4103, unknown house 4002, the 500 limit 4004), house/info's favorite_count kept right through
its cache, and the limit and the count under concurrent adds and removes."""

import unittest

import harness
from harness import ApiTestCase, run_together
from guests import UNKNOWN_ID, make_house, make_user

STACK = None
LIST_KEYS = {"house_id", "title", "price", "area_name", "address", "room_count", "order_count",
             "img_url", "user_avatar", "ctime"}
LIST_KEYS |= {"rating", "rating_count"}  # API.md "house/comments"


def setUpModule():
    global STACK
    STACK = harness.Stack(name="favorites", env={"IHOME_WORKERS": "4"}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


class FavoritesCase(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.owner = make_user(STACK, verified=True)

    def add(self, c, hid):
        return c.post("/api/user/favorites", {"house_id": hid})

    def remove(self, c, hid):
        return c.post("/api/user/favorites/remove", {"house_id": hid})

    def ids(self, c):
        r = c.get("/api/user/favorites/ids")
        self.assertOk(r)
        self.assertNoStore(r)
        return r.json["data"]["house_ids"]

    def page(self, c, p=None):
        r = c.get("/api/user/favorites", {} if p is None else {"p": p})
        self.assertOk(r)
        return r.json["data"]

    def favorite_count(self, hid):
        r = harness.Client(STACK).get("/api/house/info", {"house_id": hid})
        self.assertOk(r)
        return r.json["data"]["house"]["favorite_count"]

    def rows(self, user_id):
        return STACK.db_query("SELECT house_id FROM favorites WHERE user_id = ? ORDER BY house_id",
                              (user_id,))


class AddRemove(FavoritesCase):
    def test_add_twice_and_remove_twice_are_errno_0_and_one_row(self):
        c = make_user(STACK)
        hid = make_house(self.owner)
        self.assertOk(self.add(c, hid))
        self.assertOk(self.add(c, hid))
        self.assertEqual(self.rows(c.user_id), [(hid,)])
        self.assertEqual(self.ids(c), [hid])
        self.assertOk(self.remove(c, hid))
        self.assertOk(self.remove(c, hid))
        self.assertEqual(self.rows(c.user_id), [])
        self.assertEqual(self.ids(c), [])

    def test_removing_a_house_never_saved_or_unknown_is_errno_0(self):
        c = make_user(STACK)
        self.assertOk(self.remove(c, make_house(self.owner)))
        self.assertOk(self.remove(c, UNKNOWN_ID))

    def test_house_id_as_a_numeric_string_and_as_a_form(self):
        c = make_user(STACK)
        a, b = make_house(self.owner), make_house(self.owner)
        self.assertOk(c.post("/api/user/favorites", {"house_id": str(a)}))
        self.assertOk(c.post("/api/user/favorites", form={"house_id": str(b)}))
        self.assertEqual(sorted(self.ids(c)), sorted([a, b]))

    def test_an_owner_may_save_their_own_house(self):
        hid = make_house(self.owner)
        self.assertOk(self.add(self.owner, hid))
        self.assertIn(hid, self.ids(self.owner))


class Errors(FavoritesCase):
    def test_unknown_house_is_4002_and_writes_nothing(self):
        c = make_user(STACK)
        self.assertJsonAnswer(self.add(c, UNKNOWN_ID), 200, 4002)
        self.assertEqual(self.rows(c.user_id), [])

    def test_bad_house_id_is_4103(self):
        c = make_user(STACK)
        for bad in (None, "", "0", "-3", "abc", 1.5, "1.5", [1], {"a": 1}, True, "99999999999999999999"):
            body = {} if bad is None else {"house_id": bad}
            self.assertJsonAnswer(c.post("/api/user/favorites", body), 200, 4103, repr(bad))
            self.assertJsonAnswer(c.post("/api/user/favorites/remove", body), 200, 4103, repr(bad))
        self.assertEqual(self.rows(c.user_id), [])

    def test_every_route_needs_login(self):
        anon = harness.Client(STACK)
        hid = make_house(self.owner)
        self.assertJsonAnswer(self.add(anon, hid), 200, 4101)
        self.assertJsonAnswer(self.remove(anon, hid), 200, 4101)
        self.assertJsonAnswer(anon.get("/api/user/favorites"), 200, 4101)
        self.assertJsonAnswer(anon.get("/api/user/favorites/ids"), 200, 4101)

    def test_posts_without_csrf_are_403(self):
        c = make_user(STACK)
        hid = make_house(self.owner)
        self.assertJsonAnswer(c.post("/api/user/favorites", {"house_id": hid}, csrf=False), 403, 4201)
        self.assertJsonAnswer(c.post("/api/user/favorites/remove", {"house_id": hid}, csrf="x"),
                              403, 4201)
        self.assertEqual(self.rows(c.user_id), [])

    def test_bad_page_is_4103_and_wrong_methods_405(self):
        c = make_user(STACK)
        for bad in ("0", "-1", "x", "1.5"):
            self.assertJsonAnswer(c.get("/api/user/favorites", {"p": bad}), 200, 4103, bad)
        self.assertJsonAnswer(c.get("/api/user/favorites/remove"), 405, 4201)
        self.assertJsonAnswer(c.post("/api/user/favorites/ids", {}), 405, 4201)


class Listing(FavoritesCase):
    def test_newest_first_10_a_page_with_house_list_fields(self):
        c = make_user(STACK)
        saved = [make_house(self.owner, title="收藏房%02d" % i) for i in range(12)]
        for hid in saved:
            self.assertOk(self.add(c, hid))
        self.assertOk(self.add(c, saved[0]))  # saving again does not move it up
        newest_first = list(reversed(saved))
        first = self.page(c)
        self.assertEqual((first["total_page"], first["current_page"]), (2, 1))
        self.assertEqual([h["house_id"] for h in first["houses"]], newest_first[:10])
        for h in first["houses"]:
            self.assertEqual(set(h), LIST_KEYS)
        h = first["houses"][0]
        self.assertEqual((h["title"], h["price"], h["area_name"]), ("收藏房11", "199.00", "东城区"))
        second = self.page(c, 2)
        self.assertEqual([h["house_id"] for h in second["houses"]], newest_first[10:])
        self.assertEqual(self.page(c, 3), {"houses": [], "total_page": 2, "current_page": 3})
        self.assertEqual(self.ids(c), newest_first)

    def test_an_empty_list(self):
        c = make_user(STACK)
        self.assertEqual(self.page(c), {"houses": [], "total_page": 0, "current_page": 1})
        self.assertEqual(self.ids(c), [])

    def test_users_see_only_their_own(self):
        a, b = make_user(STACK), make_user(STACK)
        ha, hb = make_house(self.owner), make_house(self.owner)
        self.assertOk(self.add(a, ha))
        self.assertOk(self.add(b, hb))
        self.assertEqual(self.ids(a), [ha])
        self.assertEqual(self.ids(b), [hb])


class Limit(FavoritesCase):
    def test_the_501st_is_4004_but_re_adding_a_saved_one_is_fine(self):
        c = make_user(STACK)
        first = make_house(self.owner)
        self.assertOk(self.add(c, first))
        # 499 more straight into SQLite (houses of this owner), then the API again.
        base = STACK.db_query("SELECT max(id) FROM houses")[0][0]
        for i in range(499):
            STACK.db_execute(
                "INSERT INTO houses (user_id, area_id, title, price, address, room_count, acreage,"
                " capacity) VALUES (?, 1, ?, 100, '某地', 1, 10, 1)", (self.owner.user_id, "批量%d" % i))
        conn_ids = [r[0] for r in STACK.db_query("SELECT id FROM houses WHERE id > ?", (base,))][:499]
        for hid in conn_ids:
            STACK.db_execute("INSERT INTO favorites (user_id, house_id) VALUES (?, ?)", (c.user_id, hid))
        self.assertEqual(len(self.ids(c)), 500)
        extra = make_house(self.owner)
        r = self.add(c, extra)
        self.assertJsonAnswer(r, 200, 4004)
        self.assertNotIn(extra, self.ids(c))
        self.assertOk(self.add(c, first))           # already saved: still errno 0
        self.assertOk(self.remove(c, first))
        self.assertOk(self.add(c, extra))           # room again
        self.assertEqual(len(self.ids(c)), 500)

    def test_concurrent_adds_never_pass_the_limit(self):
        c = make_user(STACK)
        base = STACK.db_query("SELECT max(id) FROM houses")[0][0]
        for i in range(510):
            STACK.db_execute(
                "INSERT INTO houses (user_id, area_id, title, price, address, room_count, acreage,"
                " capacity) VALUES (?, 1, ?, 100, '某地', 1, 10, 1)", (self.owner.user_id, "并发%d" % i))
        hids = [r[0] for r in STACK.db_query("SELECT id FROM houses WHERE id > ? ORDER BY id", (base,))]
        for hid in hids[:495]:
            STACK.db_execute("INSERT INTO favorites (user_id, house_id) VALUES (?, ?)", (c.user_id, hid))
        rest = hids[495:510]
        results = run_together(len(rest), lambda i: self.add(c, rest[i]))
        errnos = sorted(r.errno for r in results)
        self.assertEqual(errnos, [0] * 5 + [4004] * 10, results)
        self.assertEqual(STACK.db_query("SELECT count(*) FROM favorites WHERE user_id = ?",
                                        (c.user_id,))[0][0], 500)


class Count(FavoritesCase):
    def test_favorite_count_follows_adds_and_removes_through_the_info_cache(self):
        hid = make_house(self.owner)
        self.assertEqual(self.favorite_count(hid), 0)
        self.assertEqual(self.favorite_count(hid), 0)  # cached now
        a, b = make_user(STACK), make_user(STACK)
        self.assertOk(self.add(a, hid))
        self.assertEqual(self.favorite_count(hid), 1)
        self.assertOk(self.add(a, hid))
        self.assertOk(self.add(b, hid))
        self.assertEqual(self.favorite_count(hid), 2)
        self.assertOk(self.remove(a, hid))
        self.assertOk(self.remove(a, hid))
        self.assertEqual(self.favorite_count(hid), 1)

    def test_concurrent_adds_and_removes_leave_the_true_count(self):
        hid = make_house(self.owner)
        users = [make_user(STACK) for _ in range(12)]
        for u in users[:6]:
            self.assertOk(self.add(u, hid))
        self.favorite_count(hid)  # cache the detail

        def flip(i):
            u = users[i]
            # The first six remove (twice), the others add (twice), all at once.
            if i < 6:
                return [self.remove(u, hid).errno, self.remove(u, hid).errno]
            return [self.add(u, hid).errno, self.add(u, hid).errno]
        results = run_together(len(users), flip)
        for r in results:
            self.assertEqual(r, [0, 0])
        self.assertEqual(self.favorite_count(hid), 6)
        self.assertEqual(STACK.db_query("SELECT count(*) FROM favorites WHERE house_id = ?",
                                        (hid,))[0][0], 6)


class ClosedAccount(FavoritesCase):
    def test_closing_the_account_erases_its_favourites_and_their_counts(self):
        c = make_user(STACK)
        hid = make_house(self.owner)
        self.assertOk(self.add(c, hid))
        self.assertEqual(self.favorite_count(hid), 1)   # cached now
        self.assertOk(c.post("/api/profile/delete", {"password": "secret-pass-1"}))
        self.assertEqual(self.rows(c.user_id), [])
        self.assertEqual(self.favorite_count(hid), 0)


if __name__ == "__main__":
    unittest.main()
