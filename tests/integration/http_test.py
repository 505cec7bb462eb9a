"""Integration tests of API.md's protocol rules ("Conventions", "Sessions and CSRF",
"Operations") against the real stack: routing errors, CSRF, body parsing and limits, JSON
answers, concurrency, /api/health, and behaviour when memcached or SQLite is unavailable.
"""

import json
import os
import signal
import sqlite3
import threading
import time
import unittest

import harness
from harness import ApiTestCase, new_mobile, run_together

STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(env={"IHOME_WORKERS": "4"}, name="http").start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


# ======================================================================================
# Routing, methods, JSON answers
# ======================================================================================
class RoutingTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK
        self.c = STACK.client()

    def test_unknown_api_url_is_404_json_errno_4002(self):
        for path in ("/api/nope", "/api/nope/deeper?x=1", "/api/", "/api/check_login/extra",
                     "/api/CHECK_LOGIN", "/api/../api/nope"):
            r = self.c.get(path)
            self.assertJsonAnswer(r, 404, 4002, "GET " + path)
            self.assertNoStore(r, path)
        r = self.c.post("/api/nope", {"a": 1})
        self.assertJsonAnswer(r, 404, 4002, "POST /api/nope")

    def test_wrong_method_is_405_json_errno_4201(self):
        for path in ("/api/smscode", "/api/register", "/api/login"):
            self.assertJsonAnswer(self.c.get(path), 405, 4201, "GET " + path)
        for path in ("/api/check_login", "/api/imagecode?codeid=abc", "/api/health"):
            self.assertJsonAnswer(self.c.post(path, {}), 405, 4201, "POST " + path)
        xsrf = self.c.ensure_xsrf()
        for method, path in (("PUT", "/api/login"), ("DELETE", "/api/check_login"),
                             ("PATCH", "/api/register")):
            r = self.c.request(method, path, body=b"{}",
                               headers={"Content-Type": "application/json", "X-XSRFToken": xsrf})
            self.assertJsonAnswer(r, 405, 4201, method + " " + path)

    def test_every_api_answer_is_json_utf8_and_no_store(self):
        xsrf = self.c.ensure_xsrf()
        answers = {
            "check_login": self.c.get("/api/check_login"),
            "logout": self.c.get("/api/logout"),
            "health": self.c.get("/api/health"),
            "404": self.c.get("/api/nope"),
            "405": self.c.get("/api/login"),
            "403": self.c.post("/api/login", {"mobile": "13800000000", "password": "x" * 8},
                               csrf=False),
            "400 imagecode": self.c.get("/api/imagecode?codeid=a%20b"),
            "login 4106": self.c.post("/api/login", {"mobile": new_mobile(),
                                                     "password": "secret-pass-1"}),
            "smscode 4103": self.c.post("/api/smscode", {"mobile": "1"}),
            "register 4002": self.c.post("/api/register", {
                "mobile": new_mobile(), "phonecode": "123456", "password": "secret-pass-1",
                "password2": "secret-pass-1"}),
            "malformed": self.c.post("/api/login", raw=b"{", content_type="application/json"),
        }
        self.assertTrue(xsrf)
        for what, r in answers.items():
            self.assertIsInstance(r.json, dict, "%s: %s" % (what, r.describe()))
            self.assertIn("errno", r.json, what)
            self.assertIsInstance(r.json.get("errmsg"), str, what)
            self.assertEqual(harness.normalize_content_type(r.content_type),
                             harness.JSON_CONTENT_TYPE, "%s: %s" % (what, r.describe()))
            self.assertNoStore(r, what)

    def assertJsonError(self, r, statuses, what):
        """Answers nginx gives itself on /api/ URLs must be JSON too (API.md: every answer
        of an /api/ URL is a JSON object); the errno is not pinned down, only non-zero."""
        self.assertIn(r.status, statuses, "%s: %s" % (what, r.describe()))
        self.assertIsInstance(r.json, dict, "%s: not JSON: %s" % (what, r.describe()))
        self.assertJsonAnswer(r, r.status, r.errno, what)
        self.assertNotEqual(r.errno, 0, what)

    def test_over_long_api_url_is_a_json_414(self):
        r = self.c.get("/api/check_login?x=" + "a" * 10000)
        self.assertJsonError(r, (414,), "10 kB query string")

    def test_oversized_request_headers_on_api_url_are_a_json_error(self):
        r = self.c.request("GET", "/api/check_login",
                           headers={"Cookie": "big=" + "b" * 20000}, cookies=False)
        self.assertJsonError(r, (400, 431, 494), "20 kB Cookie header")

    def test_malformed_percent_encoding_in_api_path_is_a_json_error(self):
        r = self.c.get("/api/check_login%zz")
        self.assertJsonError(r, (400, 404), "/api/check_login%zz")

    def test_error_answers_carry_a_chinese_errmsg_and_a_known_errno(self):
        known = {0, 4001, 4002, 4003, 4004, 4101, 4102, 4103, 4104, 4105, 4106, 4201, 4202,
                 4301, 4302, 4500, 4501}
        codeid, text = self.c.get_imagecode()
        answers = {
            "404": self.c.get("/api/nope"),
            "405": self.c.get("/api/login"),
            "403": self.c.post("/api/login", {"mobile": new_mobile()}, csrf="bad"),
            "400": self.c.get("/api/imagecode?codeid=a%20b"),
            "4106": self.c.login(new_mobile(), "secret-pass-1"),
            "4103": self.c.post("/api/smscode", {"mobile": "1"}),
            "4004": self.c.post("/api/smscode", {"mobile": new_mobile(), "image_code_id": codeid,
                                                 "image_code_text": harness.wrong_text(text)}),
            "4002": self.c.register(new_mobile(), "123456", "secret-pass-1"),
        }
        for what, r in answers.items():
            self.assertIsInstance(r.json, dict, "%s: %s" % (what, r.describe()))
            self.assertIn(r.errno, known, "%s: %s" % (what, r.describe()))
            self.assertNotEqual(r.errno, 0, what)
            self.assertRegex(r.json.get("errmsg", ""), "[\u4e00-\u9fff]",
                             "%s: errmsg is not Chinese: %r" % (what, r.json))

    def test_successful_answers_say_errmsg_ok(self):
        mobile = new_mobile()
        r = self.c.register_user(mobile)
        self.assertEqual(r.json, {"errno": 0, "errmsg": "OK"})
        self.assertEqual(self.c.get("/api/logout").json, {"errno": 0, "errmsg": "OK"})
        self.assertEqual(self.c.login(mobile, "secret-pass-1").json, {"errno": 0, "errmsg": "OK"})


