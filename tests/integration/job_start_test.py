"""What the job process does at its start, off the path to the first answer (src/server/jobs.cpp).

db_prewarm: at start the job process reads the database file once into the OS page cache
(in a child "ihomed-warm" at idle priority), so that after a reboot the first random reads do
not wait for the disk; the chunks already cached are not read again.  ihomed runs on its own
(no nginx, no memcached, as in signals_test), on a database in the repo's build dir: the
page cache of a file there can be dropped (posix_fadvise DONTNEED), which tmpfs cannot.  Most
of the file is messages, which nothing reads at start but the prewarm.

Upload temp files a killed worker left (`.upload-*.tmp` older than a minute) are swept by the
job process at its start, not by the master before it forks the first workers (a read of the
whole media dir, ~0.7 s at a million images)."""

import ctypes
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from harness import REPO, wait_for

IHOMED = os.path.abspath(os.environ.get("IHOMED", "build/ihomed"))

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)
PROT_READ, MAP_SHARED = 1, 1


def resident(path):
    """The share of the file's pages in the page cache (mincore on a mapping of it)."""
    size = os.path.getsize(path)
    page = os.sysconf("SC_PAGE_SIZE")
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = _libc.mmap(None, size, PROT_READ, MAP_SHARED, fd, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "mmap")
        vec = ctypes.create_string_buffer((size + page - 1) // page)
        try:
            if _libc.mincore(addr, size, vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore")
        finally:
            _libc.munmap(addr, size)
    finally:
        os.close(fd)
    return sum(b & 1 for b in vec.raw) / len(vec.raw)


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


class Prewarm(unittest.TestCase):
    def setUp(self):
        build = os.path.join(REPO, "build")
        os.makedirs(build, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="it-prewarm-", dir=build)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.sock = os.path.join(self.dir, "ihomed.sock")
        self.db = os.path.join(self.dir, "ihome.db")
        self.proc = None
        self.starts = 0
        self.start("")  # creates and migrates the database
        self.stop()
        conn = sqlite3.connect(self.db)
        with conn:
            for mobile in ("13900000031", "13900000032"):
                conn.execute("INSERT INTO users (mobile, name, password_hash) VALUES (?, ?, 'x')", (mobile, mobile))
            guest, landlord = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]
            conn.execute("INSERT INTO houses (user_id, area_id, title, price, address, room_count, acreage, "
                         "capacity) VALUES (?, 1, '预热', 10000, '路1号', 1, 30, 2)", (landlord,))
            house = conn.execute("SELECT max(id) FROM houses").fetchone()[0]
            conn.execute("INSERT INTO conversations (house_id, guest_id, landlord_id) VALUES (?, ?, ?)",
                         (house, guest, landlord))
            text = "你好" * 400  # 2.4 KB
            conn.executemany("INSERT INTO messages (conversation_id, from_guest, text) VALUES (1, 1, ?)",
                             [(text,)] * 3000)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        self.size = os.path.getsize(self.db)
        self.assertGreater(self.size, 6 << 20)

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def start(self, extra):
        conf = os.path.join(self.dir, "ihomed.conf")
        with open(conf, "w") as f:
            f.write("socket = %s\nworkers = 1\ndb = %s\nmedia_dir = %s/media\nsecret_key_file = %s/secret.key\n"
                    "memcached = %s/none.sock\nsearch_index_save_s = 0\n%s"
                    % (self.sock, self.db, self.dir, self.dir, self.dir, extra))
        self.starts += 1
        self.log_path = os.path.join(self.dir, "log-%d" % self.starts)
        env = {k: v for k, v in os.environ.items() if not k.startswith("IHOME_")}
        self.proc = subprocess.Popen([IHOMED, "--config", conf], env=env, start_new_session=True,
                                     stderr=open(self.log_path, "w"))
        self.assertTrue(wait_for(lambda: "jobs started" in self.log(), 15), self.log())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=20), 0)

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def prewarmed(self):
        return re.search(r"database prewarmed mb=(\d+) cold_mb=(\d+) read_mb=(\d+) ms=\d+", self.log())

    def test_a_cold_database_is_read_into_the_page_cache_at_start(self):
        drop_cache(self.db)
        # On a filesystem that keeps every page in memory (tmpfs) nothing is ever cold:
        # then the prewarm must find it so and read nothing.
        evictable = resident(self.db) < 0.2
        self.start("")
        self.assertTrue(wait_for(self.prewarmed, 15), self.log())
        mb, cold, read = (int(x) for x in self.prewarmed().groups())
        self.assertEqual(mb, self.size >> 20)
        if evictable:
            self.assertGreaterEqual(cold, 5, "the messages (6 MB+) were cold")
        else:
            self.assertEqual((cold, read), (0, 0), "nothing to read on this filesystem")
        self.assertGreater(resident(self.db), 0.99)
        self.stop()

        # Warm: nothing to read.
        self.start("")
        self.assertTrue(wait_for(self.prewarmed, 15), self.log())
        self.assertEqual(self.prewarmed().group(2, 3), ("0", "0"))
        self.stop()

    def test_stale_upload_temp_files_are_swept_at_start(self):
        media = os.path.join(self.dir, "media")
        planted = {}
        for name, age in ((".upload-KilledMidWrite1.tmp", 120), (".upload-BeingWritten22.tmp", 5),
                          (".upload-notours.tmpx", 120)):
            planted[name] = os.path.join(media, name)
            with open(planted[name], "wb") as f:
                f.write(b"half a jpeg")
            t = time.time() - age
            os.utime(planted[name], (t, t))
        self.start("")
        self.assertTrue(wait_for(lambda: not os.path.exists(planted[".upload-KilledMidWrite1.tmp"]), 10),
                        self.log())
        # By the job process, not the master nor a worker.
        jobs = re.search(r"ihomed\[(\d+)\] jobs started", self.log()).group(1)
        self.assertRegex(self.log(), r"ihomed\[%s\] removed stale upload temp files count=1" % jobs)
        self.assertTrue(os.path.exists(planted[".upload-BeingWritten22.tmp"]), "younger than a minute")
        self.assertTrue(os.path.exists(planted[".upload-notours.tmpx"]), "not a temp file of ours")
        self.stop()

    def test_db_prewarm_false_leaves_the_file_cold(self):
        drop_cache(self.db)
        evictable = resident(self.db) < 0.2  # see above
        self.start("db_prewarm = false\n")
        time.sleep(1.5)
        self.assertIsNone(self.prewarmed(), self.log())
        if evictable:
            self.assertLess(resident(self.db), 0.5, "something read the messages at start")
        self.stop()
        self.assertNotRegex(self.log(), r"database (not )?prewarmed")


if __name__ == "__main__":
    unittest.main()
