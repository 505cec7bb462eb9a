"""Accounts (API.md "purpose" of an SMS code, "password/reset", "profile/password",
"profile/delete"): the password reset by SMS without account enumeration and with codes
bound to their purpose, the password change that ends the other sessions, and closing an
account — refused while orders are open, otherwise the personal data gone from every table
of the SQLite file (scanned column by column), from memcached and from the media dir, the
other party's orders still readable, the mobile free to register again.

One stack for the module, with no per-mobile SMS interval (the tests register a mobile and
then ask it a reset code at once); the limits have their own stack at the end."""

import os
import sqlite3
import unittest

import harness
from guests import day, end_stay
from harness import ApiTestCase, make_png, multipart, new_id_card, new_mobile, wrong_digits

STACK = None
PASSWORD = "secret-pass-1"


def setUpModule():
    global STACK
    STACK = harness.Stack(name="account", env={"IHOME_SMS_MOBILE_INTERVAL": "0",
                                               "IHOME_SMS_MOBILE_PER_DAY": "1000"}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


class AccountCase(ApiTestCase):
    @property
    def st(self):
        return STACK

    def user(self, verified=False, name=None, stack=None):
        c = harness.Client(stack or self.st)
        c.mobile = new_mobile()
        c.password = PASSWORD
        c.register_user(c.mobile, PASSWORD)
        if verified:
            c.id_card = new_id_card()
            self.assertOk(c.post("/api/profile/auth", {"real_name": "李四", "id_card": c.id_card}))
        if name:
            self.assertOk(c.post("/api/profile/name", {"name": name}))
        c.user_id = c.check_login().json["data"]["user_id"]
        return c

    def second_login(self, c, password=None):
        """Another browser logged in as the same user."""
        other = harness.Client(self.st)
        self.assertOk(other.login(c.mobile, password or c.password))
        return other

    def smscode(self, client, mobile, purpose=None):
        codeid, text = client.get_imagecode()
        body = {"mobile": mobile, "image_code_id": codeid, "image_code_text": text}
        if purpose is not None:
            body["purpose"] = purpose
        return client.post("/api/smscode", body)

    def reset_code(self, mobile):
        return self.st.cache_get("smscode:reset:" + mobile)

    def reset(self, client, mobile, code, password="new-pass-2", password2=None):
        return client.post("/api/password/reset", {
            "mobile": mobile, "phonecode": code, "password": password,
            "password2": password if password2 is None else password2})

    def outbox_count(self, mobile):
        return self.st.db_query("SELECT COUNT(*) FROM sms_outbox WHERE mobile = ?", (mobile,))[0][0]

    def assertLoggedOut(self, c, msg=""):
        self.assertJsonAnswer(c.check_login(), 200, 4101, msg)
        self.assertJsonAnswer(c.get("/api/profile"), 200, 4101, msg)


class SmsPurpose(AccountCase):
    def test_an_unknown_purpose_is_4103_and_leaves_the_image_code(self):
        c = harness.Client(self.st)
        codeid, text = c.get_imagecode()
        r = c.post("/api/smscode", {"mobile": new_mobile(), "image_code_id": codeid,
                                    "image_code_text": text, "purpose": "login"})
        self.assertJsonAnswer(r, 200, 4103)
        self.assertEqual(self.st.cache_get("imagecode:" + codeid), text)

    def test_register_is_the_default_purpose_and_refuses_a_registered_mobile(self):
        u = self.user()
        self.assertJsonAnswer(self.smscode(harness.Client(self.st), u.mobile), 200, 4003)
        self.assertJsonAnswer(self.smscode(harness.Client(self.st), u.mobile, "register"), 200, 4003)
        fresh = new_mobile()
        self.assertOk(self.smscode(harness.Client(self.st), fresh, "register"))
        self.assertRegex(self.st.cache_get("smscode:" + fresh) or "", r"^[0-9]{6}$")
        self.assertIsNone(self.reset_code(fresh))

    def test_reset_answers_alike_for_registered_and_unregistered_mobiles(self):
        u = self.user()
        unknown = new_mobile()
        before = self.outbox_count(u.mobile)
        r1 = self.smscode(harness.Client(self.st), u.mobile, "reset")
        r2 = self.smscode(harness.Client(self.st), unknown, "reset")
        self.assertOk(r1)
        self.assertOk(r2)
        self.assertEqual(r1.json, r2.json)
        self.assertEqual(r1.status, r2.status)
        # Made and sent only for the registered one, under its own key.
        self.assertRegex(self.reset_code(u.mobile) or "", r"^[0-9]{6}$")
        self.assertEqual(self.outbox_count(u.mobile), before + 1)
        self.assertIsNone(self.reset_code(unknown))
        self.assertIsNone(self.st.cache_get("smscode:" + unknown))
        self.assertEqual(self.outbox_count(unknown), 0)

    def test_reset_still_checks_the_image_code_first(self):
        u = self.user()
        c = harness.Client(self.st)
        codeid, text = c.get_imagecode()
        r = c.post("/api/smscode", {"mobile": u.mobile, "image_code_id": codeid,
                                    "image_code_text": harness.wrong_text(text), "purpose": "reset"})
        self.assertJsonAnswer(r, 200, 4004)
        r = c.post("/api/smscode", {"mobile": u.mobile, "image_code_id": codeid,
                                    "image_code_text": text, "purpose": "reset"})
        self.assertJsonAnswer(r, 200, 4002)
        self.assertIsNone(self.reset_code(u.mobile))

    def test_a_reset_code_is_refused_for_register(self):
        # An unregistered mobile never gets a reset code, so plant one: the
        # register endpoint must not look at it.
        mobile = new_mobile()
        self.st.cache_set("smscode:reset:" + mobile, "246810")
        c = harness.Client(self.st)
        self.assertJsonAnswer(c.register(mobile, "246810", PASSWORD), 200, 4002)
        self.assertEqual(self.st.db_query("SELECT COUNT(*) FROM users WHERE mobile = ?", (mobile,))[0][0], 0)
        # And a real reset code of a registered mobile does not register anything either.
        u = self.user()
        self.assertOk(self.smscode(harness.Client(self.st), u.mobile, "reset"))
        code = self.reset_code(u.mobile)
        self.assertJsonAnswer(harness.Client(self.st).register(u.mobile, code, PASSWORD), 200, 4002)
        self.assertEqual(self.reset_code(u.mobile), code, "the reset code must still be there")

    def test_a_register_code_is_refused_for_reset(self):
        u = self.user()
        self.st.cache_set("smscode:" + u.mobile, "135790")  # a register code for the mobile
        c = harness.Client(self.st)
        self.assertJsonAnswer(self.reset(c, u.mobile, "135790"), 200, 4002)
        # With a reset code present too, the register code is just a wrong code.
        self.assertOk(self.smscode(c, u.mobile, "reset"))
        code = self.reset_code(u.mobile)
        self.assertNotEqual(code, "135790")
        if code != "135790":
            self.assertJsonAnswer(self.reset(c, u.mobile, "135790"), 200, 4004)
        self.assertOk(self.reset(c, u.mobile, code))
        # A fresh register code for an unregistered mobile is refused by reset.
        fresh = new_mobile()
        self.assertOk(self.smscode(c, fresh))
        self.assertJsonAnswer(self.reset(c, fresh, self.st.cache_get("smscode:" + fresh)), 200, 4002)
        self.assertIsNotNone(self.st.cache_get("smscode:" + fresh), "the register code stays usable")


class PasswordReset(AccountCase):
    def code_for(self, u):
        self.assertOk(self.smscode(harness.Client(self.st), u.mobile, "reset"))
        return self.reset_code(u.mobile)

    def test_parameters_are_checked_4103(self):
        u = self.user()
        code = self.code_for(u)
        c = harness.Client(self.st)
        for body in ({"mobile": "12345", "phonecode": code, "password": "abcdef", "password2": "abcdef"},
                     {"mobile": u.mobile, "phonecode": "12ab56", "password": "abcdef", "password2": "abcdef"},
                     {"mobile": u.mobile, "phonecode": code, "password": "abc", "password2": "abc"},
                     {"mobile": u.mobile, "phonecode": code, "password": "x" * 65, "password2": "x" * 65},
                     {"mobile": u.mobile, "phonecode": code, "password": "abcdef", "password2": "abcdeg"},
                     {"mobile": u.mobile, "phonecode": code, "password": "abcdef"}):
            with self.subTest(body=body):
                self.assertJsonAnswer(c.post("/api/password/reset", body), 200, 4103)
        self.assertEqual(self.reset_code(u.mobile), code, "a refused parameter must not use up the code")

    def test_unknown_mobile_and_missing_code_are_4002(self):
        c = harness.Client(self.st)
        self.assertJsonAnswer(self.reset(c, new_mobile(), "123456"), 200, 4002)
        u = self.user()
        self.assertJsonAnswer(self.reset(c, u.mobile, "123456"), 200, 4002)

    def test_a_wrong_code_is_4004_and_five_wrong_tries_void_it(self):
        u = self.user()
        code = self.code_for(u)
        c = harness.Client(self.st)
        for i in range(5):
            self.assertJsonAnswer(self.reset(c, u.mobile, wrong_digits(code)), 200, 4004, "try %d" % i)
        self.assertIsNone(self.reset_code(u.mobile))
        self.assertJsonAnswer(self.reset(c, u.mobile, code), 200, 4002)
        self.assertOk(c.login(u.mobile, PASSWORD), "the old password still works")

    def test_reset_sets_the_password_ends_every_session_and_does_not_log_in(self):
        u = self.user()
        other = self.second_login(u)
        code = self.code_for(u)
        c = harness.Client(self.st)
        r = self.reset(c, u.mobile, code, "brand-new-9")
        self.assertOk(r)
        self.assertIsNone(r.cookie("session_id"), "a reset must not log in")
        self.assertJsonAnswer(c.check_login(), 200, 4101)
        for b in (u, other):
            self.assertIsNone(self.st.cache_get("session:" + b.cookies["session_id"]))
        self.assertLoggedOut(u, "the first session")
        self.assertLoggedOut(other, "the second session")
        self.assertJsonAnswer(harness.Client(self.st).login(u.mobile, PASSWORD), 200, 4106)
        self.assertOk(harness.Client(self.st).login(u.mobile, "brand-new-9"))
        # The code was used up.
        self.assertJsonAnswer(self.reset(c, u.mobile, code, "another-1"), 200, 4002)

    def test_reset_clears_the_login_lock(self):
        u = self.user()
        c = harness.Client(self.st)
        for _ in range(5):
            self.assertJsonAnswer(c.login(u.mobile, "wrong-password"), 200, 4106)
        self.assertJsonAnswer(c.login(u.mobile, PASSWORD), 429, 4201)
        self.assertOk(self.reset(c, u.mobile, self.code_for(u), "after-lock-1"))
        self.assertIsNone(self.st.cache_get("loginlock:" + u.mobile))
        self.assertOk(c.login(u.mobile, "after-lock-1"))

    def test_a_disabled_account_gets_no_reset_code_but_the_same_answer(self):
        u = self.user()
        self.st.db_execute("UPDATE users SET disabled = 1 WHERE id = ?", (u.user_id,))
        self.assertOk(self.smscode(harness.Client(self.st), u.mobile, "reset"))
        self.assertIsNone(self.reset_code(u.mobile))
        self.assertLoggedOut(u, "a disabled user's session ends at once")


class PasswordChange(AccountCase):
    def change(self, c, old, new, new2=None):
        return c.post("/api/profile/password", {"old_password": old, "password": new,
                                                "password2": new if new2 is None else new2})

    def test_without_login_4101(self):
        self.assertJsonAnswer(self.change(harness.Client(self.st), PASSWORD, "abcdefg"), 200, 4101)

    def test_new_password_rules_are_4103(self):
        u = self.user()
        self.assertJsonAnswer(self.change(u, PASSWORD, "abc"), 200, 4103)
        self.assertJsonAnswer(self.change(u, PASSWORD, "abcdefg", "abcdefh"), 200, 4103)
        self.assertJsonAnswer(u.post("/api/profile/password", {"password": "abcdefg", "password2": "abcdefg"}),
                              200, 4103)
        self.assertOk(harness.Client(self.st).login(u.mobile, PASSWORD))

    def test_a_wrong_old_password_is_4106_and_counts_like_a_failed_login(self):
        u = self.user()
        for i in range(5):
            self.assertJsonAnswer(self.change(u, "not-my-password", "abcdefg"), 200, 4106, "try %d" % i)
        self.assertJsonAnswer(harness.Client(self.st).login(u.mobile, PASSWORD), 429, 4201)
        self.assertJsonAnswer(self.change(u, PASSWORD, "abcdefg"), 429, 4201)

    def test_change_ends_other_sessions_and_keeps_the_callers_under_a_new_id(self):
        u = self.user()
        other = self.second_login(u)
        old_id = u.cookies["session_id"]
        r = self.change(u, PASSWORD, "changed-pass-3")
        self.assertOk(r)
        new_id = self.assertSessionCookie(r)
        self.assertNotEqual(new_id, old_id)
        self.assertIsNone(self.st.cache_get("session:" + other.cookies["session_id"]))
        self.assertOk(u.check_login(), "the caller goes on")
        self.assertOk(u.get("/api/profile"))
        self.assertLoggedOut(other, "the other browser")
        self.assertIsNone(self.st.cache_get("session:" + old_id))
        stale = harness.Client(self.st)
        stale.cookies = {"session_id": old_id}
        self.assertLoggedOut(stale, "the caller's old session id")
        self.assertJsonAnswer(harness.Client(self.st).login(u.mobile, PASSWORD), 200, 4106)
        self.assertOk(harness.Client(self.st).login(u.mobile, "changed-pass-3"))


    def test_every_session_of_many_logins_is_ended_and_deleted_and_the_list_stays_short(self):
        u = self.user()
        browsers = [self.second_login(u) for _ in range(40)]
        for b in browsers[:30]:
            self.assertOk(b.post("/api/logout", {}))
        browsers = browsers[30:] + [self.second_login(u)]   # this login prunes the dead ids
        listed = (self.st.cache_get("user_sessions:%d" % u.user_id) or "").split()
        self.assertLessEqual(len(listed), 12)
        ids = [b.cookies["session_id"] for b in browsers]
        for sid in ids:
            self.assertIn(sid, listed)
        self.assertOk(self.change(u, PASSWORD, "many-logins-1"))
        for b, sid in zip(browsers, ids):
            # Deleted by the change itself (before any request could find it stale).
            self.assertIsNone(self.st.cache_get("session:" + sid))
            self.assertLoggedOut(b)
        self.assertOk(u.check_login())


class CloseAccount(AccountCase):
    def house(self, owner, **over):
        body = {"title": "可注销测试房", "price": "150", "district": 2, "address": "西城区金融街1号",
                "room_count": 1, "acreage": 40, "house_capacity": 2, "facility": [1, 2]}
        body.update(over)
        r = owner.post("/api/house/newhouse", body)
        self.assertOk(r)
        return r.json["house_id"]

    def book(self, guest, house_id, offset, nights=1):
        r = guest.post("/api/order", {"house_id": house_id, "start_date": day(offset),
                                      "end_date": day(offset + nights)})
        self.assertOk(r)
        return r.json["order_id"]

    def close(self, c, password=PASSWORD):
        return c.post("/api/profile/delete", {"password": password})

    def test_without_login_4101_and_a_wrong_password_4106(self):
        self.assertJsonAnswer(self.close(harness.Client(self.st)), 200, 4101)
        u = self.user()
        self.assertJsonAnswer(self.close(u, "wrong-password"), 200, 4106)
        self.assertJsonAnswer(u.post("/api/profile/delete", {}), 200, 4103)
        self.assertOk(u.check_login(), "nothing closed")

    def test_refused_4004_while_an_order_is_open_as_guest_or_landlord(self):
        landlord = self.user(verified=True)
        guest = self.user()
        hid = self.house(landlord)
        oid = self.book(guest, hid, 30)
        self.assertJsonAnswer(self.close(guest), 200, 4004, "guest with WAIT_ACCEPT")
        self.assertJsonAnswer(self.close(landlord), 200, 4004, "landlord with WAIT_ACCEPT")
        self.assertOk(landlord.post("/api/order/accept", {"order_id": oid}))
        self.assertJsonAnswer(self.close(guest), 200, 4004, "guest with a PAID stay ahead")
        self.assertJsonAnswer(self.close(landlord), 200, 4004, "landlord with a PAID stay ahead")
        self.assertOk(guest.check_login())
        self.assertEqual(self.st.db_query("SELECT mobile FROM users WHERE id = ?", (guest.user_id,))[0][0],
                         guest.mobile)
        end_stay(self.st, oid)  # the stay is over: WAIT_COMMENT holds nobody's account
        self.assertOk(guest.post("/api/order/comment", {"order_id": oid, "comment": "很好"}))
        self.assertOk(self.close(guest), "COMPLETE orders do not hold the account")

    def all_values(self):
        """Every value of every column of every table of the stack's SQLite file."""
        conn = sqlite3.connect("file:%s?mode=ro" % self.st.db, uri=True, timeout=10)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            self.assertIn("users", tables)
            for t in tables:
                cols = [r[1] for r in conn.execute('PRAGMA table_info("%s")' % t)]
                for col in cols:
                    for (v,) in conn.execute('SELECT "%s" FROM "%s"' % (col, t)):
                        yield t, col, v
        finally:
            conn.close()

    def test_closing_erases_the_person_everywhere_and_the_other_party_keeps_the_orders(self):
        landlord = self.user(verified=True)
        name = "注销者" + landlord.mobile[-6:]
        guest = self.user(verified=True, name=name)
        body, ctype = multipart(files=[("avatar", "a.png", "image/png", make_png(64, 64))])
        r = guest.post("/api/profile/avatar", raw=body, content_type=ctype)
        self.assertOk(r)
        avatar_file = r.json["url"].rsplit("/", 1)[1]
        media = os.path.join(self.st.var, "media")
        self.assertIn(avatar_file, os.listdir(media))
        sealed = self.st.db_query("SELECT id_card_sealed FROM users WHERE id = ?", (guest.user_id,))[0][0]
        self.assertTrue(sealed)
        # The guest stayed at the landlord's house and commented; the guest has a house too.
        hid = self.house(landlord)
        oid = self.book(guest, hid, 40)
        self.assertOk(landlord.post("/api/order/accept", {"order_id": oid}))
        end_stay(self.st, oid)
        self.assertOk(guest.post("/api/order/comment", {"order_id": oid, "comment": "干净整洁"}))
        own = self.house(guest, title="注销者自己的房")
        viewer = self.user()
        info = viewer.get("/api/house/info", {"house_id": hid}).json["data"]["house"]
        self.assertEqual([c["user_name"] for c in info["comments"]], [name])
        other = self.second_login(guest)
        old_id = guest.cookies["session_id"]

        r = self.close(guest)
        self.assertOk(r)
        c = r.cookie("session_id")
        self.assertTrue(c is None or harness.cookie_is_expired(c) or c["value"] in ("", '""'),
                        "the closing answer expires the cookie")

        # Sessions: the session data is gone from memcached, and both browsers are out.
        self.assertIsNone(self.st.cache_get("session:" + old_id))
        self.assertIsNone(self.st.cache_get("session:" + other.cookies["session_id"]))
        self.assertIsNone(self.st.cache_get("user_sessions:%d" % guest.user_id))
        stale = harness.Client(self.st)
        stale.cookies = {"session_id": old_id}
        self.assertLoggedOut(stale, "the closed account's old session")
        self.assertLoggedOut(other, "the closed account's other session")

        # SQLite: no table keeps the mobile, the name, the real name or the sealed id card.
        for table, col, v in self.all_values():
            where = "%s.%s = %r" % (table, col, v)
            if isinstance(v, str):
                self.assertNotIn(guest.mobile, v, where)
                self.assertNotIn(name, v, where)
                self.assertNotIn(guest.id_card, v, where)
            elif isinstance(v, bytes):
                self.assertNotEqual(v, sealed, where)
                self.assertNotIn(guest.mobile.encode(), v, where)
        row = self.st.db_query("SELECT avatar, real_name, id_card_sealed, id_card_digest, closed_at "
                               "FROM users WHERE id = ?", (guest.user_id,))[0]
        self.assertEqual(row[:4], (None, None, None, None))
        self.assertIsNotNone(row[4])
        # The avatar file is gone from the media dir.
        self.assertNotIn(avatar_file, os.listdir(media))

        # Their house is offline; the landlord still sees the order, and the comment shows
        # the erased name as 已注销用户.
        self.assertEqual(self.st.db_query("SELECT status FROM houses WHERE id = ?", (own,))[0][0], "offline")
        own_info = viewer.get("/api/house/info", {"house_id": own}).json["data"]["house"]
        self.assertEqual((own_info["status"], own_info["user_name"], own_info["user_avatar"]),
                         ("offline", "已注销用户", None))
        orders = landlord.get("/api/order/my", {"role": "landlord"}).json["data"]["orders"]
        self.assertIn(oid, [o["order_id"] for o in orders])
        info = viewer.get("/api/house/info", {"house_id": hid}).json["data"]["house"]
        self.assertEqual([(c["user_name"], c["comment"]) for c in info["comments"]], [("已注销用户", "干净整洁")])

        # The old credentials no longer log in; the mobile registers again as a new user.
        self.assertJsonAnswer(harness.Client(self.st).login(guest.mobile, PASSWORD), 200, 4106)
        again = harness.Client(self.st)
        again.register_user(guest.mobile, "fresh-start-1")
        new_id = again.check_login().json["data"]["user_id"]
        self.assertNotEqual(new_id, guest.user_id)
        profile = again.get("/api/profile").json
        self.assertEqual((profile["mobile"], profile["real_name_verified"], profile["avatar"]),
                         (guest.mobile, False, None))

    def rows_keyed_by(self, parent, ids):
        """{table.column: count} of the rows whose foreign key into `parent` is one of `ids`,
        over every table of the schema (so a table added later is covered without a change)."""
        conn = sqlite3.connect("file:%s?mode=ro" % self.st.db, uri=True, timeout=10)
        try:
            out = {}
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for t in tables:
                for fk in conn.execute('PRAGMA foreign_key_list("%s")' % t).fetchall():
                    if fk[2] != parent or not ids:
                        continue
                    n = conn.execute('SELECT count(*) FROM "%s" WHERE "%s" IN (%s)'
                                     % (t, fk[3], ",".join("?" * len(ids))), list(ids)).fetchone()[0]
                    out["%s.%s" % (t, fk[3])] = n
            return out
        finally:
            conn.close()

    def test_closing_keeps_only_the_rows_the_other_party_needs_and_ends_the_calendar_feeds(self):
        landlord = self.user(verified=True)
        guest = self.user(verified=True)
        other = self.house(landlord)
        oid = self.book(guest, other, 50)
        self.assertOk(landlord.post("/api/order/accept", {"order_id": oid}))
        end_stay(self.st, oid)
        self.assertOk(guest.post("/api/order/comment", {"order_id": oid, "comment": "不错"}))
        self.assertOk(guest.post("/api/user/favorites", {"house_id": other}))
        own = self.house(guest, title="日历要停的房")
        self.assertOk(landlord.post("/api/user/favorites", {"house_id": own}))
        feed = guest.post("/api/house/ical_url/reset", {"house_id": own}).json["data"]["url"]
        anon = harness.Client(self.st)
        self.assertEqual(anon.get(feed).status, 200)
        self.assertIn("user_id", [r[1] for r in self.st.db_query("PRAGMA table_info(favorites)")])
        before = self.rows_keyed_by("users", [guest.user_id])
        self.assertGreater(before.get("favorites.user_id", 0), 0, "the scan sees the favourites")

        self.assertOk(self.close(guest))

        # Only the rows the other party still reads keep the user's id: their orders (as
        # guest) and their houses (offline, for the landlord-side orders and comments).
        kept = {k: n for k, n in self.rows_keyed_by("users", [guest.user_id]).items() if n}
        self.assertEqual(set(kept) - {"orders.user_id", "houses.user_id"}, set(), kept)
        # Nobody can reset a closed landlord's calendar URL any more: it stops working
        # with the account (the house is offline and has no open order anyway).
        self.assertJsonAnswer(anon.get(feed), 404, 4002)
        self.assertEqual(self.st.db_query("SELECT count(*) FROM house_ical_tokens WHERE house_id = ?",
                                          (own,))[0][0], 0)
        # Other people's favourites of the closed landlord's house stay (it is offline).
        self.assertEqual(landlord.get("/api/user/favorites/ids").json["data"]["house_ids"], [own])

    def test_a_closed_name_cannot_be_taken(self):
        u = self.user()
        self.assertJsonAnswer(u.post("/api/profile/name", {"name": "已注销用户#1"}), 200, 4103)
        self.assertJsonAnswer(u.post("/api/profile/name", {"name": "已注销用户"}), 200, 4103)

    def test_two_closed_accounts_do_not_collide(self):
        a, b = self.user(), self.user()
        self.assertOk(self.close(a))
        self.assertOk(self.close(b))
        rows = self.st.db_query("SELECT mobile, name FROM users WHERE id IN (?, ?)", (a.user_id, b.user_id))
        self.assertEqual(len(set(rows)), 2)
        for mobile, _name in rows:
            self.assertNotRegex(mobile, r"^1[3-9][0-9]{9}$")


class Csrf(AccountCase):
    def test_every_account_route_needs_the_csrf_header_and_changes_nothing_without_it(self):
        u = self.user()
        for path, body in (("/api/password/reset", {"mobile": u.mobile, "phonecode": "123456",
                                                    "password": "csrf-pass-2", "password2": "csrf-pass-2"}),
                           ("/api/profile/password", {"old_password": PASSWORD, "password": "csrf-pass-2",
                                                      "password2": "csrf-pass-2"}),
                           ("/api/profile/delete", {"password": PASSWORD})):
            for csrf in (False, "not-the-cookie"):
                self.assertJsonAnswer(u.post(path, body, csrf=csrf), 403, 4201, "%s %r" % (path, csrf))
        self.assertOk(u.check_login(), "still logged in: nothing was changed or closed")
        self.assertOk(harness.Client(self.st).login(u.mobile, PASSWORD), "the password is the old one")


class ResetLimits(AccountCase):
    """The SMS limits count for registered and unregistered mobiles alike."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(name="account-limits", env={"IHOME_SMS_MOBILE_INTERVAL": "60"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    @property
    def st(self):
        return self.stack

    def test_a_second_reset_within_the_interval_is_429_for_both(self):
        known = self.user()  # registering used up this mobile's interval already
        unknown = new_mobile()
        c = harness.Client(self.st)
        r1 = self.smscode(c, unknown, "reset")
        self.assertOk(r1)
        r_known = self.smscode(c, known.mobile, "reset")
        r_unknown = self.smscode(c, unknown, "reset")
        self.assertJsonAnswer(r_known, 429, 4201)
        self.assertJsonAnswer(r_unknown, 429, 4201)
        self.assertEqual(r_known.json["errno"], r_unknown.json["errno"])


if __name__ == "__main__":
    unittest.main()
