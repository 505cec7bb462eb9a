// Orders repository and life cycle: see include/ihome/store/orders.h.
#include "ihome/store/orders.h"

#include "ihome/core/date.h"
#include "ihome/store/payments.h"
#include "ihome/store/pricing.h"

namespace ihome {

namespace {
constexpr std::string_view kNames[] = {"WAIT_ACCEPT", "WAIT_PAYMENT", "PAID",     "WAIT_COMMENT",
                                       "COMPLETE",    "REJECTED",     "CANCELED", "EXPIRED"};
constexpr int kStatusCount = 8;

// The moves a person makes: (from, action, role) -> to.  Accept's target
// depends on whether a payment provider is on, so it has two rows.
struct Move {
  OrderStatus from;
  OrderAction action;
  OrderRole role;
  OrderStatus to;
  int payments;  // -1 any, 0 provider none, 1 a provider is on
};
constexpr Move kMoves[] = {
    {OrderStatus::kWaitAccept, OrderAction::kAccept, OrderRole::kOwner, OrderStatus::kWaitPayment, 1},
    {OrderStatus::kWaitAccept, OrderAction::kAccept, OrderRole::kOwner, OrderStatus::kPaid, 0},
    {OrderStatus::kWaitAccept, OrderAction::kReject, OrderRole::kOwner, OrderStatus::kRejected, -1},
    {OrderStatus::kWaitAccept, OrderAction::kCancel, OrderRole::kGuest, OrderStatus::kCanceled, -1},
    {OrderStatus::kWaitPayment, OrderAction::kCancel, OrderRole::kGuest, OrderStatus::kCanceled, -1},
    {OrderStatus::kPaid, OrderAction::kCancel, OrderRole::kGuest, OrderStatus::kCanceled, -1},
    {OrderStatus::kPaid, OrderAction::kCancel, OrderRole::kOwner, OrderStatus::kCanceled, -1},
    {OrderStatus::kWaitComment, OrderAction::kComment, OrderRole::kGuest, OrderStatus::kComplete, -1},
};

Error no_order() { return Error{Errno::kNoData, "订单不存在", 200, 0}; }
Error not_yours() { return Error{Errno::kRoleErr, "无权操作此订单", 200, 0}; }
Error wrong_status() { return Error{Errno::kDataErr, "订单当前状态不允许此操作", 200, 0}; }

}  // namespace

std::string_view order_status_name(OrderStatus s) { return kNames[static_cast<int>(s)]; }

std::optional<OrderStatus> parse_order_status(std::string_view name) {
  for (int i = 0; i < kStatusCount; ++i)
    if (kNames[i] == name) return static_cast<OrderStatus>(i);
  return std::nullopt;
}

OrderStatus effective_status(OrderStatus stored, std::optional<int64_t> pay_by, int64_t end_day, int64_t now,
                             int64_t today) {
  if (stored == OrderStatus::kWaitPayment && pay_by && now >= *pay_by) return OrderStatus::kExpired;
  if (stored == OrderStatus::kPaid && today >= end_day) return OrderStatus::kWaitComment;
  return stored;
}

bool order_holds_nights(OrderStatus s) {
  return s == OrderStatus::kWaitAccept || s == OrderStatus::kWaitPayment || s == OrderStatus::kPaid ||
         s == OrderStatus::kWaitComment || s == OrderStatus::kComplete;
}

bool order_action_allowed(OrderAction action, OrderRole role) {
  for (const Move& m : kMoves)
    if (m.action == action && m.role == role) return true;
  return false;
}

std::optional<OrderStatus> order_transition(OrderStatus from, OrderAction action, OrderRole role,
                                            bool payments_on) {
  for (const Move& m : kMoves) {
    if (m.from != from || m.action != action || m.role != role) continue;
    if (m.payments >= 0 && (m.payments == 1) != payments_on) continue;
    return m.to;
  }
  return std::nullopt;
}

std::optional<int64_t> refund_policy(int64_t paid, int64_t days_ahead, OrderRole role, int64_t full_days) {
  if (days_ahead < 1) return std::nullopt;
  if (role == OrderRole::kOwner || days_ahead >= full_days) return paid;
  return (paid + 1) / 2;
}

std::string holds_nights_sql(std::string_view alias, int now_param) {
  std::string a(alias);
  return a + ".status IN ('WAIT_ACCEPT', 'WAIT_PAYMENT', 'PAID', 'WAIT_COMMENT', 'COMPLETE') AND (" + a +
         ".status <> 'WAIT_PAYMENT' OR " + a + ".pay_by > ?" + std::to_string(now_param) + ")";
}

Result<Booked> Orders::create(const NewOrder& o, int64_t now) {
  // IMMEDIATE takes the write lock before the overlap check: no other
  // worker can insert between our check and our insert.
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  // The house is read inside the transaction too: an edit or a status
  // change commits wholly before or after this booking, never half.
  auto house = db_.prepare("SELECT user_id, price, min_days, max_days, status FROM houses WHERE id = ?1");
  if (!house) return house.take_error();
  house->bind(1, o.house_id);
  auto row = house->step();
  if (!row) return row.take_error();
  if (!*row) return Error{Errno::kNoData, "房屋不存在", 200, 0};
  int64_t owner = house->int64(0), price = house->int64(1), min_days = house->int64(2),
          max_days = house->int64(3);
  if (owner == o.user_id) return Error{Errno::kRoleErr, "不能预订自己的房屋", 200, 0};
  if (house->text(4) != "online") return Error{Errno::kDataErr, "房屋已下架", 200, 0};
  int64_t nights = o.end_day - o.start_day;
  if (nights < min_days) return param_error("参数错误：入住天数少于最少天数");
  if (max_days != 0 && nights > max_days) return param_error("参数错误：入住天数超过最多天数");

  std::string start = format_date(o.start_day), end = format_date(o.end_day);
  static const std::string kTaken = "SELECT 1 FROM orders o WHERE o.house_id = ?1 AND " +
                                    holds_nights_sql("o", 4) + " AND o.start_date < ?3 AND o.end_date > ?2 LIMIT 1";
  auto taken = db_.prepare(kTaken);
  if (!taken) return taken.take_error();
  taken->bind(1, o.house_id).bind(2, start).bind(3, end).bind(4, now);
  auto clash = taken->step();
  if (!clash) return clash.take_error();
  if (*clash) return Error{Errno::kDataErr, "所选日期已被预订", 200, 0};

  // The quote is computed and frozen inside this transaction: amount is its
  // total, and the order keeps its breakdown (API.md "Pricing").
  auto pricing = load_house_pricing(db_, o.house_id);
  if (!pricing) return pricing.take_error();
  if (!*pricing) return Error{Errno::kNoData, "房屋不存在", 200, 0};
  Quote q = quote((*pricing)->terms, (*pricing)->dates, o.start_day, o.end_day);
  auto insert = db_.prepare(
      "INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount, quote) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!insert) return insert.take_error();
  insert->bind(1, o.user_id).bind(2, o.house_id).bind(3, start).bind(4, end).bind(5, nights);
  insert->bind(6, price).bind(7, q.total).bind(8, quote_record(q));
  Status s = insert->run();
  if (!s.ok()) return s.take_error();
  Booked booked{db_.last_insert_id(), q.total};
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return booked;
}

Result<ActOutcome> Orders::act(int64_t order_id, int64_t actor, OrderAction action, const std::string& text,
                               const ActContext& at, std::optional<int64_t> rating) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto load = db_.prepare(
      "SELECT o.user_id, o.house_id, o.status, h.user_id, o.pay_by, o.start_date, o.end_date, o.earned "
      "FROM orders o JOIN houses h ON h.id = o.house_id WHERE o.id = ?1");
  if (!load) return load.take_error();
  load->bind(1, order_id);
  auto row = load->step();
  if (!row) return row.take_error();
  if (!*row) return no_order();
  ActOutcome out;
  out.guest_id = load->int64(0);
  out.house_id = load->int64(1);
  out.owner_id = load->int64(3);
  auto stored = parse_order_status(load->text(2));
  std::optional<int64_t> pay_by;
  if (!load->is_null(4)) pay_by = load->int64(4);
  auto start_day = parse_date(load->text(5)), end_day = parse_date(load->text(6));
  int64_t earned = load->int64(7);
  if (!stored || !start_day || !end_day) return wrong_status();
  OrderStatus from = effective_status(*stored, pay_by, *end_day, at.now, at.today);

  std::optional<OrderRole> role;
  if (actor == out.owner_id && order_action_allowed(action, OrderRole::kOwner)) role = OrderRole::kOwner;
  else if (actor == out.guest_id && order_action_allowed(action, OrderRole::kGuest)) role = OrderRole::kGuest;
  if (!role) return not_yours();
  auto next = order_transition(from, action, *role, at.payments_on);
  if (!next) return wrong_status();
  out.status = *next;

  Payments payments(db_);
  std::optional<std::string> comment, cancel_reason, canceled_by;
  if (action == OrderAction::kReject || action == OrderAction::kComment) comment = text;
  if (*next == OrderStatus::kWaitPayment) {
    pay_by = at.now + at.payment_window_s;
    out.pay_by = pay_by;
  }
  if (action == OrderAction::kAccept && *next == OrderStatus::kPaid) {
    // payment_provider = none: the guest pays at the door; the stay earns its amount.
    auto amount = db_.prepare("SELECT amount FROM orders WHERE id = ?1");
    if (!amount) return amount.take_error();
    amount->bind(1, order_id);
    auto r = amount->step();
    if (!r) return r.take_error();
    earned = amount->int64(0);
  }
  if (action == OrderAction::kCancel && *role == OrderRole::kOwner && text.empty())
    return param_error("参数错误：reason（房东取消订单须说明原因）");
  if (action == OrderAction::kCancel) {
    canceled_by = *role == OrderRole::kOwner ? "landlord" : "guest";
    if (!text.empty()) cancel_reason = text;
    if (from == OrderStatus::kPaid) {
      auto policy = refund_policy(1, *start_day - at.today, *role, at.refund_full_days);
      if (!policy) return Error{Errno::kDataErr, "入住当天及之后不能取消订单", 200, 0};
      auto money = payments.money_of_in_tx(order_id);
      if (!money) return money.take_error();
      auto [paid, refunded] = *money;
      int64_t refund = std::min(*refund_policy(paid, *start_day - at.today, *role, at.refund_full_days),
                                paid - refunded);
      if (refund > 0) {
        auto ids = payments.add_refunds_in_tx(order_id, refund,
                                              *role == OrderRole::kOwner ? "房东取消订单" : "房客取消订单", at.now);
        if (!ids) return ids.take_error();
        out.refund_ids = std::move(*ids);
        out.refund = refund;
      }
      // What stays with the landlord: the payments net of every refund
      // (none at all for a stay accepted under payment_provider = none).
      earned = paid - refunded - refund;
    } else {
      Status closed = payments.close_open_in_tx(order_id, "order canceled", at.now);
      if (!closed.ok()) return closed.take_error();
    }
  }

  auto update = db_.prepare(
      "UPDATE orders SET status = ?2, comment = COALESCE(?3, comment), pay_by = ?4, earned = ?5, "
      "canceled_by = COALESCE(?6, canceled_by), cancel_reason = COALESCE(?7, cancel_reason), "
      "rating = COALESCE(?8, rating), "
      "updated_at = datetime('now', 'localtime') WHERE id = ?1");
  if (!update) return update.take_error();
  update->bind(1, order_id).bind(2, order_status_name(*next));
  if (comment) update->bind(3, *comment);
  else update->bind_null(3);
  if (pay_by) update->bind(4, *pay_by);
  else update->bind_null(4);
  update->bind(5, earned);
  if (canceled_by) update->bind(6, *canceled_by);
  else update->bind_null(6);
  if (cancel_reason) update->bind(7, *cancel_reason);
  else update->bind_null(7);
  if (action == OrderAction::kComment && rating) update->bind(8, *rating);
  else update->bind_null(8);
  Status s = update->run();
  if (!s.ok()) return s.take_error();
  if (*next == OrderStatus::kComplete) {
    auto count = db_.prepare(
        "UPDATE houses SET order_count = order_count + 1, rating_sum = rating_sum + ?2, "
        "rating_count = rating_count + (?2 > 0), updated_at = datetime('now', 'localtime') WHERE id = ?1");
    if (!count) return count.take_error();
    count->bind(1, out.house_id).bind(2, action == OrderAction::kComment && rating ? *rating : 0);
    s = count->run();
    if (!s.ok()) return s.take_error();
  }
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return out;
}

Result<OrderPage> Orders::list(int64_t user_id, OrderRole role, int64_t page, int64_t now) {
  OrderPage out;
  // The guest's orders come from orders_user; the landlord's from
  // houses_user joined to orders_house.  One read transaction: the count
  // and the page from one snapshot.
  auto tx = Transaction::begin(db_, Transaction::Mode::kDeferred);
  if (!tx) return tx.take_error();
  const char* count_sql =
      role == OrderRole::kGuest
          ? "SELECT count(*) FROM orders WHERE user_id = ?1"
          : "SELECT count(*) FROM orders o JOIN houses h ON h.id = o.house_id WHERE h.user_id = ?1";
  auto count = db_.prepare(count_sql);
  if (!count) return count.take_error();
  count->bind(1, user_id);
  auto row = count->step();
  if (!row) return row.take_error();
  out.total = count->int64(0);
  if (out.total <= (page - 1) * kPageSize) return out;

#define IHOME_ORDER_COLUMNS                                                                            \
  "SELECT o.id, o.house_id, h.title, h.index_image, o.start_date, o.end_date, o.created_at, o.days, "  \
  "o.amount, o.status, o.comment, o.pay_by, o.cancel_reason, o.canceled_by, "                          \
  "(SELECT ifnull(sum(amount), 0) FROM payments p WHERE p.order_id = o.id AND p.status = 'PAID'), "    \
  "(SELECT ifnull(sum(amount), 0) FROM refunds r WHERE r.order_id = o.id), "                           \
  "o.rating, o.reply, (SELECT c.id FROM conversations c WHERE c.order_id = o.id) "                    \
  "FROM orders o JOIN houses h ON h.id = o.house_id "
  const char* list_sql = role == OrderRole::kGuest
                             ? IHOME_ORDER_COLUMNS "WHERE o.user_id = ?1 ORDER BY o.id DESC LIMIT ?2 OFFSET ?3"
                             : IHOME_ORDER_COLUMNS "WHERE h.user_id = ?1 ORDER BY o.id DESC LIMIT ?2 OFFSET ?3";
#undef IHOME_ORDER_COLUMNS
  auto list = db_.prepare(list_sql);
  if (!list) return list.take_error();
  list->bind(1, user_id).bind(2, kPageSize).bind(3, (page - 1) * kPageSize);
  int64_t today_day = today();
  Status done = list->each([&](const Stmt& row) {
    OrderRow o;
    o.id = row.int64(0);
    o.house_id = row.int64(1);
    o.title = row.text(2);
    if (!row.is_null(3)) o.image = row.text(3);
    o.start_date = row.text(4);
    o.end_date = row.text(5);
    o.created_at = row.text(6);
    o.days = row.int64(7);
    o.amount = row.int64(8);
    if (!row.is_null(10)) o.comment = row.text(10);
    std::optional<int64_t> pay_by;
    if (!row.is_null(11)) pay_by = row.int64(11);
    auto end_day = parse_date(o.end_date);
    auto stored = parse_order_status(row.text(9)).value_or(OrderStatus::kCanceled);
    o.status = effective_status(stored, pay_by, end_day.value_or(0), now, today_day);
    if (o.status == OrderStatus::kWaitPayment) o.pay_by = pay_by;
    if (!row.is_null(12)) o.cancel_reason = row.text(12);
    if (!row.is_null(13)) o.canceled_by = row.text(13);
    o.paid = row.int64(14);
    o.refunded = row.int64(15);
    if (!row.is_null(16)) o.rating = row.int64(16);
    if (!row.is_null(17)) o.reply = row.text(17);
    if (!row.is_null(18)) o.conversation_id = row.int64(18);
    out.orders.push_back(std::move(o));
  });
  if (!done.ok()) return done.take_error();
  return out;
}

}  // namespace ihome
