"""Metrics (API.md "GET /metrics"): the Prometheus text of the loopback status listener,
parsed with a real parser (prometheus_client's, from Debian's python3-prometheus-client).

Counts are checked against the requests this test makes (deltas between two scrapes: the
stack is this module's own, so nothing else moves them), summed over every prefork worker,
and after a worker is killed with SIGKILL: what it counted stays counted.  The public site
answers 404 for /metrics and /api/metrics."""

import os
import signal
import time
import unittest
import urllib.request
import uuid

import harness
from harness import ApiTestCase, new_mobile, wait_for

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    text_string_to_metric_families = None

STACK = None
WORKERS = 3


def setUpModule():
    global STACK
    STACK = harness.Stack(name="metrics", env={"IHOME_WORKERS": str(WORKERS)}).start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


def scrape_raw():
    with urllib.request.urlopen(STACK.metrics_url, timeout=10) as r:
        return r.status, r.headers, r.read().decode("utf-8")


def scrape():
    """{(sample name, frozenset(labels)): value} and {family name: type}."""
    _status, _headers, text = scrape_raw()
    samples, types = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class MetricsTest(ApiTestCase):
    def setUp(self):
        self.assertIsNotNone(text_string_to_metric_families,
                             "python3-prometheus-client is not installed (scripts/install-deps)")
        self.assertTrue(STACK.metrics_url and STACK.metrics_url.startswith("http://127.0.0.1:"),
                        "stack.env has no IHOME_METRICS_URL")

    def test_format_and_families(self):
        status, headers, text = scrape_raw()
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        _samples, types = scrape()
        expected = {"ihome_http_requests": "counter", "ihome_http_request_duration_seconds": "histogram",
                    "ihome_errno": "counter", "ihome_cache_requests": "counter",
                    "ihome_db_busy": "counter", "ihome_worker_restarts": "counter",
                    "ihome_workers": "gauge", "ihome_bookings": "counter",
                    "ihome_registrations": "counter"}
        for name, kind in expected.items():
            self.assertEqual(types.get(name), kind, name)

    def test_public_site_has_no_metrics(self):
        c = harness.Client(STACK)
        r = c.get("/metrics")
        self.assertEqual(r.status, 404)
        self.assertNotIn(b"ihome_http_requests_total", r.body)
        self.assertJsonAnswer(c.get("/api/metrics"), 404, 4002)
        # A header cannot pose as the status listener's FastCGI parameter.
        r = c.get("/api/metrics", headers={"IHOME-STATUS": "1", "IHOME_STATUS": "1"})
        self.assertJsonAnswer(r, 404, 4002)

    def test_requests_counted_by_route_summed_over_workers(self):
        before, _ = scrape()
        c = harness.Client(STACK)
        c.cookies["session_id"] = "S" * 43  # past nginx's micro-cache: every request reaches ihomed
        n = 30
        for _ in range(n):
            self.assertOk(c.get("/api/house/area"))
        unknown = "/api/no-such-%s" % uuid.uuid4().hex
        for _ in range(4):
            self.assertJsonAnswer(c.get(unknown), 404, 4002)
        for _ in range(3):
            self.assertJsonAnswer(c.get("/api/house/info?house_id=abc"), 200, 4103)
        after, _ = scrape()
        self.assertEqual(value(after, "ihome_http_requests_total", route="/api/house/area", code="200")
                         - value(before, "ihome_http_requests_total", route="/api/house/area", code="200"), n)
        self.assertEqual(value(after, "ihome_http_request_duration_seconds_count", route="/api/house/area")
                         - value(before, "ihome_http_request_duration_seconds_count", route="/api/house/area"), n)
        self.assertEqual(value(after, "ihome_http_request_duration_seconds_bucket", route="/api/house/area", le="+Inf")
                         - value(before, "ihome_http_request_duration_seconds_bucket", route="/api/house/area", le="+Inf"), n)
        self.assertGreater(value(after, "ihome_http_request_duration_seconds_sum", route="/api/house/area"),
                           value(before, "ihome_http_request_duration_seconds_sum", route="/api/house/area"))
        self.assertEqual(value(after, "ihome_http_requests_total", route="unmatched", code="404")
                         - value(before, "ihome_http_requests_total", route="unmatched", code="404"), 4)
        self.assertEqual(value(after, "ihome_errno_total", errno="4103")
                         - value(before, "ihome_errno_total", errno="4103"), 3)
        self.assertGreaterEqual(value(after, "ihome_errno_total", errno="4002")
                                - value(before, "ihome_errno_total", errno="4002"), 4)
        # Routes are patterns, never raw URLs.
        _s, _h, text = scrape_raw()
        self.assertNotIn("no-such-", text)
        self.assertNotIn("house_id=", text)
        # Buckets are cumulative.
        bounds = sorted((float(dict(labels)["le"]), v) for (name, labels), v in after.items()
                        if name == "ihome_http_request_duration_seconds_bucket"
                        and dict(labels)["route"] == "/api/house/area")
        counts = [v for _b, v in bounds]
        self.assertEqual(counts, sorted(counts))

    def test_cache_registrations_bookings(self):
        before, _ = scrape()
        owner = harness.Client(STACK)
        owner.register_user(new_mobile())
        r = owner.post("/api/profile/auth", {"real_name": "张三", "id_card": harness.new_id_card()})
        self.assertOk(r)
        r = owner.post("/api/house/newhouse", {
            "title": "指标测试", "price": "100", "district": 1, "address": "东城区1号", "room_count": 1,
            "acreage": 20, "house_capacity": 2, "min_days": 1, "max_days": 0, "facility": [1]})
        self.assertOk(r)
        house = r.json["house_id"]
        guest = harness.Client(STACK)
        guest.register_user(new_mobile())
        import datetime
        start = (datetime.date.today() + datetime.timedelta(days=5)).isoformat()
        end = (datetime.date.today() + datetime.timedelta(days=7)).isoformat()
        self.assertOk(guest.post("/api/order", {"house_id": house, "start_date": start, "end_date": end}))
        self.assertJsonAnswer(guest.post("/api/order", {"house_id": house, "start_date": start, "end_date": end}),
                              200, 4004)
        after, _ = scrape()
        self.assertEqual(value(after, "ihome_registrations_total") - value(before, "ihome_registrations_total"), 2)
        self.assertEqual(value(after, "ihome_bookings_total") - value(before, "ihome_bookings_total"), 1)
        # Sessions are read from memcached on every logged-in request: hits; an unknown key: a miss.
        self.assertGreater(value(after, "ihome_cache_requests_total", result="hit"),
                           value(before, "ihome_cache_requests_total", result="hit"))
        c = harness.Client(STACK)
        c.cookies["session_id"] = "A" * 43
        self.assertJsonAnswer(c.get("/api/profile"), 200, 4101)
        later, _ = scrape()
        self.assertGreater(value(later, "ihome_cache_requests_total", result="miss"),
                           value(after, "ihome_cache_requests_total", result="miss"))
        self.assertEqual(value(later, "ihome_db_busy_total"), 0)

    def test_routes_of_accounts_listings_guests_and_landlords(self):
        """The routes issues 12-14 added are counted under their patterns; a password change,
        an account closing and a refused booking of an offline house move neither
        registrations nor bookings; no iCal token or other query value reaches the text."""
        import datetime
        owner = harness.Client(STACK)
        owner.register_user(new_mobile(), "metrics-pass-1")
        self.assertOk(owner.post("/api/profile/auth", {"real_name": "王五", "id_card": harness.new_id_card()}))
        r = owner.post("/api/house/newhouse", {
            "title": "指标路由", "price": "100", "district": 1, "address": "东城区2号", "room_count": 1,
            "acreage": 20, "house_capacity": 2, "facility": [1]})
        self.assertOk(r)
        house = r.json["house_id"]
        guest = harness.Client(STACK)
        guest.register_user(new_mobile(), "metrics-pass-1")
        before, _ = scrape()
        self.assertOk(guest.get("/api/house/calendar", {"house_id": house, "days": 30}))
        self.assertOk(guest.post("/api/user/favorites", {"house_id": house}))
        self.assertOk(guest.get("/api/user/favorites/ids"))
        self.assertOk(owner.post("/api/house/edit", {"house_id": house, "title": "指标路由二"}))
        self.assertOk(owner.post("/api/house/status", {"house_id": house, "status": "offline"}))
        start = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
        end = (datetime.date.today() + datetime.timedelta(days=4)).isoformat()
        self.assertJsonAnswer(guest.post("/api/order", {"house_id": house, "start_date": start,
                                                        "end_date": end}), 200, 4004)
        self.assertIsNone(owner.get("/api/house/ical_url", {"house_id": house}).json["data"]["url"])
        url = owner.post("/api/house/ical_url/reset", {"house_id": house}).json["data"]["url"]
        token = url.rsplit("=", 1)[1]
        self.assertEqual(harness.Client(STACK).get(url).status, 200)
        self.assertOk(owner.get("/api/landlord/summary"))
        self.assertOk(guest.post("/api/profile/password", {"old_password": "metrics-pass-1",
                                                           "password": "metrics-pass-2",
                                                           "password2": "metrics-pass-2"}))
        self.assertOk(guest.post("/api/profile/delete", {"password": "metrics-pass-2"}))
        after, _ = scrape()

        def delta(route, code="200"):
            return (value(after, "ihome_http_requests_total", route=route, code=code)
                    - value(before, "ihome_http_requests_total", route=route, code=code))
        for route in ("/api/house/calendar", "/api/user/favorites", "/api/user/favorites/ids",
                      "/api/house/edit", "/api/house/status", "/api/order", "/api/house/ical_url",
                      "/api/house/ical_url/reset",
                      "/api/house/ical", "/api/landlord/summary", "/api/profile/password",
                      "/api/profile/delete"):
            self.assertEqual(delta(route), 1, route)
        self.assertEqual(value(after, "ihome_registrations_total"), value(before, "ihome_registrations_total"))
        self.assertEqual(value(after, "ihome_bookings_total"), value(before, "ihome_bookings_total"))
        _s, _h, text = scrape_raw()
        self.assertNotIn(token, text)
        self.assertNotIn("token=", text)
        self.assertNotIn("days=", text)

    def test_killed_worker_loses_nothing(self):
        samples, _ = scrape()
        self.assertEqual(value(samples, "ihome_workers"), WORKERS)
        c = harness.Client(STACK)
        c.cookies["session_id"] = "S" * 43  # past nginx's micro-cache: every request reaches ihomed
        n = 24
        for _ in range(n):
            self.assertOk(c.get("/api/house/facility"))
        before, _ = scrape()
        counted = value(before, "ihome_http_requests_total", route="/api/house/facility", code="200")
        self.assertGreaterEqual(counted, n)
        restarts = value(before, "ihome_worker_restarts_total")
        _master, workers = STACK.ihomed_master_and_workers()
        self.assertEqual(len(workers), WORKERS)
        # Every worker: whichever answered the requests above, its counts must survive.
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        def replaced():
            # While the workers respawn, nginx may answer a scrape with 502/503: not yet.
            try:
                now = scrape()[0]
            except OSError:
                return False
            return (value(now, "ihome_worker_restarts_total") >= restarts + WORKERS
                    and value(now, "ihome_workers") == WORKERS)

        self.assertTrue(wait_for(replaced, timeout=30),
                        "the master did not count and replace the killed workers")
        after, _ = scrape()
        self.assertEqual(value(after, "ihome_http_requests_total", route="/api/house/facility", code="200"), counted)
        self.assertEqual(value(after, "ihome_worker_restarts_total"), restarts + WORKERS)


if __name__ == "__main__":
    unittest.main()
