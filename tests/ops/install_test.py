"""`make install` into a DESTDIR: the tree, the default config, the nginx production site
(nginx -t with a self-signed certificate), the systemd units (systemd-analyze verify and
security), and `make uninstall`."""

import os
import re
import shutil
import stat
import unittest

from opslib import IHOMED, REPO, describe, have, apt_install, mkdtemp, run

PREFIX = "/usr/local"
UNITS = ["ihomed.service", "ihome-health.service", "ihome-health.timer",
         "ihome-backup.service", "ihome-backup.timer"]
SCRIPTS = ["ihome-admin", "ihome-backup", "ihome-restore"]
MAX_EXPOSURE = 2.5   # systemd-analyze security: "OK" is below 4.5; ihomed measures 1.2


def make_install(destdir, target="install", extra=()):
    build = os.path.dirname(IHOMED) if os.path.basename(IHOMED) == "ihomed" else "build"
    # -o: never rebuild ihomed here (the binary under test is installed as it is).
    return run(["make", "--no-print-directory", "BUILD=" + os.path.relpath(build, REPO),
                "-o", os.path.join(os.path.relpath(build, REPO), "ihomed"), target,
                "DESTDIR=" + destdir, "PREFIX=" + PREFIX] + list(extra), timeout=300)


def ihomed_keys():
    """{key: default} from `ihomed --help`."""
    out = run([IHOMED, "--help"]).stdout
    keys = {}
    for line in out.split("settings (default):", 1)[1].splitlines():
        m = re.match(r"^  (\S+)\s+.*\((.*)\)$", line)
        if m:
            keys[m.group(1)] = "" if m.group(2) == "empty" else m.group(2)
    return keys


class InstallTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = mkdtemp("install")
        cls.dest = os.path.join(cls.tmp, "root")
        cls.result = make_install(cls.dest)
        if cls.result.returncode != 0:
            raise AssertionError("make install failed: " + describe(cls.result))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, p):
        return os.path.join(self.dest, p.lstrip("/"))

    def assertFileMode(self, p, mode):
        full = self.path(p)
        self.assertTrue(os.path.isfile(full), "missing: " + p)
        self.assertEqual(stat.S_IMODE(os.stat(full).st_mode), mode, "mode of " + p)

    def test_tree(self):
        self.assertFileMode("/usr/local/sbin/ihomed", 0o755)
        for s in SCRIPTS:
            self.assertFileMode("/usr/local/sbin/" + s, 0o755)
        self.assertFileMode("/usr/local/bin/ihome-gen-data", 0o755)
        for u in UNITS:
            self.assertFileMode("/etc/systemd/system/" + u, 0o644)
        self.assertFileMode("/etc/ihome/ihomed.conf", 0o644)
        self.assertFileMode("/usr/local/share/ihome/ihomed.conf.default", 0o644)
        self.assertFileMode("/etc/nginx/sites-available/ihome.conf", 0o644)
        for f in ("ihome.conf", "ihome-common.conf", "ihome-locations.conf", "ihome-fastcgi.conf",
                  "ihome-microcache.conf"):
            self.assertFileMode("/usr/local/share/ihome/nginx/" + f, 0o644)
        self.assertFileMode("/usr/local/share/ihome/www/index.html", 0o644)
        self.assertFileMode("/usr/local/share/doc/ihome/operations.md", 0o644)
        for root, _dirs, files in os.walk(os.path.join(REPO, "nginx", "www")):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), os.path.join(REPO, "nginx", "www"))
                self.assertTrue(os.path.isfile(self.path("/usr/local/share/ihome/www/" + rel)),
                                "website file not installed: " + rel)
        # Nothing outside the expected top-level dirs, and no data dir under DESTDIR.
        self.assertEqual(sorted(os.listdir(self.dest)), ["etc", "usr"])
        self.assertFalse(os.path.exists(self.path("/var/lib/ihome")))

    def test_binary_and_scripts_run(self):
        r = run([self.path("/usr/local/sbin/ihomed"), "--version"])
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertTrue(r.stdout.startswith("ihomed "), r.stdout)
        for s in SCRIPTS:
            r = run([self.path("/usr/local/sbin/" + s), "--help"])
            self.assertEqual(r.returncode, 0, describe(r))
            self.assertIn("usage: " + s, r.stdout)
            self.assertIn("exit status", r.stdout)
            r = run([self.path("/usr/local/sbin/" + s), "--no-such-option"])
            self.assertEqual(r.returncode, 2, describe(r))
        r = run([self.path("/usr/local/bin/ihome-gen-data"), "--help"])
        self.assertEqual(r.returncode, 0, describe(r))

    def test_paths_point_at_the_install(self):
        unit = open(self.path("/etc/systemd/system/ihomed.service")).read()
        self.assertIn("ExecStart=/usr/local/sbin/ihomed --config /etc/ihome/ihomed.conf", unit)
        site = open(self.path("/etc/nginx/sites-available/ihome.conf")).read()
        for ref in re.findall(r"(?:include|root)\s+(/usr/local/\S+?);", site):
            self.assertTrue(os.path.exists(self.path(ref)), "the site names a missing " + ref)
        self.assertIn("unix:/run/ihome/ihomed.sock", site)
        conf = open(self.path("/etc/ihome/ihomed.conf")).read()
        self.assertRegex(conf, r"(?m)^socket = /run/ihome/ihomed\.sock$")
        self.assertRegex(conf, r"(?m)^db = /var/lib/ihome/ihome\.db$")

    def test_default_config_is_valid_and_complete(self):
        conf_path = self.path("/etc/ihome/ihomed.conf")
        # ihomed parses the whole file before hashing: a bad key or value exits 2.
        r = run([self.path("/usr/local/sbin/ihomed"), "--config", conf_path, "--hash-password"],
                input="a password\n", env={k: "" for k in ()})
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertTrue(r.stdout.startswith("$argon2id$"), r.stdout)
        text = open(conf_path).read()
        for key, default in ihomed_keys().items():
            m = re.search(r"(?m)^#?%s =[ ]?(.*)$" % re.escape(key), text)
            self.assertIsNotNone(m, "key %s is not in the default config" % key)
            commented = re.search(r"(?m)^#%s =[ ]?(.*)$" % re.escape(key), text)
            if commented:
                self.assertEqual(commented.group(1).strip(), default,
                                 "the commented default of %s" % key)

    def test_install_keeps_edited_files(self):
        conf = self.path("/etc/ihome/ihomed.conf")
        with open(conf, "a") as f:
            f.write("workers = 3\n")
        r = make_install(self.dest)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("workers = 3", open(conf).read())
        self.assertIn("kept your /etc/ihome/ihomed.conf", r.stdout)

    def test_uninstall_removes_what_install_put(self):
        dest = os.path.join(self.tmp, "root2")
        r = make_install(dest)
        self.assertEqual(r.returncode, 0, describe(r))
        r = make_install(dest, "uninstall")
        self.assertEqual(r.returncode, 0, describe(r))
        left = [os.path.relpath(os.path.join(root, f), dest)
                for root, _d, files in os.walk(dest) for f in files]
        self.assertEqual(left, [], "files left after uninstall")


