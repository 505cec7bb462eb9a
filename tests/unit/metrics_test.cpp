// Unit tests of src/metrics: the shared counters and their Prometheus text,
// and that a child process's counts land in the parent's segment.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>

#include "ihome/http/request.h"
#include "ihome/metrics/metrics.h"
#include "ihome/store/cache.h"

using namespace ihome;

namespace {
bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}
}  // namespace

TEST_CASE("metrics: every family is described, counts add up, buckets are cumulative") {
  REQUIRE(metrics::init());
  std::string before = metrics::render();
  CHECK(before.find("# TYPE ihome_http_requests_total counter") != std::string::npos);
  CHECK(before.find("# TYPE ihome_http_request_duration_seconds histogram") != std::string::npos);
  CHECK(before.find("# TYPE ihome_workers gauge") != std::string::npos);

  metrics::count_request("/api/unit-test", 200, 0, 0.0004);
  metrics::count_request("/api/unit-test", 200, 0, 0.03);
  metrics::count_request("/api/unit-test", 503, 4001, 20.0);
  std::string text = metrics::render();
  CHECK(has_line(text, "ihome_http_requests_total{route=\"/api/unit-test\",code=\"200\"} 2"));
  CHECK(has_line(text, "ihome_http_requests_total{route=\"/api/unit-test\",code=\"503\"} 1"));
  CHECK(has_line(text, "ihome_http_request_duration_seconds_bucket{route=\"/api/unit-test\",le=\"0.001\"} 1"));
  CHECK(has_line(text, "ihome_http_request_duration_seconds_bucket{route=\"/api/unit-test\",le=\"0.05\"} 2"));
  CHECK(has_line(text, "ihome_http_request_duration_seconds_bucket{route=\"/api/unit-test\",le=\"10\"} 2"));
  CHECK(has_line(text, "ihome_http_request_duration_seconds_bucket{route=\"/api/unit-test\",le=\"+Inf\"} 3"));
  CHECK(has_line(text, "ihome_http_request_duration_seconds_count{route=\"/api/unit-test\"} 3"));
  CHECK(has_line(text, "ihome_http_request_duration_seconds_sum{route=\"/api/unit-test\"} 20.030400"));
  CHECK(text.find("ihome_errno_total{errno=\"4001\"}") != std::string::npos);
}

TEST_CASE("metrics: an over-long route is counted as unmatched, never as itself") {
  REQUIRE(metrics::init());
  std::string route = "/api/" + std::string(100, 'x');
  metrics::count_request(route, 404, 4002, 0.001);
  std::string text = metrics::render();
  CHECK(text.find("xxxxxxxxxx") == std::string::npos);
  CHECK(text.find("route=\"unmatched\",code=\"404\"") != std::string::npos);
}

TEST_CASE("metrics: a child process counts into the same segment, and its counts outlive it") {
  REQUIRE(metrics::init());
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    for (int i = 0; i < 5; ++i) metrics::count_request("/api/forked", 200, 0, 0.002);
    metrics::count_booking();
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  std::string text = metrics::render();
  CHECK(has_line(text, "ihome_http_requests_total{route=\"/api/forked\",code=\"200\"} 5"));
  CHECK(text.find("ihome_bookings_total 1") != std::string::npos);
}

TEST_CASE("cache: the memcached server list splits on commas, blanks and empties dropped") {
  CHECK(split_server_list("127.0.0.1:11211") == std::vector<std::string>{"127.0.0.1:11211"});
  CHECK(split_server_list("a:1, b:2,/run/m.sock") == std::vector<std::string>{"a:1", "b:2", "/run/m.sock"});
  CHECK(split_server_list(" , ,").empty());
  CHECK(split_server_list("").empty());
}

