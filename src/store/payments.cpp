// The payments ledger: see include/ihome/store/payments.h.
#include "ihome/store/payments.h"

#include <sodium.h>

#include <algorithm>

#include "ihome/core/date.h"
#include "ihome/core/fault.h"
#include "ihome/store/orders.h"

namespace ihome {

namespace {

Error no_payment() { return Error{Errno::kNoData, "支付不存在", 200, 0}; }

constexpr const char* kTicketColumns =
    "SELECT p.id, p.order_id, p.provider, p.out_trade_no, p.trade_no, p.amount, p.status, p.created_at, "
    "p.expires_at, o.user_id, o.house_id, h.title, o.start_date, o.end_date, o.pay_by, o.status "
    "FROM payments p JOIN orders o ON o.id = p.order_id JOIN houses h ON h.id = o.house_id ";

PaymentRow read_payment(const Stmt& s, int col) {
  PaymentRow p;
  p.id = s.int64(col);
  p.order_id = s.int64(col + 1);
  p.provider = s.text(col + 2);
  p.out_trade_no = s.text(col + 3);
  if (!s.is_null(col + 4)) p.trade_no = s.text(col + 4);
  p.amount = s.int64(col + 5);
  p.status = s.text(col + 6);
  p.created_at = s.int64(col + 7);
  p.expires_at = s.int64(col + 8);
  return p;
}

PaymentTicket read_ticket(const Stmt& s, int64_t now) {
  PaymentTicket t;
  t.payment = read_payment(s, 0);
  t.guest_id = s.int64(9);
  t.house_id = s.int64(10);
  t.title = s.text(11);
  t.start_date = s.text(12);
  t.end_date = s.text(13);
  t.pay_by = s.is_null(14) ? 0 : s.int64(14);
  auto stored = parse_order_status(s.text(15)).value_or(OrderStatus::kCanceled);
  std::optional<int64_t> pay_by;
  if (!s.is_null(14)) pay_by = s.int64(14);
  t.order_status = std::string(
      order_status_name(effective_status(stored, pay_by, parse_date(t.end_date).value_or(0), now, today())));
  return t;
}

}  // namespace

std::string new_trade_number(std::string_view prefix, int64_t id) {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string(prefix) + std::to_string(id) + "_" + hex;
}

Status Payments::log_event(int64_t payment_id, std::optional<int64_t> refund_id, std::string_view event,
                           std::string_view detail, int64_t now) {
  auto s = db_.prepare(
      "INSERT INTO payment_events (payment_id, refund_id, event, detail, at) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return s.take_error();
  s->bind(1, payment_id).bind(3, event).bind(4, detail).bind(5, now);
  if (refund_id) s->bind(2, *refund_id);
  else s->bind_null(2);
  return s->run();
}

Result<int64_t> Payments::insert_refund(int64_t payment_id, int64_t order_id, int64_t amount,
                                        std::string_view reason, int64_t now) {
  auto insert = db_.prepare(
      "INSERT INTO refunds (payment_id, order_id, out_request_no, amount, reason, next_attempt_at, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
  if (!insert) return insert.take_error();
  insert->bind(1, payment_id).bind(2, order_id).bind(3, new_trade_number("rf", payment_id)).bind(4, amount);
  insert->bind(5, reason).bind(6, now);
  Status s = insert->run();
  if (!s.ok()) return s.take_error();
  int64_t id = db_.last_insert_id();
  s = log_event(payment_id, id, "refund_asked", "amount=" + std::to_string(amount), now);
  if (!s.ok()) return s.take_error();
  return id;
}

Result<PaymentTicket> Payments::open_for(int64_t order_id, int64_t user_id, std::string_view provider,
                                         const std::string& out_trade_no, int64_t now) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto order = db_.prepare("SELECT user_id, status, pay_by, amount, end_date FROM orders WHERE id = ?1");
  if (!order) return order.take_error();
  order->bind(1, order_id);
  auto row = order->step();
  if (!row) return row.take_error();
  if (!*row) return Error{Errno::kNoData, "订单不存在", 200, 0};
  if (order->int64(0) != user_id) return Error{Errno::kRoleErr, "无权操作此订单", 200, 0};
  auto stored = parse_order_status(order->text(1));
  std::optional<int64_t> pay_by;
  if (!order->is_null(2)) pay_by = order->int64(2);
  int64_t amount = order->int64(3);
  auto end_day = parse_date(order->text(4));
  if (!stored || !end_day || !pay_by ||
      effective_status(*stored, pay_by, *end_day, now, today()) != OrderStatus::kWaitPayment)
    return Error{Errno::kDataErr, "订单当前状态不能支付", 200, 0};

  auto open = db_.prepare("SELECT id FROM payments WHERE order_id = ?1 AND status = 'OPEN'");
  if (!open) return open.take_error();
  open->bind(1, order_id);
  auto existing = open->step();
  if (!existing) return existing.take_error();
  if (!*existing) {
    if (amount <= 0) return Error{Errno::kDataErr, "订单金额为零，无需支付", 200, 0};
    auto insert = db_.prepare(
        "INSERT INTO payments (order_id, provider, out_trade_no, amount, created_at, expires_at, next_query_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?5)");
    if (!insert) return insert.take_error();
    insert->bind(1, order_id).bind(2, provider).bind(3, out_trade_no).bind(4, amount).bind(5, now).bind(6, *pay_by);
    Status s = insert->run();
    if (!s.ok()) return s.take_error();
    s = log_event(db_.last_insert_id(), std::nullopt, "created",
                  std::string(provider) + " amount=" + std::to_string(amount), now);
    if (!s.ok()) return s.take_error();
  }
  auto ticket = db_.prepare(std::string(kTicketColumns) + "WHERE p.order_id = ?1 AND p.status = 'OPEN'");
  if (!ticket) return ticket.take_error();
  ticket->bind(1, order_id);
  auto found = ticket->step();
  if (!found) return found.take_error();
  if (!*found) return no_payment();
  PaymentTicket out = read_ticket(*ticket, now);
  Status s = tx->commit();
  if (!s.ok()) return s.take_error();
  return out;
}

Result<std::optional<PaymentTicket>> Payments::ticket(std::string_view out_trade_no, int64_t now) {
  auto s = db_.prepare(std::string(kTicketColumns) + "WHERE p.out_trade_no = ?1");
  if (!s) return s.take_error();
  s->bind(1, out_trade_no);
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<PaymentTicket>();
  return std::optional<PaymentTicket>(read_ticket(*s, now));
}

Result<Confirmation> Payments::confirm(std::string_view out_trade_no, std::string_view trade_no, int64_t amount,
                                       int64_t now) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto load = db_.prepare(
      "SELECT p.id, p.order_id, p.amount, p.status, o.status, o.pay_by, o.house_id, o.user_id, o.start_date, "
      "o.end_date FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.out_trade_no = ?1");
  if (!load) return load.take_error();
  load->bind(1, out_trade_no);
  auto row = load->step();
  if (!row) return row.take_error();
  if (!*row) return no_payment();
  Confirmation out;
  int64_t payment_id = load->int64(0);
  out.order_id = load->int64(1);
  int64_t expected = load->int64(2);
  std::string payment_status = load->text(3);
  auto stored = parse_order_status(load->text(4)).value_or(OrderStatus::kCanceled);
  std::optional<int64_t> pay_by;
  if (!load->is_null(5)) pay_by = load->int64(5);
  out.house_id = load->int64(6);
  out.guest_id = load->int64(7);
  std::string start = load->text(8), end = load->text(9);
  if (amount != expected) return Error{Errno::kDataErr, "支付金额不符", 200, 0};
  if (payment_status == "PAID") return out;  // kAlreadyDone: a repeated notify changes nothing

  auto mark = db_.prepare(
      "UPDATE payments SET status = 'PAID', trade_no = ?2, paid_at = ?3, updated_at = ?3 WHERE id = ?1");
  if (!mark) return mark.take_error();
  mark->bind(1, payment_id).bind(2, trade_no).bind(3, now);
  Status s = mark->run();
  if (!s.ok()) return s.take_error();

  // Can the order take the money?  It waits for it (before pay_by), or it
  // ran out of time but its nights are still free and no other payment paid
  // it: PAID.  Otherwise (cancelled, paid already, nights taken) the money
  // goes back at once.
  bool takes = false;
  std::string event = "paid";
  if (payment_status == "OPEN" && stored == OrderStatus::kWaitPayment && pay_by && now < *pay_by) {
    takes = true;
  } else if (payment_status == "OPEN" && (stored == OrderStatus::kWaitPayment || stored == OrderStatus::kExpired)) {
    static const std::string kClash = "SELECT 1 FROM orders o WHERE o.house_id = ?1 AND o.id <> ?2 AND " +
                                      holds_nights_sql("o", 5) +
                                      " AND o.start_date < ?4 AND o.end_date > ?3 LIMIT 1";
    auto clash = db_.prepare(kClash);
    if (!clash) return clash.take_error();
    clash->bind(1, out.house_id).bind(2, out.order_id).bind(3, start).bind(4, end).bind(5, now);
    auto taken = clash->step();
    if (!taken) return taken.take_error();
    takes = !*taken;
    event = "paid_late";
  }
  if (takes) {
    auto order = db_.prepare(
        "UPDATE orders SET status = 'PAID', earned = earned + ?2, updated_at = datetime('now', 'localtime') "
        "WHERE id = ?1");
    if (!order) return order.take_error();
    order->bind(1, out.order_id).bind(2, amount);
    s = order->run();
    if (!s.ok()) return s.take_error();
    out.outcome = ConfirmOutcome::kPaid;
    s = log_event(payment_id, std::nullopt, event, "trade_no=" + std::string(trade_no), now);
    if (!s.ok()) return s.take_error();
  } else {
    s = log_event(payment_id, std::nullopt, "paid_unwanted",
                  "trade_no=" + std::string(trade_no) + " order_status=" + std::string(order_status_name(stored)),
                  now);
    if (!s.ok()) return s.take_error();
    if (stored == OrderStatus::kWaitPayment) {
      auto expire = db_.prepare(
          "UPDATE orders SET status = 'EXPIRED', updated_at = datetime('now', 'localtime') WHERE id = ?1");
      if (!expire) return expire.take_error();
      expire->bind(1, out.order_id);
      s = expire->run();
      if (!s.ok()) return s.take_error();
    }
    // The refund of this payment itself (add_refunds_in_tx would pick the
    // newest paid payment, which is this one, but be explicit).
    auto refund = insert_refund(payment_id, out.order_id, amount, "订单已失效，退回付款", now);
    if (!refund) return refund.take_error();
    out.refund_id = *refund;
    out.outcome = ConfirmOutcome::kRefunding;
  }
  crash_point("confirm:in_tx");
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return out;
}

Result<std::pair<int64_t, int64_t>> Payments::money_of_in_tx(int64_t order_id) {
  auto s = db_.prepare(
      "SELECT (SELECT ifnull(sum(amount), 0) FROM payments WHERE order_id = ?1 AND status = 'PAID'), "
      "(SELECT ifnull(sum(amount), 0) FROM refunds WHERE order_id = ?1)");
  if (!s) return s.take_error();
  s->bind(1, order_id);
  auto row = s->step();
  if (!row) return row.take_error();
  return std::make_pair(s->int64(0), s->int64(1));
}

Result<std::vector<int64_t>> Payments::add_refunds_in_tx(int64_t order_id, int64_t amount, std::string_view reason,
                                                         int64_t now) {
  // Each paid payment's refundable rest, newest first.
  auto rest = db_.prepare(
      "SELECT p.id, p.amount - (SELECT ifnull(sum(r.amount), 0) FROM refunds r WHERE r.payment_id = p.id) "
      "FROM payments p WHERE p.order_id = ?1 AND p.status = 'PAID' ORDER BY p.id DESC");
  if (!rest) return rest.take_error();
  rest->bind(1, order_id);
  std::vector<std::pair<int64_t, int64_t>> parts;
  Status s = rest->each([&](const Stmt& r) { parts.emplace_back(r.int64(0), r.int64(1)); });
  if (!s.ok()) return s.take_error();
  std::vector<int64_t> ids;
  for (auto [payment_id, left] : parts) {
    if (amount <= 0) break;
    int64_t take = std::min(amount, left);
    if (take <= 0) continue;
    auto id = insert_refund(payment_id, order_id, take, reason, now);
    if (!id) return id.take_error();
    ids.push_back(*id);
    amount -= take;
  }
  if (amount > 0) return Error{Errno::kServerErr, "refund exceeds what was paid", 500, 0};
  return ids;
}

Status Payments::close_open_in_tx(int64_t order_id, std::string_view why, int64_t now) {
  auto open = db_.prepare("SELECT id FROM payments WHERE order_id = ?1 AND status = 'OPEN'");
  if (!open) return open.take_error();
  open->bind(1, order_id);
  auto row = open->step();
  if (!row) return row.take_error();
  if (!*row) return Status::OK();
  int64_t id = open->int64(0);
  auto close = db_.prepare("UPDATE payments SET status = 'CLOSED', updated_at = ?2 WHERE id = ?1");
  if (!close) return close.take_error();
  close->bind(1, id).bind(2, now);
  Status s = close->run();
  if (!s.ok()) return s;
  return log_event(id, std::nullopt, "closed", why, now);
}

namespace {
constexpr const char* kRefundColumns =
    "SELECT r.id, r.order_id, o.user_id, p.provider, p.out_trade_no, r.out_request_no, r.amount, r.reason, "
    "r.attempts, r.status FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN orders o ON o.id = r.order_id ";

RefundTask read_refund(const Stmt& s) {
  RefundTask t;
  t.id = s.int64(0);
  t.order_id = s.int64(1);
  t.guest_id = s.int64(2);
  t.provider = s.text(3);
  t.out_trade_no = s.text(4);
  t.out_request_no = s.text(5);
  t.amount = s.int64(6);
  t.reason = s.text(7);
  t.attempts = s.int64(8);
  t.status = s.text(9);
  return t;
}
}  // namespace

Result<std::optional<RefundTask>> Payments::refund(int64_t refund_id) {
  auto s = db_.prepare(std::string(kRefundColumns) + "WHERE r.id = ?1");
  if (!s) return s.take_error();
  s->bind(1, refund_id);
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<RefundTask>();
  return std::optional<RefundTask>(read_refund(*s));
}

Status Payments::refund_done(int64_t refund_id, int64_t now) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto s = db_.prepare(
      "UPDATE refunds SET status = 'DONE', done_at = ?2, attempts = attempts + 1, last_error = NULL "
      "WHERE id = ?1 AND status = 'PENDING'");
  if (!s) return s.take_error();
  s->bind(1, refund_id).bind(2, now);
  Status st = s->run();
  if (!st.ok()) return st;
  if (db_.changes() > 0) {
    auto pay = db_.prepare("SELECT payment_id, amount FROM refunds WHERE id = ?1");
    if (!pay) return pay.take_error();
    pay->bind(1, refund_id);
    auto row = pay->step();
    if (!row) return row.take_error();
    st = log_event(pay->int64(0), refund_id, "refunded", "amount=" + std::to_string(pay->int64(1)), now);
    if (!st.ok()) return st;
  }
  return tx->commit();
}

