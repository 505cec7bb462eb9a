"""`make run` as README tells it (the guide's first command): the whole stack in the foreground on
PORT with its data under VAR, stopped whole by SIGTERM sent to make alone — as `kill <pid of
make>` or a supervisor that signals only the process it started does — and by SIGINT to the
process group, as Ctrl-C in a terminal does.  Nothing it started outlives it."""

import os
import signal
import subprocess
import unittest
import urllib.request

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

    def start(self):
        env = dict(os.environ, PORT=str(self.port), VAR=self.var)
        # The binary under test (IHOMED, say build-asan/ihomed) through make's own BUILD.
        build = os.path.relpath(os.path.dirname(IHOMED), REPO)
        self.log = open(os.path.join(self.var, "make-run.log"), "w")
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


if __name__ == "__main__":
    unittest.main()