TEST_CASE("cache pool health: out only after failures in a row, back on probation, the last server stays") {
  using F = PoolHealth::Failed;
  PoolHealth h({"/m1.sock", "/m2.sock", "/m3.sock"});  // no share() for this list: its own state
  CHECK_FALSE(h.shared());
  int64_t t = 1000000;
  CHECK(h.ring(t) == 0b111);
  CHECK(h.failed(1, t, 30000) == F::kStays);
  CHECK(h.failed(1, t, 30000) == F::kStays);
  h.succeeded(1);  // a hiccup: the count starts again
  CHECK_FALSE(h.any_failures());
  CHECK(h.failed(1, t, 30000) == F::kStays);
  CHECK(h.failed(1, t, 30000) == F::kStays);
  CHECK(h.ring(t) == 0b111);
  CHECK(h.failed(1, t, 30000) == F::kTakenOut);  // the third in a row
  CHECK(h.ring(t) == 0b101);
  CHECK(h.failed(1, t + 10, 30000) == F::kOut);  // a request already on its way
  CHECK(h.ring(t + 29999) == 0b101);
  CHECK(h.ring(t + 30000) == 0b111);  // back, on probation: one failure takes it out again
  CHECK(h.failed(1, t + 30001, 30000) == F::kTakenOut);
  CHECK(h.ring(t + 30001) == 0b101);
  // Server 0 goes too; server 2, the last one in, stays whatever it does.
  for (int i = 0; i < PoolHealth::kEjectAfter - 1; ++i) CHECK(h.failed(0, t + 30001, 30000) == F::kStays);
  CHECK(h.failed(0, t + 30001, 30000) == F::kTakenOut);
  CHECK(h.ring(t + 30001) == 0b100);
  for (int i = 0; i < 2 * PoolHealth::kEjectAfter; ++i) CHECK(h.failed(2, t + 30001, 30000) == F::kStays);
  CHECK(h.ring(t + 30001) == 0b100);
}

TEST_CASE("cache pool health: every process forked after share() sees the same ring; another list starts afresh") {
  using F = PoolHealth::Failed;
  const std::string list = "/tmp/unit-a.sock,/tmp/unit-b.sock,/tmp/unit-c.sock";
  REQUIRE(PoolHealth::share(list));
  PoolHealth parent(split_server_list(list));
  CHECK(parent.shared());
  int64_t t = monotonic_ms();
  CHECK(parent.failed(2, t, 60000) == F::kStays);  // one here, two in two other workers
  pid_t pids[2];
  for (pid_t& pid : pids) {
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      PoolHealth child(split_server_list(list));
      bool ok = child.shared() && child.failed(2, t, 60000) != F::kOut;
      _exit(ok ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  CHECK(parent.ring(t) == 0b011);  // the third failure in a row, counted by the second child
  PoolHealth other(split_server_list("/tmp/unit-a.sock,/tmp/unit-b.sock"));
  CHECK_FALSE(other.shared());
  CHECK(other.ring(t) == 0b11);
  // A reload with another list: the state is the new list's, the old one's holder keeps its own.
  REQUIRE(PoolHealth::share("/tmp/unit-a.sock,/tmp/unit-b.sock"));
  CHECK(parent.ring(t) == 0b111);
  CHECK_FALSE(parent.shared());
  CHECK(PoolHealth(split_server_list("/tmp/unit-a.sock,/tmp/unit-b.sock")).shared());
}

TEST_CASE("request: only the FastCGI parameter IHOME_STATUS=1 marks the status listener") {
  std::map<std::string, std::string, std::less<>> params = {
      {"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/metrics"}, {"QUERY_STRING", ""}};
  auto plain = make_request(params);
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->status_listener);
  params["HTTP_IHOME_STATUS"] = "1";  // a client's header "IHOME_STATUS: 1"
  auto header = make_request(params);
  REQUIRE(header.ok());
  CHECK_FALSE(header->status_listener);
  params["IHOME_STATUS"] = "1";
  auto status = make_request(params);
  REQUIRE(status.ok());
  CHECK(status->status_listener);
}
