"""Test harness for ihome's integration suites: drives the real stack over HTTP.

A `Stack` starts `scripts/ihome-stack` (nginx + ihomed + memcached + SQLite) in its own
temporary data dir on a free loopback port, waits for `$VAR/run/stack.env`, and stops it with
SIGTERM, checking that nothing it started is left running or listening.  `Client` is a small
HTTP client with a cookie jar that follows the `_xsrf` / `X-XSRFToken` convention of API.md;
`Memcached` speaks memcached's text protocol so tests can read the codes the server stores
(API.md, "Observable state").  Below those, the fixtures any suite may want: request
bodies, ids, threads released together, PNG files made byte by byte and a JPEG's size (the
houses and orders of guests.py build on this module).  Python 3 standard library only.
"""

import atexit
import datetime
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid
import zlib

import openapi  # noqa: E402  (docs/openapi.yaml: the schema every JSON answer is checked against)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STACK_SCRIPT = os.path.join(REPO, "scripts", "ihome-stack")
START_TIMEOUT = float(os.environ.get("IHOME_TEST_START_TIMEOUT", "30"))
STOP_TIMEOUT = 20.0
HTTP_TIMEOUT = 30.0

# Settings every test stack gets unless a test overrides them: a cheap argon2id so that
# dozens of registrations stay fast, and per-IP limits high enough that a whole suite sent
# from 127.0.0.1 does not trip them (the limits have their own dedicated stacks).
BASE_ENV = {
    "IHOME_PASSWORD_OPSLIMIT": "1",
    "IHOME_PASSWORD_MEMLIMIT_KIB": "8192",
    "IHOME_IMAGECODE_PER_MINUTE": "100000",
    "IHOME_SMS_IP_PER_HOUR": "100000",
    "IHOME_LOG_LEVEL": "debug",
    # The classic site's life cycle (accept -> PAID, the guest pays at the door); the payment
    # suites start their stacks with sandbox or alipay.
    "IHOME_PAYMENT_PROVIDER": "none",
}

# Every stack started in this process, so the runner can show the logs of a failed module.
STARTED_STACKS = []

SMS_BODY = "【爱家租房】您的验证码是{code}，5分钟内有效。"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class StackError(Exception):
    pass


def stop_all_stacks():
    """Stops every stack still running (an interrupted run must not leave processes)."""
    for stack in STARTED_STACKS:
        if stack.proc is not None and stack.proc.poll() is None:
            stack.stop(check=False)


atexit.register(stop_all_stacks)


def wait_for(predicate, timeout=10.0, step=0.05):
    """Polls predicate() until it is true or `timeout` seconds passed; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return None


def _proc_stat(pid):
    """(comm, ppid, session id) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    lpar, rpar = data.index("("), data.rindex(")")
    comm = data[lpar + 1:rpar]
    fields = data[rpar + 2:].split()
    # fields[0] = state, [1] = ppid, [2] = pgrp, [3] = session
    if fields[0] == "Z":
        return None
    return comm, int(fields[1]), int(fields[3])


def _all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


