// Orders repository and life cycle: see include/ihome/store/orders.h.
#include "ihome/store/orders.h"

#include "ihome/core/date.h"

namespace ihome {

namespace {
constexpr std::string_view kNames[] = {"WAIT_ACCEPT", "WAIT_COMMENT", "COMPLETE", "REJECTED", "CANCELED"};
}  // namespace

std::string_view order_status_name(OrderStatus s) { return kNames[static_cast<int>(s)]; }

std::optional<OrderStatus> parse_order_status(std::string_view name) {
  for (int i = 0; i < 5; ++i)
    if (kNames[i] == name) return static_cast<OrderStatus>(i);
  return std::nullopt;
}

bool order_holds_nights(OrderStatus s) {
  return s == OrderStatus::kWaitAccept || s == OrderStatus::kWaitComment || s == OrderStatus::kComplete;
}

OrderRole order_action_role(OrderAction action) {
  return action == OrderAction::kAccept || action == OrderAction::kReject ? OrderRole::kOwner
                                                                          : OrderRole::kGuest;
}

std::optional<OrderStatus> order_transition(OrderStatus from, OrderAction action) {
  switch (action) {
    case OrderAction::kAccept:
      if (from == OrderStatus::kWaitAccept) return OrderStatus::kWaitComment;
      break;
    case OrderAction::kReject:
      if (from == OrderStatus::kWaitAccept) return OrderStatus::kRejected;
      break;
    case OrderAction::kCancel:
      if (from == OrderStatus::kWaitAccept) return OrderStatus::kCanceled;
      break;
    case OrderAction::kComment:
      if (from == OrderStatus::kWaitComment) return OrderStatus::kComplete;
      break;
  }
  return std::nullopt;
}

Result<int64_t> Orders::create(const NewOrder& o) {
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
  auto taken = db_.prepare(
      "SELECT 1 FROM orders WHERE house_id = ?1 "
      "AND status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE') "
      "AND start_date < ?3 AND end_date > ?2 LIMIT 1");
  if (!taken) return taken.take_error();
  taken->bind(1, o.house_id).bind(2, start).bind(3, end);
  auto clash = taken->step();
  if (!clash) return clash.take_error();
  if (*clash) return Error{Errno::kDataErr, "所选日期已被预订", 200, 0};

  auto insert = db_.prepare(
      "INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert) return insert.take_error();
  insert->bind(1, o.user_id).bind(2, o.house_id).bind(3, start).bind(4, end).bind(5, nights);
  insert->bind(6, price).bind(7, nights * price);
  Status s = insert->run();
  if (!s.ok()) return s.take_error();
  int64_t id = db_.last_insert_id();
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return id;
}

Result<int64_t> Orders::act(int64_t order_id, int64_t actor, OrderAction action, const std::string& text,
                            std::optional<int64_t> rating) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto load = db_.prepare(
      "SELECT o.user_id, o.house_id, o.status, h.user_id FROM orders o "
      "JOIN houses h ON h.id = o.house_id WHERE o.id = ?1");
  if (!load) return load.take_error();
  load->bind(1, order_id);
  auto row = load->step();
  if (!row) return row.take_error();
  if (!*row) return Error{Errno::kNoData, "订单不存在", 200, 0};
  int64_t guest = load->int64(0), house_id = load->int64(1), owner = load->int64(3);
  auto status = parse_order_status(load->text(2));
  if (!status) return Error{Errno::kDataErr, "订单状态错误", 200, 0};

  bool allowed = order_action_role(action) == OrderRole::kOwner ? actor == owner : actor == guest;
  if (!allowed) return Error{Errno::kRoleErr, "无权操作此订单", 200, 0};
  auto next = order_transition(*status, action);
  if (!next) return Error{Errno::kDataErr, "订单当前状态不允许此操作", 200, 0};

  auto update = db_.prepare(
      "UPDATE orders SET status = ?2, comment = COALESCE(?3, comment), rating = COALESCE(?4, rating), "
      "updated_at = datetime('now', 'localtime') WHERE id = ?1");
  if (!update) return update.take_error();
  update->bind(1, order_id).bind(2, order_status_name(*next));
  if (action == OrderAction::kReject || action == OrderAction::kComment) update->bind(3, text);
  else update->bind_null(3);
  if (action == OrderAction::kComment && rating) update->bind(4, *rating);
  else update->bind_null(4);
  Status s = update->run();
  if (!s.ok()) return s.take_error();
  if (*next == OrderStatus::kComplete) {
    auto count = db_.prepare(
        "UPDATE houses SET order_count = order_count + 1, rating_sum = rating_sum + ?2, "
        "rating_count = rating_count + (?2 > 0), updated_at = datetime('now', 'localtime') WHERE id = ?1");
    if (!count) return count.take_error();
    count->bind(1, house_id).bind(2, action == OrderAction::kComment && rating ? *rating : 0);
    s = count->run();
    if (!s.ok()) return s.take_error();
  }
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return house_id;
}

Result<OrderPage> Orders::list(int64_t user_id, OrderRole role, int64_t page) {
  OrderPage out;
  // The guest's orders come from orders_user; the landlord's from
  // houses_user joined to orders_house.
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

  const char* list_sql =
      role == OrderRole::kGuest
          ? "SELECT o.id, o.house_id, h.title, h.index_image, o.start_date, o.end_date, o.created_at, "
            "o.days, o.amount, o.status, o.comment, o.rating, o.reply, "
            "(SELECT c.id FROM conversations c WHERE c.order_id = o.id) "
            "FROM orders o JOIN houses h ON h.id = o.house_id WHERE o.user_id = ?1 ORDER BY o.id DESC LIMIT ?2 OFFSET ?3"
          : "SELECT o.id, o.house_id, h.title, h.index_image, o.start_date, o.end_date, o.created_at, "
            "o.days, o.amount, o.status, o.comment, o.rating, o.reply, "
            "(SELECT c.id FROM conversations c WHERE c.order_id = o.id) "
            "FROM orders o JOIN houses h ON h.id = o.house_id WHERE h.user_id = ?1 ORDER BY o.id DESC LIMIT ?2 OFFSET ?3";
  auto list = db_.prepare(list_sql);
  if (!list) return list.take_error();
  list->bind(1, user_id).bind(2, kPageSize).bind(3, (page - 1) * kPageSize);
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
    o.status = row.text(9);
    if (!row.is_null(10)) o.comment = row.text(10);
    if (!row.is_null(11)) o.rating = row.int64(11);
    if (!row.is_null(12)) o.reply = row.text(12);
    if (!row.is_null(13)) o.conversation_id = row.int64(13);
    out.orders.push_back(std::move(o));
  });
  if (!done.ok()) return done.take_error();
  return out;
}

}  // namespace ihome