# ======================================================================================
# CSRF: cookie _xsrf == header X-XSRFToken on every POST
# ======================================================================================
class CsrfTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK
        self.c = STACK.client()

    def test_post_without_xsrf_header_is_403_4201_and_sms_not_sent(self):
        codeid, text = self.c.get_imagecode()
        mobile = new_mobile()
        body = {"mobile": mobile, "image_code_id": codeid, "image_code_text": text}
        r = self.c.post("/api/smscode", body, csrf=False)
        self.assertJsonAnswer(r, 403, 4201)
        self.assertEqual(self.stack.cache_get("imagecode:" + codeid), text,
                         "a refused POST consumed the image code")
        self.assertIsNone(self.stack.cache_get("smscode:" + mobile))
        self.assertEqual(self.stack.db_query("SELECT count(*) FROM sms_outbox WHERE mobile = ?",
                                             (mobile,))[0][0], 0)
        self.assertOk(self.c.post("/api/smscode", body), "the same request with the token")

    def test_post_with_mismatching_xsrf_header_is_403_4201_and_nothing_registered(self):
        mobile = new_mobile()
        _r, code = self.c.send_smscode(mobile)
        good = self.c.ensure_xsrf()
        for token in ("bogus", good + "x", good.upper() if good.upper() != good else good + "A"):
            r = self.c.register(mobile, code, "secret-pass-1", csrf=token)
            self.assertJsonAnswer(r, 403, 4201, "X-XSRFToken %r" % token)
            self.assertIsNone(r.cookie("session_id"))
        self.assertEqual(self.stack.db_query("SELECT count(*) FROM users WHERE mobile = ?",
                                             (mobile,))[0][0], 0)
        self.assertEqual(self.stack.cache_get("smscode:" + mobile), code)
        self.assertOk(self.c.register(mobile, code, "secret-pass-1"))

    def test_post_with_xsrf_header_but_no_xsrf_cookie_is_403_4201(self):
        mobile = new_mobile()
        self.stack.client().register_user(mobile)
        r = self.c.request("POST", "/api/login",
                           body=json.dumps({"mobile": mobile, "password": "secret-pass-1"}),
                           headers={"Content-Type": "application/json",
                                    "X-XSRFToken": "0123456789abcdef0123456789abcdef"},
                           cookies=False)
        self.assertJsonAnswer(r, 403, 4201)
        self.assertIsNone(r.cookie("session_id"), "login happened despite the CSRF failure")

    def test_post_with_empty_xsrf_cookie_and_empty_header_is_403_4201(self):
        mobile = new_mobile()
        self.stack.client().register_user(mobile)
        r = self.c.request("POST", "/api/login",
                           body=json.dumps({"mobile": mobile, "password": "secret-pass-1"}),
                           headers={"Content-Type": "application/json", "X-XSRFToken": "",
                                    "Cookie": "_xsrf="},
                           cookies=False)
        self.assertJsonAnswer(r, 403, 4201)
        self.assertIsNone(r.cookie("session_id"))

    def test_xsrf_cookie_is_set_not_httponly_lax_on_answers_to_requests_without_one(self):
        for path in ("/api/check_login", "/api/health", "/api/nope", "/api/login",
                     "/api/imagecode?codeid=" + harness.new_codeid(), "/"):
            r = self.stack.client().get(path)
            c = r.cookie("_xsrf")
            self.assertIsNotNone(c, "no _xsrf cookie on GET %s: %s" % (path, r.describe()))
            self.assertGreaterEqual(len(c["value"]), 16, "short _xsrf on %s: %r" % (path, c))
            self.assertNotIn("httponly", c["attrs"], "_xsrf must be readable by scripts")
            self.assertEqual(str(c["attrs"].get("samesite", "")).lower(), "lax", c["raw"])
            self.assertFalse(harness.cookie_is_expired(c), c["raw"])

    def test_xsrf_cookie_is_random_per_browser(self):
        values = {self.stack.client().get("/api/check_login").cookie("_xsrf")["value"]
                  for _ in range(5)}
        self.assertEqual(len(values), 5, values)

    def test_xsrf_cookie_is_kept_when_the_request_has_one(self):
        token = self.c.ensure_xsrf()
        for path in ("/api/check_login", "/api/health", "/api/nope"):
            r = self.c.get(path)
            c = r.cookie("_xsrf")
            self.assertTrue(c is None or c["value"] == token,
                            "GET %s replaced the _xsrf cookie: %r" % (path, c))
        self.assertEqual(self.c.cookies["_xsrf"], token)


