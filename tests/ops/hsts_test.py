"""HSTS on every answer of the installed production site (nginx/ihome.conf and the snippets
it includes): read from `nginx -T` — every location of the TLS server, named and internal
ones included, ends up with `Strict-Transport-Security ... always` and the server's other
security headers (X-Content-Type-Options, Referrer-Policy, X-Frame-Options; a location with
add_header of its own does not inherit the server's) — and then seen on the wire: nginx
runs the installed site on free ports with a self-signed certificate, and pages, static
files, media, API errors and nginx's own error answers each carry the header exactly once,
while plain HTTP (the redirect server, the dev stack) carries none."""

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import unittest

import install_test
from opslib import KeptStack, describe, harness, have, apt_install, mkdtemp, run

HSTS = "Strict-Transport-Security"
SECURITY_HEADERS = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                    ("X-Frame-Options", "DENY")]


def tokenize(text):
    """nginx config tokens: words (quotes kept), '{', '}', ';'; comments dropped."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{};":
            out.append(c)
            i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "{};":
                j += 1
            out.append(text[i:j])
            i = j
    return out


def parse(tokens, files, pos=0):
    """[(args, children or None)] of one block; `include` expanded from the -T dump."""
    items, args = [], []
    while pos < len(tokens):
        t = tokens[pos]
        pos += 1
        if t == ";":
            if args and args[0] == "include":
                for name, text in files.items():
                    if name == args[1] or (args[1].endswith("*") and name.startswith(args[1][:-1])):
                        items.extend(parse(tokenize(text), files)[0])
            elif args:
                items.append((args, None))
            args = []
        elif t == "{":
            children, pos = parse(tokens, files, pos)
            items.append((args, children))
            args = []
        elif t == "}":
            return items, pos
        else:
            args.append(t)
    return items, pos


def dumped_files(dump):
    """{path: text} from `nginx -T` output."""
    files, name, lines = {}, None, []
    for line in dump.splitlines():
        m = re.match(r"^# configuration file (.*):$", line)
        if m:
            if name:
                files[name] = "\n".join(lines)
            name, lines = m.group(1), []
        elif name:
            lines.append(line)
    if name:
        files[name] = "\n".join(lines)
    return files


def headers_of(block):
    return [args for args, children in block if args[0] == "add_header"]


def locations(block, inherited, where):
    """(where, effective add_header list) of every location (nested ones too)."""
    own = headers_of(block)
    effective = own if own else inherited
    found = []
    for args, children in block:
        if children is not None and args[0] in ("location", "limit_except", "if"):
            label = where + " > " + " ".join(args)
            sub_own = headers_of(children)
            found.append((label, sub_own if sub_own else effective))
            found.extend(locations(children, effective, label)[1:])
    return [(where, effective)] + found


class ProductionSiteHsts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool, pkg in (("nginx", "nginx"), ("openssl", "openssl")):
            if not have(tool) and not apt_install(pkg):
                raise unittest.SkipTest("%s is not installed" % tool)
        cls.tmp = mkdtemp("hsts")
        cls.dest = os.path.join(cls.tmp, "root")
        r = install_test.make_install(cls.dest)
        if r.returncode != 0:
            raise AssertionError("make install failed: " + describe(r))
        tls = os.path.join(cls.dest, "etc/ihome/tls")
        os.makedirs(tls)
        r = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=ihome.example.com", "-keyout", os.path.join(tls, "privkey.pem"),
                 "-out", os.path.join(tls, "fullchain.pem")])
        if r.returncode != 0:
            raise AssertionError(describe(r))
        cls.logs = os.path.join(cls.tmp, "log")
        os.makedirs(cls.logs)
        cls.media = os.path.join(cls.tmp, "media")
        os.makedirs(cls.media)
        with open(os.path.join(cls.media, "x.jpg"), "wb") as f:
            f.write(b"\xff\xd8\xff\xd9")
        cls.https_port, cls.http_port, cls.status_port = (harness.free_port() for _ in range(3))
        site = open(os.path.join(cls.dest, "etc/nginx/sites-available/ihome.conf")).read()
        site = site.replace("/usr/local/share/ihome/", cls.dest + "/usr/local/share/ihome/")
        site = site.replace("/etc/ihome/", cls.dest + "/etc/ihome/")
        site = site.replace("/var/log/nginx/", cls.logs + "/")
        site = site.replace("/var/lib/ihome/media/", cls.media + "/")
        site = site.replace("unix:/run/ihome/ihomed.sock", "unix:%s/none.sock" % cls.tmp)
        site = re.sub(r"listen \[::\]:\d+[^;]*;", "", site)
        site = site.replace("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % cls.https_port)
        site = site.replace("listen 80;", "listen 127.0.0.1:%d;" % cls.http_port)
        site = site.replace("listen 127.0.0.1:8079;", "listen 127.0.0.1:%d;" % cls.status_port)
        cls.site_path = os.path.join(cls.tmp, "site.conf")
        with open(cls.site_path, "w") as f:
            f.write(site)
        cls.conf = os.path.join(cls.tmp, "nginx.conf")
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(cls.conf, "w") as f:
            f.write("%spid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\n"
                    "http {\n  include /etc/nginx/mime.types;\n  client_body_temp_path %s/body;\n"
                    "  include %s;\n}\n" % (user, cls.tmp, cls.logs, cls.tmp, cls.site_path))
        cls.nginx = None

    @classmethod
    def tearDownClass(cls):
        if cls.nginx is not None and cls.nginx.poll() is None:
            cls.nginx.send_signal(signal.SIGTERM)
            cls.nginx.wait(20)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_nginx_T_every_location_of_the_tls_server_sends_hsts(self):
        r = run(["nginx", "-T", "-c", self.conf, "-p", self.tmp])
        self.assertEqual(r.returncode, 0, describe(r))
        files = dumped_files(r.stdout)
        self.assertIn(self.site_path, files)
        tree, _ = parse(tokenize(files[self.conf]), files)
        http_block = [c for a, c in tree if a[0] == "http"][0]
        servers = [c for a, c in http_block if a[0] == "server"]
        tls = [s for s in servers if any(a[0] == "listen" and "ssl" in a for a, _c in s)]
        self.assertEqual(len(tls), 1, "one TLS server expected")
        found = locations(tls[0], [], "server")
        labels = [label for label, _h in found]
        # The pages, the assets, media, the API and nginx's own error answers are all there.
        for needle in ("location /", "^/(css|js|img)/", "/media/", "/api/", "@ihome_unavailable",
                       "@ihome_too_large", "/_ihome_errors/bad_request.json", "@ihome_too_many"):
            self.assertTrue(any(needle in l for l in labels), "no location %s in %s" % (needle, labels))
        for label, headers in found:
            hsts = [h for h in headers if h[1] == HSTS]
            self.assertEqual(len(hsts), 1, "%s: %d Strict-Transport-Security headers" % (label, len(hsts)))
            self.assertEqual(hsts[0][-1], "always", label)
            # The server's other security headers reach every answer too, nginx's own JSON
            # errors included: a location with add_header of its own repeats them.
            for name, value in SECURITY_HEADERS:
                sent = [h for h in headers if h[1] == name]
                self.assertEqual(len(sent), 1, "%s: %d %s headers" % (label, len(sent), name))
                self.assertEqual(sent[0][2:], [value, "always"], label)
        # The value: two years, and nothing over plain HTTP.
        common = [t for n, t in files.items() if n.endswith("ihome-common.conf")][0]
        self.assertRegex(common, r'map \$scheme \$ihome_hsts \{\s*https "max-age=63072000";\s*default "";')

    def start_nginx(self):
        if self.nginx is None:
            type(self).nginx = subprocess.Popen(
                ["nginx", "-c", self.conf, "-p", self.tmp, "-g", "daemon off;"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 10
            while not harness.port_is_open(self.https_port) and time.monotonic() < deadline:
                time.sleep(0.05)

    def fetch(self, path, method="GET", tls=True, raw=None):
        if raw is not None:
            ctx = ssl._create_unverified_context()
            with socket.create_connection(("127.0.0.1", self.https_port), timeout=10) as s:
                with ctx.wrap_socket(s, server_hostname="ihome.example.com") as t:
                    t.sendall(raw)
                    data = b""
                    while True:
                        chunk = t.recv(65536)
                        if not chunk:
                            break
                        data += chunk
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            return int(head[0].split()[1]), [l.split(":", 1)[1].strip() for l in head[1:]
                                             if l.lower().startswith(HSTS.lower() + ":")]
        if tls:
            conn = http.client.HTTPSConnection("127.0.0.1", self.https_port, timeout=10,
                                               context=ssl._create_unverified_context())
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        conn.request(method, path, headers={"Host": "ihome.example.com"})
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status, r.msg.get_all(HSTS) or []

    def test_every_kind_of_https_answer_carries_hsts_once(self):
        self.start_nginx()
        cases = [("/", None), ("/index.html", None), ("/login.html", None), ("/css/site.css", 200),
                 ("/js/api.js", None), ("/img/nothing.png", 404), ("/nothing.html", 404),
                 ("/media/x.jpg", 200), ("/media/none.jpg", 404), ("/api/check_login", 503),
                 ("/api/house/index", 503)]
        for path, want in cases:
            status, hsts = self.fetch(path)
            if want is not None:
                self.assertEqual(status, want, path)
            self.assertEqual(hsts, ["max-age=63072000"], "%s (%d)" % (path, status))
        status, hsts = self.fetch(None, raw=b"GET /%zz HTTP/1.1\r\nHost: ihome.example.com\r\n"
                                                 b"Connection: close\r\n" + b"X: " + b"a" * 20000 + b"\r\n\r\n")
        self.assertIn(status, (400, 494))
        self.assertEqual(hsts, ["max-age=63072000"], "nginx's own 4xx")
        status, hsts = self.fetch("/media/x.jpg", method="DELETE")
        self.assertEqual(status, 403)
        self.assertEqual(hsts, ["max-age=63072000"], "DELETE /media/")

    def test_plain_http_redirect_has_no_hsts(self):
        self.start_nginx()
        status, hsts = self.fetch("/index.html", tls=False)
        self.assertEqual(status, 301)
        self.assertEqual(hsts, [])


class DevStackHsts(unittest.TestCase):
    """The dev stack shares ihome-locations.conf; over plain HTTP it must not send HSTS."""

    def test_dev_stack_sends_no_hsts(self):
        stack = KeptStack(name="hsts-dev").start()
        try:
            c = harness.Client(stack)
            for path in ("/", "/index.html", "/js/api.js", "/api/check_login", "/nothing"):
                r = c.get(path)
                self.assertIsNone(r.header(HSTS), path)
        finally:
            stack.stop()
            stack.discard()


if __name__ == "__main__":
    unittest.main()
