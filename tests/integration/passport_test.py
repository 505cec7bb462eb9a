"""Integration tests of API.md's "Passport" section against the real stack:
image codes, SMS codes, register, login, check_login, logout.

One shared stack (high per-IP limits) serves most tests; the rate limits, short TTLs and
the `command` SMS provider get dedicated stacks because their settings differ.
"""

import json
import os
import shutil
import stat
import tempfile
import time
import unittest
import urllib.parse

import harness
from harness import ApiTestCase, new_codeid, new_mobile, wrong_digits, wrong_text

STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(name="passport").start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


class DedicatedStack:
    """Mixin: the class runs on its own stack started with `stack_env`."""

    stack_env = {}
    stack = None

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(env=cls.stack_env, name=cls.__name__).start()
        cls.addClassCleanup(cls.stack.stop)


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


# ======================================================================================
# GET /api/imagecode
# ======================================================================================
class ImageCodeTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK
        self.c = STACK.client()

    def test_imagecode_answers_png_or_jpeg_bytes_with_matching_content_type(self):
        _id, r = self.c.fetch_imagecode()
        self.assertEqual(r.status, 200, r.describe())
        ctype = r.content_type.split(";")[0].strip().lower()
        if r.body.startswith(PNG_MAGIC):
            self.assertEqual(ctype, "image/png")
        elif r.body.startswith(JPEG_MAGIC):
            self.assertEqual(ctype, "image/jpeg")
            self.assertTrue(r.body.rstrip(b"\0").endswith(b"\xff\xd9"), "JPEG lacks EOI marker")
        else:
            self.fail("body is neither PNG nor JPEG: %r (Content-Type %r)"
                      % (r.body[:16], r.content_type))
        self.assertGreater(len(r.body), 200, "implausibly small image")

    def test_imagecode_answer_is_no_store(self):
        _id, r = self.c.fetch_imagecode()
        self.assertEqual(r.status, 200, r.describe())
        self.assertNoStore(r)

    def test_imagecode_stores_4_character_text_for_180_seconds(self):
        codeid, text = self.c.get_imagecode()
        self.assertEqual(len(text), 4, "captcha text %r is not 4 characters" % text)
        self.assertRegex(text, r"^[A-Za-z0-9]{4}$")
        ttl = self.stack.cache_ttl("imagecode:" + codeid)
        self.assertIsNotNone(ttl)
        self.assertTrue(170 <= ttl <= 180, "imagecode TTL %s, want 180 s" % ttl)

    def test_imagecode_text_uses_an_unambiguous_alphabet(self):
        seen = ""
        for _ in range(25):
            _id, text = self.c.get_imagecode()
            seen += text
        confusable = sorted(set(seen) & set("0Oo1lI"))
        self.assertEqual(confusable, [], "ambiguous characters in captcha texts: %r" % seen)

    def test_imagecode_each_code_gets_its_own_random_text(self):
        texts = {self.c.get_imagecode()[1].lower() for _ in range(8)}
        self.assertGreater(len(texts), 1, "8 image codes, all with the same text")

    def test_imagecode_accepts_ids_of_1_to_64_allowed_characters(self):
        for codeid in ("a", "Z", "0", "A_b-9", "x" * 64, new_codeid()):
            _id, r = self.c.fetch_imagecode(codeid)
            self.assertEqual(r.status, 200, "codeid %r: %s" % (codeid, r.describe()))
            self.assertTrue(r.body.startswith(PNG_MAGIC) or r.body.startswith(JPEG_MAGIC))
            self.assertIsNotNone(self.stack.cache_get("imagecode:" + codeid), codeid)

    def test_imagecode_bad_codeid_is_400_4103(self):
        hostile = ["../x", "a b", "x" * 65, "", "a.b", "a/b", "a:b", "\u00fc", "a'b",
                   "a\"b", "%", "a\x00", "a\r\nb", "*", "a;b"]
        for codeid in hostile:
            path = "/api/imagecode?codeid=" + urllib.parse.quote(codeid, safe="")
            r = self.c.get(path)
            self.assertJsonAnswer(r, 400, 4103, "codeid %r" % codeid)
            self.assertNoStore(r, "codeid %r" % codeid)
        self.assertIsNone(self.stack.cache_get("imagecode:" + "x" * 65))

    def test_imagecode_missing_codeid_is_400_4103(self):
        for path in ("/api/imagecode", "/api/imagecode?pcodeid=abc", "/api/imagecode?codeid"):
            self.assertJsonAnswer(self.c.get(path), 400, 4103, path)

    def test_imagecode_pcodeid_deletes_previous_text(self):
        first, _t = self.c.get_imagecode()
        second, _t2 = self.c.get_imagecode(pcodeid=first)
        self.assertIsNone(self.stack.cache_get("imagecode:" + first),
                          "previous image code still stored after pcodeid")
        self.assertIsNotNone(self.stack.cache_get("imagecode:" + second))

    def test_imagecode_precodeid_alias_deletes_previous_text(self):
        first, _t = self.c.get_imagecode()
        second, _t2 = self.c.get_imagecode(precodeid=first)
        self.assertIsNone(self.stack.cache_get("imagecode:" + first),
                          "previous image code still stored after precodeid")
        self.assertIsNotNone(self.stack.cache_get("imagecode:" + second))

    def test_imagecode_deleted_previous_code_no_longer_sends_sms(self):
        first, text = self.c.get_imagecode()
        self.c.get_imagecode(pcodeid=first)
        r = self.c.post("/api/smscode", {"mobile": new_mobile(), "image_code_id": first,
                                         "image_code_text": text})
        self.assertJsonAnswer(r, 200, 4002)


