"""Shared pieces of the ops suites: paths, running commands, a stack that keeps its data
dir across a stop (for restore), tools that may need installing.  Reuses the integration
harness (tests/integration/harness.py) for the stack and the HTTP client."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import harness  # noqa: E402

SCRIPTS = os.path.join(REPO, "scripts")
IHOMED = os.path.abspath(os.path.join(REPO, os.environ.get("IHOMED", "build/ihomed")))
os.environ["IHOMED"] = IHOMED
os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"


def script(name):
    return os.path.join(SCRIPTS, name)


def run(args, input=None, env=None, timeout=120, cwd=None):
    """subprocess.run with text output captured; never raises on a non-zero exit."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(args, input=input, capture_output=True, text=True, env=full_env,
                          timeout=timeout, cwd=cwd or REPO)


def describe(r):
    return "%r exited %s\nstdout: %s\nstderr: %s" % (r.args, r.returncode, r.stdout[-3000:],
                                                   r.stderr[-3000:])


def have(tool):
    return shutil.which(tool) is not None


def apt_install(package):
    """Installs one Debian package when the suite needs it and it is missing (root only)."""
    if os.geteuid() != 0:
        return False
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    r = run(["apt-get", "install", "-y", "-q", "--no-install-recommends", package], env=env,
            timeout=600)
    if r.returncode != 0:
        run(["apt-get", "update", "-q"], env=env, timeout=600)
        r = run(["apt-get", "install", "-y", "-q", "--no-install-recommends", package], env=env,
                timeout=600)
    return r.returncode == 0


def data_paths(stack):
    """--db/--media/--key arguments naming a harness stack's data."""
    return ["--db", stack.db, "--media", os.path.join(stack.var, "media"),
            "--key", os.path.join(stack.var, "secret.key")]


class KeptStack(harness.Stack):
    """A harness stack whose data dir survives stop(), and that can start again on it."""

    def __init__(self, env=None, name="ops", tmp=None):
        super().__init__(env=env, name=name)
        self.kept_tmp = tmp

    def start(self):
        if self.kept_tmp is None:
            return super().start()
        # harness.Stack.start with a given, existing temp dir.
        self.tmp = self.kept_tmp
        self.var = os.path.join(self.tmp, "var")
        self.port = harness.free_port()
        self.log_path = os.path.join(self.tmp, "stack-%d.log" % self.port)
        env = dict(os.environ)
        env.update(self.extra_env)
        env["PORT"] = str(self.port)
        env["VAR"] = self.var
        harness.STARTED_STACKS.append(self)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [harness.STACK_SCRIPT], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.stop(check=False)
            raise
        return self

    def stop(self, check=True, keep=True):
        tmp = self.tmp
        if keep:
            self.tmp = None  # harness.Stack.stop deletes self.tmp
        try:
            return super().stop(check=check)
        finally:
            if keep:
                self.kept_tmp = tmp

    def discard(self):
        if self.kept_tmp:
            shutil.rmtree(self.kept_tmp, ignore_errors=True)
            self.kept_tmp = None


def process_age(pid):
    """Seconds since `pid` started, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
    except (OSError, IndexError, ValueError):
        return None
    return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")


def wait_for(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def kill_quietly(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def mkdtemp(name):
    return tempfile.mkdtemp(prefix="ihome-ops-%s-" % name)
