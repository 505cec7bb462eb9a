"""`ihome-admin tls DOMAIN --email ADDR`: HTTPS in one command, on the installed production
site (make install into a DESTDIR; nginx/ihome.conf with its paths and ports moved into a
temp dir, its server_name left as make install leaves it).

Let's Encrypt cannot be reached from here, so `certbot` on PATH is a stand-in that does
what the real one does with --webroot: it writes a challenge file into the directory it is
given and fetches it through nginx's port-80 ACME location with the domain as Host (failing
when nginx does not serve it), then writes live/DOMAIN/{fullchain,privkey}.pem — signed by
a test CA instead of Let's Encrypt.  The test checks what ihome-admin did: the site names
the domain and is enabled, certbot was asked for exactly that webroot and domain with the
e-mail and the deploy hook, the links, and nginx serving the certificate (verified against
the test CA with the domain as SNI); a renewal (new files, the hook run as certbot runs it)
is served at once; Debian's testssl.sh finds nothing rated HIGH or CRITICAL on the site.

`nginx -s reload` only signals the master and returns; a busy master applies the new
configuration later.  An nginx wrapper makes that late (2 s) or lost: ihome-admin must not
start certbot before port 80 serves the ACME location, and must say so when it never does."""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import time
import unittest

import install_test
from opslib import describe, harness, have, apt_install, mkdtemp, run, script, wait_for

DOMAIN = "ihome.test"

FAKE_CERTBOT = r"""#!/bin/sh
# certbot stand-in for tests/ops/tls_test.py (see its docstring).
set -eu
echo "$@" >> "$FAKE_LOG"
webroot="" domain=""
while [ $# -gt 0 ]; do
  case "$1" in
    -w|--webroot-path) webroot=$2; shift 2 ;;
    -d|--domains) domain=$2; shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$webroot" ] && [ -n "$domain" ] || { echo "fake certbot: no -w or -d" >&2; exit 1; }
token=tok$$
printf 'challenge-%s' "$token" > "$webroot/.well-known/acme-challenge/$token"
got=$(curl -fsS -H "Host: $domain" "http://127.0.0.1:$FAKE_HTTP_PORT/.well-known/acme-challenge/$token") ||
  { echo "fake certbot: nginx does not serve the challenge" >&2; exit 1; }
rm -f "$webroot/.well-known/acme-challenge/$token"
[ "$got" = "challenge-$token" ] || { echo "fake certbot: wrong challenge answer" >&2; exit 1; }
live=$IHOME_LETSENCRYPT_DIR/live/$domain
mkdir -p "$live"
sh "$FAKE_ISSUE" "$domain" "$live"
"""

# nginx whose master applies `-s reload` late (FAKE_RELOAD=late: 2 s after this command has
# returned, as a busy machine may; FAKE_RELOAD_LOG gets `late` now and `applied` then) or
# never (FAKE_RELOAD=lost).
SLOW_NGINX = r"""#!/bin/sh
case " $* " in
  *" -s reload "*)
    case "${FAKE_RELOAD:-}" in
      late)
        echo late >> "$FAKE_RELOAD_LOG"
        (sleep 2; nginx "$@"; echo applied >> "$FAKE_RELOAD_LOG") </dev/null >/dev/null 2>&1 &
        exit 0 ;;
      lost) exit 0 ;;
    esac ;;
esac
exec nginx "$@"
"""

# Issues DOMAIN's certificate from the test CA into DIR (also used for the renewal).
ISSUE = r"""set -eu
domain=$1 dir=$2
openssl req -newkey rsa:2048 -nodes -subj "/CN=$domain" -keyout "$dir/privkey.pem.new" \
  -out "$dir/req.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\ncrlDistributionPoints=URI:http://crl.ihome.test/ca.crl\n' \
  "$domain" > "$dir/ext.cnf"
openssl x509 -req -in "$dir/req.csr" -CA "$FAKE_CA_CERT" -CAkey "$FAKE_CA_KEY" -CAcreateserial \
  -days 90 -sha256 -extfile "$dir/ext.cnf" -out "$dir/cert.pem" 2>/dev/null
cat "$dir/cert.pem" "$FAKE_CA_CERT" > "$dir/fullchain.pem.new"
mv "$dir/privkey.pem.new" "$dir/privkey.pem"
mv "$dir/fullchain.pem.new" "$dir/fullchain.pem"
"""


class TlsOneCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool, pkg in (("nginx", "nginx"), ("openssl", "openssl"), ("curl", "curl"),
                          ("testssl", "testssl.sh")):
            if not have(tool) and not apt_install(pkg):
                raise unittest.SkipTest("%s is not installed" % tool)
        cls.tmp = mkdtemp("tls")
        t = cls.tmp
        cls.dest = os.path.join(t, "root")
        r = install_test.make_install(cls.dest)
        if r.returncode != 0:
            raise AssertionError("make install failed: " + describe(r))
        for d in ("log", "media", "enabled", "le", "bin", "ca"):
            os.makedirs(os.path.join(t, d))
        cls.https_port, cls.http_port, cls.status_port = (harness.free_port() for _ in range(3))
        site = open(os.path.join(cls.dest, "etc/nginx/sites-available/ihome.conf")).read()
        site = site.replace("/usr/local/share/ihome/", cls.dest + "/usr/local/share/ihome/")
        site = site.replace("/etc/ihome/", cls.dest + "/etc/ihome/")
        site = site.replace("/var/log/nginx/", t + "/log/")
        site = site.replace("/var/lib/ihome/media/", t + "/media/")
        site = site.replace("/var/www/letsencrypt", t + "/acme")
        site = site.replace("unix:/run/ihome/ihomed.sock", "unix:%s/none.sock" % t)
        site = re.sub(r"listen \[::\]:\d+[^;]*;", "", site)
        site = site.replace("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % cls.https_port)
        site = site.replace("listen 80;", "listen 127.0.0.1:%d;" % cls.http_port)
        site = site.replace("listen 127.0.0.1:8079;", "listen 127.0.0.1:%d;" % cls.status_port)
        cls.site = os.path.join(t, "ihome.conf")
        with open(cls.site, "w") as f:
            f.write(site)
        cls.conf = os.path.join(t, "nginx.conf")
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(cls.conf, "w") as f:
            f.write("%spid %s/nginx.pid;\nerror_log %s/log/error.log notice;\nevents {}\n"
                    "http {\n  include /etc/nginx/mime.types;\n  client_body_temp_path %s/body;\n"
                    "  include %s/enabled/*.conf;\n}\n" % (user, t, t, t, t))
        # The test CA that stands in for Let's Encrypt.
        cls.ca_key, cls.ca_cert = os.path.join(t, "ca/ca.key"), os.path.join(t, "ca/ca.pem")
        r = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
                 "-subj", "/CN=ihome test CA", "-keyout", cls.ca_key, "-out", cls.ca_cert])
        if r.returncode != 0:
            raise AssertionError(describe(r))
        cls.issue = os.path.join(t, "bin/issue.sh")
        with open(cls.issue, "w") as f:
            f.write(ISSUE)
        certbot = os.path.join(t, "bin/certbot")
        with open(certbot, "w") as f:
            f.write(FAKE_CERTBOT)
        os.chmod(certbot, 0o755)
        cls.slow_nginx = os.path.join(t, "bin/slow-nginx")
        with open(cls.slow_nginx, "w") as f:
            f.write(SLOW_NGINX)
        os.chmod(cls.slow_nginx, 0o755)
        cls.certbot_log = os.path.join(t, "certbot.args")
        cls.nginx_cmd = "nginx -c %s -p %s" % (cls.conf, t)
        cls.env = {
            "PATH": os.path.join(t, "bin") + ":" + os.environ["PATH"],
            "IHOME_NGINX_SITE": cls.site, "IHOME_NGINX_ENABLED": os.path.join(t, "enabled"),
            "IHOME_TLS_DIR": os.path.join(cls.dest, "etc/ihome/tls"),
            "IHOME_LETSENCRYPT_DIR": os.path.join(t, "le"), "IHOME_NGINX": cls.nginx_cmd,
            "FAKE_LOG": cls.certbot_log, "FAKE_HTTP_PORT": str(cls.http_port),
            "FAKE_CA_KEY": cls.ca_key, "FAKE_CA_CERT": cls.ca_cert, "FAKE_ISSUE": cls.issue,
        }
        # nginx runs before the site exists (an operator's nginx with no ihome site yet).
        cls.nginx = subprocess.Popen(["nginx", "-c", cls.conf, "-p", t, "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(t, "nginx.pid")) and time.monotonic() < deadline:
            time.sleep(0.05)
        cls.result = run([script("ihome-admin"), "tls", DOMAIN, "--email", "ops@ihome.test"],
                         env=cls.env, timeout=120)

    @classmethod
    def tearDownClass(cls):
        if cls.nginx.poll() is None:
            cls.nginx.send_signal(signal.SIGTERM)
            cls.nginx.wait(20)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def served_cert(self):
        """The certificate nginx presents for DOMAIN (SNI), verified against the test CA."""
        ctx = ssl.create_default_context(cafile=self.ca_cert)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.https_port), timeout=5) as s:
                    with ctx.wrap_socket(s, server_hostname=DOMAIN) as tls:
                        return tls.getpeercert()
            except (OSError, ssl.SSLError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def nginx_state(self):
        """For a failure's message: nginx's processes and the end of its error log."""
        ps = run(["ps", "-o", "pid,ppid,etime,stat,args", "--ppid", str(self.nginx.pid),
                  "-p", str(self.nginx.pid)])
        try:
            with open(os.path.join(self.tmp, "log/error.log")) as f:
                log = f.read()[-4000:]
        except OSError as e:
            log = str(e)
        return "nginx processes:\n%s\nerror.log:\n%s" % (ps.stdout, log)

    def test_1_one_command_obtains_links_and_serves_the_certificate(self):
        self.assertEqual(self.result.returncode, 0, describe(self.result))
        site = open(self.site).read()
        self.assertNotRegex(site, r"server_name[^;]*ihome\.example\.com")
        self.assertEqual(len(re.findall(r"server_name %s;" % re.escape(DOMAIN), site)), 2)
        self.assertEqual(os.path.realpath(os.path.join(self.tmp, "enabled/ihome.conf")), self.site)
        args = open(self.certbot_log).read().split()
        hook = os.path.join(self.tmp, "le/renewal-hooks/deploy/ihome-reload-nginx")
        for expected in (["certonly"], ["--webroot"], ["-w", self.tmp + "/acme"], ["-d", DOMAIN],
                         ["--email", "ops@ihome.test"], ["--agree-tos"], ["--non-interactive"],
                         ["--deploy-hook", hook]):
            i = args.index(expected[0])
            self.assertEqual(args[i:i + len(expected)], expected, args)
        self.assertTrue(os.stat(hook).st_mode & stat.S_IXUSR)
        tls = os.path.join(self.dest, "etc/ihome/tls")
        live = os.path.join(self.tmp, "le/live", DOMAIN)
        for name in ("fullchain.pem", "privkey.pem"):
            self.assertTrue(os.path.islink(os.path.join(tls, name)))
            self.assertEqual(os.readlink(os.path.join(tls, name)), os.path.join(live, name))
        cert = self.served_cert()
        self.assertIn(("DNS", DOMAIN), cert["subjectAltName"])
        self.assertIn(((("commonName", "ihome test CA"),)), cert["issuer"])

    def test_2_a_renewal_is_served_after_the_hook(self):
        self.assertEqual(self.result.returncode, 0, describe(self.result))
        before = self.served_cert()["serialNumber"]
        live = os.path.join(self.tmp, "le/live", DOMAIN)
        env = dict(os.environ, **self.env)
        subprocess.run(["sh", self.issue, DOMAIN, live], env=env, check=True)
        self.assertEqual(self.served_cert()["serialNumber"], before, "nginx reloaded by itself?")
        hook = os.path.join(self.tmp, "le/renewal-hooks/deploy/ihome-reload-nginx")
        r = run([hook], env=self.env)
        self.assertEqual(r.returncode, 0, describe(r))
        # The hook only signals nginx's master; it applies the reload when it gets to it.
        deadline = time.monotonic() + 30
        while self.served_cert()["serialNumber"] == before and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertNotEqual(self.served_cert()["serialNumber"], before,
                            "the renewed certificate is not served 30 s after the hook\n"
                            + self.nginx_state())

    def test_3_testssl_finds_nothing_high_or_critical(self):
        self.assertEqual(self.result.returncode, 0, describe(self.result))
        out = os.path.join(self.tmp, "testssl.json")
        r = run(["testssl", "--quiet", "--color", "0", "--warnings", "off", "--add-ca", self.ca_cert,
                 "--ip", "127.0.0.1", "--jsonfile", out, "https://%s:%d" % (DOMAIN, self.https_port)],
                timeout=600)
        self.assertTrue(os.path.exists(out), describe(r))
        findings = json.load(open(out))
        self.assertGreater(len(findings), 20, describe(r))
        bad = [f for f in findings if f.get("severity") in ("HIGH", "CRITICAL")]
        self.assertEqual(bad, [], "testssl.sh findings rated HIGH or CRITICAL")

    def disable_site(self):
        """Back to an nginx without the site: its port 80 refuses connections."""
        os.remove(os.path.join(self.tmp, "enabled/ihome.conf"))
        r = run(self.nginx_cmd.split() + ["-s", "reload"])
        self.assertEqual(r.returncode, 0, describe(r))

        def refused():
            try:
                socket.create_connection(("127.0.0.1", self.http_port), timeout=2).close()
                return False
            except ConnectionRefusedError:
                return True
            except OSError:  # reset: the old listener closing
                return False
        self.assertTrue(wait_for(refused, 10), "port 80 still answers after the site went")

    def certbot_runs(self):
        with open(self.certbot_log) as f:
            return len(f.read().splitlines())

    def acme_files(self):
        return os.listdir(os.path.join(self.tmp, "acme/.well-known/acme-challenge"))

    def tls_with_reload(self, how):
        """ihome-admin tls with reloads late or lost; returns once every late one is applied."""
        log = os.path.join(self.tmp, "reloads")
        env = dict(self.env, FAKE_RELOAD=how, FAKE_RELOAD_LOG=log, IHOME_NGINX="%s -c %s -p %s" % (
            self.slow_nginx, self.conf, self.tmp))
        r = run([script("ihome-admin"), "tls", DOMAIN, "--email", "ops@ihome.test"],
                env=env, timeout=120)

        def all_applied():
            if not os.path.exists(log):
                return True
            with open(log) as f:
                lines = f.read().split()
            return lines.count("late") == lines.count("applied")
        self.assertTrue(wait_for(all_applied, 10), "a late reload never ran")
        return r

    def test_4_certbot_waits_for_a_late_reload(self):
        self.assertEqual(self.result.returncode, 0, describe(self.result))
        self.disable_site()
        runs = self.certbot_runs()
        r = self.tls_with_reload("late")
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(self.certbot_runs(), runs + 1, describe(r))
        self.assertEqual(self.acme_files(), [], "a probe or challenge file was left behind")
        self.assertIn(("DNS", DOMAIN), self.served_cert()["subjectAltName"])

    def test_5_a_reload_that_never_applies_stops_before_certbot(self):
        self.assertEqual(self.result.returncode, 0, describe(self.result))
        self.disable_site()
        runs = self.certbot_runs()
        try:
            r = self.tls_with_reload("lost")
            self.assertEqual(r.returncode, 1, describe(r))
            self.assertEqual(self.certbot_runs(), runs, "certbot ran: " + describe(r))
            self.assertEqual(self.acme_files(), [], "the probe was left behind")
            last = r.stderr.strip().splitlines()[-1]
            self.assertRegex(last, r"^ihome-admin: tls: nginx did not pick up the ACME location",
                             describe(r))
        finally:
            run(self.nginx_cmd.split() + ["-s", "reload"])

    def test_usage_errors(self):
        for args in (["tls"], ["tls", "not a domain"], ["tls", "ihome.example.com"],
                     ["tls", DOMAIN, "--email", "nobody"], ["tls", DOMAIN, "--bogus"]):
            r = run([script("ihome-admin")] + args, env=self.env)
            self.assertEqual(r.returncode, 2, describe(r))


if __name__ == "__main__":
    unittest.main()
