// Payments' provider-facing URLs (API.md "Payments").
//
// Routes:
//   GET  /api/pay/sandbox/payment?out_trade_no=   (the payer; sandbox only)
//   POST /api/pay/sandbox/confirm {out_trade_no}  (the payer; sandbox only)
//   POST /api/pay/notify/alipay    (Alipay's servers: no session, no CSRF)
//   GET  /api/pay/return/alipay    (the payer's browser coming back)
// The sandbox URLs answer 404 unless payment_provider = sandbox, so a
// production site never has a way to confirm a payment but the provider's.
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/core/money.h"
#include "ihome/http/json_fields.h"
#include "ihome/pay/settle.h"
#include "ihome/store/orders.h"
#include "ihome/store/payments.h"

namespace ihome {

namespace {

Error not_found() { return Error{Errno::kNoData, "", 404, 0}; }

// The sandbox payment the caller may see: their own, made by the sandbox.
Result<PaymentTicket> own_sandbox_payment(Context& ctx, Request& req, Params& from, int64_t user_id) {
  auto out_trade_no = from.code_id("out_trade_no");
  if (!out_trade_no) return out_trade_no.take_error();
  auto db = ctx.db();
  if (!db) return db.take_error();
  auto ticket = Payments(**db).ticket(*out_trade_no, unix_now());
  if (!ticket) return ticket.take_error();
  (void)req;
  if (!*ticket || (*ticket)->payment.provider != "sandbox") return Error{Errno::kNoData, "支付不存在", 200, 0};
  if ((*ticket)->guest_id != user_id) return Error{Errno::kRoleErr, "无权查看此支付", 200, 0};
  return **ticket;
}

Reply sandbox_payment(Context& ctx, Request& req) {
  if (ctx.config().payment_provider != "sandbox") return error_reply(not_found());
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(ticket, own_sandbox_payment(ctx, req, req.query, session.user_id));
  return ok_reply([&](JsonWriter& w) {
    key(w, "data");
    w.StartObject();
    field(w, "out_trade_no", ticket.payment.out_trade_no);
    field(w, "order_id", ticket.payment.order_id);
    field(w, "house_id", ticket.house_id);
    field(w, "title", ticket.title);
    field(w, "start_date", ticket.start_date);
    field(w, "end_date", ticket.end_date);
    field(w, "amount", format_yuan(ticket.payment.amount));
    field(w, "pay_by", format_timestamp(ticket.pay_by));
    field(w, "status", ticket.payment.status);
    field(w, "order_status", ticket.order_status);
    w.EndObject();
  });
}

Reply sandbox_confirm(Context& ctx, Request& req) {
  if (ctx.config().payment_provider != "sandbox") return error_reply(not_found());
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(ticket, own_sandbox_payment(ctx, req, req.body, session.user_id));
  TRY_ASSIGN(db, ctx.db());
  TRY_ASSIGN(provider, ctx.payment_provider());
  // Exactly what a provider's notification does: the money is in.
  std::string trade_no = "SANDBOX" + ticket.payment.out_trade_no;
  TRY_ASSIGN(done, settle_paid(*db, *provider, ctx.config(), ticket.payment.out_trade_no, trade_no,
                               ticket.payment.amount, unix_now()));
  return ok_reply([&](JsonWriter& w) {
    key(w, "data");
    w.StartObject();
    field(w, "order_id", done.order_id);
    field(w, "paid", done.outcome != ConfirmOutcome::kRefunding);
    field(w, "refunded", done.outcome == ConfirmOutcome::kRefunding);
    w.EndObject();
  });
}

}  // namespace

void add_pay_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/pay/sandbox/payment", bind_handler(ctx, sandbox_payment));
  router.add("POST", "/api/pay/sandbox/confirm", bind_handler(ctx, sandbox_confirm));
  add_alipay_routes(router, ctx);
}

}  // namespace ihome
