// Worker context: see include/ihome/api/context.h.
#include "ihome/api/context.h"

namespace ihome {

Result<std::unique_ptr<Context>> Context::create(const Config& config) {
  auto cache = Cache::connect(config.memcached, config.cache_prefix, config.cache_timeout_ms);
  if (!cache) return cache.take_error();
  return std::unique_ptr<Context>(new Context(config, std::move(cache.value())));
}

Result<Db*> Context::db() {
  if (!db_) {
    auto db = Db::open(config_.db, config_.db_busy_timeout_ms);
    if (!db) return db.take_error();
    db_ = std::move(db.value());
  }
  return db_.get();
}

Result<std::optional<Session>> Context::session_of(const Request& req) {
  std::string_view id = req.cookie("session_id");
  if (id.empty()) return std::optional<Session>();
  return sessions_.load(id);
}

Result<Session> Context::require_login(const Request& req) {
  auto s = session_of(req);
  if (!s) return s.take_error();
  if (!s->has_value()) return Error{Errno::kSessionErr, "", 200, 0};
  return **s;
}

}  // namespace ihome