class ProductionSite(unittest.TestCase):
    """nginx -t on the installed site, with a self-signed certificate made by openssl."""

    @classmethod
    def setUpClass(cls):
        for tool, pkg in (("nginx", "nginx"), ("openssl", "openssl")):
            if not have(tool) and not apt_install(pkg):
                raise unittest.SkipTest("%s is not installed" % tool)
        cls.tmp = mkdtemp("nginx")
        cls.dest = os.path.join(cls.tmp, "root")
        r = make_install(cls.dest)
        if r.returncode != 0:
            raise AssertionError("make install failed: " + describe(r))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_nginx_t(self):
        tls = os.path.join(self.dest, "etc/ihome/tls")
        os.makedirs(tls)
        r = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=ihome.example.com", "-keyout", os.path.join(tls, "privkey.pem"),
                 "-out", os.path.join(tls, "fullchain.pem")])
        self.assertEqual(r.returncode, 0, describe(r))
        site = open(os.path.join(self.dest, "etc/nginx/sites-available/ihome.conf")).read()
        # The installed files live under DESTDIR; logs go to the temp dir.
        logs = os.path.join(self.tmp, "log")
        os.makedirs(logs)
        site = site.replace("/usr/local/share/ihome/", self.dest + "/usr/local/share/ihome/")
        site = site.replace("/etc/ihome/", self.dest + "/etc/ihome/")
        site = site.replace("/var/log/nginx/", logs + "/")
        site = site.replace("/var/lib/nginx/ihome-cache", os.path.join(self.tmp, "cache"))
        with open(os.path.join(self.tmp, "site.conf"), "w") as f:
            f.write(site)
        wrapper = os.path.join(self.tmp, "nginx.conf")
        with open(wrapper, "w") as f:
            f.write("pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\n"
                    "http {\n  include /etc/nginx/mime.types;\n  include %s/site.conf;\n}\n"
                    % (self.tmp, logs, self.tmp))
        r = run(["nginx", "-t", "-c", wrapper, "-p", self.tmp])
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("test is successful", r.stderr)
        self.assertNotIn("[warn]", r.stderr)

    def test_site_has_what_production_needs(self):
        site = open(os.path.join(REPO, "nginx", "ihome.conf")).read()
        for needle in ("return 301 https://$host$request_uri", "listen 443 ssl http2",
                       "ssl_protocols TLSv1.2 TLSv1.3", "gzip on", "zone=ihome_smscode",
                       "zone=ihome_login", "zone=ihome_imagecode", "limit_req_status 429",
                       "Strict-Transport-Security", "client_max_body_size 6m",
                       "location ^~ /media/", "immutable", "set_real_ip_from",
                       "fastcgi_param REMOTE_ADDR $remote_addr", "listen 127.0.0.1:8079",
                       # the website's locations are the dev stack's, not a copy
                       "include /usr/local/share/ihome/nginx/ihome-locations.conf;",
                       "include /usr/local/share/ihome/nginx/ihome-common.conf;",
                       "include /usr/local/share/ihome/nginx/ihome-fastcgi.conf;"):
            self.assertIn(needle, site)
        # client_max_body_size on /api/ must let through what ihomed accepts.
        keys = ihomed_keys()
        largest = max(int(keys["max_body_bytes"]), int(keys["upload_max_bytes"]) + 64 * 1024)
        self.assertGreaterEqual(6 * 1024 * 1024, largest)


class SystemdUnits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not have("systemd-analyze") and not apt_install("systemd"):
            raise unittest.SkipTest("systemd-analyze is not installed")
        cls.tmp = mkdtemp("units")
        cls.dest = os.path.join(cls.tmp, "root")
        r = make_install(cls.dest)
        if r.returncode != 0:
            raise AssertionError("make install failed: " + describe(r))
        # The units as installed, with their commands pointing into DESTDIR (verify checks
        # that each ExecStart= binary exists and is executable).
        cls.units = os.path.join(cls.tmp, "units")
        os.makedirs(cls.units)
        for u in UNITS:
            text = open(os.path.join(cls.dest, "etc/systemd/system", u)).read()
            text = re.sub(r"(?m)^(Exec\w+=)(/usr/local/\S+)", lambda m: m.group(1) + cls.dest + m.group(2), text)
            with open(os.path.join(cls.units, u), "w") as f:
                f.write(text)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_verify(self):
        r = run(["systemd-analyze", "verify"] + [os.path.join(self.units, u) for u in UNITS],
                cwd=self.units)
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertEqual(r.stderr.strip(), "", describe(r))

    def test_security_exposure(self):
        r = run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                 os.path.join(self.units, "ihomed.service")], cwd=self.units)
        self.assertEqual(r.returncode, 0, describe(r))
        m = re.search(r"Overall exposure level for ihomed\.service: ([0-9.]+) (\w+)", r.stdout)
        self.assertIsNotNone(m, describe(r))
        print("\n  systemd-analyze security ihomed.service: %s %s" % (m.group(1), m.group(2)))
        self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE, r.stdout)

    def test_unit_contents(self):
        unit = open(os.path.join(REPO, "systemd", "ihomed.service")).read()
        for needle in ("User=ihome", "Group=www-data", "NoNewPrivileges=yes",
                       "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                       "ReadWritePaths=/var/lib/ihome", "CapabilityBoundingSet=\n",
                       "SystemCallFilter=@system-service", "Restart=on-failure",
                       "ExecReload=/bin/kill -HUP $MAINPID", "After=network.target memcached.service"):
            self.assertIn(needle, unit)
        timer = open(os.path.join(REPO, "systemd", "ihome-health.timer")).read()
        self.assertIn("OnUnitActiveSec=", timer)


if __name__ == "__main__":
    unittest.main()
