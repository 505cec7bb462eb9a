// Cache: this process's memcached connection (libmemcached), with the key
// prefix of the config applied to every key.  The config may name a pool
// ("a:11211,b:11211", or socket paths): keys are spread by consistent
// hashing (ketama), and a server that fails is dropped from the ring for
// `dead_retry_s` seconds at its first failure, so its keys move to the live
// servers (those sessions end: 4101) and a dead or hung server costs each
// worker one timeout per `dead_retry_s`, not one per request.  The
// operation that failed is tried once more, on the ring without it.  Open one per process after
// fork; not thread-safe.  Every failure to reach memcached is a THIRDERR
// (4301, HTTP 503) Error value, never an exception or a dead worker; the
// connection recovers by itself once memcached answers again.
#pragma once

#include <libmemcached/memcached.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ihome/core/result.h"

namespace ihome {

// "a:1, b:2,/run/m.sock" -> {"a:1", "b:2", "/run/m.sock"} (blanks and empty items dropped).
std::vector<std::string> split_server_list(std::string_view list);

class Cache {
 public:
  // `servers`: comma-separated, each host:port or a unix socket path
  // (starts with '/' or '.').  A malformed list is THIRDERR.
  static Result<std::unique_ptr<Cache>> connect(const std::string& servers, std::string prefix,
                                                int timeout_ms, int dead_retry_s = 30);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // nullopt when the key is absent or expired.
  Result<std::optional<std::string>> get(std::string_view key);
  Status set(std::string_view key, std::string_view value, int ttl_seconds);
  // Stores only when absent: false when the key already exists.
  Result<bool> add(std::string_view key, std::string_view value, int ttl_seconds);
  // Appends to an existing value: false when the key is absent.
  Result<bool> append(std::string_view key, std::string_view value);
  // false when there was nothing to delete.
  Result<bool> remove(std::string_view key);
  // Renews the TTL: false when the key is gone.
  Result<bool> touch(std::string_view key, int ttl_seconds);
  // Atomic counter: creates it at 0 with `ttl_seconds` (a fixed window)
  // when absent, then adds one.  Returns the new value.
  Result<uint64_t> increment(std::string_view key, int ttl_seconds);
  // Read-and-delete for single-use codes: the value only for the one caller
  // whose delete removed it; concurrent takers get nullopt.
  Result<std::optional<std::string>> take(std::string_view key);
  // A round trip to memcached (health check).
  Status ping();

  const std::string& prefix() const { return prefix_; }

 private:
  Cache(memcached_st* mc, std::string prefix) : mc_(mc), prefix_(std::move(prefix)) {}
  std::string full_key(std::string_view key) const;
  Error fail(const char* what, memcached_return_t rc);
  // (Re)creates mc_ with the servers not out of the pool.
  Status build();
  // Takes the server `full_key` maps to out of the ring for dead_retry_s_;
  // false when it cannot (not a pool, last live server).
  bool eject(std::string_view full_key);
  // Runs `op` (returning a memcached_return_t); in a pool, once more on
  // the ring without the server of `full_key` when that server failed.
  template <typename Op>
  memcached_return_t attempt(std::string_view full_key, Op op);

  memcached_st* mc_;
  std::string prefix_;
  std::vector<std::string> servers_;
  std::vector<double> dead_until_;  // monotonic seconds; 0 = in the ring
  double next_revival_ = 0;         // earliest dead_until_, 0 = none out
  bool pool_ = false;
  int timeout_ms_ = 500;
  int dead_retry_s_ = 30;
};

}  // namespace ihome
