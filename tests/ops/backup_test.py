"""ihome-backup on a live database under write load, ihome-restore (refusal while in use,
round trip), and ihome-admin against a running stack."""

import os
import shutil
import sqlite3
import threading
import time
import unittest

from opslib import (KeptStack, data_paths, describe, harness, mkdtemp, run, script)


class Writer(threading.Thread):
    """Commits rows to the live database (sms_outbox, as a delivery script would) as fast as
    it can, recording the id of each acknowledged commit with the time it was acknowledged."""

    def __init__(self, db, tag):
        super().__init__(daemon=True)
        self.db, self.tag = db, tag
        self.acked = []          # (monotonic time acknowledged, id)
        self.stop_flag = threading.Event()
        self.error = None

    def run(self):
        conn = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        try:
            n = 0
            while not self.stop_flag.is_set():
                n += 1
                cur = conn.execute("INSERT INTO sms_outbox (mobile, body) VALUES (?, ?)",
                                   ("13800000000", "%s-%d %s" % (self.tag, n, "x" * 200)))
                self.acked.append((time.monotonic(), cur.lastrowid))
                # Leave room for ihomed's own writes (registrations) between commits.
                time.sleep(0.002)
        except Exception as e:  # noqa: BLE001
            self.error = e
        finally:
            conn.close()


class Registrar(threading.Thread):
    """Registers users through nginx + ihomed, recording each acknowledged registration."""

    def __init__(self, stack):
        super().__init__(daemon=True)
        self.stack = stack
        self.acked = []          # (monotonic time, mobile)
        self.stop_flag = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stop_flag.is_set():
                mobile = harness.new_mobile("15")
                self.stack.client().register_user(mobile)
                self.acked.append((time.monotonic(), mobile))
        except Exception as e:  # noqa: BLE001
            self.error = e


def rows(db, sql):
    conn = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


class BackupUnderLoad(unittest.TestCase):
    def setUp(self):
        self.stack = KeptStack(name="backup").start()
        self.tmp = mkdtemp("backup")

    def tearDown(self):
        self.stack.stop()
        self.stack.discard()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_live_backup_holds_every_committed_row(self):
        media = os.path.join(self.stack.var, "media")
        with open(os.path.join(media, "A" * 43 + ".jpg"), "wb") as f:
            f.write(b"\xff\xd8\xff fake jpeg")
        writers = [Writer(self.stack.db, "w%d" % i) for i in range(2)]
        registrar = Registrar(self.stack)
        for t in writers + [registrar]:
            t.start()
        time.sleep(2.0)
        dest = os.path.join(self.tmp, "backups")
        backups = []
        try:
            for _ in range(2):
                began = time.monotonic()
                r = run([script("ihome-backup"), "--dest", dest, "--keep", "5"]
                        + data_paths(self.stack))
                self.assertEqual(r.returncode, 0, describe(r))
                backups.append((began, r.stdout.strip().splitlines()[-1]))
                time.sleep(0.5)
        finally:
            for t in writers + [registrar]:
                t.stop_flag.set()
            for t in writers + [registrar]:
                t.join(30)
        for t in writers + [registrar]:
            self.assertIsNone(t.error, "a writer failed: %r" % t.error)
        total = sum(len(w.acked) for w in writers)
        self.assertGreater(total, 200, "too little write load to mean anything")
        self.assertGreater(len(registrar.acked), 3)

        for began, path in backups:
            db = os.path.join(path, "ihome.db")
            self.assertEqual(rows(db, "PRAGMA integrity_check"), [("ok",)])
            have_ids = {r[0] for r in rows(db, "SELECT id FROM sms_outbox")}
            committed = [i for w in writers for (t, i) in w.acked if t < began]
            self.assertTrue(committed)
            missing = [i for i in committed if i not in have_ids]
            self.assertEqual(missing, [], "rows committed before the backup began are missing")
            have_mobiles = {r[0] for r in rows(db, "SELECT mobile FROM users")}
            registered = [m for (t, m) in registrar.acked if t < began]
            self.assertEqual([m for m in registered if m not in have_mobiles], [])
            self.assertTrue(os.path.isfile(os.path.join(path, "secret.key")))
            self.assertTrue(os.path.isfile(os.path.join(path, "media", "A" * 43 + ".jpg")))
            manifest = open(os.path.join(path, "MANIFEST")).read()
            self.assertIn("integrity_check=ok", manifest)
        # The second backup hard-links the unchanged media file of the first.
        a, b = (os.stat(os.path.join(p, "media", "A" * 43 + ".jpg")) for _, p in backups)
        self.assertEqual(a.st_ino, b.st_ino)
        # The live database is fine too.
        self.assertEqual(rows(self.stack.db, "PRAGMA integrity_check"), [("ok",)])

    def test_rotation_keeps_the_newest(self):
        dest = os.path.join(self.tmp, "rot")
        made = []
        for _ in range(3):
            r = run([script("ihome-backup"), "--dest", dest, "--keep", "2"]
                    + data_paths(self.stack))
            self.assertEqual(r.returncode, 0, describe(r))
            made.append(os.path.basename(r.stdout.strip()))
            time.sleep(1.05)  # backup names have a one-second resolution
        left = sorted(n for n in os.listdir(dest) if n.startswith("ihome-"))
        self.assertEqual(left, made[1:])