# ======================================================================================
# Request bodies
# ======================================================================================
class BodyTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK
        self.c = STACK.client()

    def assertParamError(self, r, what):
        # API.md gives malformed input errno 4103; the HTTP status is not pinned down beyond
        # "application errors are 200" (and 400 for a bad captcha id), so allow either.
        self.assertIsInstance(r.json, dict, "%s: %s" % (what, r.describe()))
        self.assertIn(r.status, (200, 400), "%s: %s" % (what, r.describe()))
        self.assertJsonAnswer(r, r.status, 4103, what)

    def test_malformed_json_body_is_4103(self):
        for raw in (b"{", b'{"mobile": "13800000000", "password": }', b"nul", b"{'a': 1}",
                    b'{"mobile": "138', b"\xff\xfe{}", b'{"a":1}garbage'):
            r = self.c.post("/api/login", raw=raw, content_type="application/json")
            self.assertParamError(r, "body %r" % raw)

    def test_deeply_nested_json_is_4103_and_no_worker_dies(self):
        before = self.stack.pids_named("ihomed")
        bodies = [b"[" * d + b"]" * d for d in (1000, 100000, 500000)]
        bodies += [b'{"a":' * d + b"1" + b"}" * d for d in (1000, 100000, 170000)]
        for raw in bodies:
            self.assertLessEqual(len(raw), 1048576)  # under max_body_bytes
            r = self.c.post("/api/login", raw=raw, content_type="application/json")
            self.assertParamError(r, "JSON %r... of %d bytes" % (raw[:10], len(raw)))
        self.assertOk(self.c.get("/api/health"))
        self.assertEqual(self.stack.pids_named("ihomed"), before, "an ihomed process died")

    def test_invalid_utf8_in_a_text_field_is_4103(self):
        codeid, text = self.c.get_imagecode()
        raw = ('{"mobile": "%s", "image_code_id": "%s", "image_code_text": "' % (
            new_mobile(), codeid)).encode() + b"\xff\xfe\xfd\xfc" + b'"}'
        self.assertParamError(self.c.post("/api/smscode", raw=raw,
                                          content_type="application/json"), "invalid UTF-8")
        self.assertEqual(self.stack.cache_get("imagecode:" + codeid), text,
                         "a 4103 answer touched the image code")
        form = ("mobile=%s&image_code_id=%s&image_code_text=%%FF%%FE%%FD%%FC"
                % (new_mobile(), codeid))
        self.assertParamError(self.c.post("/api/smscode", raw=form,
                                          content_type="application/x-www-form-urlencoded"),
                              "invalid UTF-8, urlencoded")
        self.assertEqual(self.stack.cache_get("imagecode:" + codeid), text)

    def test_malformed_urlencoded_body_is_4103(self):
        for raw in ("mobile=%zz&password=secret-pass-1", "mobile=%&password=x",
                    "mobile=13800000000&password=%E4%B8"):
            r = self.c.post("/api/login", raw=raw,
                            content_type="application/x-www-form-urlencoded")
            self.assertParamError(r, "body %r" % raw)

    def test_json_body_that_is_not_an_object_is_4103(self):
        mobile = new_mobile()
        self.stack.client().register_user(mobile)
        for value in ([{"mobile": mobile, "password": "secret-pass-1"}], [], "x", 1, None):
            r = self.c.post("/api/login", raw=json.dumps(value), content_type="application/json")
            self.assertParamError(r, "body %r" % (value,))
            self.assertIsNone(r.cookie("session_id"))

    def test_wrong_json_field_types_are_4103(self):
        codeid, text = self.c.get_imagecode()
        mobile = new_mobile()
        for bad in ({"mobile": {"a": mobile}}, {"mobile": [mobile]}, {"mobile": True},
                    {"mobile": None}, {"image_code_text": [text]}, {"image_code_id": {"x": 1}},
                    {"image_code_text": 1234}):
            body = {"mobile": mobile, "image_code_id": codeid, "image_code_text": text}
            body.update(bad)
            self.assertParamError(self.c.post("/api/smscode", body), repr(bad))
        self.assertEqual(self.stack.cache_get("imagecode:" + codeid), text)
        for bad in ({"password": {"p": "secret-pass-1"}}, {"password": 12345678},
                    {"mobile": 13800000000}):
            body = {"mobile": mobile, "password": "secret-pass-1"}
            body.update(bad)
            r = self.c.post("/api/login", body)
            self.assertIsInstance(r.json, dict, r.describe())
            self.assertIn(r.errno, (4103, 4106), "%r: %s" % (bad, r.describe()))

    def test_mobile_as_json_number_is_4103_or_read_as_its_digits(self):
        codeid, text = self.c.get_imagecode()
        mobile = new_mobile()
        r = self.c.post("/api/smscode", {"mobile": int(mobile), "image_code_id": codeid,
                                         "image_code_text": text})
        self.assertIsInstance(r.json, dict, r.describe())
        self.assertIn(r.errno, (0, 4103), r.describe())
        if r.errno == 0:
            self.assertRegex(self.stack.cache_get("smscode:" + mobile) or "", r"^[0-9]{6}$")

    def test_urlencoded_body_is_accepted_with_the_same_field_names(self):
        ctype = "application/x-www-form-urlencoded; charset=UTF-8"  # what jQuery sends
        mobile = new_mobile()
        codeid, text = self.c.get_imagecode()
        self.assertOk(self.c.post("/api/smscode", form={
            "mobile": mobile, "image_code_id": codeid, "image_code_text": text},
            content_type=ctype))
        code = self.stack.cache_get("smscode:" + mobile)
        password = "密码 & =+%pass"
        self.assertOk(self.c.post("/api/register", form={
            "mobile": mobile, "phonecode": code, "password": password, "password2": password},
            content_type=ctype))
        self.assertEqual(self.c.check_login().json["data"]["name"], mobile)
        other = self.stack.client()
        self.assertOk(other.post("/api/login", form={"mobile": mobile, "password": password}),
                      "urlencoded login")
        self.assertOk(self.stack.client().login(mobile, password), "JSON login, same password")
        r = other.post("/api/login", form={"mobile": mobile})
        self.assertJsonAnswer(r, 200, 4103, "urlencoded login without password")

    def test_json_with_charset_parameter_is_accepted(self):
        mobile = new_mobile()
        self.stack.client().register_user(mobile)
        r = self.c.post("/api/login", raw=json.dumps({"mobile": mobile,
                                                      "password": "secret-pass-1"}),
                        content_type="application/json; charset=UTF-8")
        self.assertOk(r)

    def test_body_over_max_body_bytes_default_1mib_is_413_4103_json(self):
        limit = 1048576
        prefix = json.dumps({"mobile": new_mobile(), "password": "secret-pass-1"}).encode()
        at_limit = prefix + b" " * (limit - len(prefix))
        r = self.c.post("/api/login", raw=at_limit, content_type="application/json")
        self.assertIsInstance(r.json, dict, r.describe())
        self.assertJsonAnswer(r, 200, 4106, "a body of exactly max_body_bytes is read")
        r = self.c.post("/api/login", raw=at_limit + b" ", content_type="application/json")
        self.assertJsonAnswer(r, 413, 4103, "max_body_bytes + 1")
        self.assertNoStore(r)


