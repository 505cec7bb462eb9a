// Context: what a worker's handlers share — the config, the SQLite
// connection (opened on first use, retried after a failure, so a database
// that comes back is used again), the memcached connection, sessions and
// rate limits.  One per worker process, built after fork.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include "ihome/auth/real_name.h"
#include "ihome/auth/session.h"
#include "ihome/core/config.h"
#include "ihome/core/result.h"
#include "ihome/http/request.h"
#include "ihome/pay/provider.h"
#include "ihome/limits/rate_limit.h"
#include "ihome/search/live_index.h"
#include "ihome/store/cache.h"
#include "ihome/store/db.h"
#include "ihome/store/local_cache.h"

namespace ihome {

class Context {
 public:
  // Fails only when memcached's client cannot be created (out of memory).
  static Result<std::unique_ptr<Context>> create(const Config& config);

  const Config& config() const { return config_; }
  Cache& cache() { return *cache_; }
  Sessions& sessions() { return sessions_; }
  RateLimiter& limiter() { return limiter_; }
  // The database, opening it when needed; DBERR (503) when it cannot be.
  Result<Db*> db();

  // The configured payment provider, made on first use; nullptr under
  // payment_provider = none.  THIRDERR when it cannot be made (keys).
  Result<PaymentProvider*> payment_provider();
  // The settings of a life-cycle action now (include/ihome/store/orders.h).
  bool payments_on() const { return config_.payment_provider != "none"; }

  // The real-name keys, read from config.secret_key_file on first use.
  Result<const RealNameKeys*> real_name_keys();

  // Read-through caches (API.md: hot reads live in memcached).  memcached
  // failing never fails a read: these log and carry on, and the caller
  // answers from SQLite.
  std::optional<std::string> cached(std::string_view key);
  void remember(std::string_view key, std::string_view value, int ttl_seconds);

  // The read path's first level (include/ihome/store/local_cache.h): the
  // generations brought up to date with SQLite (call once per request,
  // before reading what a fragment is built from) and the worker's LRU of
  // fragments, emptied when the generations went back (a restore).
  Result<const Generations*> generations();
  // Called by handle_request before each request: generations() then asks
  // SQLite (a read transaction: PRAGMA data_version) once per request, and
  // again only after this worker's own write.
  void begin_request() { ++request_seq_; }
  LocalCache& local() { return local_; }
  // Read-through of the read path (ARCHITECTURE.md): the worker's own
  // cache, valid while the SQLite generations of `mask` hold; then, when
  // `shared_ttl` > 0, memcached under the key plus those generations (so an
  // entry of an older state is never read); then `build` from SQLite.
  // `build` answers nullopt for "no such thing", which is not cached.
  Result<std::optional<std::string>> read_through(
      const std::string& key, GenMask mask, int shared_ttl,
      const std::function<Result<std::optional<std::string>>()>& build);
  // The worker's availability index (src/search/), caught up with SQLite.
  Result<const AvailabilityIndex*> search_index();

  // The logged-in session of `req`: nullopt when none, an Error when
  // memcached fails.
  Result<std::optional<Session>> session_of(const Request& req);
  // Like session_of, but no session is SESSIONERR (4101).
  Result<Session> require_login(const Request& req);

 private:
  Context(const Config& config, std::unique_ptr<Cache> cache)
      : config_(config), cache_(std::move(cache)), sessions_(*cache_, config.session_ttl),
        limiter_(*cache_), local_(static_cast<size_t>(config.local_cache_kib) * 1024) {}

  Config config_;
  std::unique_ptr<Cache> cache_;
  Sessions sessions_;
  RateLimiter limiter_;
  std::unique_ptr<Db> db_;
  std::optional<RealNameKeys> keys_;
  std::unique_ptr<PaymentProvider> provider_;
  bool provider_made_ = false;
  LocalCache local_;
  Generations gens_;
  uint64_t gens_epoch_ = 0;
  uint64_t request_seq_ = 1;
  uint64_t gens_request_ = 0;  // the request generations() last refreshed in
  // session_of's account check, per user id: what users held when read,
  // kept while the database has not changed at all since (change_count).
  struct Account {
    bool usable;  // neither disabled nor closed
    int64_t session_epoch;
  };
  std::unordered_map<int64_t, Account> accounts_;
  uint64_t accounts_stamp_ = 0;
  LiveIndex index_;
};

}  // namespace ihome