class RestoreRoundTrip(unittest.TestCase):
    def test_restore(self):
        stack = KeptStack(name="restore").start()
        tmp = mkdtemp("restore")
        try:
            self.round_trip(stack, tmp)
        finally:
            stack.stop(check=False)
            stack.discard()
            shutil.rmtree(tmp, ignore_errors=True)

    def round_trip(self, stack, tmp):
        media = os.path.join(stack.var, "media")
        before, after = harness.new_mobile("16"), harness.new_mobile("16")
        stack.client().register_user(before, "before-pass")
        picture = os.path.join(media, "B" * 43 + ".jpg")
        with open(picture, "wb") as f:
            f.write(b"\xff\xd8\xff picture")
        r = run([script("ihome-backup"), "--dest", os.path.join(tmp, "b")] + data_paths(stack))
        self.assertEqual(r.returncode, 0, describe(r))
        backup = r.stdout.strip()
        # Changes after the backup: a new user, a deleted picture.
        stack.client().register_user(after, "after-pass")
        os.unlink(picture)

        # While the stack runs: refused, nothing touched.
        r = run([script("ihome-restore"), "--yes", backup] + data_paths(stack))
        self.assertEqual(r.returncode, 4, describe(r))
        self.assertIn("ihomed pid", r.stderr)
        self.assertEqual(len(stack.db_query("SELECT 1 FROM users WHERE mobile = ?", (after,))), 1)
        # Without --yes and without a terminal: refused before anything.
        stack.stop()

        # A process that merely holds the database open (an operator's sqlite3) also counts.
        holder = sqlite3.connect(stack.db)
        holder.execute("SELECT count(*) FROM users").fetchall()
        try:
            r = run([script("ihome-restore"), "--yes", backup] + data_paths(stack))
            self.assertEqual(r.returncode, 4, describe(r))
            self.assertIn("has %s" % os.path.realpath(stack.db), r.stderr)
        finally:
            holder.close()

        r = run([script("ihome-restore"), backup] + data_paths(stack), input="")
        self.assertEqual(r.returncode, 2, describe(r))
        r = run([script("ihome-restore"), "--yes", os.path.join(tmp, "nothing")] + data_paths(stack))
        self.assertEqual(r.returncode, 3, describe(r))

        # The saved search index (made from the database being replaced) is there now.
        self.assertTrue(os.path.isfile(stack.db + ".index"))
        r = run([script("ihome-restore"), "--yes", backup] + data_paths(stack))
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertTrue(os.path.isfile(picture), "the picture is not restored")
        self.assertFalse(os.path.exists(stack.db + ".index"), "a cache of the replaced database: removed")
        self.assertIn("saved search index removed", r.stderr)
        aside = [n for n in os.listdir(stack.var) if ".before-restore-" in n]
        self.assertTrue(any(n.startswith("ihome.db.before-restore-") for n in aside), aside)

        # The stack starts on the restored data: the old user logs in, the later one is gone.
        stack.start()
        c = stack.client()
        r = c.login(before, "before-pass")
        self.assertEqual(r.errno, 0, r.describe())
        r = stack.client().login(after, "after-pass")
        self.assertEqual(r.errno, 4106, r.describe())
        self.assertEqual(stack.db_query("PRAGMA integrity_check"), [("ok",)])


class AdminOnLiveStack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = KeptStack(name="admin").start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.stack.discard()

    def admin(self, *args, input=None):
        return run([script("ihome-admin"), "--db", self.stack.db] + list(args), input=input)

    def test_disable_enable_reset_password(self):
        mobile = harness.new_mobile("17")
        self.stack.client().register_user(mobile, "first-pass")
        r = self.admin("find", mobile[:7])
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn(mobile, r.stdout)
        r = self.admin("disable", mobile)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(self.stack.client().login(mobile, "first-pass").errno, 4104)
        r = self.admin("enable", mobile)
        self.assertEqual(r.returncode, 0, describe(r))
        r = self.admin("reset-password", mobile, input="second-pass\n")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(self.stack.client().login(mobile, "first-pass").errno, 4106)
        self.assertEqual(self.stack.client().login(mobile, "second-pass").errno, 0)
        r = self.admin("reset-password", mobile, input="short\n")
        self.assertEqual(r.returncode, 1, describe(r))
        self.assertEqual(self.admin("disable", "19999999999").returncode, 3)
        self.assertEqual(self.admin("disable", "x'; DROP TABLE users; --").returncode, 2)
        r = self.admin("find", "x'%_")
        self.assertEqual(r.returncode, 0, describe(r))

    def test_outbox_counts_users_health(self):
        mobile = harness.new_mobile("18")
        self.stack.client().register_user(mobile)
        r = self.admin("outbox", "--mobile", mobile)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn(mobile, r.stdout)
        self.assertIn("验证码", r.stdout)
        r = self.admin("counts")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertRegex(r.stdout, r"(?m)^\s*users = [1-9]")
        r = self.admin("users", "--limit", "5")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn(mobile, r.stdout)
        r = self.admin("health", "--url", self.stack.url + "/api/health")
        self.assertEqual(r.returncode, 0, describe(r))
        r = self.admin("health", "--url", "http://127.0.0.1:%d/api/health" % harness.free_port())
        self.assertEqual(r.returncode, 1, describe(r))


if __name__ == "__main__":
    unittest.main()
