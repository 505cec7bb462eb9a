"""`ihome-admin rotate-key` on a stopped stack's data: a new secret.key, every sealed id card
re-encrypted (and its uniqueness digest recomputed) in one transaction; killed at every step
(IHOME_TEST_ROTATE_CRASH) and run again, nothing is unreadable; refused while ihomed runs."""

import os
import unittest

from opslib import KeptStack, describe, harness, run, script

PASSWORD = "secret-pass-1"
CRASH_STEPS = ["old-written", "new-written", "mid-transaction", "committed", "renamed"]


def mask(card):
    return card[:3] + "*" * 11 + card[-4:]


class RotateKey(unittest.TestCase):
    def setUp(self):
        self.stack = KeptStack(name="rotate", env={"IHOME_CACHE_TIMEOUT_MS": "3000"}).start()
        self.users = []
        for _ in range(5):
            c = harness.Client(self.stack)
            mobile = harness.new_mobile("17")
            c.register_user(mobile, PASSWORD)
            card = harness.new_id_card()
            r = c.post("/api/profile/auth", {"real_name": "张三", "id_card": card})
            self.assertEqual(r.errno, 0, r.describe())
            self.users.append((mobile, card))
        self.unverified = harness.new_mobile("17")
        harness.Client(self.stack).register_user(self.unverified, PASSWORD)
        self.db = self.stack.db
        self.var = self.stack.var
        self.key = os.path.join(self.var, "secret.key")

    def tearDown(self):
        if self.stack.proc is not None and self.stack.proc.poll() is None:
            self.stack.stop(check=False)
        self.stack.discard()

    def rotate(self, crash=None):
        env = {"IHOME_SECRET_KEY_FILE": self.key,
               "IHOME_SOCKET": os.path.join(self.var, "run", "ihomed.sock"),
               "IHOME_CONFIG": ""}
        if crash:
            env["IHOME_TEST_ROTATE_CRASH"] = crash
        return run([script("ihome-admin"), "--db", self.db, "rotate-key"], env=env)

    def sealed(self):
        return self.stack.db_query(
            "SELECT id, id_card_sealed, id_card_digest FROM users WHERE id_card_sealed IS NOT NULL ORDER BY id")

    def key_bytes(self):
        with open(self.key, "rb") as f:
            return f.read()

    def assert_every_id_card_readable(self, label):
        """Starts the stack on the rotated data: each user sees their own id card, and the
        digest under the new key still refuses the same card for another account."""
        self.stack.start()
        try:
            for mobile, card in self.users:
                c = harness.Client(self.stack)
                self.assertEqual(c.login(mobile, PASSWORD).errno, 0, label)
                r = c.get("/api/profile/auth")
                self.assertEqual(r.errno, 0, "%s: %s" % (label, r.describe()))
                self.assertEqual(r.json["data"]["id_card"], mask(card), label)
            c = harness.Client(self.stack)
            self.assertEqual(c.login(self.unverified, PASSWORD).errno, 0)
            r = c.post("/api/profile/auth", {"real_name": "李四", "id_card": self.users[0][1]})
            self.assertEqual(r.errno, 4003, "%s: a used id card was accepted again: %s" % (label, r.describe()))
        finally:
            self.stack.stop()

    def test_rotation_reencrypts_every_id_card_under_a_new_key(self):
        self.stack.stop()
        before_key, before = self.key_bytes(), self.sealed()
        r = self.rotate()
        self.assertEqual(r.returncode, 0, describe(r))
        self.assertIn("5 id card(s) re-encrypted", r.stdout)
        after_key, after = self.key_bytes(), self.sealed()
        self.assertNotEqual(before_key, after_key)
        self.assertEqual(len(after_key), 32)
        self.assertEqual(os.stat(self.key).st_mode & 0o777, 0o600)
        self.assertFalse(os.path.exists(self.key + ".old"))
        self.assertFalse(os.path.exists(self.key + ".new"))
        self.assertEqual([row[0] for row in before], [row[0] for row in after])
        for (_, s0, d0), (_, s1, d1) in zip(before, after):
            self.assertNotEqual(s0, s1)
            self.assertNotEqual(d0, d1)
        self.assert_every_id_card_readable("after one rotation")

    def test_refused_while_ihomed_runs(self):
        before_key, before = self.key_bytes(), self.sealed()
        r = self.rotate()
        self.assertNotEqual(r.returncode, 0, describe(r))
        self.assertIn("stop it first", r.stderr)
        self.assertEqual(self.key_bytes(), before_key)
        self.assertEqual(self.sealed(), before)
        self.assertFalse(os.path.exists(self.key + ".old"))

    def test_killed_at_every_step_then_run_again_loses_nothing(self):
        self.stack.stop()
        for step in CRASH_STEPS:
            before_key = self.key_bytes()
            r = self.rotate(crash=step)
            self.assertNotEqual(r.returncode, 0, "%s: %s" % (step, describe(r)))
            if step in ("old-written", "new-written", "mid-transaction"):
                # Not committed: the old key and the old rows, untouched.
                self.assertEqual(self.key_bytes(), before_key, step)
                self.assertTrue(os.path.exists(self.key + ".old"), step)
            if step in ("new-written", "mid-transaction", "committed"):
                # ihomed refuses to start on an unfinished rotation, saying what to do.
                p = run([os.environ["IHOMED"], "--check"],
                        env={"IHOME_DB": self.db, "IHOME_SECRET_KEY_FILE": self.key,
                             "IHOME_MEDIA_DIR": os.path.join(self.var, "media"), "IHOME_CONFIG": ""})
                self.assertNotEqual(p.returncode, 0, step)
                self.assertIn("rotate-key", p.stderr, step)
            r = self.rotate()
            self.assertEqual(r.returncode, 0, "%s, run again: %s" % (step, describe(r)))
            self.assertFalse(os.path.exists(self.key + ".old"), step)
            self.assertFalse(os.path.exists(self.key + ".new"), step)
            self.assert_every_id_card_readable("killed at %s, run again" % step)


if __name__ == "__main__":
    unittest.main()