# ======================================================================================
# Concurrency
# ======================================================================================
class ConcurrencyTest(ApiTestCase):
    def setUp(self):
        self.stack = STACK

    def test_20_concurrent_registrations_of_different_users_all_succeed(self):
        mobiles = [new_mobile() for _ in range(20)]
        clients = [self.stack.client() for _ in mobiles]

        def code(i):
            return clients[i].send_smscode(mobiles[i])[1]

        def one(i, code):
            return clients[i].register(mobiles[i], code, "secret-pass-%d" % i)

        results = run_together(20, one, before=code)
        for i, r in enumerate(results):
            self.assertIsInstance(r, harness.Response, "thread %d: %r" % (i, r))
            self.assertJsonAnswer(r, 200, 0, "thread %d" % i)
        for i, c in enumerate(clients):
            self.assertEqual(c.check_login().json["data"]["name"], mobiles[i])
        placeholders = ",".join("?" * len(mobiles))
        self.assertEqual(self.stack.db_query(
            "SELECT count(*) FROM users WHERE mobile IN (%s)" % placeholders, mobiles)[0][0], 20)
        sessions = {c.cookies["session_id"] for c in clients}
        self.assertEqual(len(sessions), 20)

    def test_10_concurrent_registrations_with_one_sms_code_exactly_one_succeeds(self):
        mobile = new_mobile()
        _r, code = self.stack.client().send_smscode(mobile)
        clients = [self.stack.client() for _ in range(10)]
        for c in clients:
            c.ensure_xsrf()

        def one(i):
            return clients[i].register(mobile, code, "racer-pass-%d" % i)

        results = run_together(10, one)
        for i, r in enumerate(results):
            self.assertIsInstance(r, harness.Response, "thread %d: %r" % (i, r))
            self.assertIsInstance(r.json, dict, "thread %d: %s" % (i, r.describe()))
        errnos = [r.errno for r in results]
        self.assertEqual(errnos.count(0), 1, "errnos %s" % errnos)
        for r in results:
            if r.errno != 0:
                self.assertJsonAnswer(r, 200, r.errno)
                self.assertIn(r.errno, (4002, 4003), r.describe())
        winner = errnos.index(0)
        self.assertEqual(self.stack.db_query("SELECT count(*) FROM users WHERE mobile = ?",
                                             (mobile,))[0][0], 1)
        self.assertOk(self.stack.client().login(mobile, "racer-pass-%d" % winner))
        for i in range(10):
            if i != winner:
                self.assertEqual(self.stack.client().login(mobile, "racer-pass-%d" % i).errno,
                                 4106)
                break


    def test_10_concurrent_smscode_requests_with_one_image_code_exactly_one_succeeds(self):
        helper = self.stack.client()
        codeid, text = helper.get_imagecode()
        mobiles = [new_mobile() for _ in range(10)]
        clients = [self.stack.client() for _ in mobiles]
        for c in clients:
            c.ensure_xsrf()

        def one(i):
            return clients[i].post("/api/smscode", {"mobile": mobiles[i], "image_code_id": codeid,
                                                    "image_code_text": text})

        results = run_together(10, one)
        for i, r in enumerate(results):
            self.assertIsInstance(r, harness.Response, "thread %d: %r" % (i, r))
            self.assertIsInstance(r.json, dict, "thread %d: %s" % (i, r.describe()))
        errnos = [r.errno for r in results]
        self.assertEqual(errnos.count(0), 1, "one image code sent %d SMS: %s"
                         % (errnos.count(0), errnos))
        self.assertEqual(sorted(set(errnos) - {0}), [4002], errnos)
        placeholders = ",".join("?" * len(mobiles))
        self.assertEqual(self.stack.db_query(
            "SELECT count(*) FROM sms_outbox WHERE mobile IN (%s)" % placeholders,
            mobiles)[0][0], 1)

    def test_10_concurrent_smscode_requests_for_one_mobile_send_one_sms(self):
        mobile = new_mobile()
        clients = [self.stack.client() for _ in range(10)]
        codes = [c.get_imagecode() for c in clients]

        def one(i):
            codeid, text = codes[i]
            return clients[i].post("/api/smscode", {"mobile": mobile, "image_code_id": codeid,
                                                    "image_code_text": text})

        results = run_together(10, one)
        for i, r in enumerate(results):
            self.assertIsInstance(r, harness.Response, "thread %d: %r" % (i, r))
            self.assertIsInstance(r.json, dict, "thread %d: %s" % (i, r.describe()))
        statuses = sorted((r.status, r.errno) for r in results)
        self.assertEqual(statuses, [(200, 0)] + [(429, 4201)] * 9, statuses)
        self.assertEqual(self.stack.db_query("SELECT count(*) FROM sms_outbox WHERE mobile = ?",
                                             (mobile,))[0][0], 1)


    def test_10_concurrent_wrong_passwords_lock_the_mobile(self):
        mobile = new_mobile()
        self.stack.client().register_user(mobile)
        clients = [self.stack.client() for _ in range(10)]
        for c in clients:
            c.ensure_xsrf()

        def one(i):
            return clients[i].login(mobile, "wrong-pass-%d" % i)

        results = run_together(10, one)
        for i, r in enumerate(results):
            self.assertIsInstance(r, harness.Response, "thread %d: %r" % (i, r))
            self.assertIn((r.status, r.errno), ((200, 4106), (429, 4201)), r.describe())
        r = self.stack.client().login(mobile, "secret-pass-1")
        self.assertJsonAnswer(r, 429, 4201, "right password after 10 concurrent failures")

    def test_10_concurrent_wrong_sms_codes_void_the_code(self):
        mobile = new_mobile()
        _r, code = self.stack.client().send_smscode(mobile)
        clients = [self.stack.client() for _ in range(10)]
        for c in clients:
            c.ensure_xsrf()
        wrong = ["%06d" % ((int(code) + 1 + i) % 1000000) for i in range(10)]

        def one(i):
            return clients[i].register(mobile, wrong[i], "secret-pass-1")

        results = run_together(10, one)
        for i, r in enumerate(results):
            self.assertIsInstance(r, harness.Response, "thread %d: %r" % (i, r))
            self.assertIn(r.errno, (4002, 4004), r.describe())
        r = self.stack.client().register(mobile, code, "secret-pass-1")
        self.assertIn(r.errno, (4002, 4004),
                      "right code after 10 concurrent wrong tries: " + r.describe())
        self.assertEqual(self.stack.db_query("SELECT count(*) FROM users WHERE mobile = ?",
                                             (mobile,))[0][0], 0)


