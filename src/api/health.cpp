// Health: GET /api/health — is the database answering, is memcached?
// 200 {errno 0, version, db:"ok", cache:"ok"}, or 503 naming the failing
// part (errno 4001 for the database, 4301 for memcached).  Used by
// operators, the systemd watchdog timer and the stack script's readiness wait.
//
// Routes:
//   GET /api/health
#include "ihome/api/app.h"
#include "ihome/api/handler.h"

namespace ihome {

namespace {

Status check_db(Context& ctx) {
  auto db = ctx.db();
  if (!db) return db.take_error();
  auto stmt = (*db)->prepare("SELECT count(*) FROM sqlite_schema");
  if (!stmt) return stmt.take_error();
  auto row = stmt->step();
  if (!row) return row.take_error();
  return Status::OK();
}

Reply health(Context& ctx, Request&) {
  Status db = check_db(ctx);
  Status cache = ctx.cache().ping();
  Errno code = !db.ok() ? Errno::kDbErr : !cache.ok() ? Errno::kThirdErr : Errno::kOk;
  std::string_view message = code == Errno::kOk ? "OK"
                             : code == Errno::kDbErr ? "数据库不可用"
                                                     : "缓存服务不可用";
  return json_reply(
      code, message,
      [&](JsonWriter& w) {
        w.Key("version");
        write_string(w, kVersion);
        w.Key("db");
        w.String(db.ok() ? "ok" : "error");
        w.Key("cache");
        w.String(cache.ok() ? "ok" : "error");
      },
      code == Errno::kOk ? 200 : 503);
}

}  // namespace

void add_health_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/health", bind_handler(ctx, health));
}

}  // namespace ihome
