// Orders: booking, the guest's and the landlord's lists, and the life
// cycle (API.md "Orders").  All routes require login.
//
// Routes:
//   POST /api/order              {house_id, start_date, end_date}
//   GET  /api/order/my?role=custom|landlord&p=
//   POST /api/order/accept       {order_id}                 (house owner)
//   POST /api/order/reject       {order_id, reject_reason}  (house owner)
//   POST /api/order/comment      {order_id, comment, rating} (guest)
//   POST /api/order/cancel       {order_id}                 (guest)
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/core/money.h"
#include "ihome/metrics/metrics.h"
#include "ihome/notify/notify.h"
#include "ihome/store/orders.h"

namespace ihome {

namespace {

// How far ahead a stay may start, so a typo like 2206 is refused.
constexpr int64_t kMaxDaysAhead = 2 * 366;

Reply book(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(start, req.body.date("start_date"));
  TRY_ASSIGN(end, req.body.date("end_date"));
  if (end - start < 1) return error_reply(field_error("end_date", "离开日期须晚于入住日期"));
  int64_t now = today();
  if (start < now) return error_reply(field_error("start_date", "入住日期不能早于今天"));
  if (start > now + kMaxDaysAhead) return error_reply(field_error("start_date", "入住日期太远"));

  TRY_ASSIGN(db, ctx.db());
  Orders orders(*db);
  TRY_ASSIGN(id, orders.create(NewOrder{session.user_id, house_id, start, end}));
  ctx.bump_search();  // the stay's nights are taken now
  forget_calendar(ctx, house_id);
  metrics::count_booking();
  notify_order(ctx.config(), *db, id, NotifyEvent::kBookingRequest);
  log_info("order placed order_id=" + std::to_string(id) + " house_id=" + std::to_string(house_id) +
           " user_id=" + std::to_string(session.user_id));
  return ok_reply([&](JsonWriter& w) {
    w.Key("order_id");
    w.Int64(id);
  });
}

Reply my_orders(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  std::string role_name = req.query_value("role");
  OrderRole role;
  if (role_name.empty() || role_name == "custom") role = OrderRole::kGuest;
  else if (role_name == "landlord") role = OrderRole::kOwner;
  else return error_reply(field_error("role", "应为custom或landlord"));
  int64_t page = 1;
  if (!req.query_value("p").empty()) {
    TRY_ASSIGN(p, req.query.integer("p", 1, INT64_MAX / Orders::kPageSize));
    page = p;
  }
  TRY_ASSIGN(db, ctx.db());
  Orders orders(*db);
  TRY_ASSIGN(result, orders.list(session.user_id, role, page));
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("orders");
    w.StartArray();
    for (const OrderRow& o : result.orders) {
      w.StartObject();
      w.Key("order_id");
      w.Int64(o.id);
      w.Key("house_id");
      w.Int64(o.house_id);
      w.Key("title");
      write_string(w, o.title);
      w.Key("img_url");
      write_media_url(w, o.image);
      w.Key("start_date");
      write_string(w, o.start_date);
      w.Key("end_date");
      write_string(w, o.end_date);
      w.Key("ctime");
      write_string(w, o.created_at);
      w.Key("days");
      w.Int64(o.days);
      w.Key("amount");
      write_string(w, format_yuan(o.amount));
      w.Key("status");
      write_string(w, o.status);
      w.Key("comment");
      if (o.comment) write_string(w, *o.comment);
      else w.Null();
      write_field(w, "rating", o.rating);
      write_field(w, "reply", o.reply);
      write_field(w, "conversation_id", o.conversation_id);
      w.EndObject();
    }
    w.EndArray();
    w.Key("total_page");
    w.Int64((result.total + Orders::kPageSize - 1) / Orders::kPageSize);
    w.Key("current_page");
    w.Int64(page);
    w.EndObject();
  });
}

// The four life-cycle actions share one shape: who, which order, what text.
Reply act(Context& ctx, Request& req, OrderAction action) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(order_id, req.body.integer("order_id", 1, INT64_MAX));
  std::string text;
  std::optional<int64_t> rating;
  if (action == OrderAction::kReject) {
    TRY_ASSIGN(reason, req.body.text("reject_reason", 1, 256));
    text = reason;
  } else if (action == OrderAction::kComment) {
    TRY_ASSIGN(comment, req.body.text("comment", 1, 1024));
    text = comment;
    // Optional for the classic front end, which sends none (API.md).
    TRY_ASSIGN(stars, req.body.integer_or("rating", 1, 5, 0));
    if (stars > 0) rating = stars;
  }
  TRY_ASSIGN(db, ctx.db());
  Orders orders(*db);
  TRY_ASSIGN(house_id, orders.act(order_id, session.user_id, action, text, rating));
  // Rejected and canceled stays free their nights; a comment changes the
  // house's comments and order_count (detail, index, booking sort).
  if (action == OrderAction::kComment) forget_house(ctx, house_id);
  else ctx.bump_search();
  if (action == OrderAction::kReject || action == OrderAction::kCancel) forget_calendar(ctx, house_id);
  if (action == OrderAction::kAccept) notify_order(ctx.config(), *db, order_id, NotifyEvent::kAccepted);
  if (action == OrderAction::kReject) notify_order(ctx.config(), *db, order_id, NotifyEvent::kRejected);
  return ok_reply();
}

Reply accept(Context& ctx, Request& req) { return act(ctx, req, OrderAction::kAccept); }
Reply reject(Context& ctx, Request& req) { return act(ctx, req, OrderAction::kReject); }
Reply comment(Context& ctx, Request& req) { return act(ctx, req, OrderAction::kComment); }
Reply cancel(Context& ctx, Request& req) { return act(ctx, req, OrderAction::kCancel); }

}  // namespace

void add_order_routes(Router& router, Context& ctx) {
  router.add("POST", "/api/order", bind_handler(ctx, book));
  router.add("GET", "/api/order/my", bind_handler(ctx, my_orders));
  router.add("POST", "/api/order/accept", bind_handler(ctx, accept));
  router.add("POST", "/api/order/reject", bind_handler(ctx, reject));
  router.add("POST", "/api/order/comment", bind_handler(ctx, comment));
  router.add("POST", "/api/order/cancel", bind_handler(ctx, cancel));
}

}  // namespace ihome
