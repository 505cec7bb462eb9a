// Reviews: the landlord's reply to a comment and a house's comments, paged
// (API.md "order/reply", "house/comments").  The comment with its rating is
// POST /api/order/comment (src/api/order.cpp).
//
// Routes:
//   POST /api/order/reply                {order_id, reply}   (the house's owner)
//   GET  /api/house/comments?house_id=&p=                    (public)
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/log.h"
#include "ihome/store/houses.h"
#include "ihome/store/reviews.h"

namespace ihome {

namespace {

constexpr int kCommentsTtl = 600;

Reply reply(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(order_id, req.body.integer("order_id", 1, INT64_MAX));
  TRY_ASSIGN(text, req.body.text("reply", 1, 512));
  TRY_ASSIGN(db, ctx.db());
  TRY_ASSIGN(house_id, Reviews(*db).reply(order_id, session.user_id, text));
  log_info("comment replied order_id=" + std::to_string(order_id) + " house_id=" + std::to_string(house_id) +
           " user_id=" + std::to_string(session.user_id));
  return ok_reply();
}

Reply comments(Context& ctx, Request& req) {
  TRY_ASSIGN(house_id, req.query.integer("house_id", 1, INT64_MAX));
  int64_t page = 1;
  if (!req.query_value("p").empty()) {
    TRY_ASSIGN(p, req.query.integer("p", 1, INT64_MAX / Houses::kCommentPageSize));
    page = p;
  }
  // Comments change with the house's generation (a completed stay, a reply,
  // a commenter's name): kept in the worker and memcached while it holds.
  std::string key = "comments:" + std::to_string(house_id) + ":" + std::to_string(page);
  auto json = ctx.read_through(key, gen_bit(GenKind::kHouse), kCommentsTtl,
                               [&]() -> Result<std::optional<std::string>> {
    auto db = ctx.db();
    if (!db) return db.take_error();
    auto result = Houses(**db).comments(house_id, page);
    if (!result) {
      if (result.error().code == Errno::kNoData) return std::optional<std::string>();
      return result.take_error();
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("comments");
    w.StartArray();
    for (const HouseComment& c : result->comments) write_comment(w, c);
    w.EndArray();
    write_field(w, "total_page", (result->total + Houses::kCommentPageSize - 1) / Houses::kCommentPageSize);
    write_field(w, "current_page", page);
    w.EndObject();
    return std::optional<std::string>(std::string(buf.GetString(), buf.GetSize()));
  });
  if (!json) return error_reply(json.error());
  if (!*json) return error_reply(Error{Errno::kNoData, "房屋不存在", 200, 0});
  return ok_spliced_reply(",\"data\":", **json);
}

}  // namespace

void add_review_routes(Router& router, Context& ctx) {
  router.add("POST", "/api/order/reply", bind_handler(ctx, reply));
  router.add("GET", "/api/house/comments", public_read(bind_handler(ctx, comments)));
}

}  // namespace ihome