Status Payments::refund_failed(int64_t refund_id, std::string_view error, int64_t now, int64_t next_at) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto s = db_.prepare(
      "UPDATE refunds SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 "
      "WHERE id = ?1 AND status = 'PENDING'");
  if (!s) return s.take_error();
  s->bind(1, refund_id).bind(2, error).bind(3, next_at);
  Status st = s->run();
  if (!st.ok()) return st;
  if (db_.changes() > 0) {
    auto pay = db_.prepare("SELECT payment_id FROM refunds WHERE id = ?1");
    if (!pay) return pay.take_error();
    pay->bind(1, refund_id);
    auto row = pay->step();
    if (!row) return row.take_error();
    st = log_event(pay->int64(0), refund_id, "refund_failed", error, now);
    if (!st.ok()) return st;
  }
  return tx->commit();
}

Result<std::vector<RefundTask>> Payments::due_refunds(int64_t now, int64_t limit) {
  auto s = db_.prepare(std::string(kRefundColumns) +
                       "WHERE r.status = 'PENDING' AND r.next_attempt_at <= ?1 ORDER BY r.next_attempt_at, r.id LIMIT ?2");
  if (!s) return s.take_error();
  s->bind(1, now).bind(2, limit);
  std::vector<RefundTask> out;
  Status done = s->each([&](const Stmt& r) { out.push_back(read_refund(r)); });
  if (!done.ok()) return done.take_error();
  return out;
}

