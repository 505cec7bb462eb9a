"""The ihomed master on its own (no nginx): signals, respawn and reload, as
ARCHITECTURE.md describes them.  Each test starts ihomed directly on a
socket in a temp dir; memcached is not needed for any of this."""

import os
import signal
import subprocess
import tempfile
import time
import unittest

from harness import wait_for

IHOMED = os.path.abspath(os.environ.get("IHOMED", "build/ihomed"))


def children(pid, comm="ihomed"):
    """The live (not zombie) children of `pid` named `comm`: the FastCGI workers by default;
    "ihomed-jobs" for the job process (src/server/jobs.cpp)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                head, tail = f.read().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        name = head.split("(", 1)[1] if "(" in head else ""
        if int(fields[1]) == pid and fields[0] != "Z" and name == comm:
            out.append(int(entry))
    return sorted(out)


class Master(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ihome-signals-")
        self.sock = os.path.join(self.dir, "ihomed.sock")
        self.conf = os.path.join(self.dir, "ihomed.conf")
        self.write_config(workers=2)
        self.proc = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["rm", "-rf", self.dir])

    def write_config(self, workers, extra=""):
        with open(self.conf, "w") as f:
            f.write("socket = %s\nworkers = %d\ndb = %s/ihome.db\nmedia_dir = %s/media\n"
                    "secret_key_file = %s/secret.key\nmemcached = %s/none.sock\n%s"
                    % (self.sock, workers, self.dir, self.dir, self.dir, self.dir, extra))

    def start(self, ignore_sigint=False):
        def prepare():
            os.setsid()
            if ignore_sigint:  # what a shell does to a background job
                signal.signal(signal.SIGINT, signal.SIG_IGN)
        env = {k: v for k, v in os.environ.items() if not k.startswith("IHOME_")}
        self.proc = subprocess.Popen([IHOMED, "--config", self.conf], env=env, preexec_fn=prepare,
                                     stderr=open(os.path.join(self.dir, "log"), "w"))
        self.assertTrue(wait_for(lambda: os.path.exists(self.sock) and len(children(self.proc.pid)) == 2),
                        "ihomed did not start two workers")

    def test_one_job_process_beside_the_workers_respawned_when_killed(self):
        self.start()
        self.assertTrue(wait_for(lambda: len(children(self.proc.pid, "ihomed-jobs")) == 1),
                        "no ihomed-jobs process")
        jobs = children(self.proc.pid, "ihomed-jobs")[0]
        os.kill(jobs, signal.SIGKILL)
        self.assertTrue(wait_for(lambda: children(self.proc.pid, "ihomed-jobs") not in ([], [jobs]), 15),
                        "the job process was not respawned")
        self.assertEqual(len(children(self.proc.pid)), 2, "the workers are untouched")

    def test_sigint_stops_the_master_even_when_started_with_sigint_ignored(self):
        # A shell starts background jobs (make run's) with SIGINT ignored;
        # the master keeps it blocked, so Ctrl-C still reaches sigtimedwait.
        self.start(ignore_sigint=True)
        workers = children(self.proc.pid)
        self.proc.send_signal(signal.SIGINT)
        self.assertEqual(self.proc.wait(timeout=10), 0)
        self.assertFalse(os.path.exists(self.sock), "the socket file was left behind")
        for pid in workers:
            self.assertFalse(os.path.exists("/proc/%d" % pid) and open("/proc/%d/stat" % pid).read().split()[2] != "Z",
                             "worker %d outlived its master" % pid)

    def test_a_killed_worker_is_replaced(self):
        self.start()
        before = children(self.proc.pid)
        os.kill(before[0], signal.SIGKILL)
        self.assertTrue(wait_for(lambda: len(children(self.proc.pid)) == 2 and children(self.proc.pid) != before))
        self.assertNotIn(before[0], children(self.proc.pid))

    def test_sighup_rereads_the_config_and_replaces_the_workers(self):
        self.start()
        before = set(children(self.proc.pid))
        self.write_config(workers=3)
        self.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: len(children(self.proc.pid)) == 3 and
                                 not before & set(children(self.proc.pid))),
                        "workers after SIGHUP: %s (before %s)" % (children(self.proc.pid), before))

    def test_after_sighup_the_next_job_process_waits_for_the_old_one_killed_when_overdue(self):
        # Two job processes would run the same payment work side by side, and
        # two index saves would write the same file.
        self.write_config(workers=2, extra="shutdown_timeout = 2\n")
        self.start()
        self.assertTrue(wait_for(lambda: len(children(self.proc.pid, "ihomed-jobs")) == 1), "no ihomed-jobs")
        old = children(self.proc.pid, "ihomed-jobs")[0]
        os.kill(old, signal.SIGSTOP)  # it cannot act on the reload's SIGTERM
        try:
            self.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "config reloaded" in self.log()), self.log())
            time.sleep(1.2)
            self.assertEqual(children(self.proc.pid, "ihomed-jobs"), [old], "a second job process started")
            self.assertTrue(wait_for(lambda: children(self.proc.pid, "ihomed-jobs") not in ([], [old]), 10),
                            "no new job process after shutdown_timeout: " + self.log())
            self.assertIn("jobs did not stop in time, killing pid=%d" % old, self.log())
            self.assertEqual(len(children(self.proc.pid)), 2, "the new workers run")
        finally:
            try:
                os.kill(old, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def test_sigterm_kills_a_worker_still_there_after_shutdown_timeout(self):
        self.write_config(workers=2, extra="shutdown_timeout = 2\n")
        self.start()
        stuck = children(self.proc.pid)[0]
        os.kill(stuck, signal.SIGSTOP)  # it cannot act on SIGTERM
        try:
            started = time.monotonic()
            self.proc.send_signal(signal.SIGTERM)
            self.assertEqual(self.proc.wait(timeout=15), 0)
            self.assertGreaterEqual(time.monotonic() - started, 1.5, "killed before shutdown_timeout")
            self.assertIn("worker did not stop in time, killing pid=%d" % stuck, self.log())
            self.assertIn("ihomed stopped", self.log())
        finally:
            try:
                os.kill(stuck, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def log(self):
        with open(os.path.join(self.dir, "log")) as f:
            return f.read()

    def test_a_bad_config_on_sighup_keeps_the_running_one(self):
        self.start()
        with open(self.conf, "a") as f:
            f.write("workers = many\n")
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertIsNone(self.proc.poll())
        self.assertEqual(len(children(self.proc.pid)), 2)

    def test_workers_die_with_a_killed_master(self):
        self.start()
        workers = children(self.proc.pid)
        self.proc.kill()
        self.proc.wait()
        def gone():
            return all(not os.path.exists("/proc/%d" % pid) for pid in workers)
        self.assertTrue(wait_for(gone), "workers outlived a SIGKILLed master")

    def test_a_second_ihomed_refuses_a_socket_in_use(self):
        self.start()
        second = subprocess.run([IHOMED, "--config", self.conf], capture_output=True, text=True, timeout=10)
        self.assertNotEqual(second.returncode, 0)
        self.assertIn("another process is listening", second.stderr)
        self.assertIsNone(self.proc.poll())


if __name__ == "__main__":
    unittest.main()
