"""The saved search index (issue 22, "first answer after a start"): the job process saves
the availability index beside the database (<db>.index); a start reads it and catches up
from the change log instead of building it from SQL.  Proved on the real stack, restarted
on the same data: what changed while it was down (bookings, new houses, prices, houses
taken offline, all written straight into SQLite as ihome-admin or a restore would) shows in
the first searches; a damaged file is refused and the index built from SQL; with
search_index_save_s = 0 there is no file.  Every search is compared with the same filter,
sort and page computed here from SQLite."""

import os
import random
import sqlite3
import time
import unittest

import harness
from guests import day, make_user
from harness import ApiTestCase, wait_for

AREAS = (10, 11, 12)
SORTS = {"new": "id DESC", "booking": "order_count DESC, id DESC",
         "price-inc": "price ASC, id DESC", "price-des": "price DESC, id DESC"}
HOLDS = "('WAIT_ACCEPT', 'WAIT_PAYMENT', 'PAID', 'WAIT_COMMENT', 'COMPLETE')"


class SavedIndex(ApiTestCase):
    def setUp(self):
        self.st = harness.Stack(name="index-file", env={"IHOME_WORKERS": "2", "IHOME_SEARCH_INDEX_SAVE_S": "1"})
        self.st.start()
        self.addCleanup(self.st.stop)
        self.rng = random.Random(22)

    # ----- data, written as ihome-admin or a restore would -------------------------------------
    def write(self, fn):
        conn = sqlite3.connect(self.st.db, timeout=10)
        try:
            with conn:
                fn(conn)
        finally:
            conn.close()

    def add_houses(self, conn, n):
        owner = conn.execute("SELECT id FROM users WHERE mobile = '13900000022'").fetchone()
        if owner is None:
            conn.execute("INSERT INTO users (mobile, name, password_hash) VALUES ('13900000022', 'landlord', 'x')")
            owner = conn.execute("SELECT id FROM users WHERE mobile = '13900000022'").fetchone()
        for _ in range(n):
            min_days = self.rng.choice((1, 1, 2, 3))
            conn.execute(
                "INSERT INTO houses (user_id, area_id, title, price, address, room_count, acreage, capacity, "
                "min_days, max_days, order_count) VALUES (?, ?, '存档', ?, '路1号', 1, 30, 2, ?, ?, ?)",
                (owner[0], self.rng.choice(AREAS), self.rng.choice((10000, 15000, 20000)), min_days,
                 self.rng.choice((0, 0, min_days + 2)), self.rng.randint(0, 3)))

    def book(self, conn, n):
        guest = conn.execute("SELECT id FROM users WHERE mobile = '13900000022'").fetchone()[0]
        ids = [r[0] for r in conn.execute("SELECT id FROM houses WHERE area_id IN (10, 11, 12)")]
        for hid in self.rng.sample(ids, min(n, len(ids))):
            s = self.rng.randint(0, 40)
            e = s + self.rng.randint(1, 4)
            conn.execute("INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount, status) "
                         "VALUES (?, ?, ?, ?, ?, 100, 100, 'WAIT_ACCEPT')", (guest, hid, day(s), day(e), e - s))

    def edit(self, conn):
        ids = [r[0] for r in conn.execute("SELECT id FROM houses WHERE area_id IN (10, 11, 12)")]
        for hid in self.rng.sample(ids, 6):
            conn.execute("UPDATE houses SET status = 'offline' WHERE id = ?", (hid,))
        for hid in self.rng.sample(ids, 6):
            conn.execute("UPDATE houses SET price = ? WHERE id = ?", (self.rng.choice((9000, 25000)), hid))
        for hid in self.rng.sample(ids, 6):
            conn.execute("UPDATE houses SET area_id = ? WHERE id = ?", (self.rng.choice(AREAS), hid))

    # ----- checks -------------------------------------------------------------------------------
    def searches_agree(self, viewer, n):
        for _ in range(n):
            aid = self.rng.choice(AREAS)
            sk = self.rng.choice(list(SORTS))
            p = self.rng.choice((1, 1, 2))
            params = {"aid": aid, "sk": sk, "p": p}
            where = "area_id = ? AND status = 'online'"
            args = [aid]
            if self.rng.random() < 0.8:
                s = self.rng.randint(0, 42)
                e = s + self.rng.randint(1, 5)
                params.update(sd=day(s), ed=day(e))
                where += (" AND min_days <= ? AND (max_days = 0 OR max_days >= ?) AND NOT EXISTS ("
                          "SELECT 1 FROM orders o WHERE o.house_id = houses.id AND o.status IN " + HOLDS +
                          " AND o.start_date < ? AND o.end_date > ?)")
                args += [e - s, e - s, day(e), day(s)]
            want = [r[0] for r in self.st.db_query(
                "SELECT id FROM houses WHERE %s ORDER BY %s" % (where, SORTS[sk]), args)]
            data = self.assertOk(viewer.get("/api/house/list", params))["data"]
            with self.subTest(params=params):
                self.assertEqual([h["house_id"] for h in data["houses"]], want[(p - 1) * 10:p * 10])
                self.assertEqual(data["total_page"], (len(want) + 9) // 10)

    def log(self):
        with open(self.st.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def file(self):
        return self.st.db + ".index"

    def saved_at_head(self):
        """The job process saved the file at the change log's newest entry."""
        head = self.st.db_query("SELECT max(seq) FROM search_changes")[0][0]
        return "search index saved file=" in self.log() and ("seq=%d\n" % head) in self.log()

    # ----- the tests ----------------------------------------------------------------------------
    def test_a_start_reads_the_file_and_catches_up_with_writes_made_while_down(self):
        self.write(lambda c: (self.add_houses(c, 120), self.book(c, 50)))
        self.searches_agree(make_user(self.st), 40)
        self.assertTrue(wait_for(self.saved_at_head, 15), self.log()[-3000:])
        self.assertEqual(os.stat(self.file()).st_mode & 0o777, 0o600)

        self.st.stop(keep_data=True)
        self.write(lambda c: (self.add_houses(c, 15), self.book(c, 30), self.edit(c)))
        self.st.start()
        log = self.log()
        self.assertIn("search index read file=", log)
        self.assertNotIn("search index built", log, "caught up from the log, not rebuilt")
        self.assertNotIn("search index file not used", log)
        self.searches_agree(make_user(self.st), 150)
        # Newer than the file: the job process saves it again at its start.
        self.assertTrue(wait_for(self.saved_at_head, 15), self.log()[-3000:])

    def test_a_stop_saves_the_file_when_it_is_far_behind_the_log(self):
        # As in production: saved only 10,000 changes behind or after 600 s, so a stop comes first.
        self.write(lambda c: self.add_houses(c, 60))
        self.assertTrue(wait_for(self.saved_at_head, 15), self.log()[-3000:])
        self.st.stop(keep_data=True)
        self.st.extra_env["IHOME_SEARCH_INDEX_SAVE_S"] = "600"
        self.st.start()

        def bump(times):  # one change-log entry per house and round
            return lambda c: [c.execute("UPDATE houses SET price = price + 1 WHERE area_id IN (10, 11, 12)")
                              for _ in range(times)]
        self.write(bump(5))  # 300 changes: under the 1,000 a stop saves at
        self.st.stop(keep_data=True)
        self.assertIn("jobs stopped", self.log())
        self.assertNotIn("search index saving at stop", self.log())
        self.assertFalse(self.saved_at_head(), "saved without reason: " + self.log()[-3000:])

        self.st.start()  # read the file 300 behind, caught up, and saved at once (it is newer)
        self.assertTrue(wait_for(self.saved_at_head, 15), self.log()[-3000:])
        saves = self.log().count("search index saved")
        self.write(bump(20))  # 1,200 more
        self.searches_agree(make_user(self.st), 10)
        self.assertEqual(self.log().count("search index saved"), saves, "no periodic save due yet")
        self.st.stop(keep_data=True)
        self.assertRegex(self.log(), r"search index saving at stop behind=1200\b")
        self.assertTrue(self.saved_at_head(), self.log()[-3000:])
        head = self.st.db_query("SELECT max(seq) FROM search_changes")[0][0]

        self.st.start()
        self.assertRegex(self.log(), r"search index read file=\S+ houses=\d+ seq=%d " % head)
        self.searches_agree(make_user(self.st), 40)

    def test_a_damaged_file_is_refused_and_the_index_built_from_sqlite(self):
        self.write(lambda c: (self.add_houses(c, 80), self.book(c, 30)))
        self.assertTrue(wait_for(self.saved_at_head, 15), self.log()[-3000:])
        self.st.stop(keep_data=True)
        size = os.path.getsize(self.file())
        with open(self.file(), "r+b") as f:
            f.seek(size // 2)
            byte = f.read(1)
            f.seek(size // 2)
            f.write(bytes([byte[0] ^ 0x01]))
        # No write since the file: its header still names the log's newest entry.
        self.st.start()
        log = self.log()
        self.assertIn("search index file not used, building from the database", log)
        self.assertIn("damaged", log)
        self.assertIn("search index built", log)
        self.searches_agree(make_user(self.st), 60)
        # The job process replaces it at once with the master's build, though the log did not move.
        self.assertTrue(wait_for(self.saved_at_head, 10), "a good file replaces it: " + self.log()[-3000:])

        # A file of another database at the same path (a new data set) is not read either.
        self.st.stop(keep_data=True)
        self.write(lambda c: c.execute("UPDATE database_identity SET token = randomblob(16)"))
        self.st.start()
        self.assertIn("was made from another database", self.log())
        self.searches_agree(make_user(self.st), 30)

    def test_a_save_that_cannot_write_is_logged_once_and_tried_again(self):
        self.write(lambda c: self.add_houses(c, 30))
        self.assertTrue(wait_for(self.saved_at_head, 15), self.log()[-3000:])
        # The file's temporary name taken by a directory: the save cannot create it (even as root).
        os.mkdir(self.file() + ".tmp")
        try:
            for n in range(3):  # three rounds of changes, three saves due
                self.write(lambda c: self.book(c, 5))
                time.sleep(1.5)
            self.assertTrue(wait_for(lambda: "search index not saved: cannot create" in self.log(), 10),
                            self.log()[-3000:])
            self.assertEqual(self.log().count("search index not saved"), 1, "logged once until it works again")
            self.searches_agree(make_user(self.st), 20)
        finally:
            os.rmdir(self.file() + ".tmp")
        self.assertTrue(wait_for(self.saved_at_head, 15), self.log()[-3000:])

    def test_no_file_when_search_index_save_s_is_0(self):
        self.write(lambda c: self.add_houses(c, 30))
        self.assertTrue(wait_for(self.saved_at_head, 15), self.log()[-3000:])
        self.st.stop(keep_data=True)
        os.unlink(self.file())
        self.st.extra_env["IHOME_SEARCH_INDEX_SAVE_S"] = "0"
        self.st.start()
        self.write(lambda c: self.book(c, 10))
        self.searches_agree(make_user(self.st), 20)
        time.sleep(2.5)
        self.assertFalse(os.path.exists(self.file()))
        self.assertIn("search index built", self.log())
        self.assertNotIn("search index saved", self.log())


if __name__ == "__main__":
    unittest.main()