Result<std::vector<PaymentRow>> Payments::due_queries(int64_t now, int64_t quiet_s, int64_t grace_s, int64_t limit) {
  auto s = db_.prepare(
      "SELECT id, order_id, provider, out_trade_no, trade_no, amount, status, created_at, expires_at "
      "FROM payments WHERE status = 'OPEN' AND next_query_at <= ?1 AND created_at <= ?1 - ?2 "
      "AND expires_at + ?3 >= ?1 ORDER BY next_query_at LIMIT ?4");
  if (!s) return s.take_error();
  s->bind(1, now).bind(2, quiet_s).bind(3, grace_s).bind(4, limit);
  std::vector<PaymentRow> out;
  Status done = s->each([&](const Stmt& r) { out.push_back(read_payment(r, 0)); });
  if (!done.ok()) return done.take_error();
  return out;
}

Status Payments::queried(int64_t id, std::string_view result, int64_t now, int64_t next_at) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto s = db_.prepare(
      "UPDATE payments SET queries = queries + 1, next_query_at = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'OPEN'");
  if (!s) return s.take_error();
  s->bind(1, id).bind(2, next_at).bind(3, now);
  Status st = s->run();
  if (!st.ok()) return st;
  st = log_event(id, std::nullopt, "queried", result, now);
  if (!st.ok()) return st;
  return tx->commit();
}

