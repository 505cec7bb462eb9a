// Orders: booking, the guest's and the landlord's lists, the life cycle and
// paying (API.md "Orders", "Payments").  All routes require login.
//
// Routes:
//   POST /api/order              {house_id, start_date, end_date}
//   GET  /api/order/my?role=custom|landlord&p=
//   POST /api/order/accept       {order_id}                 (house owner)
//   POST /api/order/reject       {order_id, reject_reason}  (house owner)
//   POST /api/order/comment      {order_id, comment, rating} (guest)
//   POST /api/order/cancel       {order_id, reason}         (guest, or the owner of a paid stay)
//   POST /api/order/pay          {order_id}                 (guest)
//
// Nothing here touches a cache: what shows orders (dated searches, calendars,
// house/info's comments and order_count) is cached under the SQLite
// generations that the writing transaction itself moves (sql/008_read_path.sql),
// and a pay_by passing moves them too (include/ihome/store/local_cache.h).
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/core/fault.h"
#include "ihome/core/log.h"
#include "ihome/core/money.h"
#include "ihome/http/json_fields.h"
#include "ihome/metrics/metrics.h"
#include "ihome/pay/settle.h"
#include "ihome/notify/notify.h"
#include "ihome/store/orders.h"
#include "ihome/store/payments.h"

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
  TRY_ASSIGN(booked, orders.create(NewOrder{session.user_id, house_id, start, end}, unix_now()));
  int64_t id = booked.id;
  metrics::count_booking();
  notify_order(ctx.config(), *db, id, NotifyEvent::kBookingRequest);
  log_info("order placed order_id=" + std::to_string(id) + " house_id=" + std::to_string(house_id) +
           " user_id=" + std::to_string(session.user_id));
  return ok_reply([&](JsonWriter& w) {
    field(w, "order_id", id);
    field(w, "amount", format_yuan(booked.amount));
  });
}

void write_order(JsonWriter& w, const OrderRow& o) {
  w.StartObject();
  field(w, "order_id", o.id);
  field(w, "house_id", o.house_id);
  field(w, "title", o.title);
  key(w, "img_url");
  write_media_url(w, o.image);
  field(w, "start_date", o.start_date);
  field(w, "end_date", o.end_date);
  field(w, "ctime", o.created_at);
  field(w, "days", o.days);
  field(w, "amount", format_yuan(o.amount));
  field(w, "status", order_status_name(o.status));
  field(w, "comment", o.comment);
  if (o.pay_by) field(w, "pay_by", format_timestamp(*o.pay_by));
  else field_null(w, "pay_by");
  field(w, "paid_amount", format_yuan(o.paid));
  field(w, "refund_amount", format_yuan(o.refunded));
  field(w, "canceled_by", o.canceled_by);
  field(w, "cancel_reason", o.cancel_reason);
  field(w, "rating", o.rating);
  field(w, "reply", o.reply);
  field(w, "conversation_id", o.conversation_id);
  w.EndObject();
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
  TRY_ASSIGN(result, orders.list(session.user_id, role, page, unix_now()));
  return ok_reply([&](JsonWriter& w) {
    key(w, "data");
    w.StartObject();
    key(w, "orders");
    w.StartArray();
    for (const OrderRow& o : result.orders) write_order(w, o);
    w.EndArray();
    field(w, "total_page", (result.total + Orders::kPageSize - 1) / Orders::kPageSize);
    field(w, "current_page", page);
    w.EndObject();
  });
}

ActContext act_context(Context& ctx) {
  ActContext at;
  at.now = unix_now();
  at.today = today();
  at.payments_on = ctx.payments_on();
  at.payment_window_s = int64_t{ctx.config().payment_window_minutes} * 60;
  at.refund_full_days = ctx.config().refund_full_days;
  return at;
}

// The refunds a cancellation recorded, asked of the provider now; one that
// fails is left PENDING for the job process, which retries it with backoff.
void ask_refunds(Context& ctx, Db& db, const std::vector<int64_t>& refund_ids) {
  if (refund_ids.empty()) return;
  crash_point("refund:recorded");
  auto provider = ctx.payment_provider();
  if (!provider || !*provider) {
    log_warn("refunds left for the job: no payment provider to ask now");
    return;
  }
  for (int64_t id : refund_ids) {
    Status s = attempt_refund(db, **provider, ctx.config(), id, unix_now());
    if (!s.ok()) log_warn("refund left for the job refund_id=" + std::to_string(id));
  }
}