# ======================================================================================
# /api/health and unavailable dependencies
# ======================================================================================
class HealthTest(ApiTestCase):
    def test_health_is_200_with_db_ok_cache_ok_and_version(self):
        r = STACK.client().get("/api/health")
        self.assertJsonAnswer(r, 200, 0)
        j = r.json
        self.assertEqual((j.get("errmsg"), j.get("db"), j.get("cache")), ("OK", "ok", "ok"), j)
        self.assertIsInstance(j.get("version"), str, j)
        self.assertTrue(j["version"].strip(), j)
        self.assertNoStore(r)


def memcached_reachable(address):
    try:
        with harness.Memcached(address, timeout=1.0) as mc:
            mc.get("ihome:probe")
        return True
    except OSError:
        return False


class MemcachedHungTest(ApiTestCase):
    """memcached stopped (SIGSTOP): it accepts nothing and answers nothing, so every cache
    call runs into cache_timeout_ms.  The stack's processes all stay up."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(env={"IHOME_CACHE_TIMEOUT_MS": "300", "IHOME_WORKERS": "2"},
                                  name="mchung").start()
        cls.addClassCleanup(cls.stack.stop)
        cls.user = cls.stack.client()
        cls.mobile = new_mobile()
        cls.user.register_user(cls.mobile)
        cls.session_id = cls.user.cookies["session_id"]
        cls.anon = cls.stack.client()
        cls.anon.ensure_xsrf()
        cls.ihomed_pids = cls.stack.pids_named("ihomed")
        cls.addClassCleanup(cls.stack.pause_memcached())
        cls.memcached_pid = cls.stack.pids_named("memcached")[0]  # one test resumes it a while

    def test_health_is_503_naming_cache_when_memcached_does_not_answer(self):
        r = self.anon.get("/api/health")
        self.assertJsonAnswer(r, 503, 4301)
        self.assertEqual(r.json.get("db"), "ok", r.json)
        self.assertNotEqual(r.json.get("cache", "ok"), "ok", "cache not named: %r" % r.json)
        self.assertIn("cache", r.json)

    def test_check_login_with_session_is_503_4301_json_when_memcached_down(self):
        r = self.user.get("/api/check_login")
        self.assertJsonAnswer(r, 503, 4301)

    def test_login_is_503_4301_json_when_memcached_down(self):
        r = self.anon.login(self.mobile, "secret-pass-1")
        self.assertJsonAnswer(r, 503, 4301)
        self.assertIsNone(r.cookie("session_id"))

    def test_imagecode_is_503_4301_json_when_memcached_down(self):
        _id, r = self.anon.fetch_imagecode()
        self.assertJsonAnswer(r, 503, 4301)

    def test_smscode_register_and_logout_are_503_4301_json_when_memcached_down(self):
        r = self.anon.post("/api/smscode", {"mobile": new_mobile(),
                                            "image_code_id": harness.new_codeid(),
                                            "image_code_text": "abcd"})
        self.assertJsonAnswer(r, 503, 4301, "smscode")
        r = self.anon.register(new_mobile(), "123456", "secret-pass-1")
        self.assertJsonAnswer(r, 503, 4301, "register")
        r = self.user.post("/api/logout", raw=b"", content_type="application/json")
        self.assertJsonAnswer(r, 503, 4301, "logout of a session")
        self.user.cookies["session_id"] = self.session_id

    def test_check_login_without_session_needs_no_memcached(self):
        r = self.stack.client().get("/api/check_login")
        self.assertEqual(r.json, {"errno": 4101, "errmsg": "false"}, r.describe())

    def test_workers_survive_requests_while_memcached_down(self):
        for i in range(8):
            r = self.user.get("/api/check_login")
            self.assertJsonAnswer(r, 503, 4301, "request %d in a row" % (i + 1))
            r = self.anon.get("/api/nope")
            self.assertJsonAnswer(r, 404, 4002, "request %d in a row" % (i + 1))
        self.assertEqual(self.stack.pids_named("ihomed"), self.ihomed_pids,
                         "ihomed processes died or were respawned")

    def test_sessions_work_again_when_memcached_answers_again(self):
        os.kill(self.memcached_pid, signal.SIGCONT)
        try:
            deadline = time.monotonic() + 15
            while True:
                r = self.user.get("/api/check_login")
                if r.errno == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            self.assertJsonAnswer(r, 200, 0, "check_login after memcached came back")
            self.assertEqual(r.json["data"]["name"], self.mobile)
            self.assertJsonAnswer(self.anon.get("/api/health"), 200, 0)
        finally:
            os.kill(self.memcached_pid, signal.SIGSTOP)


class MemcachedKilledTest(ApiTestCase):
    """memcached killed outright: /api/ keeps answering JSON (API.md: 503, 4301)."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(env={"IHOME_CACHE_TIMEOUT_MS": "300"}, name="mckill").start()
        cls.addClassCleanup(cls.stack.stop)

    def test_memcached_killed_gives_json_503_and_the_stack_keeps_serving(self):
        user = self.stack.client()
        user.register_user(new_mobile())
        ihomed = self.stack.pids_named("ihomed")
        killed = [pid for pid, comm, cmd in self.stack.processes()
                  if comm == "memcached" and self.stack.var in cmd]
        self.assertEqual(len(killed), 1, self.stack.processes())
        os.kill(killed[0], signal.SIGKILL)
        deadline = time.monotonic() + 5
        while memcached_reachable(self.stack.memcached) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        try:
            r = self.stack.client().get("/api/health")
        except OSError as e:
            self.fail("the stack stopped serving after memcached died (%s); ihome-stack "
                      "running: %s" % (e, self.stack.proc.poll() is None))
        self.assertJsonAnswer(r, 503, 4301)
        self.assertNotEqual(r.json.get("cache", "ok"), "ok", r.json)
        for i in range(6):
            self.assertJsonAnswer(user.get("/api/check_login"), 503, 4301, "request %d" % i)
        self.assertEqual(self.stack.pids_named("ihomed"), ihomed)


