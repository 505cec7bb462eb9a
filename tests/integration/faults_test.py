"""SQLite's own failure modes on the real stack: a full database, a database file ihomed
cannot use (read-only, corrupt), and a long writer holding the lock.

- Full: the stack runs with `db_max_pages` (PRAGMA max_page_count on every worker
  connection); the test fills the file up to that cap from its own connection, so a
  write that needs one more page answers 4001, leaves no half-written row, reads are still
  served, and once the test frees pages writes work again — no restart.
- Read-only / corrupt: ihomed exits non-zero after one error line naming the database
  and the problem; `scripts/ihome-stack` (`make run`) says why before starting anything.
- Busy: the test holds BEGIN IMMEDIATE on the database file; a write waits at most
  db_busy_timeout_ms and answers 4001, reads go on (WAL), and writes work once it is gone.
"""

import os
import sqlite3
import subprocess
import tempfile
import time
import unittest

import harness
from harness import ApiTestCase, new_id_card, new_mobile

IHOMED = os.path.abspath(os.environ.get("IHOMED", "build/ihomed"))
MAX_PAGES = 400          # 1.6 MB of 4 KiB pages
BUSY_MS = 800


def house_body(title):
    return {"title": title, "price": "100", "district": 1, "address": "某街2号",
            "room_count": 1, "acreage": 30, "house_capacity": 2, "facility": [1, 2, 3, 4, 5]}


def verified_user(stack):
    c = harness.Client(stack)
    c.register_user(new_mobile())
    r = c.post("/api/profile/auth", {"real_name": "张三", "id_card": new_id_card()})
    if r.errno != 0:
        raise AssertionError("real-name verification failed: %s" % r)
    return c


