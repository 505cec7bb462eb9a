"""The account check of every logged-in request (include/ihome/auth/session.h) as the
workers keep it (Context::session_of): the users row a session is checked against is kept
in the worker while the database has not changed at all, so an operator or another process
disabling a user, closing the account or ending its sessions (session_epoch) ends every
session at the next request, whichever of two workers answers and even though both had
just checked the same session many times (and kept the row); and a worker's own write
(a password change) ends the user's other sessions on the other worker too."""

import unittest

import harness
from harness import ApiTestCase, new_mobile

STACK = None
WORKERS = 2
READS = 8  # with two workers and a new connection per request, both answer some


def setUpModule():
    global STACK
    STACK = harness.Stack(name="accountcheck", env={"IHOME_WORKERS": str(WORKERS)}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


class AccountCheckCase(ApiTestCase):
    @property
    def st(self):
        return STACK

    def user(self):
        c = harness.Client(self.st)
        c.mobile = new_mobile()
        c.register_user(c.mobile)
        c.user_id = c.check_login().json["data"]["user_id"]
        c.ensure_xsrf()
        return c

    def second_session(self, u):
        c = harness.Client(self.st)
        self.assertOk(c.login(u.mobile, "secret-pass-1"))
        c.ensure_xsrf()
        return c

    def warm(self, *clients):
        """Every worker checks (and keeps) each client's account, many times."""
        for c in clients:
            for i in range(READS):
                self.assertOk(c.check_login(), "logged in before the change (read %d)" % (i + 1))
                self.assertOk(c.get("/api/profile"), "logged in before the change (read %d)" % (i + 1))

    def assertLoggedOut(self, c, msg):
        # The first request after the change is the one that proves it: a session a
        # worker wrongly accepted would answer errno 0 here.
        self.assertJsonAnswer(c.check_login(), 200, 4101, msg)
        for _ in range(READS):
            self.assertJsonAnswer(c.check_login(), 200, 4101, msg)
            self.assertJsonAnswer(c.get("/api/profile"), 200, 4101, msg)

    def another_writer(self, sql, u):
        """A change by another process (an operator's script, ihome-admin)."""
        self.st.db_execute(sql, (u.user_id,))


class AnotherProcessEndsSessionsAtOnce(AccountCheckCase):
    def test_disabling_a_user(self):
        u = self.user()
        self.warm(u)
        self.another_writer("UPDATE users SET disabled = 1 WHERE id = ?", u)
        self.assertLoggedOut(u, "disabled by another process")

    def test_closing_an_account(self):
        u = self.user()
        self.warm(u)
        self.another_writer("UPDATE users SET closed_at = datetime('now') WHERE id = ?", u)
        self.assertLoggedOut(u, "closed by another process")

    def test_ending_its_sessions_by_the_epoch(self):
        u = self.user()
        other = self.second_session(u)
        self.warm(u, other)
        self.another_writer("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = ?", u)
        self.assertLoggedOut(u, "epoch moved by another process")
        self.assertLoggedOut(other, "epoch moved by another process (second session)")

    def test_a_user_can_log_in_again_after_being_enabled(self):
        u = self.user()
        self.warm(u)
        self.another_writer("UPDATE users SET disabled = 1 WHERE id = ?", u)
        self.assertLoggedOut(u, "disabled")
        self.another_writer("UPDATE users SET disabled = 0 WHERE id = ?", u)
        again = self.second_session(u)
        self.warm(again)

    def test_others_sessions_live_on(self):
        u, bystander = self.user(), self.user()
        self.warm(u, bystander)
        self.another_writer("UPDATE users SET disabled = 1 WHERE id = ?", u)
        self.assertLoggedOut(u, "disabled")
        self.warm(bystander)


class AWorkersOwnWrite(AccountCheckCase):
    def test_a_password_change_ends_the_other_session_on_both_workers(self):
        u = self.user()
        other = self.second_session(u)
        self.warm(u, other)
        r = u.post("/api/profile/password", {"old_password": "secret-pass-1", "password": "secret-pass-2",
                                              "password2": "secret-pass-2"})
        self.assertOk(r)
        self.assertLoggedOut(other, "the other session after a password change")
        self.warm(u)  # the caller's own session lives on under a new id


if __name__ == "__main__":
    unittest.main()
