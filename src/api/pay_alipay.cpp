// Alipay's URLs (API.md "Provider alipay").
//
// Routes (404 unless payment_provider = alipay):
//   POST /api/pay/notify/alipay   Alipay's servers: no session, no CSRF; the RSA2
//                                 signature is the authentication.  Answers
//                                 text/plain "success" once handled (Alipay stops
//                                 retrying) or "failure" (it retries later).
//   GET  /api/pay/return/alipay   the payer's browser coming back: verified, then
//                                 the payment is asked about (its parameters alone
//                                 never confirm anything); 302 to /orders.html?paid=ID
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/pay/alipay_provider.h"
#include "ihome/pay/settle.h"
#include "ihome/store/orders.h"
#include "ihome/store/payments.h"

namespace ihome {

namespace {

Error not_found() { return Error{Errno::kNoData, "", 404, 0}; }

// The process's Alipay protocol object, for verifying what Alipay sends.
Result<const Alipay*> alipay_of(Context& ctx) {
  static std::unique_ptr<Alipay> made;
  if (!made) {
    auto fresh = make_alipay(ctx.config());
    if (!fresh) return fresh.take_error();
    made = std::move(fresh.value());
  }
  return made.get();
}

Reply plain(std::string_view body) {
  Reply r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(body);
  return r;
}

// "failure" makes Alipay send the notify again later: for what may pass (the
// database busy) as for what never will (a forged notify, which is logged).
Reply notify(Context& ctx, Request& req) {
  if (ctx.config().payment_provider != "alipay") return error_reply(not_found());
  auto params = req.body.string_pairs();
  if (!params) {
    log_warn("alipay notify refused: malformed parameters");
    return plain("failure");
  }
  auto alipay = alipay_of(ctx);
  if (!alipay) {
    log_error("alipay notify: " + std::string(alipay.error().text()));
    return plain("failure");
  }
  auto note = (*alipay)->verify_notify(*params);
  if (!note) {
    log_warn("alipay notify refused: " + std::string(note.error().text()));
    return plain("failure");
  }
  auto db = ctx.db();
  auto provider = ctx.payment_provider();
  if (!db || !provider || !*provider) return plain("failure");
  bool paid = note->trade_status == "TRADE_SUCCESS" || note->trade_status == "TRADE_FINISHED";
  if (!paid) {
    // WAIT_BUYER_PAY, TRADE_CLOSED (or a refund's notice): nothing to confirm.
    auto known = Payments(**db).ticket(note->out_trade_no, unix_now());
    if (!known || !*known) {
      log_warn("alipay notify for an unknown payment out_trade_no=" + log_quote(note->out_trade_no));
      return plain("failure");
    }
    if ((*known)->payment.amount != note->total_amount_fen) {
      log_warn("alipay notify refused: amount mismatch out_trade_no=" + note->out_trade_no);
      return plain("failure");
    }
    log_info("alipay notify noted out_trade_no=" + note->out_trade_no + " trade_status=" + note->trade_status);
    return plain("success");
  }
  auto done = settle_paid(**db, **provider, ctx.config(), note->out_trade_no, note->trade_no,
                          note->total_amount_fen, unix_now());
  if (!done) {
    log_warn("alipay notify not confirmed out_trade_no=" + log_quote(note->out_trade_no) + ": " +
             std::string(done.error().text()));
    return plain("failure");
  }
  return plain("success");
}

Reply return_page(Context& ctx, Request& req) {
  if (ctx.config().payment_provider != "alipay") return error_reply(not_found());
  TRY_ASSIGN(params, req.query.string_pairs());
  TRY_ASSIGN(alipay, alipay_of(ctx));
  auto back = alipay->verify_notify(params);
  if (!back) {
    log_warn("alipay return refused: " + std::string(back.error().text()));
    return error_reply(Error{Errno::kDataErr, "支付结果校验失败", 400, 0});
  }
  TRY_ASSIGN(db, ctx.db());
  TRY_ASSIGN(provider, ctx.payment_provider());
  int64_t now = unix_now();
  TRY_ASSIGN(ticket, Payments(*db).ticket(back->out_trade_no, now));
  if (!ticket) return error_reply(Error{Errno::kNoData, "支付不存在", 404, 0});
  if (ticket->payment.status == "OPEN" && provider) {
    // The browser says it paid; Alipay is asked whether it did.
    Status s = reconcile_payment(*db, *provider, ctx.config(), ticket->payment, now);
    if (!s.ok()) log_warn("alipay return: query failed out_trade_no=" + ticket->payment.out_trade_no);
  }
  Reply r;
  r.status = 302;
  r.add_header("Location", "/orders.html?paid=" + std::to_string(ticket->payment.order_id));
  r.body = "";
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

}  // namespace

void add_alipay_routes(Router& router, Context& ctx) {
  router.add("POST", "/api/pay/notify/alipay", bind_handler(ctx, notify));
  router.exempt_from_csrf("/api/pay/notify/alipay");
  router.add("GET", "/api/pay/return/alipay", bind_handler(ctx, return_page));
}

}  // namespace ihome
