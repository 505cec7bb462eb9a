// Orders repository and the order life cycle of API.md "Orders" (third
// release).  The moves, in one table (order_transition):
//   WAIT_ACCEPT  --accept(owner)-->  WAIT_PAYMENT (a payment provider is on;
//                                    pay_by = now + the payment window)
//                                    PAID (payment_provider = none)
//   WAIT_ACCEPT  --reject(owner)-->  REJECTED
//   WAIT_ACCEPT, WAIT_PAYMENT --cancel(guest)--> CANCELED (nothing paid)
//   PAID --cancel(guest, before the check-in day)--> CANCELED, refund by policy
//   PAID --cancel(owner, before the check-in day)--> CANCELED, full refund
//   WAIT_PAYMENT --the provider confirms (src/store/payments.cpp)--> PAID
//   WAIT_COMMENT --comment(guest)--> COMPLETE
// and two that time makes, exact for every reader whatever the background
// job (src/server/jobs.cpp) has stored yet (effective_status):
//   WAIT_PAYMENT is EXPIRED from pay_by on; PAID is WAIT_COMMENT from the
//   check-out day on.
// Orders that hold their nights [start_date, end_date) never overlap on one
// house: booking checks and inserts inside one BEGIN IMMEDIATE transaction,
// which SQLite serializes across every worker process; every reader asks
// holds_nights_sql().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

enum class OrderStatus { kWaitAccept, kWaitPayment, kPaid, kWaitComment, kComplete, kRejected, kCanceled, kExpired };
enum class OrderAction { kAccept, kReject, kComment, kCancel };
enum class OrderRole { kGuest, kOwner };

std::string_view order_status_name(OrderStatus s);
std::optional<OrderStatus> parse_order_status(std::string_view name);
// The status as every reader must see it at unix time `now` (local day
// `today`): the stored one, moved by time (see above).
OrderStatus effective_status(OrderStatus stored, std::optional<int64_t> pay_by, int64_t end_day, int64_t now,
                             int64_t today);
// Whether an order in (effective) status `s` holds the house's nights.
bool order_holds_nights(OrderStatus s);
// Whether `role` may take `action` at all.
bool order_action_allowed(OrderAction action, OrderRole role);
// The status after `action` by `role` from the effective status `from`, or
// nullopt when it does not allow it.  `payments_on`: a payment provider is
// configured (accept waits for the payment).  Dates do not enter here:
// cancelling a PAID stay on or after its check-in day is refused by the
// caller (refund_policy).
std::optional<OrderStatus> order_transition(OrderStatus from, OrderAction action, OrderRole role,
                                            bool payments_on);
// The refund of a paid stay cancelled `days_ahead` days before its check-in
// day (API.md "order/cancel"): all of `paid` when the landlord cancels or the
// guest does at least `full_days` ahead, half (rounded up, in fen) from 1 day
// ahead; nullopt on or after the check-in day (not cancellable).
std::optional<int64_t> refund_policy(int64_t paid, int64_t days_ahead, OrderRole role, int64_t full_days);

// The SQL condition "order `alias` holds its nights at unix time ?`now_param`"
// (every availability reader: booking, search, the index, calendar, iCal,
// closing an account).  Its status list matches the partial indexes
// orders_house_busy and orders_busy_dates (sql/010_payments.sql).
std::string holds_nights_sql(std::string_view alias, int now_param);

struct NewOrder {
  int64_t user_id = 0;
  int64_t house_id = 0;
  int64_t start_day = 0;  // day numbers (core/date.h)
  int64_t end_day = 0;
};

struct Booked {
  int64_t id = 0;
  int64_t amount = 0;  // fen
};

struct OrderRow {
  int64_t id = 0;
  int64_t house_id = 0;
  std::string title;
  std::optional<std::string> image;
  std::string start_date;
  std::string end_date;
  std::string created_at;
  int64_t days = 0;
  int64_t amount = 0;  // fen
  OrderStatus status = OrderStatus::kWaitAccept;  // effective
  std::optional<std::string> comment;
  std::optional<int64_t> pay_by;  // unix seconds, while WAIT_PAYMENT
  int64_t paid = 0;               // fen confirmed by the provider
  int64_t refunded = 0;           // fen refunded or being refunded
  std::optional<std::string> cancel_reason;
  std::optional<std::string> canceled_by;
  std::optional<int64_t> rating;      // the guest's stars (sql/011_trust.sql)
  std::optional<std::string> reply;   // the landlord's answer to the comment
  std::optional<int64_t> conversation_id;  // the order's message thread
};

struct OrderPage {
  std::vector<OrderRow> orders;
  int64_t total = 0;
};

// What a life-cycle action needs to know of the world.
struct ActContext {
  int64_t now = 0;    // unix seconds
  int64_t today = 0;  // local day number
  bool payments_on = false;
  int64_t payment_window_s = 7200;
  int64_t refund_full_days = 7;
};

struct ActOutcome {
  int64_t house_id = 0;
  int64_t guest_id = 0;
  int64_t owner_id = 0;
  OrderStatus status = OrderStatus::kWaitAccept;  // after the action
  std::optional<int64_t> pay_by;
  int64_t refund = 0;                 // fen asked back for the guest
  std::vector<int64_t> refund_ids;    // rows of refunds to ask the provider for
};

class Orders {
 public:
  static constexpr int64_t kPageSize = 20;

  explicit Orders(Db& db) : db_(db) {}

  // Books a stay: NODATA (no house), ROLEERR (own house), PARAMERR (nights
  // outside min_days/max_days), DATAERR (nights taken).
  Result<Booked> create(const NewOrder& order, int64_t now);
  // Applies `action` by `actor` (a user id) in one transaction: NODATA (no
  // order), ROLEERR (neither the guest nor the owner, or not the one the
  // action is for), DATAERR (the status does not allow it, or a paid stay's
  // check-in day has come).  `text`: the reject reason, the comment or the
  // cancel reason; `rating` (1-5) goes with a comment and adds to the
  // house's rating sum and count in the same transaction.  A cancelled paid
  // stay's refunds are recorded (PENDING) in the same transaction; the
  // caller asks the provider after it.
  Result<ActOutcome> act(int64_t order_id, int64_t actor, OrderAction action, const std::string& text,
                         const ActContext& at, std::optional<int64_t> rating = std::nullopt);
  // Orders the user made (kGuest) or received on their houses (kOwner),
  // newest first, with their effective statuses at `now`.
  Result<OrderPage> list(int64_t user_id, OrderRole role, int64_t page, int64_t now);

 private:
  Db& db_;
};

}  // namespace ihome
