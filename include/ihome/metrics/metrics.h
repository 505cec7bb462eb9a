// Metrics: the counters and histograms of API.md "GET /metrics", summed over
// every prefork worker.  They live in one shared memory segment of atomic
// counters that the master maps (MAP_SHARED | MAP_ANONYMOUS) before it forks,
// so every worker adds to the same numbers and a worker that dies loses
// nothing it already counted.  Before init() (unit tests, tools) every
// count_* is a no-op and render() describes empty metrics.
//
// Routes are the router's patterns (ihome's paths are exact, so a known path
// is its own pattern); anything unknown is counted as route "unmatched", so
// raw URLs never become labels.  render() writes the Prometheus text
// exposition format 0.0.4.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ihome::metrics {

// Maps the shared segment (once; later calls do nothing).  False when the
// mapping fails: metrics are then off and the site runs on.
bool init();
bool enabled();

// The route label for requests the router does not know.
inline constexpr std::string_view kUnmatched = "unmatched";

// One answered request: its route pattern, HTTP status, errno and duration.
void count_request(std::string_view route, int status, int errno_value, double seconds);
// One memcached lookup (get): a hit or a miss.
void count_cache(bool hit);
// One lookup in a worker's own cache of public answers (src/store/local_cache.cpp).
void count_local_cache(bool hit);
// A statement that gave up on a locked database (SQLITE_BUSY after the busy timeout).
void count_db_busy();
// A worker died unexpectedly and is replaced (the master counts it).
void count_worker_restart();
// The number of live workers (the master sets it).
void set_workers(int n);
// A booking made (POST /api/order succeeded) and an account registered.
void count_booking();
void count_registration();

// All metrics in Prometheus text format 0.0.4.
std::string render();

// The Content-Type of render()'s text.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace ihome::metrics
