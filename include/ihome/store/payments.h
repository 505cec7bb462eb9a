// Payments: the ledger of API.md "Payments" (tables payments, refunds and
// payment_events of sql/010_payments.sql).  Money is integer fen; every
// change of a payment or refund is one transaction that also appends to
// payment_events, so each yuan is traced from the order to the provider's
// trade number, and a process killed at any line leaves either the state
// before or the state after.
//
// Idempotence: confirming a payment that is already PAID changes nothing;
// a refund is a row with our own out_request_no, created once in the
// transaction that decided it, and asked of the provider until it is DONE
// (the provider refunds an out_request_no once, however often it is asked).
//
// One per use, over the worker's (or the job's) Db; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

struct PaymentRow {
  int64_t id = 0;
  int64_t order_id = 0;
  std::string provider;
  std::string out_trade_no;
  std::optional<std::string> trade_no;
  int64_t amount = 0;  // fen
  std::string status;  // OPEN, PAID, CLOSED
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

// What order/pay and the sandbox page show of a payment.
struct PaymentTicket {
  PaymentRow payment;
  int64_t guest_id = 0;
  int64_t house_id = 0;
  std::string title;
  std::string start_date;
  std::string end_date;
  int64_t pay_by = 0;
  std::string order_status;  // effective
};

enum class ConfirmOutcome {
  kPaid,         // the order is PAID now
  kAlreadyDone,  // this payment was confirmed before: nothing changed
  kRefunding,    // the money came but the order cannot take it (cancelled, expired and its nights
                 // taken, or paid by another payment): all of it is being refunded
};

struct Confirmation {
  ConfirmOutcome outcome = ConfirmOutcome::kAlreadyDone;
  int64_t order_id = 0;
  int64_t house_id = 0;
  int64_t guest_id = 0;
  std::optional<int64_t> refund_id;
};

struct RefundTask {
  int64_t id = 0;
  int64_t order_id = 0;
  int64_t guest_id = 0;
  std::string provider;
  std::string out_trade_no;
  std::string out_request_no;
  int64_t amount = 0;  // fen
  std::string reason;
  int64_t attempts = 0;
  std::string status;  // PENDING, DONE
};

class Payments {
 public:
  explicit Payments(Db& db) : db_(db) {}

  // order/pay: the open payment of the guest's WAIT_PAYMENT order, created
  // (with `out_trade_no`) when it has none.  NODATA (no order), ROLEERR
  // (not the guest), DATAERR (not waiting for payment, or pay_by passed).
  Result<PaymentTicket> open_for(int64_t order_id, int64_t user_id, std::string_view provider,
                                 const std::string& out_trade_no, int64_t now);
  // A payment and its order, by our out_trade_no; nullopt when unknown.
  Result<std::optional<PaymentTicket>> ticket(std::string_view out_trade_no, int64_t now);

  // The provider says the payment `out_trade_no` was paid (`trade_no`, the
  // provider's number; `amount` in fen, already checked equal by the
  // caller).  One IMMEDIATE transaction: the payment becomes PAID and the
  // order PAID when it still waits for it — also after pay_by when its nights
  // are still free — or else a refund of all of it is recorded.  NODATA for
  // an unknown out_trade_no; DATAERR when `amount` is not the payment's.
  Result<Confirmation> confirm(std::string_view out_trade_no, std::string_view trade_no, int64_t amount,
                               int64_t now);

  // Records refunds of `amount` fen of the order's confirmed payments
  // (newest first), inside the caller's transaction; returns their ids.
  // Moves orders.earned down by the same amount.
  Result<std::vector<int64_t>> add_refunds_in_tx(int64_t order_id, int64_t amount, std::string_view reason,
                                                 int64_t now);
  // Fen confirmed and fen refunded (or owed back) for an order, in the
  // caller's transaction.
  Result<std::pair<int64_t, int64_t>> money_of_in_tx(int64_t order_id);
  // Closes the order's open payment (the order was cancelled or expired
  // unpaid), inside the caller's transaction.  A confirmation that still
  // comes for it is refunded.
  Status close_open_in_tx(int64_t order_id, std::string_view why, int64_t now);

  // A refund by id; nullopt when unknown.
  Result<std::optional<RefundTask>> refund(int64_t refund_id);
  // The provider has the refund: DONE (idempotent).
  Status refund_done(int64_t refund_id, int64_t now);
  // The provider could not be asked or said no: retried at `next_at`.
  Status refund_failed(int64_t refund_id, std::string_view error, int64_t now, int64_t next_at);
  // PENDING refunds due at `now`, oldest first.
  Result<std::vector<RefundTask>> due_refunds(int64_t now, int64_t limit);

  // OPEN payments to ask the provider about: made at least `quiet_s` ago,
  // due for a query, and not past expires_at + `grace_s`.
  Result<std::vector<PaymentRow>> due_queries(int64_t now, int64_t quiet_s, int64_t grace_s, int64_t limit);
  // A query of payment `id` found nothing to confirm: asked again at `next_at`.
  Status queried(int64_t id, std::string_view result, int64_t now, int64_t next_at);
  // OPEN payments past expires_at + `grace_s`: CLOSED (the provider was
  // asked to the end and never confirmed them).  Returns how many.
  Result<int64_t> close_stale(int64_t now, int64_t grace_s);

  // The background moves of time, stored (readers already see them through
  // effective_status): WAIT_PAYMENT orders whose pay_by passed become
  // EXPIRED, PAID stays whose check-out day came become WAIT_COMMENT.
  // Returns how many orders moved.
  Result<int64_t> store_time_moves(int64_t now, int64_t today);

 private:
  // One refund row (a fresh out_request_no) and its event, inside the caller's transaction.
  Result<int64_t> insert_refund(int64_t payment_id, int64_t order_id, int64_t amount, std::string_view reason,
                                int64_t now);
  Status log_event(int64_t payment_id, std::optional<int64_t> refund_id, std::string_view event,
                   std::string_view detail, int64_t now);
  Db& db_;
};

// A fresh out_trade_no / out_request_no: `prefix`, the id it belongs to, and
// 64 random bits (letters, digits and '_' only, at most 64 characters: what
// Alipay accepts).
std::string new_trade_number(std::string_view prefix, int64_t id);

}  // namespace ihome
