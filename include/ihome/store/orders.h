// Orders repository and the order life cycle of API.md "Orders":
//   WAIT_ACCEPT --accept(owner)--> WAIT_COMMENT --comment(guest)--> COMPLETE
//   WAIT_ACCEPT --reject(owner)--> REJECTED
//   WAIT_ACCEPT --cancel(guest)--> CANCELED
// Orders in WAIT_ACCEPT, WAIT_COMMENT and COMPLETE hold their nights
// [start_date, end_date); two of them never overlap on one house: booking
// checks and inserts inside one BEGIN IMMEDIATE transaction, which SQLite
// serializes across every worker process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

enum class OrderStatus { kWaitAccept, kWaitComment, kComplete, kRejected, kCanceled };
enum class OrderAction { kAccept, kReject, kComment, kCancel };
enum class OrderRole { kGuest, kOwner };

std::string_view order_status_name(OrderStatus s);
std::optional<OrderStatus> parse_order_status(std::string_view name);
// Whether the status holds the house's nights.
bool order_holds_nights(OrderStatus s);
// Who may take `action` (the guest or the house's owner).
OrderRole order_action_role(OrderAction action);
// The status after `action`, or nullopt when `from` does not allow it.
std::optional<OrderStatus> order_transition(OrderStatus from, OrderAction action);

struct NewOrder {
  int64_t user_id = 0;
  int64_t house_id = 0;
  int64_t start_day = 0;  // day numbers (core/date.h)
  int64_t end_day = 0;
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
  std::string status;
  std::optional<std::string> comment;
  std::optional<int64_t> rating;      // the guest's stars (sql/011_trust.sql)
  std::optional<std::string> reply;   // the landlord's answer to the comment
  std::optional<int64_t> conversation_id;  // the order's message thread
};

struct OrderPage {
  std::vector<OrderRow> orders;
  int64_t total = 0;
};

class Orders {
 public:
  static constexpr int64_t kPageSize = 20;

  explicit Orders(Db& db) : db_(db) {}

  // Books a stay: NODATA (no house), ROLEERR (own house), PARAMERR (nights
  // outside min_days/max_days), DATAERR (nights taken).  Returns the id.
  Result<int64_t> create(const NewOrder& order);
  // Applies `action` by `actor` (a user id): NODATA (no order), ROLEERR
  // (not the guest / not the owner), DATAERR (status does not allow it).
  // `text` is the reject reason or the comment; `rating` (1-5) goes with a
  // comment, and adds to the house's rating sum and count in the same
  // transaction.  Returns the house id.
  Result<int64_t> act(int64_t order_id, int64_t actor, OrderAction action, const std::string& text,
                      std::optional<int64_t> rating = std::nullopt);
  // Orders the user made (kGuest) or received on their houses (kOwner),
  // newest first.
  Result<OrderPage> list(int64_t user_id, OrderRole role, int64_t page);

 private:
  Db& db_;
};

}  // namespace ihome
