// Worker context: see include/ihome/api/context.h.
#include "ihome/api/context.h"

#include "ihome/metrics/metrics.h"
#include "ihome/store/users.h"

namespace ihome {

namespace {
constexpr size_t kMaxAccounts = 4096;  // account checks kept per worker
}  // namespace

Result<std::unique_ptr<Context>> Context::create(const Config& config) {
  auto cache = Cache::connect(config.memcached, config.cache_prefix, config.cache_timeout_ms,
                              config.cache_dead_retry_s);
  if (!cache) return cache.take_error();
  std::unique_ptr<Context> ctx(new Context(config, std::move(cache.value())));
  if (auto prebuilt = LiveIndex::take_prebuilt()) ctx->index_ = std::move(*prebuilt);
  return ctx;
}

Result<Db*> Context::db() {
  if (!db_) {
    auto db = Db::open(config_.db, config_.db_busy_timeout_ms, config_.db_max_pages);
    if (!db) return db.take_error();
    db_ = std::move(db.value());
  }
  return db_.get();
}

Result<PaymentProvider*> Context::payment_provider() {
  if (!provider_made_) {
    auto made = make_payment_provider(config_);
    if (!made) return made.take_error();
    provider_ = std::move(made.value());
    provider_made_ = true;
  }
  return provider_.get();
}

Result<const RealNameKeys*> Context::real_name_keys() {
  if (!keys_) {
    auto keys = load_or_create_key_file(config_.secret_key_file);
    if (!keys) return keys.take_error();
    keys_ = *keys;
  }
  return &*keys_;
}

Result<const Generations*> Context::generations() {
  auto database = db();
  if (!database) return database.take_error();
  // Once per request is enough: a commit by another process during the
  // request may show from the next one on (the request began before it).
  if (gens_request_ == request_seq_ && !gens_.wrote_since(**database)) return &gens_;
  Status s = gens_.refresh(**database);
  if (!s.ok()) return s.take_error();
  gens_request_ = request_seq_;
  if (gens_.epoch() != gens_epoch_) {
    local_.clear();
    gens_epoch_ = gens_.epoch();
  }
  return &gens_;
}

Result<std::optional<std::string>> Context::read_through(
    const std::string& key, GenMask mask, int shared_ttl,
    const std::function<Result<std::optional<std::string>>()>& build) {
  auto gens = generations();  // before anything a fragment is built from
  if (!gens) return gens.take_error();
  const std::string* hit = local_.get(key, **gens);
  metrics::count_local_cache(hit != nullptr);
  if (hit) return std::optional<std::string>(*hit);
  std::string shared_key;
  if (shared_ttl > 0) {
    shared_key = key + "@" + (*gens)->stamp(mask);
    if (auto shared = cached(shared_key)) {
      local_.put(key, *shared, mask, **gens);
      return std::optional<std::string>(std::move(*shared));
    }
  }
  auto built = build();
  if (!built || !*built) return built;
  if (shared_ttl > 0) remember(shared_key, **built, shared_ttl);
  local_.put(key, **built, mask, **gens);
  return built;
}

Result<const AvailabilityIndex*> Context::search_index() {
  auto database = db();
  if (!database) return database.take_error();
  Status s = index_.sync(**database);
  if (!s.ok()) return s.take_error();
  return &index_.index();
}

std::optional<std::string> Context::cached(std::string_view key) {
  auto v = cache_->get(key);
  if (!v) return std::nullopt;
  return *v;
}

void Context::remember(std::string_view key, std::string_view value, int ttl_seconds) {
  (void)cache_->set(key, value, ttl_seconds);
}


Result<std::optional<Session>> Context::session_of(const Request& req) {
  std::string_view id = req.cookie("session_id");
  if (id.empty()) return std::optional<Session>();
  auto session = sessions_.load(id);
  if (!session || !session->has_value()) return session;
  // Every request checks the account: a session whose epoch is behind the
  // user's (ended by a password change, a reset, closing the account or an
  // operator), or whose user is disabled or gone, is over at once.  See
  // include/ihome/auth/session.h.  The row read is kept in the worker while
  // the database has not changed at all since (Generations::change_count:
  // a commit by any process, or this worker's own write, drops them all),
  // and the generations are looked at before the row is read, so what is
  // kept is never older than the state it is kept for.
  auto gens = generations();
  if (!gens) return gens.take_error();
  if ((*gens)->change_count() != accounts_stamp_) {
    accounts_.clear();
    accounts_stamp_ = (*gens)->change_count();
  }
  int64_t user_id = (*session)->user_id;
  auto known = accounts_.find(user_id);
  if (known == accounts_.end()) {
    auto user = Users(*db_).by_id(user_id);  // db_ is open: generations() opened it
    if (!user) return user.take_error();
    if (*user) {
      if (accounts_.size() >= kMaxAccounts) accounts_.clear();
      known = accounts_.emplace(user_id, Account{!(*user)->disabled && !(*user)->closed, (*user)->session_epoch}).first;
    }
  }
  if (known == accounts_.end() || !known->second.usable || known->second.session_epoch != (*session)->epoch) {
    Status s = sessions_.destroy(id);
    if (!s.ok()) return s.take_error();
    return std::optional<Session>();
  }
  return session;
}

Result<Session> Context::require_login(const Request& req) {
  auto s = session_of(req);
  if (!s) return s.take_error();
  if (!s->has_value()) return Error{Errno::kSessionErr, "", 200, 0};
  return **s;
}

}  // namespace ihome
