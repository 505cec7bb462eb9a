// Cache: this process's memcached connection (libmemcached), with the key
// prefix of the config applied to every key.  The config may name a pool
// ("a:11211,b:11211", or socket paths): keys are spread by consistent
// hashing (ketama).  A failed operation is tried again at once on a fresh
// connection, so a hiccup costs nothing; a server that fails
// PoolHealth::kEjectAfter times in a row leaves the ring for `dead_retry_s`
// seconds (its keys move to the others: those sessions end, 4101), and the
// operation is tried once more on the ring without it.  Which servers are
// in the ring is shared by every worker (PoolHealth::share, mapped by the
// master before fork), so a key is written and read on the same server by
// all of them, and a dead or hung server costs the whole pool a few
// timeouts per `dead_retry_s`, not each worker.  Open one per process after
// fork; not thread-safe.  Every failure to reach memcached is a THIRDERR
// (4301, HTTP 503) Error value, never an exception or a dead worker; the
// connection recovers by itself once memcached answers again.
#pragma once

#include <libmemcached/memcached.h>

#include <atomic>
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

// The health of a memcached pool: each server's failures in a row and until
// when it is out of the ring.  Shared by every process forked after share()
// (MAP_SHARED memory, like src/metrics/), so all workers agree on the ring
// at every instant (times are CLOCK_MONOTONIC, the same in every process);
// a process without it (unit tests, tools, a list share() was not given)
// keeps its own.
class PoolHealth {
 public:
  static constexpr int kEjectAfter = 3;      // failures in a row that take a server out
  static constexpr size_t kMaxServers = 64;  // servers of a pool

  // Maps the shared state (once) for the server list `servers`; a different
  // list (a reload) starts it afresh.  False when the mapping fails.
  static bool share(const std::string& servers);

  // The state of `servers`: the shared one while share() holds this list.
  explicit PoolHealth(const std::vector<std::string>& servers);

  // The servers in the ring at `now_ms` (bit i: servers[i]): those not out;
  // every one when all are out (there is nowhere else to go).
  uint64_t ring(int64_t now_ms);
  enum class Failed { kStays, kOut, kTakenOut };
  // One failure of server `i`.  kTakenOut: this was its kEjectAfter-th in a
  // row and it is now out until now_ms + out_ms (the caller logs it); kOut:
  // it is out already (another process took it out); kStays: it stays in
  // (fewer failures, or it is the last server in).  A server taken out comes
  // back on probation: one failure takes it out again, one success clears it.
  Failed failed(size_t i, int64_t now_ms, int64_t out_ms);
  // A success of server `i`: its failures start again from 0.
  void succeeded(size_t i);
  // Whether any server has failures counted (a cheap check before succeeded()).
  bool any_failures() const;
  bool shared() const { return shared_; }

  struct Slot {
    std::atomic<int64_t> out_until_ms{0};
    std::atomic<int32_t> failures{0};
  };

 private:
  uint64_t live(int64_t now_ms) const;

  size_t n_;
  uint64_t fingerprint_;
  bool shared_ = false;
  Slot* slots_;
  std::unique_ptr<Slot[]> own_;
};

// Monotonic milliseconds (CLOCK_MONOTONIC: the same clock in every process).
int64_t monotonic_ms();

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
  // (Re)creates mc_ (fresh connections) with the servers of `ring`.
  Status build(uint64_t ring);
  // Rebuilds mc_ when the pool's ring is no longer the one it was built with.
  void sync_ring();
  // servers_'s index of the server `full_key` maps to in mc_, or -1.
  int server_of(std::string_view full_key);
  // Runs `op` (returning a memcached_return_t); in a pool, a failure is
  // counted against the key's server and `op` tried again on a fresh
  // connection, until the server is taken out of the ring (then once on the
  // ring without it) or fails kEjectAfter times.
  template <typename Op>
  memcached_return_t attempt(std::string_view full_key, Op op);

  memcached_st* mc_;
  std::string prefix_;
  std::vector<std::string> servers_;
  std::unique_ptr<PoolHealth> health_;  // pools only
  uint64_t ring_ = 0;                   // the servers mc_ was built with
  bool pool_ = false;
  int timeout_ms_ = 500;
  int dead_retry_s_ = 30;
};

}  // namespace ihome
