// Settling with the provider: see include/ihome/pay/settle.h.
#include "ihome/pay/settle.h"

#include <algorithm>

#include "ihome/core/fault.h"
#include "ihome/core/log.h"
#include "ihome/notify/notify.h"

namespace ihome {

namespace {
constexpr int64_t kBatch = 50;  // refunds or queries a tick takes on
}  // namespace

int64_t refund_backoff(int64_t attempts, int64_t first_s, int64_t max_s) {
  int64_t wait = first_s;
  for (int64_t i = 1; i < attempts && wait < max_s; ++i) wait *= 2;
  return std::min(wait, max_s);
}

Status attempt_refund(Db& db, PaymentProvider& provider, const Config& config, int64_t refund_id, int64_t now) {
  Payments payments(db);
  auto task = payments.refund(refund_id);
  if (!task) return task.take_error();
  if (!*task || (*task)->status != "PENDING") return Status::OK();
  const RefundTask& r = **task;
  crash_point("refund:before_call");
  Status asked = provider.refund(RefundOrder{r.out_trade_no, r.out_request_no, r.amount, r.reason});
  if (asked.ok()) {
    crash_point("refund:after_call");
    log_info("refund done refund_id=" + std::to_string(r.id) + " order_id=" + std::to_string(r.order_id) +
             " amount_fen=" + std::to_string(r.amount) + " out_request_no=" + r.out_request_no);
    Status recorded = payments.refund_done(r.id, now);
    if (!recorded.ok()) return recorded;
    NotifyDetails extra;
    extra.amount = r.amount;
    notify_order(config, db, r.order_id, NotifyEvent::kRefunded, extra);  // after the commit
    return Status::OK();
  }
  int64_t next = now + refund_backoff(r.attempts + 1, config.refund_retry_first_s, config.refund_retry_max_s);
  std::string why(asked.error().text());
  log_warn("refund failed refund_id=" + std::to_string(r.id) + " order_id=" + std::to_string(r.order_id) +
           " attempt=" + std::to_string(r.attempts + 1) + " retry_in=" + std::to_string(next - now) +
           "s error=" + log_quote(why));
  return payments.refund_failed(r.id, why.empty() ? "provider error" : why, now, next);
}

Result<Confirmation> settle_paid(Db& db, PaymentProvider& provider, const Config& config,
                                 std::string_view out_trade_no, std::string_view trade_no, int64_t amount,
                                 int64_t now) {
  auto confirmed = Payments(db).confirm(out_trade_no, trade_no, amount, now);
  if (!confirmed) return confirmed;
  crash_point("confirm:after_commit");
  if (confirmed->outcome == ConfirmOutcome::kPaid)
    log_info("payment confirmed out_trade_no=" + std::string(out_trade_no) + " trade_no=" + log_quote(trade_no) +
             " order_id=" + std::to_string(confirmed->order_id) + " amount_fen=" + std::to_string(amount));
  if (confirmed->outcome == ConfirmOutcome::kRefunding && confirmed->refund_id) {
    log_warn("payment came for an order that cannot take it, refunding out_trade_no=" + std::string(out_trade_no) +
             " order_id=" + std::to_string(confirmed->order_id));
    Status s = attempt_refund(db, provider, config, *confirmed->refund_id, now);
    if (!s.ok()) log_warn("refund left for the job refund_id=" + std::to_string(*confirmed->refund_id));
  }
  return confirmed;
}

Status reconcile_payment(Db& db, PaymentProvider& provider, const Config& config, const PaymentRow& payment,
                         int64_t now) {
  auto state = provider.query(payment.out_trade_no);
  Payments payments(db);
  if (state && state->paid) {
    if (state->amount != payment.amount) {
      log_error("query answered another amount out_trade_no=" + payment.out_trade_no +
                " ours_fen=" + std::to_string(payment.amount) + " theirs_fen=" + std::to_string(state->amount));
      return payments.queried(payment.id, "amount mismatch", now, now + config.payment_query_every_s);
    }
    auto done = settle_paid(db, provider, config, payment.out_trade_no, state->trade_no, state->amount, now);
    if (!done) return done.take_error();
    log_info("payment recovered by query out_trade_no=" + payment.out_trade_no);
    return Status::OK();
  }
  std::string result = state ? state->status : "error: " + std::string(state.error().text());
  return payments.queried(payment.id, result.empty() ? "not paid" : result, now, now + config.payment_query_every_s);
}

Result<JobTick> run_jobs_once(Db& db, PaymentProvider* provider, const Config& config, int64_t now, int64_t today) {
  JobTick tick;
  Payments payments(db);
  auto moved = payments.store_time_moves(now, today);
  if (!moved) return moved.take_error();
  tick.moved = *moved;
  if (!provider) return tick;

  auto due = payments.due_queries(now, config.payment_query_after_s, config.payment_query_grace_s, kBatch);
  if (!due) return due.take_error();
  for (const PaymentRow& p : *due) {
    if (p.provider != provider->name()) continue;  // made under another provider: nothing to ask
    Status s = reconcile_payment(db, *provider, config, p, now);
    if (!s.ok()) return s.take_error();
    ++tick.queried;
  }
  auto closed = payments.close_stale(now, config.payment_query_grace_s);
  if (!closed) return closed.take_error();
  tick.closed = *closed;

  auto refunds = payments.due_refunds(now, kBatch);
  if (!refunds) return refunds.take_error();
  for (const RefundTask& r : *refunds) {
    if (r.provider != provider->name()) continue;
    Status s = attempt_refund(db, *provider, config, r.id, now);
    if (!s.ok()) return s.take_error();
    ++tick.refunds;
  }
  return tick;
}

}  // namespace ihome