Result<int64_t> Payments::close_stale(int64_t now, int64_t grace_s) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto ids = db_.prepare("SELECT id FROM payments WHERE status = 'OPEN' AND expires_at + ?2 < ?1");
  if (!ids) return ids.take_error();
  ids->bind(1, now).bind(2, grace_s);
  std::vector<int64_t> stale;
  Status s = ids->each([&](const Stmt& r) { stale.push_back(r.int64(0)); });
  if (!s.ok()) return s.take_error();
  for (int64_t id : stale) {
    auto close = db_.prepare("UPDATE payments SET status = 'CLOSED', updated_at = ?2 WHERE id = ?1");
    if (!close) return close.take_error();
    close->bind(1, id).bind(2, now);
    s = close->run();
    if (!s.ok()) return s.take_error();
    s = log_event(id, std::nullopt, "closed", "never paid", now);
    if (!s.ok()) return s.take_error();
  }
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return static_cast<int64_t>(stale.size());
}

Result<int64_t> Payments::store_time_moves(int64_t now, int64_t today_day) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto expire = db_.prepare(
      "UPDATE orders SET status = 'EXPIRED', updated_at = datetime('now', 'localtime') "
      "WHERE status = 'WAIT_PAYMENT' AND pay_by <= ?1");
  if (!expire) return expire.take_error();
  expire->bind(1, now);
  Status s = expire->run();
  if (!s.ok()) return s.take_error();
  int64_t moved = db_.changes();
  auto ended = db_.prepare(
      "UPDATE orders SET status = 'WAIT_COMMENT', updated_at = datetime('now', 'localtime') "
      "WHERE status = 'PAID' AND end_date <= ?1");
  if (!ended) return ended.take_error();
  ended->bind(1, format_date(today_day));
  s = ended->run();
  if (!s.ok()) return s.take_error();
  moved += db_.changes();
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return moved;
}

}  // namespace ihome
