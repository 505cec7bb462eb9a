"""SIGKILL ihomed workers while clients register users: every acknowledged registration is in
the database, the database is intact, and the master brings the worker count back."""

import random
import signal
import threading
import time
import unittest

from opslib import KeptStack, harness, kill_quietly, process_age, wait_for

WORKERS = 3
KILL_SECONDS = 8.0


class Registrar(threading.Thread):
    def __init__(self, stack):
        super().__init__(daemon=True)
        self.stack = stack
        self.acked = []
        self.failed = 0
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            mobile = harness.new_mobile("19")
            try:
                self.stack.client().register_user(mobile)
                self.acked.append(mobile)
            except Exception:  # noqa: BLE001 — a request lost with a killed worker
                self.failed += 1
                time.sleep(0.05)


class WorkerCrashes(unittest.TestCase):
    def setUp(self):
        self.stack = KeptStack(name="crash", env={"IHOME_WORKERS": str(WORKERS)}).start()

    def tearDown(self):
        self.stack.stop()
        self.stack.discard()

    def test_killed_workers_lose_no_committed_data(self):
        master, workers = self.stack.ihomed_master_and_workers()
        self.assertEqual(len(workers), WORKERS)
        clients = [Registrar(self.stack) for _ in range(3)]
        for c in clients:
            c.start()
        killed = []
        try:
            deadline = time.monotonic() + KILL_SECONDS
            while time.monotonic() < deadline:
                time.sleep(0.4)
                _m, workers = self.stack.ihomed_master_and_workers()
                # Workers older than the master's crash-loop threshold (5 s) are respawned
                # at once; one young worker is killed too, to exercise the backoff.
                old = [w for w in workers if (process_age(w) or 0) > 5.5]
                if not killed and workers:
                    old = workers
                if old:
                    victim = random.choice(old)
                    if kill_quietly(victim, signal.SIGKILL):
                        killed.append(victim)
        finally:
            for c in clients:
                c.stop_flag.set()
            for c in clients:
                c.join(60)
        self.assertGreaterEqual(len(killed), 3, "too few workers killed")
        acked = [m for c in clients for m in c.acked]
        self.assertGreater(len(acked), 10, "too little load")

        # The master respawns every worker and the site answers again.
        def back():
            m, ws = self.stack.ihomed_master_and_workers()
            return m == master and len(ws) == WORKERS and not set(ws) & set(killed)
        self.assertTrue(wait_for(back, 40), self.stack.ihomed_master_and_workers())
        self.assertEqual(self.stack.client().get("/api/health").status, 200)

        have = {r[0] for r in self.stack.db_query("SELECT mobile FROM users")}
        self.assertEqual([m for m in acked if m not in have], [],
                         "acknowledged registrations lost")
        self.assertEqual(self.stack.db_query("PRAGMA integrity_check"), [("ok",)])
        log = self.stack.read_log_tail(100000)
        self.assertIn("worker died", log)
        print("\n  %d workers killed, %d registrations acknowledged, %d requests lost"
              % (len(killed), len(acked), sum(c.failed for c in clients)))


if __name__ == "__main__":
    unittest.main()
