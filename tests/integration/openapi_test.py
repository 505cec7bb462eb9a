"""docs/openapi.yaml, the API reference: it parses as OpenAPI 3.1 whose schemas are valid
JSON Schema (2020-12), names every route the router registers (src/api/*.cpp:
`router.add("METHOD", "/path", …)`), lists the errnos of each operation, and its
checker (openapi.py, which harness.Client runs on every JSON answer) tells a wrong
answer from a right one.  A real stack answers a few routes to prove the hook runs.
"""

import importlib.machinery
import importlib.util
import os
import unittest

import jsonschema

import harness
import openapi

ERRNOS = {4001, 4002, 4003, 4004, 4101, 4102, 4103, 4104, 4105, 4106, 4201, 4202, 4301,
          4302, 4500, 4501}


class SpecTest(unittest.TestCase):
    def test_is_openapi_3_1(self):
        s = openapi.spec()
        self.assertEqual(s["openapi"], "3.1.0")
        self.assertIn("title", s["info"])

    def test_every_router_route_is_documented(self):
        routes, unread = openapi.router_routes()
        self.assertEqual(unread, [], "router.add calls whose method and path are not literals")
        self.assertGreater(len(routes), 40)
        documented = set(openapi.operations())
        missing = sorted("%s %s" % r for r in routes - documented)
        self.assertEqual(missing, [], "routes of the router missing from docs/openapi.yaml")

    def test_every_schema_is_valid_json_schema(self):
        s = openapi.spec()
        for name, schema in s["components"]["schemas"].items():
            jsonschema.Draft202012Validator.check_schema(schema)
        for (method, path), op in openapi.operations().items():
            for status, resp in op["responses"].items():
                for media in openapi.resolve(resp).get("content", {}).values():
                    if "schema" in media:
                        jsonschema.Draft202012Validator.check_schema(media["schema"])

    def test_every_operation_lists_its_answers_and_errnos(self):
        for (method, path), op in openapi.operations().items():
            where = "%s %s" % (method, path)
            self.assertIn("summary", op, where)
            self.assertIn("default", op["responses"], where)
            for code in op.get("x-errno", {}):
                self.assertIn(code, ERRNOS, where)
            if method == "POST" or op.get("parameters"):
                if path not in ("/api/logout", "/api/pay/return/alipay", "/api/pay/notify/alipay"):
                    self.assertTrue(op.get("x-errno"), where + ": no x-errno")

    def test_checker_tells_wrong_from_right(self):
        ok = {"errno": 0, "errmsg": "OK", "data": [{"aid": 1, "aname": "东城区"}], "extra": 1}
        self.assertEqual(openapi.problems("GET", "/api/house/area", 200, ok), [])
        self.assertEqual(openapi.problems("GET", "/api/house/area", 200,
                                          {"errno": 4001, "errmsg": "数据库错误"}), [])
        self.assertNotEqual(openapi.problems("GET", "/api/house/area", 200,
                                             {"errno": 0, "errmsg": "OK", "data": [{"aid": "1"}]}), [])
        self.assertNotEqual(openapi.problems("GET", "/api/house/area", 200, {"errno": 17, "errmsg": ""}), [])
        self.assertNotEqual(openapi.problems("GET", "/api/house/nope", 200, {"errno": 0, "errmsg": "OK"}), [])
        self.assertEqual(openapi.problems("GET", "/api/house/nope", 404,
                                          {"errno": 4002, "errmsg": "接口不存在"}), [])
        with self.assertRaises(AssertionError):
            openapi.check_answer("GET", "/api/house/list?p=1", 200, "application/json; charset=utf-8",
                                 b"{}", {"errno": 0, "errmsg": "OK", "data": {"houses": []}})


class RenderingTest(unittest.TestCase):
    """nginx/www/api-docs/ (the page for people, /api-docs/) is scripts/openapi-html's
    rendering of the current docs/openapi.yaml."""

    def test_api_docs_page_is_up_to_date(self):
        path = os.path.join(openapi.ROOT, "scripts", "openapi-html")
        loader = importlib.machinery.SourceFileLoader("openapi_html", path)
        module = importlib.util.module_from_spec(importlib.util.spec_from_loader("openapi_html", loader))
        loader.exec_module(module)
        www = os.path.join(openapi.ROOT, "nginx", "www", "api-docs")
        with open(os.path.join(www, "index.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertEqual(page, module.render(openapi.SPEC_PATH),
                         "nginx/www/api-docs/index.html is out of date: run scripts/openapi-html")
        with open(os.path.join(www, "api-docs.css"), encoding="utf-8") as f:
            self.assertEqual(f.read(), module.CSS)
        for (method, route) in openapi.operations():
            self.assertIn('id="%s-%s"' % (method.lower(), route.strip("/").replace("/", "-")), page)


class LiveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(name="openapi").start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_answers_are_checked(self):
        c = self.stack.client()
        for path in ("/api/house/area", "/api/house/facility", "/api/house/index",
                     "/api/house/list?p=1", "/api/check_login", "/api/health",
                     "/api/house/info?house_id=999999", "/api/nope"):
            r = c.get(path)
            self.assertIsNotNone(r.json, path)
        self.assertEqual(c.post("/api/house/area", {}).status, 405)
        page = c.get("/api-docs/")
        self.assertEqual(page.status, 200)
        self.assertIn("/api/house/list", page.body.decode("utf-8"))
