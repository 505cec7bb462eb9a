"""`make run` as README tells it (the guide's first command): the whole stack in the foreground on
PORT with its data under VAR, stopped whole by SIGTERM sent to make alone — as `kill <pid of
make>` or a supervisor that signals only the process it started does — and by SIGINT to the
process group, as Ctrl-C in a terminal does.  Nothing it started outlives it.

A new VAR gets the demo set (scripts/ihome-demo): about 60 houses with pictures over several
districts, a real-name verified landlord and a guest with past (reviewed) and upcoming stays
and favourites, whose logins `make run` prints and which log in; `DEMO=0 make run` starts
empty, and so does a VAR that already has a database."""

import datetime
import os
import re
import signal
import sqlite3
import subprocess
import unittest
import urllib.request
from contextlib import closing

from opslib import IHOMED, REPO, harness, mkdtemp, wait_for


def started_from(var):
    """pids of live processes whose command line names `var` (memcached, nginx, ihomed)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open("/proc/%s/stat" % entry) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if var in cmd and state != "Z":
            out.append((int(entry), cmd))
    return out


class MakeRun(unittest.TestCase):
    def setUp(self):
        self.var = mkdtemp("make-run")
        self.port = harness.free_port()
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for pid, _cmd in started_from(self.var):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["rm", "-rf", self.var])

    def start(self, **extra_env):
        env = dict(os.environ, PORT=str(self.port), VAR=self.var)
        env.pop("DEMO", None)
        env.update(extra_env)
        # The binary under test (IHOMED, say build-asan/ihomed) through make's own BUILD.
        build = os.path.relpath(os.path.dirname(IHOMED), REPO)
        self.log = open(os.path.join(self.var, "make-run.log"), "a")
        self.proc = subprocess.Popen(["make", "-s", "--no-print-directory", "BUILD=" + build, "run"],
                                     cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

        def healthy():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/health" % self.port, timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        stack_env = os.path.join(self.var, "run", "stack.env")
        # stack.env is written once the stack answers (ihome-stack's "ready" line).
        self.assertTrue(wait_for(lambda: healthy() and os.path.exists(stack_env), 60), self.tail())
        with open(stack_env) as f:
            self.assertIn("IHOME_URL=http://127.0.0.1:%d" % self.port, f.read())
        kinds = " ".join(cmd for _pid, cmd in started_from(self.var))
        for name in ("memcached", "nginx", "ihomed"):
            self.assertIn(name, kinds)

    def whole_log(self):
        with open(os.path.join(self.var, "make-run.log"), errors="replace") as f:
            return f.read()

    def tail(self):
        try:
            with open(os.path.join(self.var, "make-run.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def assertAllStopped(self):
        self.proc.wait(timeout=30)
        left = wait_for(lambda: not started_from(self.var), 15)
        self.assertTrue(left, "still running: %r\n%s" % (started_from(self.var), self.tail()))

    def test_sigterm_to_make_alone_stops_everything(self):
        self.start()
        os.kill(self.proc.pid, signal.SIGTERM)
        self.assertAllStopped()

    def test_sigint_to_the_process_group_stops_everything(self):
        self.start()
        os.killpg(self.proc.pid, signal.SIGINT)
        self.assertAllStopped()

    # -- the demo set ------------------------------------------------------------------
    def db(self, sql, params=()):
        with closing(sqlite3.connect(os.path.join(self.var, "ihome.db"), timeout=10)) as con:
            return con.execute(sql, params).fetchall()

    def logins(self):
        self.assertTrue(wait_for(lambda: "demo logins" in self.tail() and "guest" in self.tail(), 60),
                        self.tail())
        found = re.findall(r"(landlord|guest) \(.*\):\s+(1[3-9][0-9]{9}) / (\S+)", self.tail())
        self.assertEqual([f[0] for f in found[:2]], ["landlord", "guest"], self.tail())
        return {role: (mobile, password) for role, mobile, password in found[:2]}

    def test_new_var_gets_the_demo_set_and_its_logins(self):
        self.start()
        logins = self.logins()
        self.assertIn("http://127.0.0.1:%d" % self.port, self.tail())
        (houses,), = self.db("SELECT count(*) FROM houses")
        self.assertTrue(50 <= houses <= 80, houses)
        (areas,), = self.db("SELECT count(DISTINCT area_id) FROM houses")
        self.assertGreaterEqual(areas, 5)
        (bare,), = self.db("SELECT count(*) FROM houses WHERE index_image IS NULL")
        self.assertEqual(bare, 0)
        (reviews,), = self.db("SELECT count(*) FROM orders WHERE status = 'COMPLETE' AND comment <> ''")
        self.assertGreater(reviews, 5)

        site = "http://127.0.0.1:%d" % self.port
        landlord = harness.Client(site)
        self.assertEqual(landlord.login(*logins["landlord"]).errno, 0)
        profile = landlord.get("/api/profile").json
        self.assertTrue(profile["real_name_verified"], profile)
        mine = landlord.get("/api/house/my").json["data"]["houses"]
        self.assertGreaterEqual(len(mine), 3)
        image = landlord.get(mine[0]["img_url"])
        self.assertEqual(image.status, 200)
        self.assertEqual(image.content_type, "image/jpeg")

        guest = harness.Client(site)
        self.assertEqual(guest.login(*logins["guest"]).errno, 0)
        today = datetime.date.today().isoformat()
        orders = guest.get("/api/order/my?role=custom").json["data"]["orders"]
        self.assertTrue(any(o["end_date"] <= today and o["status"] == "COMPLETE" for o in orders), orders)
        self.assertTrue(any(o["start_date"] > today and o["status"] not in ("REJECTED", "CANCELED", "EXPIRED")
                            for o in orders), orders)
        self.assertGreater(len(guest.get("/api/user/favorites/ids").json["data"]["house_ids"]), 0)
        self.assertNotEqual(guest.get("/api/profile").json["username"], logins["guest"][0])

        # A second start keeps the data as it is and prints the logins again.
        os.kill(self.proc.pid, signal.SIGTERM)
        self.assertAllStopped()
        self.start()
        self.assertTrue(wait_for(lambda: self.whole_log().count("demo logins") == 2, 30), self.tail())
        (again,), = self.db("SELECT count(*) FROM houses")
        self.assertEqual(again, houses)

    def test_demo_0_starts_empty(self):
        self.start(DEMO="0")
        (houses,), = self.db("SELECT count(*) FROM houses")
        (users,), = self.db("SELECT count(*) FROM users")
        self.assertEqual((houses, users), (0, 0))
        self.assertNotIn("demo logins", self.tail())


if __name__ == "__main__":
    unittest.main()