// The life-cycle actions share one shape: who, which order, what text.
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
  } else if (action == OrderAction::kCancel) {
    if (req.body.has("reason")) {
      TRY_ASSIGN(reason, req.body.text_or("reason", 0, 256, ""));
      text = reason;
    }
  }
  TRY_ASSIGN(db, ctx.db());
  Orders orders(*db);
  TRY_ASSIGN(done, orders.act(order_id, session.user_id, action, text, act_context(ctx), rating));
  log_info("order " + std::string(order_status_name(done.status)) + " order_id=" + std::to_string(order_id) +
           " by_user_id=" + std::to_string(session.user_id) +
           (done.refund > 0 ? " refund_fen=" + std::to_string(done.refund) : std::string()));
  // Told after the commit; a notice that fails never fails the action.
  if (action == OrderAction::kAccept) {
    NotifyDetails extra;
    if (done.pay_by) extra.pay_by = format_timestamp(*done.pay_by);
    notify_order(ctx.config(), *db, order_id, NotifyEvent::kAccepted, extra);
  }
  if (action == OrderAction::kReject) notify_order(ctx.config(), *db, order_id, NotifyEvent::kRejected);
  if (action == OrderAction::kCancel && session.user_id == done.owner_id)
    notify_order(ctx.config(), *db, order_id, NotifyEvent::kCanceledByLandlord);
  if (action != OrderAction::kCancel) return ok_reply();
  ask_refunds(ctx, *db, done.refund_ids);
  return ok_reply([&](JsonWriter& w) {
    key(w, "data");
    w.StartObject();
    field(w, "refund", format_yuan(done.refund));
    w.EndObject();
  });
}

Reply accept(Context& ctx, Request& req) { return act(ctx, req, OrderAction::kAccept); }
Reply reject(Context& ctx, Request& req) { return act(ctx, req, OrderAction::kReject); }
Reply comment(Context& ctx, Request& req) { return act(ctx, req, OrderAction::kComment); }
Reply cancel(Context& ctx, Request& req) { return act(ctx, req, OrderAction::kCancel); }

// A phone's browser pays on Alipay's wap page, a desktop's on the page-pay one.
bool is_mobile(const Request& req) {
  std::string_view ua = req.header("User-Agent");
  for (std::string_view word : {"Mobile", "Android", "iPhone", "iPad", "HarmonyOS"})
    if (ua.find(word) != std::string_view::npos) return true;
  return false;
}

Reply pay(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(order_id, req.body.integer("order_id", 1, INT64_MAX));
  TRY_ASSIGN(db, ctx.db());
  TRY_ASSIGN(provider, ctx.payment_provider());
  if (!provider) return error_reply(Error{Errno::kDataErr, "本站未开通在线支付", 200, 0});
  int64_t now = unix_now();
  Payments payments(*db);
  TRY_ASSIGN(ticket, payments.open_for(order_id, session.user_id, provider->name(),
                                       new_trade_number("ih", order_id), now));
  PayOrder order{ticket.payment.out_trade_no, ticket.payment.amount, ticket.title, ticket.pay_by, is_mobile(req)};
  TRY_ASSIGN(url, provider->pay_url(order));
  log_info("payment asked order_id=" + std::to_string(order_id) + " out_trade_no=" + ticket.payment.out_trade_no +
           " amount_fen=" + std::to_string(ticket.payment.amount));
  return ok_reply([&](JsonWriter& w) {
    key(w, "data");
    w.StartObject();
    field(w, "pay_url", url);
    field(w, "amount", format_yuan(ticket.payment.amount));
    field(w, "pay_by", format_timestamp(ticket.pay_by));
    field(w, "out_trade_no", ticket.payment.out_trade_no);
    w.EndObject();
  });
}

}  // namespace

void add_order_routes(Router& router, Context& ctx) {
  router.add("POST", "/api/order", bind_handler(ctx, book));
  router.add("GET", "/api/order/my", bind_handler(ctx, my_orders));
  router.add("POST", "/api/order/accept", bind_handler(ctx, accept));
  router.add("POST", "/api/order/reject", bind_handler(ctx, reject));
  router.add("POST", "/api/order/comment", bind_handler(ctx, comment));
  router.add("POST", "/api/order/cancel", bind_handler(ctx, cancel));
  router.add("POST", "/api/order/pay", bind_handler(ctx, pay));
}

}  // namespace ihome