class ImageCodeRateLimitTest(DedicatedStack, ApiTestCase):
    LIMIT = 5
    stack_env = {"IHOME_IMAGECODE_PER_MINUTE": str(LIMIT)}

    def test_imagecode_more_than_limit_per_ip_per_minute_is_429_4201_with_retry_after(self):
        c = self.stack.client()
        answers = []
        # A fixed one-minute window may roll over during the run; 2*LIMIT+1 requests still
        # put more than LIMIT into one window.
        for _ in range(2 * self.LIMIT + 1):
            answers.append(c.fetch_imagecode()[1])
        statuses = [r.status for r in answers]
        self.assertEqual(statuses[:self.LIMIT], [200] * self.LIMIT, statuses)
        self.assertIn(429, statuses, "never rate limited: %s" % statuses)
        self.assertLessEqual(statuses.count(200), 2 * self.LIMIT, statuses)
        limited = answers[statuses.index(429)]
        self.assertJsonAnswer(limited, 429, 4201)
        self.assertRetryAfter(limited, 60)
        self.assertEqual(set(statuses), {200, 429}, statuses)


class ImageCodeRateLimitForgedHeadersTest(DedicatedStack, ApiTestCase):
    LIMIT = 5
    stack_env = {"IHOME_IMAGECODE_PER_MINUTE": str(LIMIT)}

    def test_imagecode_ip_limit_ignores_forged_x_forwarded_for_and_x_real_ip(self):
        c = self.stack.client()
        statuses = []
        for i in range(2 * self.LIMIT + 1):
            forged = "10.%d.%d.%d" % (i, i * 7 % 256, i * 13 % 256)
            r = c.get("/api/imagecode", {"codeid": new_codeid()},
                      headers={"X-Forwarded-For": forged, "X-Real-IP": forged,
                               "Forwarded": "for=" + forged, "Client-IP": forged})
            statuses.append(r.status)
        self.assertIn(429, statuses, "a forged client address reset the per-IP limit: %s"
                      % statuses)


