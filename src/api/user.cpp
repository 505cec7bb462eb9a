// The user's own collections: favourites (API.md "Favourites").  All routes
// require login.
//
// Routes:
//   POST /api/user/favorites          {house_id}   save a house (idempotent)
//   POST /api/user/favorites/remove   {house_id}   forget it (idempotent)
//   GET  /api/user/favorites?p=                    saved houses, newest first
//   GET  /api/user/favorites/ids                   every saved id (hearts)
//
// house/info's favorite_count lives in its cached fragment, which the
// favorite generation (sql/008_read_path.sql) makes stale at the commit.
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/log.h"
#include "ihome/store/favorites.h"

namespace ihome {

namespace {

// A bound on one account's rows (API.md); the ids list stays one small answer.
constexpr int64_t kMaxFavorites = 500;

Reply add_favorite(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(db, ctx.db());
  Favorites favorites(*db);
  TRY(favorites.add(session.user_id, house_id, kMaxFavorites));
  return ok_reply();
}

Reply remove_favorite(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(db, ctx.db());
  Favorites favorites(*db);
  TRY(favorites.remove(session.user_id, house_id));
  return ok_reply();
}

Reply list_favorites(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  int64_t page = 1;
  if (!req.query_value("p").empty()) {
    TRY_ASSIGN(p, req.query.integer("p", 1, INT64_MAX / Favorites::kPageSize));
    page = p;
  }
  TRY_ASSIGN(db, ctx.db());
  Favorites favorites(*db);
  TRY_ASSIGN(result, favorites.list(session.user_id, page));
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("houses");
    w.StartArray();
    for (const HouseSummary& h : result.houses) write_house_summary(w, h);
    w.EndArray();
    w.Key("total_page");
    w.Int64((result.total + Favorites::kPageSize - 1) / Favorites::kPageSize);
    w.Key("current_page");
    w.Int64(page);
    w.EndObject();
  });
}

Reply favorite_ids(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(db, ctx.db());
  Favorites favorites(*db);
  TRY_ASSIGN(ids, favorites.ids(session.user_id));
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("house_ids");
    w.StartArray();
    for (int64_t id : ids) w.Int64(id);
    w.EndArray();
    w.EndObject();
  });
}

}  // namespace

void add_user_routes(Router& router, Context& ctx) {
  router.add("POST", "/api/user/favorites", bind_handler(ctx, add_favorite));
  router.add("POST", "/api/user/favorites/remove", bind_handler(ctx, remove_favorite));
  router.add("GET", "/api/user/favorites", bind_handler(ctx, list_favorites));
  router.add("GET", "/api/user/favorites/ids", bind_handler(ctx, favorite_ids));
}

}  // namespace ihome
