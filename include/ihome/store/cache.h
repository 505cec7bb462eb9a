// Cache: this process's memcached connection (libmemcached), with the key
// prefix of the config applied to every key.  Open one per process after
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

#include "ihome/core/result.h"

namespace ihome {

class Cache {
 public:
  // `server` is host:port or a unix socket path (starts with '/' or '.').
  static Result<std::unique_ptr<Cache>> connect(const std::string& server, std::string prefix,
                                                int timeout_ms);
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

  memcached_st* mc_;
  std::string prefix_;
};

}  // namespace ihome
