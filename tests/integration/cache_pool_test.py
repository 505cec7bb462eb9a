"""The memcached pool (API.md "Observable state": `memcached` takes a list): a stack with three
memcached servers (MEMCACHED_COUNT=3), sessions spread over them by consistent hashing.

- A server that hangs (SIGSTOP: it accepts, never answers) costs each worker one timeout, not
  every request: the first failure takes it out of the ring.
- A server killed under load: the sessions on the servers still alive stay logged in, the
  ones on the dead server get 4101 (log in again, and it works), and no request gets a 5xx.
- One hung server and one flapping one (stopped and resumed again and again) under load, on
  another stack of four: no session and no captcha on the two healthy servers is lost, no
  request gets a 5xx, and every worker ends on the same ring (their log lines say so).  A
  server leaves the ring only after failures in a row, for every worker at once (shared).

Which server holds a session is read from the servers themselves (the session key of API.md)."""

import os
import re
import signal
import threading
import time
import unittest

import harness
from harness import ApiTestCase, new_mobile

STACK = None
WORKERS = 2
TIMEOUT_MS = 1000   # long, so that no ordinary request on a busy machine looks like a timeout
USERS = 18


def setUpModule():
    global STACK
    STACK = harness.Stack(name="pool", env={
        "IHOME_WORKERS": str(WORKERS), "MEMCACHED_COUNT": "3",
        "IHOME_CACHE_TIMEOUT_MS": str(TIMEOUT_MS), "IHOME_CACHE_DEAD_RETRY_S": "120"}).start()


def tearDownModule():
    if STACK is not None:
        for pid in memcached_pids().values():
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        STACK.stop()


def servers():
    return STACK.memcached.split(",")


def memcached_pids():
    """{socket path: pid} of the stack's memcached processes."""
    out = {}
    for pid, comm, cmd in STACK.processes():
        if comm != "memcached":
            continue
        args = cmd.split()
        if "-s" in args:
            out[args[args.index("-s") + 1]] = pid
    return out


def holder(session_id):
    """The socket of the server that holds the session, or None."""
    for server in servers():
        try:
            with harness.Memcached(server, timeout=2) as mc:
                if mc.get(STACK.prefix + "session:" + session_id) is not None:
                    return server
        except OSError:
            continue
    return None


class PoolTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.users = []
        for _ in range(USERS):
            c = harness.Client(STACK)
            c.mobile = new_mobile()
            c.register_user(c.mobile)
            c.server = holder(c.cookies["session_id"])
            cls.users.append(c)

    def test_0_sessions_spread_over_the_pool(self):
        self.assertEqual(len(servers()), 3)
        self.assertEqual(len(memcached_pids()), 3)
        on = {s: sum(1 for u in self.users if u.server == s) for s in servers()}
        self.assertEqual(sum(on.values()), USERS, on)
        self.assertTrue(all(n > 0 for n in on.values()), "consistent hashing used one server only: %r" % on)
        for u in self.users:
            r = u.get("/api/profile")
            self.assertOk(r)

    def test_1_hung_server_costs_one_timeout_per_worker(self):
        hung = servers()[2]
        pid = memcached_pids()[hung]
        os.kill(pid, signal.SIGSTOP)
        try:
            times, answers = [], []
            for _round in range(3):
                for u in self.users:
                    t0 = time.monotonic()
                    r = u.get("/api/profile")
                    times.append(time.monotonic() - t0)
                    answers.append((u, r))
            slow = [t for t in times if t >= TIMEOUT_MS / 1000.0 * 0.9]
            # One timeout per worker at most (the one that took the server out of its ring).
            self.assertLessEqual(len(slow), WORKERS, "slow requests: %r" % sorted(times)[-8:])
            for u, r in answers:
                self.assertLess(r.status, 500, r)
            # The hung server's sessions are gone (4101); the others' stay.
            for u in self.users:
                r = u.get("/api/profile")
                if u.server == hung:
                    self.assertJsonAnswer(r, 200, 4101)
                else:
                    self.assertOk(r)
        finally:
            os.kill(pid, signal.SIGCONT)

    def test_2_killed_server_under_load(self):
        hung, dead = servers()[2], servers()[1]
        alive = [u for u in self.users if u.server not in (hung, dead)]
        lost = [u for u in self.users if u.server == dead]
        self.assertTrue(alive and lost, [u.server for u in self.users])
        statuses = []
        stop = threading.Event()

        def load(clients):
            while not stop.is_set():
                for u in clients:
                    r = u.get("/api/profile", update_jar=False)
                    statuses.append((r.status, r.errno))
                    r = u.get("/api/house/area", update_jar=False)
                    statuses.append((r.status, r.errno))

        threads = [threading.Thread(target=load, args=(self.users[i::2],)) for i in range(2)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            os.kill(memcached_pids()[dead], signal.SIGKILL)
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        self.assertGreater(len(statuses), 50)
        errors = [s for s in statuses if s[0] >= 500]
        self.assertEqual(errors, [], "5xx answers while a memcached died")
        self.assertTrue(all(e in (0, 4101) for _s, e in statuses), set(statuses))
        for u in alive:
            self.assertOk(u.get("/api/profile"))
        for u in lost:
            self.assertJsonAnswer(u.get("/api/profile"), 200, 4101)
        # Logging in again works: the new session lives on a server that is alive.
        u = lost[0]
        self.assertOk(u.login(u.mobile, "secret-pass-1"))
        self.assertOk(u.get("/api/profile"))
        self.assertIn(holder(u.cookies["session_id"]), [s for s in servers() if s not in (dead,)])
        # Health still answers (its probe key moves too).
        self.assertOk(harness.Client(STACK).get("/api/health"))



class HungAndFlappingTest(ApiTestCase):
    USERS = 24
    LOAD_SECONDS = 8

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(name="pool-flap", env={
            "IHOME_WORKERS": str(WORKERS), "MEMCACHED_COUNT": "4",
            "IHOME_CACHE_TIMEOUT_MS": "500", "IHOME_CACHE_DEAD_RETRY_S": "120",
            "IHOME_SMS_MOBILE_INTERVAL": "0", "IHOME_SMS_MOBILE_PER_DAY": "100000"}).start()
        cls.servers = cls.stack.memcached.split(",")
        # USERS, and more until every server holds two sessions: the ring's
        # shares follow the sockets' (random) paths, and one server's share
        # may be small (seen: 10/0/7/7 of 24).
        cls.users = []
        while len(cls.users) < cls.USERS or (
                len(cls.users) < 10 * cls.USERS
                and min(sum(u.server == s for u in cls.users) for s in cls.servers) < 2):
            c = harness.Client(cls.stack)
            c.mobile = new_mobile()
            c.register_user(c.mobile)
            c.server = cls.holder(cls.servers, "session:" + c.cookies["session_id"])
            cls.users.append(c)

    @classmethod
    def tearDownClass(cls):
        for pid in cls.pids().values():
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        cls.stack.stop()

    @classmethod
    def pids(cls):
        out = {}
        for pid, comm, cmd in cls.stack.processes():
            args = cmd.split()
            if comm == "memcached" and "-s" in args:
                out[args[args.index("-s") + 1]] = pid
        return out

    @classmethod
    def holder(cls, servers, key):
        for server in servers:
            try:
                with harness.Memcached(server, timeout=2) as mc:
                    if mc.get(cls.stack.prefix + key) is not None:
                        return server
            except OSError:
                continue
        return None

    def test_no_session_or_captcha_on_the_healthy_servers_is_lost_and_workers_agree(self):
        st = self.stack
        by_server = {s: [u for u in self.users if u.server == s] for s in self.servers}
        self.assertTrue(all(by_server.values()), {s: len(u) for s, u in by_server.items()})
        hung, flapping = self.servers[2], self.servers[3]
        healthy = [s for s in self.servers if s not in (hung, flapping)]
        safe = [u for u in self.users if u.server in healthy]
        pids = self.pids()
        answers, checks, problems = [], [], []
        stop = threading.Event()

        def flap():
            while not stop.is_set():
                os.kill(pids[flapping], signal.SIGSTOP)
                stop.wait(0.7)
                os.kill(pids[flapping], signal.SIGCONT)
                stop.wait(0.8)

        def sessions(clients):
            while not stop.is_set():
                for u in clients:
                    r = u.get("/api/profile", update_jar=False)
                    answers.append((u.server, r.status, r.errno))

        def captchas():
            c = harness.Client(st)
            while not stop.is_set():
                codeid, r = c.fetch_imagecode()
                if r.status != 200:
                    problems.append(("imagecode", r.status, r.errno))
                    continue
                where = self.holder(healthy, "imagecode:" + codeid)
                if where is None:
                    continue  # on the flapping server or the hung one's successor there: not asked
                with harness.Memcached(where, timeout=2) as mc:
                    text = mc.get(st.prefix + "imagecode:" + codeid).decode()
                # A fresh client (a new connection: either worker) checks it.
                r = harness.Client(st).post("/api/smscode", {"mobile": new_mobile(), "image_code_id": codeid,
                                                             "image_code_text": text})
                checks.append((where, r.status, r.errno))

        os.kill(pids[hung], signal.SIGSTOP)
        threads = [threading.Thread(target=flap), threading.Thread(target=captchas),
                   threading.Thread(target=sessions, args=(self.users[0::2],)),
                   threading.Thread(target=sessions, args=(self.users[1::2],))]
        try:
            for t in threads:
                t.start()
            time.sleep(self.LOAD_SECONDS)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
            os.kill(pids[flapping], signal.SIGCONT)
        try:
            # A session on the stopped or flapping server may meet memcached's own JSON 503
            # (API.md: 4301) while that server is being taken out; nothing else may fail, and
            # nothing on a healthy server at all.
            self.assertEqual([a for a in answers if a[1] >= 500 and (a[0] in healthy or a[1:] != (503, 4301))],
                             [], "5xx answers")
            # A new captcha whose key falls on the flapping server while it is stopped gets the
            # same clear 503/4301 (the page asks for another); any other failure is a bug.
            self.assertEqual([p for p in problems if p[1:] != (503, 4301)], [])
            lost = [a for a in answers if a[0] in healthy and a[2] != 0]
            self.assertEqual(lost, [], "sessions on a healthy server lost")
            self.assertGreater(len([a for a in answers if a[0] in healthy]), 4 * len(safe))
            self.assertGreaterEqual(len(checks), 5, "too few captcha checks on the healthy servers")
            self.assertEqual([c for c in checks if c[1:] != (200, 0)], [], "captcha checks failed")
            # Every worker on the same ring: each one's last ring line, once both answered again.
            for _ in range(16):
                self.assertOk(safe[0].get("/api/profile"))
            _master, workers = st.ihomed_master_and_workers()
            last = {}
            for line in st.read_log_tail(1000000).splitlines():
                m = re.search(r"ihomed\[(\d+)\] memcached pool ring (.*)$", line)
                if m and int(m.group(1)) in workers:
                    last[int(m.group(1))] = m.group(2)
            self.assertEqual(len(last), WORKERS, last)
            self.assertEqual(len(set(last.values())), 1, "the workers' rings differ: %r" % last)
            self.assertIn(hung, list(last.values())[0].split(" out=")[1])
            for u in safe:
                self.assertOk(u.get("/api/profile"))
        finally:
            os.kill(pids[hung], signal.SIGCONT)

if __name__ == "__main__":
    unittest.main()