class WorkerCrashTest(ApiTestCase):
    """ARCHITECTURE.md: a crash only loses that worker's request; the master respawns it."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(env={"IHOME_WORKERS": "2"}, name="crash").start()
        cls.addClassCleanup(cls.stack.stop)

    def test_killed_workers_are_respawned_and_api_answers_stay_json(self):
        c = self.stack.client()
        c.register_user(new_mobile())
        master, workers = self.stack.ihomed_master_and_workers()
        self.assertEqual(len(workers), 2, workers)
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while True:
            r = c.get("/api/check_login")
            self.assertIsInstance(r.json, dict, "answer while workers are down: " + r.describe())
            if r.status == 200 or time.monotonic() > deadline:
                break
            self.assertJsonAnswer(r, 503, r.errno, "while workers are down")
            time.sleep(0.2)
        self.assertJsonAnswer(r, 200, 0, "the session after the workers came back")
        new_master, new_workers = self.stack.ihomed_master_and_workers()
        self.assertEqual(new_master, master)
        self.assertEqual(len(new_workers), 2, new_workers)
        self.assertFalse(set(new_workers) & set(workers), (workers, new_workers))


class DatabaseBusyAndBodyLimitTest(ApiTestCase):
    """Stack with db_busy_timeout_ms=300 and max_body_bytes=2048."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(env={"IHOME_DB_BUSY_TIMEOUT_MS": "300",
                                       "IHOME_MAX_BODY_BYTES": "2048"},
                                  name="dbbusy").start()
        cls.addClassCleanup(cls.stack.stop)

    def lock_db(self):
        conn = sqlite3.connect(self.stack.db, timeout=10, isolation_level=None,
                               check_same_thread=False)
        conn.execute("BEGIN EXCLUSIVE")
        return conn

    def test_register_while_db_write_locked_is_503_4001_json_then_works_after_release(self):
        c = self.stack.client()
        mobile = new_mobile()
        _r, code = c.send_smscode(mobile)
        conn = self.lock_db()
        try:
            started = time.monotonic()
            r = c.register(mobile, code, "secret-pass-1")
            elapsed = time.monotonic() - started
        finally:
            conn.rollback()
            conn.close()
        self.assertJsonAnswer(r, 503, 4001)
        self.assertIsNone(r.cookie("session_id"))
        self.assertGreaterEqual(elapsed, 0.25, "gave up before db_busy_timeout_ms")
        self.assertLess(elapsed, 10, "waited far beyond db_busy_timeout_ms")
        self.assertEqual(self.stack.db_query("SELECT count(*) FROM users WHERE mobile = ?",
                                             (mobile,))[0][0], 0)
        other = self.stack.client()
        other_mobile = new_mobile()
        self.assertOk(other.register_user(other_mobile), "the flow after the lock is released")
        self.assertEqual(other.check_login().json["data"]["name"], other_mobile)

    def test_lock_shorter_than_db_busy_timeout_is_waited_out(self):
        c = self.stack.client()
        mobile = new_mobile()
        _r, code = c.send_smscode(mobile)
        conn = self.lock_db()
        released = []

        def release():
            conn.rollback()
            conn.close()
            released.append(time.monotonic())

        releaser = threading.Timer(0.1, release)
        started = time.monotonic()
        releaser.start()
        try:
            r = c.register(mobile, code, "secret-pass-1")
        finally:
            releaser.join()
            if not released:
                release()
        self.assertEqual(len(released), 1)
        self.assertGreaterEqual(released[0] - started, 0.09)
        self.assertOk(r, "a 100 ms lock with db_busy_timeout_ms=300")

    def test_smscode_while_db_write_locked_is_503_4001_json(self):
        c = self.stack.client()
        codeid, text = c.get_imagecode()
        mobile = new_mobile()
        conn = self.lock_db()
        try:
            r = c.post("/api/smscode", {"mobile": mobile, "image_code_id": codeid,
                                        "image_code_text": text})
        finally:
            conn.rollback()
            conn.close()
        self.assertJsonAnswer(r, 503, 4001)
        c.send_smscode(new_mobile())  # and works again once the lock is gone

    def test_body_over_configured_max_body_bytes_is_413_4103_json(self):
        c = self.stack.client()
        prefix = json.dumps({"mobile": new_mobile(), "password": "secret-pass-1"}).encode()
        at_limit = prefix + b" " * (2048 - len(prefix))
        self.assertJsonAnswer(c.post("/api/login", raw=at_limit,
                                     content_type="application/json"), 200, 4106)
        for size in (2049, 4096, 70000):
            r = c.post("/api/login", raw=prefix + b" " * (size - len(prefix)),
                       content_type="application/json")
            self.assertJsonAnswer(r, 413, 4103, "%d-byte body" % size)
        form = ("mobile=%s&password=" % new_mobile()).encode()
        r = c.post("/api/login", raw=form + b"p" * (2049 - len(form)),
                   content_type="application/x-www-form-urlencoded")
        self.assertJsonAnswer(r, 413, 4103, "2049-byte urlencoded body")


if __name__ == "__main__":
    unittest.main()