class DatabaseFull(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(env={"IHOME_DB_MAX_PAGES": str(MAX_PAGES)}, name="full").start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def fill(self):
        """Grows the file to exactly MAX_PAGES pages with rows of table `filler`."""
        conn = sqlite3.connect(self.stack.db, timeout=10, isolation_level=None)
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS filler(b BLOB)")
            while conn.execute("PRAGMA page_count").fetchone()[0] < MAX_PAGES - 8:
                conn.execute("INSERT INTO filler VALUES (zeroblob(3000))")
            conn.execute("PRAGMA max_page_count = %d" % MAX_PAGES)
            while True:  # the last pages one small row at a time, up to the cap exactly
                try:
                    conn.execute("INSERT INTO filler VALUES (zeroblob(200))")
                except sqlite3.OperationalError as e:
                    self.assertIn("full", str(e))
                    break
            self.assertEqual(conn.execute("PRAGMA freelist_count").fetchone()[0], 0)
        finally:
            conn.close()

    def make_room(self):
        conn = sqlite3.connect(self.stack.db, timeout=10, isolation_level=None)
        try:
            conn.execute("DELETE FROM filler")
        finally:
            conn.close()

    def count(self, sql, params=()):
        return self.stack.db_query(sql, params)[0][0]

    def test_full_database_answers_4001_keeps_reads_and_recovers(self):
        c = verified_user(self.stack)
        first = c.post("/api/house/newhouse", house_body("满库之前"))
        self.assertOk(first)
        house_id = first.json["house_id"]
        self.fill()

        # Publishing needs new pages sooner or later: each answer is OK or 4001, never
        # anything else, and within a few houses one is 4001.
        published, refused = 1, 0
        for i in range(60):
            r = c.post("/api/house/newhouse", house_body("满库%d" % i))
            if r.errno == 0:
                published += 1
                continue
            self.assertJsonAnswer(r, 503, 4001)
            refused += 1
            break
        self.assertEqual(refused, 1, "no write was refused on a full database")

        # Nothing half-written: one house row per OK answer, and facilities only of those.
        mine = self.count("SELECT count(*) FROM houses WHERE title LIKE '满库%'")
        self.assertEqual(mine, published)
        self.assertEqual(self.count(
            "SELECT count(*) FROM house_facilities WHERE house_id NOT IN (SELECT id FROM houses)"), 0)
        # A login writes nothing to SQLite; the refused write did not break the worker.
        self.assertEqual(c.check_login().errno, 0)

        # Reads are still served.
        info = c.get("/api/house/info", {"house_id": house_id})
        self.assertOk(info)
        self.assertEqual(info.json["data"]["house"]["title"], "满库之前")
        self.assertOk(c.get("/api/house/my"))
        self.assertOk(c.get("/api/profile"))

        # Still full: still 4001, still nothing written.
        again = c.post("/api/house/newhouse", house_body("满库还满"))
        self.assertJsonAnswer(again, 503, 4001)
        self.assertEqual(self.count("SELECT count(*) FROM houses WHERE title = '满库还满'"), 0)

        # Room again: the same workers write again.
        self.make_room()
        r = c.post("/api/house/newhouse", house_body("满库之后"))
        self.assertOk(r)
        self.assertEqual(self.count(
            "SELECT count(*) FROM house_facilities WHERE house_id = ?", (r.json["house_id"],)), 5)


class LongWriter(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(env={"IHOME_DB_BUSY_TIMEOUT_MS": str(BUSY_MS)}, name="busy").start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_write_waits_busy_timeout_then_4001(self):
        c = verified_user(self.stack)
        first = c.post("/api/house/newhouse", house_body("锁前"))
        self.assertOk(first)
        house_id = first.json["house_id"]

        holder = sqlite3.connect(self.stack.db, timeout=10, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            holder.execute("UPDATE users SET name = name WHERE id = 0")
            start = time.monotonic()
            r = c.post("/api/house/newhouse", house_body("锁中"))
            waited = time.monotonic() - start
            self.assertJsonAnswer(r, 503, 4001)
            self.assertGreaterEqual(waited, BUSY_MS / 1000.0 * 0.9, "answered before the busy timeout")
            self.assertLess(waited, BUSY_MS / 1000.0 + 3.0, "waited far beyond the busy timeout")
            # Reads do not wait for a writer (WAL).
            start = time.monotonic()
            self.assertOk(c.get("/api/house/info", {"house_id": house_id}))
            self.assertLess(time.monotonic() - start, BUSY_MS / 1000.0)
        finally:
            if holder.in_transaction:
                holder.execute("ROLLBACK")
            holder.close()
        self.assertEqual(self.stack.db_query("SELECT count(*) FROM houses WHERE title = '锁中'")[0][0], 0)
        self.assertOk(c.post("/api/house/newhouse", house_body("锁后")))


class UnusableDatabase(unittest.TestCase):
    """ihomed and ihome-stack refuse a database they cannot use, saying why."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ihome-faults-")
        self.db = os.path.join(self.dir, "ihome.db")
        self.immutable = False

    def tearDown(self):
        if self.immutable:
            subprocess.run(["chattr", "-i", self.db], check=False)
        subprocess.run(["rm", "-rf", self.dir], check=False)

    def make_database(self):
        conn = sqlite3.connect(self.db)
        conn.execute("CREATE TABLE t(x)")
        conn.commit()
        conn.close()

    def make_read_only(self):
        self.make_database()
        os.chmod(self.db, 0o444)
        if os.geteuid() == 0:
            # root writes a mode-0444 file anyway: the immutable flag stops root too.
            subprocess.run(["chattr", "+i", self.db], check=True)
            self.immutable = True

    def make_corrupt(self):
        with open(self.db, "wb") as f:
            f.write(b"this is not an SQLite database, it is a text file" * 200)

    def run_ihomed(self):
        conf = os.path.join(self.dir, "ihomed.conf")
        with open(conf, "w") as f:
            f.write("socket = %s/ihomed.sock\nworkers = 1\ndb = %s\nmedia_dir = %s/media\n"
                    "secret_key_file = %s/secret.key\nmemcached = %s/none.sock\n"
                    % (self.dir, self.db, self.dir, self.dir, self.dir))
        return subprocess.run([IHOMED, "--config", conf], capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)

    def assert_refused(self, words):
        p = self.run_ihomed()
        self.assertNotEqual(p.returncode, 0, "ihomed started on a database it cannot use")
        errors = [l for l in p.stderr.splitlines() if " error " in l]
        self.assertEqual(len(errors), 1, "expected one error line, got:\n" + p.stderr)
        self.assertIn(self.db, errors[0])
        for w in words:
            self.assertIn(w, errors[0])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "ihomed.sock")), "it listened")

    def assert_stack_refuses(self, words):
        var = os.path.join(self.dir, "var")
        os.makedirs(var)
        env = dict(os.environ, PORT=str(harness.free_port()), VAR=var, IHOME_DB=self.db)
        p = subprocess.run([harness.STACK_SCRIPT], cwd=harness.REPO, env=env, capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertNotEqual(p.returncode, 0)
        last = [l for l in p.stderr.splitlines() if "ihome-stack:" in l]
        self.assertTrue(last, p.stderr)
        self.assertIn("ihomed cannot start", last[-1])
        for w in words:
            self.assertIn(w, last[-1])
        # Nothing was started: no memcached, no nginx left behind on that port.
        self.assertFalse(harness.port_is_open(int(env["PORT"])))

    def test_read_only_database_refused(self):
        self.make_read_only()
        self.assert_refused(["read-only"])
        self.assert_stack_refuses(["read-only"])

    def test_corrupt_database_refused(self):
        self.make_corrupt()
        self.assert_refused(["not a database"])
        self.assert_stack_refuses(["not a database"])

    def test_missing_database_is_created(self):
        p = self.run_ihomed_check()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(self.db))

    def run_ihomed_check(self):
        conf = os.path.join(self.dir, "ihomed.conf")
        with open(conf, "w") as f:
            f.write("db = %s\nmedia_dir = %s/media\nsecret_key_file = %s/secret.key\n"
                    % (self.db, self.dir, self.dir))
        return subprocess.run([IHOMED, "--config", conf, "--check"], capture_output=True, text=True,
                              timeout=30)


if __name__ == "__main__":
    unittest.main()
