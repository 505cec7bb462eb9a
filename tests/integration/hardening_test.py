"""Loose ends of the first release, on the real stack: a cross-site GET /api/logout is refused,
`ihome-admin disable` ends that user's sessions at once, and a worker killed mid-upload
leaves no temp file behind for long (the next worker sweeps stale `.upload-*.tmp`)."""

import os
import signal
import subprocess
import threading
import time
import unittest

import harness
from harness import ApiTestCase, make_png, multipart, new_mobile

STACK = None
ADMIN = os.path.join(harness.REPO, "scripts", "ihome-admin")


def setUpModule():
    global STACK
    STACK = harness.Stack(env={"IHOME_WORKERS": "2", "IHOME_CACHE_TIMEOUT_MS": "3000"}, name="hardening").start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


def user():
    c = harness.Client(STACK)
    c.mobile = new_mobile()
    c.register_user(c.mobile)
    return c


class CrossSiteLogout(ApiTestCase):
    def test_cross_site_get_logout_is_403_4201_and_keeps_the_session(self):
        c = user()
        sid = c.cookies["session_id"]
        r = c.get("/api/logout", headers={"Sec-Fetch-Site": "cross-site"})
        self.assertJsonAnswer(r, 403, 4201)
        self.assertIsNone(r.cookie("session_id"), "a refused logout must not touch the cookie")
        self.assertIsNotNone(STACK.cache_get("session:" + sid), "the session was deleted")
        self.assertEqual(c.check_login().errno, 0)

    def test_same_site_same_origin_and_typed_get_logout_work(self):
        for site in ("same-origin", "same-site", "none", None):
            c = user()
            sid = c.cookies["session_id"]
            headers = {"Sec-Fetch-Site": site} if site else None
            self.assertOk(c.get("/api/logout", headers=headers), "Sec-Fetch-Site: %s" % site)
            self.assertIsNone(STACK.cache_get("session:" + sid), site)
            self.assertEqual(c.check_login().errno, 4101, site)

    def test_cross_site_post_logout_with_csrf_token_works(self):
        # A POST carries the CSRF token only a page of the site can read: it is the site's own.
        c = user()
        r = c.post("/api/logout", raw=b"", content_type="application/json",
                   headers={"Sec-Fetch-Site": "cross-site"})
        self.assertOk(r)
        self.assertEqual(c.check_login().errno, 4101)


class DisableEndsSessions(ApiTestCase):
    def admin(self, *args):
        env = dict(os.environ, IHOMED=os.path.abspath(os.environ.get("IHOMED", "build/ihomed")))
        env.pop("IHOME_CONFIG", None)
        return subprocess.run([ADMIN, "--db", STACK.db] + list(args), capture_output=True, text=True,
                              env=env, timeout=30)

    def test_disable_logs_every_session_out_within_a_second(self):
        a = user()
        second = harness.Client(STACK)  # a second device of the same user
        self.assertOk(second.login(a.mobile, "secret-pass-1"))
        other = user()
        sids = [a.cookies["session_id"], second.cookies["session_id"]]
        self.assertEqual(a.check_login().errno, 0)

        p = self.admin("disable", a.mobile)
        self.assertEqual(p.returncode, 0, p.stderr)
        disabled_at = time.monotonic()
        for c in (a, second):
            r = c.check_login()
            self.assertEqual(r.errno, 4101, r.describe())
            self.assertEqual(c.get("/api/profile").errno, 4101)
        self.assertLess(time.monotonic() - disabled_at, 1.0)
        for sid in sids:
            self.assertIsNone(STACK.cache_get("session:" + sid), "the session stayed in memcached")
        # Others are not touched; the disabled user cannot log in again (4104).
        self.assertEqual(other.check_login().errno, 0)
        self.assertEqual(harness.Client(STACK).login(a.mobile, "secret-pass-1").errno, 4104)

        # enable: logins work again (the old sessions stay gone).
        p = self.admin("enable", a.mobile)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(a.check_login().errno, 4101)
        again = harness.Client(STACK)
        self.assertOk(again.login(a.mobile, "secret-pass-1"))
        self.assertEqual(again.check_login().errno, 0)


class StaleUploads(ApiTestCase):
    def media(self, name=""):
        return os.path.join(STACK.var, "media", name)

    def plant(self, name, age):
        path = self.media(name)
        with open(path, "wb") as f:
            f.write(b"\xff\xd8 half a jpeg")
        t = time.time() - age
        os.utime(path, (t, t))
        return path

    def test_worker_killed_mid_upload_leaves_no_stale_temp_file(self):
        c = user()
        # Left by a worker killed while writing, two minutes ago; and one being written now.
        stale = self.plant(".upload-KilledMidWrite1.tmp", 120)
        fresh = self.plant(".upload-BeingWritten22.tmp", 5)
        other = self.plant(".upload-notours.tmpx", 120)
        master, workers = STACK.ihomed_master_and_workers()
        self.assertTrue(workers)

        # An upload in flight while every worker is killed.
        big = make_png(3000, 3000)
        body, ctype = multipart(files=[("avatar", "big.png", "image/png", big)])
        answers = []
        t = threading.Thread(target=lambda: answers.append(
            c.post("/api/profile/avatar", raw=body, content_type=ctype)), daemon=True)
        t.start()
        time.sleep(0.3)
        for w in workers:
            os.kill(w, signal.SIGKILL)
        t.join(60)

        def respawned():
            _m, now = STACK.ihomed_master_and_workers()
            return len(now) == len(workers) and not set(now) & set(workers)
        deadline = time.monotonic() + 20
        while not respawned() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertTrue(respawned(), "the master did not bring the workers back")
        # The new workers swept at start: the stale file is gone, the young one and a name
        # that is not a temp file of ours stay.
        deadline = time.monotonic() + 5
        while os.path.exists(stale) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.exists(stale), "a stale .upload-*.tmp survived the worker restart")
        self.assertTrue(os.path.exists(fresh), "a temp file younger than a minute was removed")
        self.assertTrue(os.path.exists(other))
        leftovers = [n for n in os.listdir(self.media()) if n.startswith(".upload-") and n.endswith(".tmp")
                     and time.time() - os.stat(self.media(n)).st_mtime > 60]
        self.assertEqual(leftovers, [])
        # The site goes on: the same upload works now.
        small = make_png(64, 64)
        body, ctype = multipart(files=[("avatar", "a.png", "image/png", small)])
        self.assertOk(c.post("/api/profile/avatar", raw=body, content_type=ctype))
        os.unlink(fresh)
        os.unlink(other)


if __name__ == "__main__":
    unittest.main()
