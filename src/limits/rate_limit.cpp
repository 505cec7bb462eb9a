// memcached-backed rate limits: see include/ihome/limits/rate_limit.h.
#include "ihome/limits/rate_limit.h"
#include "ihome/core/date.h"

#include <ctime>
#include <string>

namespace ihome {

Window window_of(int64_t now, int window_seconds) {
  return {now / window_seconds, static_cast<int>(window_seconds - now % window_seconds)};
}

Status RateLimiter::hit(std::string_view name, std::string_view id, int limit, int window_seconds) {
  Window w = window_of(unix_now(), window_seconds);
  std::string key = "rl:" + std::string(name) + ":" + std::string(id) + ":" + std::to_string(w.index);
  auto count = cache_.increment(key, window_seconds + 1);
  if (!count) return count.take_error();
  if (*count > static_cast<uint64_t>(limit)) return rate_limited(w.retry_after, "操作过于频繁，请稍后再试");
  return Status::OK();
}

Status RateLimiter::gap(std::string_view name, std::string_view id, int gap_seconds) {
  if (gap_seconds <= 0) return Status::OK();
  std::string key = "gap:" + std::string(name) + ":" + std::string(id);
  auto added = cache_.add(key, std::to_string(unix_now() + gap_seconds), gap_seconds);
  if (!added) return added.take_error();
  if (*added) return Status::OK();
  int retry = gap_seconds;
  auto until = cache_.get(key);
  if (until && until->has_value()) {
    long long t = std::atoll((*until)->c_str());
    long long left = t - static_cast<long long>(unix_now());
    if (left > 0 && left <= gap_seconds) retry = static_cast<int>(left);
  }
  return rate_limited(retry, "操作过于频繁，请稍后再试");
}

Status RateLimiter::forget_gap(std::string_view name, std::string_view id) {
  auto removed = cache_.remove("gap:" + std::string(name) + ":" + std::string(id));
  if (!removed) return removed.take_error();
  return Status::OK();
}

}  // namespace ihome
