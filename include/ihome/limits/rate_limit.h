// Rate limits kept in memcached: fixed-window counters (add + incr with the
// window as TTL) and minimum gaps (add with the gap as TTL).  A refused hit
// is a 429 REQERR Error carrying Retry-After.  Shared by all workers, since
// the counters live in memcached, not in a process.
#pragma once

#include <cstdint>
#include <string_view>

#include "ihome/core/result.h"
#include "ihome/store/cache.h"

namespace ihome {

// Which fixed window `now` falls in, and the seconds until it ends.
struct Window {
  int64_t index;
  int retry_after;
};
Window window_of(int64_t now, int window_seconds);

class RateLimiter {
 public:
  explicit RateLimiter(Cache& cache) : cache_(cache) {}

  // Counts one hit of `name`/`id`; refuses it when more than `limit` fall
  // in the current window of `window_seconds`.
  Status hit(std::string_view name, std::string_view id, int limit, int window_seconds);

  // Allows one event per `gap_seconds`: refuses while the previous one is
  // younger.  forget_gap() gives the slot back (when the event failed).
  Status gap(std::string_view name, std::string_view id, int gap_seconds);
  Status forget_gap(std::string_view name, std::string_view id);

 private:
  Cache& cache_;
};

}  // namespace ihome