# ======================================================================================
# POST /api/smscode
# ======================================================================================
class SmsCodeTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK
        self.c = STACK.client()

    def sms(self, mobile, codeid, text, **kw):
        return self.c.post("/api/smscode", {"mobile": mobile, "image_code_id": codeid,
                                            "image_code_text": text}, **kw)

    def test_smscode_param_errors_are_4103_and_leave_image_code_usable(self):
        codeid, text = self.c.get_imagecode()
        mobile = new_mobile()
        bad = [
            {"mobile": "1381234567", "image_code_id": codeid, "image_code_text": text},
            {"mobile": "138123456789", "image_code_id": codeid, "image_code_text": text},
            {"mobile": "12012345678", "image_code_id": codeid, "image_code_text": text},
            {"mobile": "23812345678", "image_code_id": codeid, "image_code_text": text},
            {"mobile": "1381234567a", "image_code_id": codeid, "image_code_text": text},
            {"mobile": "+8613812345678", "image_code_id": codeid, "image_code_text": text},
            {"mobile": "\uff11\uff13\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
             "image_code_id": codeid, "image_code_text": text},
            {"mobile": mobile, "image_code_id": codeid,
             "image_code_text": text[:2] + "\x00" + text[2:]},
            {"mobile": mobile, "image_code_id": codeid, "image_code_text": text + "\x07"},
            {"image_code_id": codeid, "image_code_text": text},
            {"mobile": mobile, "image_code_text": text},
            {"mobile": mobile, "image_code_id": codeid},
            {"mobile": mobile, "image_code_id": codeid, "image_code_text": ""},
            {"mobile": mobile, "image_code_id": "../" + codeid, "image_code_text": text},
            {"mobile": mobile, "image_code_id": "", "image_code_text": text},
            {"mobile": "", "image_code_id": codeid, "image_code_text": text},
        ]
        for body in bad:
            r = self.c.post("/api/smscode", body)
            self.assertJsonAnswer(r, 200, 4103, repr(body))
            self.assertEqual(self.stack.cache_get("imagecode:" + codeid), text,
                             "a 4103 answer touched the image code (%r)" % body)
        self.assertOk(self.sms(mobile, codeid, text), "the image code after 4103 answers")
        self.assertRegex(self.stack.cache_get("smscode:" + mobile) or "", r"^[0-9]{6}$")

    def test_smscode_unknown_image_code_id_is_4002(self):
        r = self.sms(new_mobile(), new_codeid(), "abcd")
        self.assertJsonAnswer(r, 200, 4002)

    def test_smscode_wrong_image_code_is_4004_and_code_is_then_gone(self):
        codeid, text = self.c.get_imagecode()
        mobile = new_mobile()
        self.assertJsonAnswer(self.sms(mobile, codeid, wrong_text(text)), 200, 4004)
        self.assertIsNone(self.stack.cache_get("imagecode:" + codeid),
                          "a wrong try left the image code in memcached")
        self.assertJsonAnswer(self.sms(mobile, codeid, text), 200, 4002,
                              "the right text after a wrong try")
        self.assertIsNone(self.stack.cache_get("smscode:" + mobile))

    def test_smscode_right_image_code_is_single_use(self):
        codeid, text = self.c.get_imagecode()
        self.assertOk(self.sms(new_mobile(), codeid, text))
        self.assertIsNone(self.stack.cache_get("imagecode:" + codeid))
        other = new_mobile()
        self.assertJsonAnswer(self.sms(other, codeid, text), 200, 4002, "second use")
        self.assertIsNone(self.stack.cache_get("smscode:" + other))

    def test_smscode_image_code_compared_case_insensitively(self):
        def other_case(t):
            return t.lower() if t.lower() != t else t.upper()

        for variant in (str.swapcase, other_case):
            for _ in range(20):
                codeid, text = self.c.get_imagecode()
                if text.lower() != text.upper():
                    break
            else:
                self.fail("20 image codes without a letter")
            self.assertOk(self.sms(new_mobile(), codeid, variant(text)),
                          "%r sent as %r" % (text, variant(text)))

    def test_smscode_text_fields_are_trimmed(self):
        codeid, text = self.c.get_imagecode()
        mobile = new_mobile()
        self.assertOk(self.sms(" %s " % mobile, " %s\t" % codeid, "  %s " % text))
        self.assertRegex(self.stack.cache_get("smscode:" + mobile) or "", r"^[0-9]{6}$")

    def test_smscode_registered_mobile_is_4003_only_after_right_image_code(self):
        mobile = new_mobile()
        self.stack.client().register_user(mobile)
        codeid, text = self.c.get_imagecode()
        self.assertJsonAnswer(self.sms(mobile, codeid, wrong_text(text)), 200, 4004,
                              "a wrong image code comes before the registered-mobile check")
        codeid, text = self.c.get_imagecode()
        self.assertJsonAnswer(self.sms(mobile, codeid, text), 200, 4003)
        self.assertIsNone(self.stack.cache_get("imagecode:" + codeid))

    def test_smscode_stores_6_digit_code_for_300_seconds(self):
        mobile = new_mobile()
        _r, code = self.c.send_smscode(mobile)
        self.assertRegex(code or "", r"^[0-9]{6}$")
        ttl = self.stack.cache_ttl("smscode:" + mobile)
        self.assertTrue(ttl is not None and 290 <= ttl <= 300, "smscode TTL %s, want 300" % ttl)

    def test_smscode_outbox_row_has_exact_message_body(self):
        mobile = new_mobile()
        r, code = self.c.send_smscode(mobile)
        self.assertEqual(r.json.get("errmsg"), "OK")
        rows = self.stack.db_query(
            "SELECT mobile, body, created_at, status FROM sms_outbox WHERE mobile = ?", (mobile,))
        self.assertEqual(len(rows), 1, rows)
        row_mobile, body, created_at, status = rows[0]
        self.assertEqual(body, harness.SMS_BODY.format(code=code))
        self.assertEqual(body, "【爱家租房】您的验证码是%s，5分钟内有效。" % code)
        self.assertEqual(status, "pending")
        self.assertRegex(created_at, r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")

    def test_smscode_codes_are_random(self):
        codes = set()
        for _ in range(6):
            codes.add(self.c.send_smscode(new_mobile())[1])
        self.assertGreater(len(codes), 1, "six mobiles, one SMS code: %r" % codes)

    def test_smscode_second_request_for_mobile_within_60s_is_429_4201(self):
        mobile = new_mobile()
        _r, code = self.c.send_smscode(mobile)
        codeid, text = self.c.get_imagecode()
        r = self.sms(mobile, codeid, text)
        self.assertJsonAnswer(r, 429, 4201)
        self.assertRetryAfter(r, 60)
        self.assertNoStore(r)
        self.assertEqual(self.stack.cache_get("smscode:" + mobile), code,
                         "a refused request replaced the SMS code")
        rows = self.stack.db_query("SELECT count(*) FROM sms_outbox WHERE mobile = ?", (mobile,))
        self.assertEqual(rows[0][0], 1, "a refused request still sent an SMS")


class SmsCodeShortTtlAndDailyLimitTest(DedicatedStack, ApiTestCase):
    stack_env = {
        "IHOME_CAPTCHA_TTL": "10",
        "IHOME_SMS_CODE_TTL": "10",
        "IHOME_SMS_MOBILE_INTERVAL": "0",
        "IHOME_SMS_MOBILE_PER_DAY": "2",
        "IHOME_SMS_MAX_ATTEMPTS": "2",
    }

    def test_register_sms_code_void_after_configured_max_attempts(self):
        c = self.stack.client()
        mobile = new_mobile()
        _r, code = c.send_smscode(mobile)
        for i in range(2):
            self.assertJsonAnswer(c.register(mobile, wrong_digits(code), "secret-pass-1"),
                                  200, 4004, "wrong try %d" % (i + 1))
        r = c.register(mobile, code, "secret-pass-1")
        self.assertIsInstance(r.json, dict, r.describe())
        self.assertIn(r.errno, (4002, 4004), "right code after sms_max_attempts=2 wrong tries")

    def test_image_and_sms_codes_expire_after_configured_ttl_then_4002(self):
        c = self.stack.client()
        codeid, text = c.get_imagecode()
        mobile = new_mobile()
        _r, code = c.send_smscode(mobile)
        ttl = self.stack.cache_ttl("imagecode:" + codeid)
        self.assertTrue(ttl is not None and 8 <= ttl <= 10, "imagecode TTL %s, want 10" % ttl)
        ttl = self.stack.cache_ttl("smscode:" + mobile)
        self.assertTrue(ttl is not None and 8 <= ttl <= 10, "smscode TTL %s, want 10" % ttl)
        time.sleep(11.5)
        r = c.post("/api/smscode", {"mobile": new_mobile(), "image_code_id": codeid,
                                    "image_code_text": text})
        self.assertJsonAnswer(r, 200, 4002, "expired image code")
        self.assertJsonAnswer(c.register(mobile, code, "secret-pass-1"), 200, 4002,
                              "expired SMS code")

    def test_smscode_more_than_per_day_limit_for_a_mobile_is_429_4201(self):
        c = self.stack.client()
        mobile = new_mobile()
        c.send_smscode(mobile)
        c.send_smscode(mobile)  # sms_mobile_interval = 0
        r, code = c.send_smscode(mobile, expect_ok=False)
        self.assertJsonAnswer(r, 429, 4201, "third SMS of the day")
        self.assertRetryAfter(r, 86400)
        rows = self.stack.db_query("SELECT count(*) FROM sms_outbox WHERE mobile = ?", (mobile,))
        self.assertEqual(rows[0][0], 2)
        c.send_smscode(new_mobile())  # the limit is per mobile


class SmsCodeIpLimitTest(DedicatedStack, ApiTestCase):
    stack_env = {"IHOME_SMS_IP_PER_HOUR": "3"}

    def test_smscode_more_than_per_ip_hourly_limit_is_429_4201(self):
        c = self.stack.client()
        for _ in range(3):
            c.send_smscode(new_mobile())
        mobile = new_mobile()
        r, code = c.send_smscode(mobile, expect_ok=False)
        self.assertJsonAnswer(r, 429, 4201, "fourth SMS from one IP within the hour")
        self.assertRetryAfter(r, 3600)
        self.assertIsNone(code)
        rows = self.stack.db_query("SELECT count(*) FROM sms_outbox")
        self.assertEqual(rows[0][0], 3)


class SmsCommandProviderTest(ApiTestCase):
    """Provider `command`: argv[1] = mobile, the message on stdin; exit != 0 → 4301."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ihome-it-smscmd-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        script = os.path.join(cls.dir, "send-sms")
        with open(script, "w") as f:
            f.write('#!/bin/sh\n'
                    '# fails for mobiles ending in 0000, stores the message otherwise\n'
                    'case "$1" in *0000) cat >/dev/null; exit 3 ;; esac\n'
                    'cat > "%s/sms-$1.tmp" && mv "%s/sms-$1.tmp" "%s/sms-$1.txt"\n'
                    % (cls.dir, cls.dir, cls.dir))
        os.chmod(script, stat.S_IRWXU)
        cls.stack = harness.Stack(env={"IHOME_SMS_PROVIDER": "command",
                                       "IHOME_SMS_COMMAND": script},
                                  name="smscommand").start()
        cls.addClassCleanup(cls.stack.stop)

    def test_sms_command_exit_nonzero_is_4301_and_code_dropped(self):
        c = self.stack.client()
        mobile = new_mobile()[:7] + "0000"
        r, code = c.send_smscode(mobile, expect_ok=False)
        self.assertJsonAnswer(r, 200, 4301)
        self.assertIsNone(code, "SMS code kept although the command failed")

    def test_sms_command_success_gets_mobile_as_argv1_and_message_on_stdin(self):
        c = self.stack.client()
        mobile = new_mobile()[:7] + "1234"
        r, code = c.send_smscode(mobile)
        self.assertOk(r)
        path = os.path.join(self.dir, "sms-%s.txt" % mobile)
        self.assertTrue(os.path.exists(path), "the command never got mobile %s" % mobile)
        with open(path, encoding="utf-8") as f:
            message = f.read()
        self.assertEqual(message.rstrip("\n"), harness.SMS_BODY.format(code=code))


# ======================================================================================
# POST /api/register
# ======================================================================================
class RegisterTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK
        self.c = STACK.client()

    def code_for(self, mobile):
        return self.c.send_smscode(mobile)[1]

    def test_register_password_under_6_or_over_64_code_points_is_4103(self):
        mobile = new_mobile()
        code = self.code_for(mobile)
        for pw in ("", "a", "abcde", "密码密码密", "\U0001F600" * 5, "a" * 65, "密" * 65,
                   "\U0001F600" * 65):
            r = self.c.register(mobile, code, pw)
            self.assertJsonAnswer(r, 200, 4103, "password of %d code points" % len(pw))
        self.assertEqual(self.stack.db_query("SELECT count(*) FROM users WHERE mobile = ?",
                                             (mobile,))[0][0], 0)
        self.assertOk(self.c.register(mobile, code, "abcdef"), "code still valid after 4103s")

    def test_register_password_of_6_and_64_code_points_is_accepted(self):
        for pw in ("abc123", "a" * 64, "密" * 64, "密码密码密码", "\U0001F600" * 64,
                   "\U0001F600" * 6):
            mobile = new_mobile()
            c = self.stack.client()
            code = c.send_smscode(mobile)[1]
            self.assertOk(c.register(mobile, code, pw), "password of %d code points" % len(pw))
            self.assertOk(self.stack.client().login(mobile, pw), "login with that password")

    def test_register_password2_mismatch_is_4103(self):
        mobile = new_mobile()
        code = self.code_for(mobile)
        self.assertJsonAnswer(self.c.register(mobile, code, "secret-pass-1", "secret-pass-2"),
                              200, 4103)
        self.assertJsonAnswer(self.c.post("/api/register", {
            "mobile": mobile, "phonecode": code, "password": "secret-pass-1"}), 200, 4103,
            "password2 missing")
        self.assertNotIn("session_id", self.c.cookies)
        self.assertOk(self.c.register(mobile, code, "secret-pass-1"))

    def test_register_missing_or_malformed_fields_are_4103(self):
        mobile = new_mobile()
        code = self.code_for(mobile)
        full = {"mobile": mobile, "phonecode": code, "password": "secret-pass-1",
                "password2": "secret-pass-1"}
        for field in ("mobile", "phonecode", "password"):
            body = dict(full)
            del body[field]
            self.assertJsonAnswer(self.c.post("/api/register", body), 200, 4103,
                                  "without %s" % field)
        for field, value in (("mobile", "1234"), ("mobile", "10012345678"), ("phonecode", "")):
            body = dict(full, **{field: value})
            self.assertJsonAnswer(self.c.post("/api/register", body), 200, 4103,
                                  "%s = %r" % (field, value))
        self.assertOk(self.c.post("/api/register", full), "code still valid after 4103s")

    def test_register_sms_code_is_bound_to_its_mobile(self):
        mobile_a, mobile_b = new_mobile(), new_mobile()
        code_a = self.code_for(mobile_a)
        self.assertJsonAnswer(self.c.register(mobile_b, code_a, "secret-pass-1"), 200, 4002,
                              "A's code for B, who has none")
        code_b = self.code_for(mobile_b)
        if code_b != code_a:
            self.assertJsonAnswer(self.c.register(mobile_b, code_a, "secret-pass-1"), 200, 4004,
                                  "A's code for B, who has another")
        self.assertOk(self.c.register(mobile_a, code_a, "secret-pass-1"))

    def test_register_without_sms_code_is_4002(self):
        self.assertJsonAnswer(self.c.register(new_mobile(), "123456", "secret-pass-1"), 200, 4002)

    def test_register_wrong_sms_code_is_4004_and_right_code_still_works(self):
        mobile = new_mobile()
        code = self.code_for(mobile)
        self.assertJsonAnswer(self.c.register(mobile, wrong_digits(code), "secret-pass-1"),
                              200, 4004)
        self.assertNotIn("session_id", self.c.cookies)
        self.assertOk(self.c.register(mobile, code, "secret-pass-1"))

    def test_register_sms_code_void_after_5_wrong_tries_even_with_right_code(self):
        mobile = new_mobile()
        code = self.code_for(mobile)
        for i in range(5):
            self.assertJsonAnswer(self.c.register(mobile, wrong_digits(code), "secret-pass-1"),
                                  200, 4004, "wrong try %d" % (i + 1))
        r = self.c.register(mobile, code, "secret-pass-1")
        self.assertIsInstance(r.json, dict, r.describe())
        self.assertIn(r.errno, (4002, 4004), "right code after 5 wrong tries: " + r.describe())
        self.assertEqual(self.stack.db_query("SELECT count(*) FROM users WHERE mobile = ?",
                                             (mobile,))[0][0], 0, "user created with a void code")
        self.assertJsonAnswer(self.stack.client().login(mobile, "secret-pass-1"), 200, 4106)

    def test_register_taken_mobile_is_4003(self):
        mobile = new_mobile()
        code = self.code_for(mobile)
        self.assertOk(self.c.register(mobile, code, "secret-pass-1"))
        # smscode refuses a registered mobile, so put a code back where API.md says it lives.
        self.stack.cache_set("smscode:" + mobile, code)
        other = self.stack.client()
        self.assertJsonAnswer(other.register(mobile, code, "another-pass"), 200, 4003)
        self.assertNotIn("session_id", other.cookies)
        self.assertOk(self.stack.client().login(mobile, "secret-pass-1"),
                      "the first account's password still works")

    def test_register_success_answers_ok_and_logs_in_with_name_equal_to_mobile(self):
        mobile = new_mobile()
        code = self.code_for(mobile)
        r = self.c.register(mobile, code, "secret-pass-1")
        self.assertOk(r)
        self.assertEqual(r.json.get("errmsg"), "OK")
        self.assertNoStore(r)
        j = self.assertOk(self.c.check_login())
        self.assertEqual(j["errmsg"], "true")
        self.assertEqual(j["data"]["name"], mobile)
        user_id = self.stack.db_query("SELECT id FROM users WHERE mobile = ?", (mobile,))[0][0]
        self.assertEqual(j["data"]["user_id"], user_id)

    def test_register_sets_httponly_lax_root_session_cookie_of_43_base64url_chars(self):
        mobile = new_mobile()
        code = self.code_for(mobile)
        r = self.c.register(mobile, code, "secret-pass-1")
        self.assertOk(r)
        self.assertSessionCookie(r)

    def test_register_session_cookie_is_not_secure_unless_configured(self):
        r = self.c.register_user(new_mobile())
        self.assertNotIn("secure", r.cookie("session_id")["attrs"])

    def test_register_session_lives_in_memcached_for_24h_with_user_fields(self):
        mobile = new_mobile()
        r = self.c.register_user(mobile)
        sid = self.assertSessionCookie(r)
        raw = self.stack.cache_get("session:" + sid)
        self.assertIsNotNone(raw, "no session:<id> in memcached")
        data = json.loads(raw)
        user_id = self.stack.db_query("SELECT id FROM users WHERE mobile = ?", (mobile,))[0][0]
        self.assertEqual((data.get("user_id"), data.get("name"), data.get("mobile")),
                         (user_id, mobile, mobile))
        ttl = self.stack.cache_ttl("session:" + sid)
        self.assertTrue(86300 <= ttl <= 86400, "session TTL %s, want 86400" % ttl)

    def test_register_code_is_single_use_after_success(self):
        mobile = new_mobile()
        code = self.code_for(mobile)
        self.assertOk(self.c.register(mobile, code, "secret-pass-1"))
        self.assertIsNone(self.stack.cache_get("smscode:" + mobile),
                          "SMS code still stored after a successful register")

    def test_register_issues_a_new_session_id_not_the_one_sent(self):
        planted = "A" * 43
        self.c.cookies["session_id"] = planted
        mobile = new_mobile()
        r = self.c.register_user(mobile)
        sid = self.assertSessionCookie(r)
        self.assertNotEqual(sid, planted)
        self.assertIsNone(self.stack.cache_get("session:" + planted))
        # and a logged-in browser registering a second account gets yet another id
        other = new_mobile()
        r2 = self.c.register_user(other)
        sid2 = self.assertSessionCookie(r2)
        self.assertNotEqual(sid2, sid)
        self.assertEqual(self.c.check_login().json["data"]["name"], other)

    def test_register_stores_an_argon2id_hash_not_the_password(self):
        mobile = new_mobile()
        self.c.register_user(mobile, "plain-text-pw")
        (hashed, name), = self.stack.db_query(
            "SELECT password_hash, name FROM users WHERE mobile = ?", (mobile,))
        self.assertTrue(hashed.startswith("$argon2id$"), "password_hash %r" % hashed[:20])
        self.assertNotIn("plain-text-pw", hashed)
        self.assertEqual(name, mobile)


# ======================================================================================
# POST /api/login, GET /api/check_login, GET|POST /api/logout
# ======================================================================================
class LoginTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK
        self.c = STACK.client()

    def new_user(self, password="secret-pass-1"):
        mobile = new_mobile()
        self.stack.client().register_user(mobile, password)
        return mobile

    def test_login_unknown_mobile_and_wrong_password_are_4106_with_same_errmsg(self):
        mobile = self.new_user()
        unknown = self.c.login(new_mobile(), "secret-pass-1")
        wrong = self.c.login(mobile, "wrong-pass-1")
        self.assertJsonAnswer(unknown, 200, 4106, "unknown mobile")
        self.assertJsonAnswer(wrong, 200, 4106, "wrong password")
        self.assertEqual(unknown.json, wrong.json, "answers differ: account enumeration")
        self.assertIsNone(unknown.cookie("session_id"))
        self.assertIsNone(wrong.cookie("session_id"))

    def test_login_missing_or_malformed_fields_are_4103(self):
        mobile = self.new_user()
        for body in ({"mobile": mobile}, {"password": "secret-pass-1"}, {},
                     {"mobile": "12345", "password": "secret-pass-1"},
                     {"mobile": mobile, "password": ""}):
            self.assertJsonAnswer(self.c.post("/api/login", body), 200, 4103, repr(body))

    def test_login_success_sets_a_fresh_session_id_each_time(self):
        mobile = self.new_user()
        ids = []
        for _ in range(3):
            r = self.c.login(mobile, "secret-pass-1")
            self.assertOk(r)
            self.assertEqual(r.json.get("errmsg"), "OK")
            ids.append(self.assertSessionCookie(r))
            j = self.assertOk(self.c.check_login())
            self.assertEqual(j["data"]["name"], mobile)
        self.assertEqual(len(set(ids)), 3, "login reused a session id: %r" % ids)

    def test_login_replaces_a_planted_session_id(self):
        mobile = self.new_user()
        planted = "B" * 43
        self.c.cookies["session_id"] = planted
        r = self.c.login(mobile, "secret-pass-1")
        self.assertOk(r)
        self.assertNotEqual(self.assertSessionCookie(r), planted)

    def test_login_mobile_is_trimmed(self):
        mobile = self.new_user()
        self.assertOk(self.c.login(" %s\t" % mobile, "secret-pass-1"))

    def test_login_after_4_failures_still_accepts_the_right_password(self):
        mobile = self.new_user()
        for _ in range(4):
            self.assertJsonAnswer(self.c.login(mobile, "wrong-pass-1"), 200, 4106)
        self.assertOk(self.c.login(mobile, "secret-pass-1"))

    def test_login_5_failures_lock_that_mobile_429_4201_even_with_right_password(self):
        mobile = self.new_user()
        for i in range(5):
            self.assertJsonAnswer(self.c.login(mobile, "wrong-pass-1"), 200, 4106,
                                  "failure %d" % (i + 1))
        r = self.stack.client().login(mobile, "secret-pass-1")
        self.assertJsonAnswer(r, 429, 4201, "right password while locked")
        self.assertRetryAfter(r, 900)
        self.assertIsNone(r.cookie("session_id"))
        self.assertJsonAnswer(self.c.login(mobile, "wrong-pass-1"), 429, 4201)
        # the lock is per mobile: another account logs in normally
        self.assertOk(self.stack.client().login(self.new_user(), "secret-pass-1"))

    def test_login_disabled_user_is_4104(self):
        mobile = self.new_user()
        self.stack.db_execute("UPDATE users SET disabled = 1 WHERE mobile = ?", (mobile,))
        r = self.c.login(mobile, "secret-pass-1")
        self.assertJsonAnswer(r, 200, 4104)
        self.assertIsNone(r.cookie("session_id"))

    def test_a_disabled_user_loses_their_session_at_its_next_request(self):
        c = self.stack.client()
        mobile = new_mobile()
        c.register_user(mobile)
        self.assertOk(c.check_login())
        self.stack.db_execute("UPDATE users SET disabled = 1 WHERE mobile = ?", (mobile,))
        # Sessions are checked against the account on every request (not
        # only when renewed), so the very next one is logged out.
        key = "session:" + c.cookies["session_id"]
        self.assertIsNotNone(self.stack.cache_get(key))
        self.assertJsonAnswer(c.check_login(), 200, 4101)
        self.assertIsNone(self.stack.cache_get(key))


class LoginConfiguredLimitsTest(DedicatedStack, ApiTestCase):
    """login_max_failures=3, login_window=2 s, login_lock=2 s, cookie_secure, cache_prefix."""

    stack_env = {"IHOME_LOGIN_MAX_FAILURES": "3", "IHOME_LOGIN_WINDOW": "2",
                 "IHOME_LOGIN_LOCK": "2", "IHOME_COOKIE_SECURE": "true",
                 "IHOME_CACHE_PREFIX": "itest:"}

    def new_user(self):
        mobile = new_mobile()
        self.stack.client().register_user(mobile)
        return mobile

    def test_login_lock_after_configured_failures_ends_after_login_lock(self):
        mobile = self.new_user()
        c = self.stack.client()
        for _ in range(3):
            self.assertJsonAnswer(c.login(mobile, "wrong-pass-1"), 200, 4106)
        r = c.login(mobile, "secret-pass-1")
        self.assertJsonAnswer(r, 429, 4201, "locked after login_max_failures=3")
        self.assertRetryAfter(r, 2)
        time.sleep(3.2)
        self.assertOk(c.login(mobile, "secret-pass-1"), "after login_lock=2 s")

    def test_login_failures_older_than_login_window_do_not_count(self):
        mobile = self.new_user()
        c = self.stack.client()
        for _ in range(2):
            self.assertJsonAnswer(c.login(mobile, "wrong-pass-1"), 200, 4106)
        time.sleep(3.2)
        for _ in range(2):
            self.assertJsonAnswer(c.login(mobile, "wrong-pass-1"), 200, 4106)
        self.assertOk(c.login(mobile, "secret-pass-1"),
                      "4 failures, never 3 within login_window=2 s")

    def test_cookie_secure_marks_the_session_cookie_secure(self):
        r = self.stack.client().login(self.new_user(), "secret-pass-1")
        self.assertOk(r)
        self.assertIn("secure", r.cookie("session_id")["attrs"], r.cookie("session_id")["raw"])

    def test_cache_prefix_names_the_memcached_keys(self):
        c = self.stack.client()
        codeid, _text = c.get_imagecode()  # reads itest:imagecode:<id>
        with self.stack.mc() as mc:
            self.assertIsNone(mc.get("ihome:imagecode:" + codeid))
        sid = self.assertSessionCookie(c.register_user(new_mobile()))
        self.assertIsNotNone(self.stack.cache_get("session:" + sid))


class CheckLoginTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK
        self.c = STACK.client()

    def test_check_login_without_session_is_exactly_4101_false(self):
        r = self.c.check_login()
        self.assertJsonAnswer(r, 200, 4101)
        self.assertEqual(r.json, {"errno": 4101, "errmsg": "false"})
        self.assertNoStore(r)

    def test_check_login_with_unknown_or_garbage_session_id_is_4101_false(self):
        for value in ("A" * 43, "x", "../../etc", "%00", "a" * 500, "\u00e9\u00e9", "a b c",
                      "a%0D%0Aget x", "A" * 42 + "="):
            r = self.c.request("GET", "/api/check_login",
                               headers={"Cookie": "session_id=" + urllib.parse.quote(value)},
                               cookies=False)
            self.assertJsonAnswer(r, 200, 4101, "session_id %r" % value)
            self.assertEqual(r.json, {"errno": 4101, "errmsg": "false"})

    def test_check_login_renews_the_session_ttl_on_use(self):
        # The session was last renewed 2.5 h ago (more than a tenth of its
        # 24 h) and has 100 s left: using it renews it to the full 24 h.
        self.c.register_user(new_mobile())
        key = "session:" + self.c.cookies["session_id"]
        data = json.loads(self.stack.cache_get(key))
        data["renewed_at"] = int(time.time()) - 9000
        self.stack.cache_set(key, json.dumps(data), 100)
        self.assertLessEqual(self.stack.cache_ttl(key), 100)
        self.assertOk(self.c.check_login())
        ttl = self.stack.cache_ttl(key)
        self.assertTrue(ttl is not None and ttl >= 86300, "session TTL after use: %s" % ttl)

    def test_a_recently_renewed_session_is_not_rewritten_on_every_request(self):
        # Renewal costs a memcached write; within a tenth of the TTL it is skipped.
        self.c.register_user(new_mobile())
        key = "session:" + self.c.cookies["session_id"]
        self.assertTrue(self.stack.cache_touch(key, 5000))
        self.assertOk(self.c.check_login())
        self.assertLessEqual(self.stack.cache_ttl(key), 5000)

    def test_check_login_logged_in_is_exactly_0_true_with_user_id_and_name(self):
        mobile = new_mobile()
        self.c.register_user(mobile)
        r = self.c.check_login()
        self.assertJsonAnswer(r, 200, 0)
        self.assertEqual(set(r.json), {"errno", "errmsg", "data"}, r.json)
        self.assertEqual(r.json["errmsg"], "true")
        data = r.json["data"]
        self.assertIs(type(data.get("user_id")), int, data)
        self.assertEqual(data.get("name"), mobile)
        self.assertNoStore(r)


class LogoutTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK
        self.c = STACK.client()

    def logged_in(self):
        self.c.register_user(new_mobile())
        sid = self.c.cookies["session_id"]
        self.assertIsNotNone(self.stack.cache_get("session:" + sid))
        return sid

    def assert_logged_out(self, r, sid):
        self.assertOk(r)
        self.assertEqual(r.json.get("errmsg"), "OK")
        c = r.cookie("session_id")
        self.assertIsNotNone(c, "logout did not expire the session_id cookie: %r" % r.cookies)
        self.assertTrue(harness.cookie_is_expired(c) or c["value"] in ("", '""'),
                        "session_id cookie not expired: " + c["raw"])
        self.assertIsNone(self.stack.cache_get("session:" + sid), "session still in memcached")
        replay = self.stack.client()
        replay.cookies["session_id"] = sid
        self.assertEqual(replay.check_login().json, {"errno": 4101, "errmsg": "false"},
                         "the old session_id still works after logout")

    def test_logout_get_deletes_session_and_expires_cookie(self):
        sid = self.logged_in()
        self.assert_logged_out(self.c.get("/api/logout"), sid)
        self.assertEqual(self.c.check_login().errno, 4101)

    def test_logout_post_with_csrf_deletes_session_and_expires_cookie(self):
        sid = self.logged_in()
        self.assert_logged_out(self.c.post("/api/logout", raw=b"",
                                           content_type="application/json"), sid)

    def test_logout_post_without_csrf_is_403_4201_and_keeps_session(self):
        sid = self.logged_in()
        r = self.c.post("/api/logout", raw=b"", content_type="application/json", csrf=False)
        self.assertJsonAnswer(r, 403, 4201)
        self.assertIsNotNone(self.stack.cache_get("session:" + sid))
        self.assertEqual(self.c.check_login().errno, 0, "session gone after a refused logout")


if __name__ == "__main__":
    unittest.main()