class Stack:
    """One running ihome stack in a private temporary data dir.

    `env` adds or overrides environment variables (e.g. IHOME_SMS_PROVIDER).  IHOMED and every
    other variable of the test's own environment are passed through, so `make asan` can point
    the stack at a sanitizer build.
    """

    def __init__(self, env=None, name="stack"):
        self.name = name
        self.extra_env = dict(BASE_ENV)
        self.extra_env.update(env or {})
        self.proc = None
        self.starts = 0
        self.tmp = None
        self.var = None
        self.port = None
        self.url = None
        self.memcached = None
        self.db = None
        self.metrics_url = None
        self.log_path = None
        self.log_tail = ""
        self.leftovers = []
        self.prefix = self.extra_env.get("IHOME_CACHE_PREFIX", "ihome:")

    # ----- lifecycle -------------------------------------------------------------------
    def start(self):
        if not os.access(STACK_SCRIPT, os.X_OK):
            raise StackError("%s is missing or not executable" % STACK_SCRIPT)
        if self.tmp is None:
            self.tmp = tempfile.mkdtemp(prefix="ihome-it-%s-" % self.name)
            self.var = os.path.join(self.tmp, "var")
            os.makedirs(self.var)
            self.starts = 0
        self.starts += 1  # a start after stop(keep_data=True) logs to a file of its own
        self.port = free_port()
        self.log_path = os.path.join(self.tmp, "stack.log" if self.starts == 1 else "stack-%d.log" % self.starts)
        env = dict(os.environ)
        env["DEMO"] = "0"  # the tests' stacks start empty, whatever the caller's shell says
        env.update(self.extra_env)
        env["PORT"] = str(self.port)
        env["VAR"] = self.var
        if self not in STARTED_STACKS:
            STARTED_STACKS.append(self)
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                [STACK_SCRIPT], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        try:
            self._wait_ready()
        except BaseException:
            self.stop(check=False)
            raise
        return self

    def _wait_ready(self):
        env_file = os.path.join(self.var, "run", "stack.env")
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StackError("ihome-stack exited with %s before it answered\n%s"
                                 % (self.proc.returncode, self.read_log_tail()))
            values = {}
            try:
                with open(env_file, encoding="utf-8") as f:
                    for line in f:
                        if "=" in line:
                            k, v = line.rstrip("\n").split("=", 1)
                            values[k.strip()] = v.strip().strip('"').strip("'")
            except OSError:
                pass
            if all(k in values and values[k] for k in ("IHOME_URL", "IHOME_MEMCACHED", "IHOME_DB")):
                self.url = values["IHOME_URL"]
                self.memcached = values["IHOME_MEMCACHED"]
                self.db = values["IHOME_DB"]
                self.metrics_url = values.get("IHOME_METRICS_URL")
                parsed = urllib.parse.urlsplit(self.url)
                if parsed.port != self.port:
                    raise StackError("stack.env says %s but PORT was %d" % (self.url, self.port))
                return
            time.sleep(0.1)
        raise StackError("no complete %s within %.0f s\n%s"
                         % (env_file, START_TIMEOUT, self.read_log_tail()))

    def read_log_tail(self, lines=80):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except (OSError, TypeError):
            return self.log_tail
        text = data.decode("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:])

    def processes(self):
        """[(pid, comm, cmdline)] of the processes this stack started that are still alive:
        those in the session of ihome-stack, plus any whose command line names our VAR."""
        if self.proc is None:
            return []
        sid = self.proc.pid
        table = {}
        for pid in _all_pids():
            if pid == os.getpid():
                continue
            st = _proc_stat(pid)
            if st is not None:
                table[pid] = (st, _proc_cmdline(pid) or "")
        ours = {pid for pid, ((_c, _pp, session), cmd) in table.items()
                if session == sid or (self.var and self.var in cmd)}
        # Daemons that left the session (setsid) still descend from, or lead a session of,
        # something of ours: nginx workers, for instance, do not name VAR on their command line.
        grew = True
        while grew:
            grew = False
            for pid, ((_c, ppid, session), _cmd) in table.items():
                if pid not in ours and (ppid in ours or session in ours):
                    ours.add(pid)
                    grew = True
        return sorted((pid, table[pid][0][0], table[pid][1]) for pid in ours)

    def ihomed_master_and_workers(self):
        """(master pid, [worker pids]): workers are the ihomed children of an ihomed."""
        # A pid gone between the listing and its stat (a worker just killed) is left out:
        # with no parent to read it would pass for a second master.
        stats = {pid: _proc_stat(pid) for pid in self.pids_named("ihomed")}
        parents = {pid: stat[1] for pid, stat in stats.items() if stat is not None}
        ihomed = sorted(parents)
        masters = [pid for pid in ihomed if parents[pid] not in parents]
        if len(masters) != 1:
            raise StackError("expected one ihomed master, found %r" % (self.processes(),))
        return masters[0], sorted(pid for pid in ihomed if parents[pid] == masters[0])

    def pids_named(self, comm):
        return sorted(pid for pid, c, _ in self.processes() if c == comm)

    def pause_memcached(self):
        """SIGSTOPs the stack's one memcached (ihomed meets timeouts, as with a hung server)
        and returns a function that resumes it, harmless to call again: for addClassCleanup."""
        pids = self.pids_named("memcached")
        if len(pids) != 1:
            raise AssertionError("expected one memcached process, found %r" % self.processes())
        pid = pids[0]
        os.kill(pid, signal.SIGSTOP)

        def resume():
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        return resume

    def stop(self, check=True, keep_data=False):
        """SIGTERM ihome-stack and wait; then make sure nothing is left.  Returns a list of
        complaints (left-over processes, port still open); raises when `check` and any.
        `keep_data`: the data dir stays, and start() starts the stack on it again."""
        complaints = []
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    complaints.append("ihome-stack did not exit within %.0f s of SIGTERM"
                                      % STOP_TIMEOUT)
                    try:
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    self.proc.wait(timeout=10)
            # Children may take a moment to go after the script returns.
            deadline = time.monotonic() + 5
            left = self.processes()
            while left and time.monotonic() < deadline:
                time.sleep(0.1)
                left = self.processes()
            if left:
                complaints.append("processes left running after stop: %r" % (left,))
                self.leftovers = left
                for pid, _c, _cmd in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if self.port and port_is_open(self.port):
                complaints.append("something still listens on 127.0.0.1:%d after stop" % self.port)
        self.log_tail = self.read_log_tail()
        if complaints:
            self.log_tail += "\n[harness] " + "\n[harness] ".join(complaints)
        if self.tmp and not keep_data:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        if check and complaints:
            raise StackError("; ".join(complaints))
        return complaints

    # ----- access ----------------------------------------------------------------------
    def client(self):
        return Client(self)

    def mc(self):
        """The stack's (first) memcached server."""
        return Memcached(self.memcached.split(",")[0])

    def cache_get(self, key):
        """Value (str) of prefix+key in the stack's memcached (any server of a pool), or None."""
        for server in self.memcached.split(","):
            try:
                with Memcached(server) as mc:
                    v = mc.get(self.prefix + key)
            except OSError:
                continue  # a pool's server a test stopped
            if v is not None:
                return v.decode("utf-8")
        return None

    def cache_ttl(self, key):
        with self.mc() as mc:
            return mc.ttl(self.prefix + key)

    def cache_set(self, key, value, ttl=300):
        with self.mc() as mc:
            mc.set(self.prefix + key, value, ttl)

    def cache_touch(self, key, ttl):
        with self.mc() as mc:
            return mc.touch(self.prefix + key, ttl)

    def cache_delete(self, key):
        with self.mc() as mc:
            mc.delete(self.prefix + key)

    def db_query(self, sql, params=()):
        """Rows of a read-only query on the stack's SQLite file."""
        conn = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def db_execute(self, sql, params=()):
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            with conn:
                conn.execute(sql, params)
        finally:
            conn.close()


# ----- HTTP -----------------------------------------------------------------------------
class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # http.client.HTTPMessage
        self.body = body
        self.cookies = [parse_set_cookie(v) for v in headers.get_all("Set-Cookie") or []]
        self._json = None
        self._json_done = False

    def header(self, name, default=None):
        return self.headers.get(name, default)

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")

    @property
    def json(self):
        """The body as a JSON value, or None when it is not valid JSON."""
        if not self._json_done:
            self._json_done = True
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                self._json = None
        return self._json

    @property
    def errno(self):
        j = self.json
        return j.get("errno") if isinstance(j, dict) else None

    def cookie(self, name):
        """The last Set-Cookie for `name` in this answer (dict), or None."""
        found = None
        for c in self.cookies:
            if c["name"] == name:
                found = c
        return found

    def describe(self):
        text = self.body[:600].decode("utf-8", "replace")
        return "HTTP %d %s; Content-Type %r; body %r" % (self.status, self.reason,
                                                           self.content_type, text)

    __repr__ = describe


def parse_set_cookie(value):
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        if not p:
            continue
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    return {"name": name.strip(), "value": val.strip(), "attrs": attrs, "raw": value}


def cookie_is_expired(c):
    attrs = c["attrs"]
    if "max-age" in attrs:
        try:
            if int(attrs["max-age"]) <= 0:
                return True
        except (TypeError, ValueError):
            pass
    if "expires" in attrs and isinstance(attrs["expires"], str):
        import email.utils
        try:
            when = email.utils.parsedate_to_datetime(attrs["expires"])
            if when.timestamp() <= time.time():
                return True
        except (TypeError, ValueError):
            pass
    return False


class Client:
    """HTTP client for one browser: a cookie jar, and `X-XSRFToken` = cookie `_xsrf` on
    POSTs (it first GETs /api/check_login to obtain `_xsrf` when the jar has none)."""

    def __init__(self, stack_or_url):
        url = stack_or_url.url if isinstance(stack_or_url, Stack) else stack_or_url
        self.stack = stack_or_url if isinstance(stack_or_url, Stack) else None
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname
        self.port = parts.port
        self.cookies = {}
        self.last = None
        # Every JSON answer of an /api/ URL must match docs/openapi.yaml (openapi.py).
        self.check_schema = True

    # -- raw ---------------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, cookies=True, update_jar=True):
        hdrs = {}
        if cookies and self.cookies:
            hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if body is not None and isinstance(body, str):
            body = body.encode("utf-8")
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=HTTP_TIMEOUT)
        try:
            try:
                conn.request(method, path, body=body, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer (413) before reading a large body
            r = conn.getresponse()
            data = r.read()
            resp = Response(r.status, r.reason, r.msg, data)
        finally:
            conn.close()
        if update_jar:
            for c in resp.cookies:
                if cookie_is_expired(c) or c["value"] in ("", '""'):
                    self.cookies.pop(c["name"], None)
                else:
                    self.cookies[c["name"]] = c["value"]
        self.last = resp
        if self.check_schema:
            openapi.check_answer(method, path, resp.status, resp.content_type, resp.body, resp.json)
        return resp

    def get(self, path, params=None, headers=None, **kw):
        if params:
            path = path + ("&" if "?" in path else "?") + urllib.parse.urlencode(params)
        return self.request("GET", path, headers=headers, **kw)

    def ensure_xsrf(self):
        if "_xsrf" not in self.cookies:
            self.get("/api/check_login")
        if "_xsrf" not in self.cookies:
            raise AssertionError("no _xsrf cookie after GET /api/check_login: %s" % self.last)
        return self.cookies["_xsrf"]

    def post(self, path, json_body=None, form=None, raw=None, content_type=None,
             headers=None, csrf=True, **kw):
        """POST JSON (`json_body`), urlencoded (`form`) or `raw` bytes.
        csrf=True sends X-XSRFToken = cookie _xsrf; False sends none; a str sends that."""
        hdrs = {}
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode("utf-8")
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = raw if raw is not None else b""
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        if csrf is True:
            hdrs["X-XSRFToken"] = self.ensure_xsrf()
        elif isinstance(csrf, str):
            hdrs["X-XSRFToken"] = csrf
        hdrs.update(headers or {})
        return self.request("POST", path, body=body, headers=hdrs, **kw)

    # -- passport flow -----------------------------------------------------------------
    def fetch_imagecode(self, codeid=None, **params):
        codeid = codeid or new_codeid()
        q = {"codeid": codeid}
        q.update(params)
        return codeid, self.get("/api/imagecode", q)

    def get_imagecode(self, codeid=None, **params):
        """GET an image code and return (codeid, text) read back from memcached."""
        codeid, r = self.fetch_imagecode(codeid, **params)
        if r.status != 200:
            raise AssertionError("GET /api/imagecode failed: %s" % r)
        text = self.stack.cache_get("imagecode:" + codeid)
        if text is None:
            raise AssertionError("no imagecode:%s in memcached after a 200 answer" % codeid)
        return codeid, text

    def send_smscode(self, mobile, expect_ok=True):
        """Image code + POST /api/smscode; returns (response, sms code or None)."""
        codeid, text = self.get_imagecode()
        r = self.post("/api/smscode", {"mobile": mobile, "image_code_id": codeid,
                                       "image_code_text": text})
        if expect_ok and r.errno != 0:
            raise AssertionError("POST /api/smscode for %s failed: %s" % (mobile, r))
        return r, self.stack.cache_get("smscode:" + mobile)

    def register(self, mobile, phonecode, password, password2=None, **kw):
        if password2 is None:
            password2 = password
        return self.post("/api/register", {"mobile": mobile, "phonecode": phonecode,
                                           "password": password, "password2": password2}, **kw)

    def register_user(self, mobile, password="secret-pass-1"):
        """The whole sign-up: image code, SMS code, register (which logs in)."""
        _r, code = self.send_smscode(mobile)
        r = self.register(mobile, code, password)
        if r.errno != 0:
            raise AssertionError("POST /api/register for %s failed: %s" % (mobile, r))
        return r

    def login(self, mobile, password, **kw):
        return self.post("/api/login", {"mobile": mobile, "password": password}, **kw)

    def check_login(self):
        return self.get("/api/check_login")


def get_imagecode(client, codeid=None):
    return client.get_imagecode(codeid)[1]


def register_user(client, mobile, password="secret-pass-1"):
    return client.register_user(mobile, password)


def login(client, mobile, password):
    return client.login(mobile, password)


# ----- memcached ------------------------------------------------------------------------
class Memcached:
    """memcached text protocol over a unix socket path or host:port."""

    def __init__(self, address, timeout=5.0):
        self.address = address
        self.timeout = timeout
        self.sock = None
        self.buf = b""

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    def connect(self):
        addr = self.address
        if addr.startswith("unix:"):
            addr = addr[5:]
        if addr.startswith("/"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.timeout)
            s.connect(addr)
        else:
            host, _, port = addr.rpartition(":")
            s = socket.create_connection((host or "127.0.0.1", int(port)), timeout=self.timeout)
        self.sock = s
        self.buf = b""

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("memcached closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("memcached closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def get(self, key):
        self.sock.sendall(b"get " + key.encode() + b"\r\n")
        value = None
        while True:
            line = self._line()
            if line == b"END":
                return value
            if line.startswith(b"VALUE "):
                n = int(line.split()[3])
                value = self._exact(n)
                self._exact(2)
            else:
                raise ConnectionError("memcached: %r" % line)

    def ttl(self, key):
        """Remaining TTL in seconds (-1: never expires), or None when the key is absent."""
        self.sock.sendall(b"mg " + key.encode() + b" t\r\n")
        line = self._line()
        if line.startswith(b"EN"):
            return None
        parts = line.split()
        for p in parts[1:]:
            if p.startswith(b"t"):
                return int(p[1:])
        raise ConnectionError("memcached mg: %r" % line)

    def set(self, key, value, ttl=0):
        if isinstance(value, str):
            value = value.encode("utf-8")
        self.sock.sendall(b"set %s 0 %d %d\r\n%s\r\n" % (key.encode(), ttl, len(value), value))
        line = self._line()
        if line != b"STORED":
            raise ConnectionError("memcached set: %r" % line)

    def delete(self, key):
        self.sock.sendall(b"delete " + key.encode() + b"\r\n")
        return self._line() == b"DELETED"

    def touch(self, key, ttl):
        """Sets a new TTL; False when the key is absent."""
        self.sock.sendall(b"touch %s %d\r\n" % (key.encode(), ttl))
        return self._line() == b"TOUCHED"


# ----- small helpers --------------------------------------------------------------------
def new_codeid():
    return str(uuid.uuid4())


_mobile_lock = threading.Lock()
_mobile_counter = itertools.count(random.randrange(0, 5000) * 100000)


def new_mobile(prefix="13"):
    """A fresh valid mobile (^1[3-9][0-9]{9}$) never handed out before in this process."""
    with _mobile_lock:
        n = next(_mobile_counter)
    return "%s%09d" % (prefix, n % 1000000000)


def masked(name):
    """A name as other people see it (API.md "Messages": mobile numbers stay private): a name
    that is a mobile number (a user who never chose one) shows as 138****0001."""
    if len(name) == 11 and name.isdigit() and name[0] == "1" and name[1] in "3456789":
        return name[:3] + "****" + name[7:]
    return name


def wrong_text(right):
    """A 4-letter image code text that differs from `right` even case-insensitively."""
    for cand in ("zzzz", "yyyy", "xxxx"):
        if cand != right.lower():
            return cand


def wrong_digits(code):
    return "%06d" % ((int(code) + 1) % 1000000)


SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def normalize_content_type(value):
    return "; ".join(p.strip().lower() for p in (value or "").split(";"))


# ----- assertions -----------------------------------------------------------------------
class ApiTestCase(unittest.TestCase):
    """TestCase with the checks every API answer shares (API.md, Conventions)."""

    maxDiff = None

    def assertJsonAnswer(self, r, status, errno, msg=""):
        """HTTP `status`, a JSON object body with integer errno == `errno` and a string
        errmsg, Content-Type application/json; charset=utf-8."""
        where = (msg + ": " if msg else "") + r.describe()
        self.assertIsInstance(r.json, dict, "answer is not a JSON object: " + where)
        self.assertEqual((r.status, r.errno), (status, errno), where)
        self.assertIs(type(r.json.get("errno")), int, "errno is not an integer: " + where)
        self.assertIsInstance(r.json.get("errmsg"), str, "errmsg is not a string: " + where)
        self.assertEqual(normalize_content_type(r.content_type), JSON_CONTENT_TYPE,
                         "Content-Type: " + where)

    def assertOk(self, r, msg=""):
        self.assertJsonAnswer(r, 200, 0, msg)
        return r.json

    def assertNoStore(self, r, msg=""):
        cc = (r.header("Cache-Control") or "").lower()
        self.assertIn("no-store", [p.strip() for p in cc.split(",")],
                      (msg + ": " if msg else "") + "Cache-Control %r; %s" % (cc, r.describe()))

    def assertRetryAfter(self, r, at_most):
        value = r.header("Retry-After")
        self.assertIsNotNone(value, "429 without Retry-After: " + r.describe())
        self.assertRegex(value.strip(), r"^[0-9]+$", "Retry-After is not delta-seconds")
        self.assertTrue(1 <= int(value) <= at_most,
                        "Retry-After %s not within 1..%d" % (value, at_most))

    def assertSessionCookie(self, r):
        """A Set-Cookie session_id: 43-char base64url, HttpOnly, SameSite=Lax, Path=/.
        Returns the new id."""
        c = r.cookie("session_id")
        self.assertIsNotNone(c, "no Set-Cookie session_id: %s %r" % (r.describe(), r.cookies))
        self.assertRegex(c["value"], SESSION_ID_RE, "session_id is not 43 base64url chars")
        self.assertIn("httponly", c["attrs"], "session_id not HttpOnly: " + c["raw"])
        self.assertEqual(str(c["attrs"].get("samesite", "")).lower(), "lax",
                         "session_id not SameSite=Lax: " + c["raw"])
        self.assertEqual(c["attrs"].get("path"), "/", "session_id not Path=/: " + c["raw"])
        self.assertFalse(cookie_is_expired(c), "session_id cookie already expired: " + c["raw"])
        return c["value"]


# ----- request bodies and ids shared by the suites ----------------------------------------

def multipart(fields=(), files=()):
    """A multipart/form-data body and its Content-Type: `fields` are (name, text),
    `files` are (name, filename, content type, bytes)."""
    boundary = "----ihome" + uuid.uuid4().hex
    body = b""
    for name, value in fields:
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (boundary, name)).encode()
        body += value.encode() + b"\r\n"
    for name, filename, ctype, data in files:
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                 "Content-Type: %s\r\n\r\n" % (boundary, name, filename, ctype)).encode()
        body += data + b"\r\n"
    body += ("--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def id_card(base17):
    """An 18-character PRC id card: `base17` plus its ISO 7064 MOD 11-2 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(base17, weights))
    return base17 + "10X98765432"[total % 11]


_id_card_counter = itertools.count()


def new_id_card():
    """A valid id card number never handed out before in this process."""
    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=next(_id_card_counter))
    return id_card("110105" + born.strftime("%Y%m%d") + "002")


# ----- requests released together -----------------------------------------------------------

def run_together(n, target, before=None):
    """target(i) in n threads released together by a barrier; returns their results, an
    exception in place of the result of a thread that raised one.  before(i), when given,
    runs in thread i ahead of the barrier (each thread's own preparation, concurrent but not
    part of the race) and its result is handed on: target(i, before(i))."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def body(i):
        try:
            prepared = before(i) if before is not None else None
            barrier.wait(60)
            results[i] = target(i) if before is None else target(i, prepared)
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            results[i] = e

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


# ----- image files made here, byte by byte ------------------------------------------------

def png_chunk(kind, data):
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(width, height, shade=90, extra_chunks=(), rows=None, pixel=None, level=6):
    """An RGB PNG, 8 bits a channel.  By default a horizontal gradient (red rising with x,
    green `shade`, blue 160) with every row alike, cheap to build even when large;
    `pixel(x, y)` -> (r, g, b) paints each pixel instead.  `extra_chunks`, (type, data)
    pairs, stand between IHDR and IDAT; `rows` is how many rows of pixels IDAT holds
    whatever the header says (rows=0: a header claiming pixels that never come); `level`
    is zlib's."""
    count = height if rows is None else rows
    if pixel is None:
        row = b"\x00" + b"".join(bytes(((x * 255) // max(width - 1, 1), shade, 160)) for x in range(width))
        raw = row * count
    else:
        raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(count))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    for kind, data in extra_chunks:
        out += png_chunk(kind, data)
    return out + png_chunk(b"IDAT", zlib.compress(raw, level)) + png_chunk(b"IEND", b"")


def jpeg_size(data):
    """(width, height) from a JPEG's SOF segment."""
    i = 2
    while i < len(data):
        if data[i] != 0xFF:
            raise AssertionError("bad JPEG marker at %d" % i)
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise AssertionError("no SOF segment")
