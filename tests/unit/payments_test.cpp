// Unit tests of the payments ledger (src/store/payments.cpp) against a real
// SQLite file: opening a payment, idempotent confirmation, a late payment
// taken or refunded, refunds of a cancelled paid stay, and the invariant
// every test ends with: each order's earned fen are its confirmed payments
// net of its refunds, and no night is held by two orders.
#include <doctest/doctest.h>

#include <string>

#include "ihome/core/date.h"
#include "ihome/pay/settle.h"
#include "ihome/store/orders.h"
#include "ihome/store/payments.h"
#include "ihome/store/users.h"
#include "temp_db.h"

using namespace ihome;

namespace {

constexpr int64_t kNow = 1'893'456'000;  // 2030-01-01 00:00 UTC

struct Fixture : test::HouseDb {
  int64_t other = 0;
  Fixture() : HouseDb("payments", 29850, {1}) { other = *Users(*db).create("13800000003", "other", "h"); }
  ActContext at(int64_t now = kNow) const {
    ActContext a;
    a.now = now;
    a.today = *parse_date("2030-01-01");
    a.payments_on = true;
    a.payment_window_s = 7200;
    a.refund_full_days = 7;
    return a;
  }
  // A booking of `user`, accepted: WAIT_PAYMENT with pay_by = kNow + 7200.
  int64_t accepted(int64_t user, const char* start, const char* end) {
    auto booked = Orders(*db).create(NewOrder{user, house, *parse_date(start), *parse_date(end)}, kNow);
    REQUIRE(booked.ok());
    auto done = Orders(*db).act(booked->id, landlord, OrderAction::kAccept, "", at());
    REQUIRE(done.ok());
    REQUIRE(done->status == OrderStatus::kWaitPayment);
    REQUIRE(done->pay_by == kNow + 7200);
    return booked->id;
  }
  std::string open(int64_t order, int64_t user, int64_t now = kNow) {
    auto t = Payments(*db).open_for(order, user, "sandbox", new_trade_number("ih", order), now);
    REQUIRE(t.ok());
    return t->payment.out_trade_no;
  }
  std::string status(int64_t order) { return text("SELECT status FROM orders WHERE id = " + std::to_string(order)); }
  // The money invariant and the nights invariant of issue 19.
  void check_invariants() {
    CHECK(scalar("SELECT count(*) FROM orders o WHERE o.earned <> "
                 "(SELECT ifnull(sum(amount), 0) FROM payments WHERE order_id = o.id AND status = 'PAID') - "
                 "(SELECT ifnull(sum(amount), 0) FROM refunds WHERE order_id = o.id) "
                 "AND EXISTS (SELECT 1 FROM payments WHERE order_id = o.id)") == 0);
    CHECK(scalar("SELECT count(*) FROM orders o WHERE o.status IN ('PAID', 'WAIT_COMMENT', 'COMPLETE') "
                 "AND EXISTS (SELECT 1 FROM payments WHERE order_id = o.id) AND o.earned <> o.amount") == 0);
    CHECK(scalar("SELECT count(*) FROM orders a JOIN orders b ON a.house_id = b.house_id AND a.id < b.id "
                 "AND a.start_date < b.end_date AND b.start_date < a.end_date "
                 "WHERE a.status IN ('WAIT_ACCEPT', 'PAID', 'WAIT_COMMENT', 'COMPLETE') "
                 "AND b.status IN ('WAIT_ACCEPT', 'PAID', 'WAIT_COMMENT', 'COMPLETE')") == 0);
  }
};

}  // namespace

TEST_CASE("payments: one open payment per order, only for its guest, only before pay_by") {
  Fixture f;
  int64_t id = f.accepted(f.guest, "2030-02-01", "2030-02-03");
  std::string first = f.open(id, f.guest);
  CHECK(f.open(id, f.guest) == first);  // handed back, not a second one
  CHECK(f.scalar("SELECT count(*) FROM payments") == 1);
  CHECK(f.scalar("SELECT amount FROM payments") == 2 * 29850);
  Payments p(*f.db);
  CHECK(p.open_for(id, f.other, "sandbox", "x1", kNow).error().code == Errno::kRoleErr);
  CHECK(p.open_for(id + 50, f.guest, "sandbox", "x2", kNow).error().code == Errno::kNoData);
  CHECK(p.open_for(id, f.guest, "sandbox", "x3", kNow + 7200).error().code == Errno::kDataErr);  // at pay_by
  CHECK(f.scalar("SELECT count(*) FROM payments") == 1);
}

TEST_CASE("payments: a confirmation pays the order once; a repeat or a wrong amount changes nothing") {
  Fixture f;
  int64_t id = f.accepted(f.guest, "2030-02-01", "2030-02-03");
  std::string otn = f.open(id, f.guest);
  Payments p(*f.db);
  CHECK(p.confirm(otn, "T1", 100, kNow + 5).error().code == Errno::kDataErr);
  CHECK(f.status(id) == "WAIT_PAYMENT");
  auto done = p.confirm(otn, "T1", 59700, kNow + 10);
  REQUIRE(done.ok());
  CHECK(done->outcome == ConfirmOutcome::kPaid);
  CHECK(f.status(id) == "PAID");
  for (int i = 0; i < 20; ++i) CHECK(p.confirm(otn, "T1", 59700, kNow + 20 + i)->outcome == ConfirmOutcome::kAlreadyDone);
  CHECK(f.scalar("SELECT earned FROM orders") == 59700);
  CHECK(f.scalar("SELECT count(*) FROM payment_events WHERE event = 'paid'") == 1);
  CHECK(p.confirm("unknown", "T9", 59700, kNow).error().code == Errno::kNoData);
  f.check_invariants();
}

TEST_CASE("payments: late money is taken while the nights are free, refunded once someone else booked them") {
  Fixture f;
  int64_t a = f.accepted(f.guest, "2030-02-01", "2030-02-03");
  std::string otn_a = f.open(a, f.guest);
  Payments p(*f.db);
  auto late = p.confirm(otn_a, "TA", 59700, kNow + 7300);  // after pay_by, nights still free
  REQUIRE(late.ok());
  CHECK(late->outcome == ConfirmOutcome::kPaid);
  CHECK(f.status(a) == "PAID");

  int64_t b = f.accepted(f.guest, "2030-03-01", "2030-03-03");
  std::string otn_b = f.open(b, f.guest);
  // pay_by passes; the other guest books the same nights.
  auto taken = Orders(*f.db).create(NewOrder{f.other, f.house, *parse_date("2030-03-01"), *parse_date("2030-03-03")},
                                    kNow + 7300);
  REQUIRE(taken.ok());
  auto refunded = p.confirm(otn_b, "TB", 59700, kNow + 7400);
  REQUIRE(refunded.ok());
  CHECK(refunded->outcome == ConfirmOutcome::kRefunding);
  REQUIRE(refunded->refund_id);
  CHECK(f.status(b) == "EXPIRED");
  CHECK(f.scalar("SELECT amount FROM refunds WHERE order_id = " + std::to_string(b)) == 59700);
  CHECK(f.scalar("SELECT earned FROM orders WHERE id = " + std::to_string(b)) == 0);
  // Asked again: still one refund.
  CHECK(p.confirm(otn_b, "TB", 59700, kNow + 7500)->outcome == ConfirmOutcome::kAlreadyDone);
  CHECK(f.scalar("SELECT count(*) FROM refunds") == 1);
  f.check_invariants();
}

TEST_CASE("payments: cancelling a paid stay records the policy's refund in the same transaction") {
  Fixture f;
  Payments p(*f.db);
  Orders orders(*f.db);
  int64_t far = f.accepted(f.guest, "2030-02-01", "2030-02-03");   // 31 days ahead
  int64_t near = f.accepted(f.guest, "2030-01-04", "2030-01-07");  // 3 days ahead
  int64_t theirs = f.accepted(f.guest, "2030-01-10", "2030-01-12");
  REQUIRE(p.confirm(f.open(far, f.guest), "T1", 59700, kNow + 1).ok());
  REQUIRE(p.confirm(f.open(near, f.guest), "T2", 89550, kNow + 1).ok());
  REQUIRE(p.confirm(f.open(theirs, f.guest), "T3", 59700, kNow + 1).ok());

  auto full = orders.act(far, f.guest, OrderAction::kCancel, "", f.at(kNow + 2));
  REQUIRE(full.ok());
  CHECK(full->refund == 59700);
  REQUIRE(full->refund_ids.size() == 1);
  auto half = orders.act(near, f.guest, OrderAction::kCancel, "行程有变", f.at(kNow + 2));
  REQUIRE(half.ok());
  CHECK(half->refund == 44775);
  CHECK(f.scalar("SELECT earned FROM orders WHERE id = " + std::to_string(near)) == 44775);
  // The landlord must say why, then refunds everything.
  auto no_reason = orders.act(theirs, f.landlord, OrderAction::kCancel, "", f.at(kNow + 2));
  REQUIRE_FALSE(no_reason.ok());
  CHECK(no_reason.error().code == Errno::kParamErr);
  auto by_landlord = orders.act(theirs, f.landlord, OrderAction::kCancel, "房屋漏水", f.at(kNow + 2));
  REQUIRE(by_landlord.ok());
  CHECK(by_landlord->refund == 59700);
  CHECK(f.text("SELECT canceled_by || ':' || cancel_reason FROM orders WHERE id = " + std::to_string(theirs)) ==
        "landlord:房屋漏水");
  CHECK(f.scalar("SELECT count(*) FROM refunds WHERE status = 'PENDING'") == 3);
  f.check_invariants();
}

TEST_CASE("payments: a cancelled unpaid order closes its payment; money that still comes goes back") {
  Fixture f;
  int64_t id = f.accepted(f.guest, "2030-02-01", "2030-02-03");
  std::string otn = f.open(id, f.guest);
  REQUIRE(Orders(*f.db).act(id, f.guest, OrderAction::kCancel, "", f.at()).ok());
  CHECK(f.text("SELECT status FROM payments") == "CLOSED");
  auto late = Payments(*f.db).confirm(otn, "TX", 59700, kNow + 5);
  REQUIRE(late.ok());
  CHECK(late->outcome == ConfirmOutcome::kRefunding);
  CHECK(f.status(id) == "CANCELED");
  CHECK(f.scalar("SELECT sum(amount) FROM refunds") == 59700);
  f.check_invariants();
}

TEST_CASE("payments: refund retries back off from the first wait, doubling to the longest") {
  CHECK(refund_backoff(1, 60, 1800) == 60);
  CHECK(refund_backoff(2, 60, 1800) == 120);
  CHECK(refund_backoff(3, 60, 1800) == 240);
  CHECK(refund_backoff(6, 60, 1800) == 1800);
  CHECK(refund_backoff(60, 60, 1800) == 1800);
}

TEST_CASE("payments: the job stores expiries and check-outs, once") {
  Fixture f;
  int64_t waiting = f.accepted(f.guest, "2030-02-01", "2030-02-03");
  Payments p(*f.db);
  CHECK(*p.store_time_moves(kNow + 7199, *parse_date("2030-01-01")) == 0);
  CHECK(*p.store_time_moves(kNow + 7200, *parse_date("2030-01-01")) == 1);
  CHECK(f.status(waiting) == "EXPIRED");
  int64_t paid = f.accepted(f.guest, "2030-03-01", "2030-03-03");
  REQUIRE(p.confirm(f.open(paid, f.guest), "T", 59700, kNow + 1).ok());
  CHECK(*p.store_time_moves(kNow + 10, *parse_date("2030-03-02")) == 0);
  CHECK(*p.store_time_moves(kNow + 10, *parse_date("2030-03-03")) == 1);
  CHECK(f.status(paid) == "WAIT_COMMENT");
  CHECK(*p.store_time_moves(kNow + 10, *parse_date("2030-03-03")) == 0);
}

TEST_CASE("migration 010: a second-release database keeps its data; future WAIT_COMMENT stays become PAID") {
  std::string tmpl = "/tmp/ihome-migrate010-XXXXXX";
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  std::string path = tmpl + "/old.db";
  {
    auto opened = Db::open(path, 1000);
    REQUIRE(opened.ok());
    Db& db = **opened;
    for (size_t i = 0; i < kMigrationCount && kMigrations[i].version <= 9; ++i) {
      test::exec(db, std::string("BEGIN; ") + kMigrations[i].sql + "; PRAGMA user_version = " +
                         std::to_string(kMigrations[i].version) + "; COMMIT;");
    }
    REQUIRE(test::scalar(db, "PRAGMA user_version") == 9);
    test::exec(db,
               "INSERT INTO users (id, mobile, name, password_hash) VALUES (1, '13800000001', 'a', 'h'), "
               "(2, '13800000002', 'b', 'h');"
               "INSERT INTO houses (id, user_id, area_id, title, price, address, room_count, acreage, capacity) "
               "VALUES (1, 1, 1, 'A', 10000, 'x', 1, 10, 1);"
               "INSERT INTO orders (id, user_id, house_id, start_date, end_date, days, price, amount, status, comment) "
               "VALUES (1, 2, 1, '2020-01-01', '2020-01-03', 2, 10000, 20000, 'COMPLETE', 'ok'), "
               "(2, 2, 1, '2020-02-01', '2020-02-03', 2, 10000, 20000, 'WAIT_COMMENT', NULL), "
               "(3, 2, 1, '2099-01-01', '2099-01-03', 2, 10000, 20000, 'WAIT_COMMENT', NULL), "
               "(4, 2, 1, '2099-02-01', '2099-02-03', 2, 10000, 20000, 'WAIT_ACCEPT', NULL), "
               "(5, 2, 1, '2099-03-01', '2099-03-03', 2, 10000, 20000, 'CANCELED', NULL);");
    REQUIRE(migrate(db).ok());
    CHECK(test::scalar(db, "PRAGMA user_version") >= 10);
    auto status = [&](int id) {
      auto s = db.prepare("SELECT status || ':' || earned FROM orders WHERE id = " + std::to_string(id));
      REQUIRE(s.ok());
      REQUIRE(*s->step());
      return s->text(0);
    };
    CHECK(status(1) == "COMPLETE:20000");
    CHECK(status(2) == "WAIT_COMMENT:20000");  // ended: may be reviewed
    CHECK(status(3) == "PAID:20000");          // ahead: an upcoming paid stay
    CHECK(status(4) == "WAIT_ACCEPT:0");
    CHECK(status(5) == "CANCELED:0");
    CHECK(test::scalar(db, "SELECT count(*) FROM orders WHERE comment = 'ok'") == 1);
    // The triggers of the read path came back with the table.
    int64_t before = test::scalar(db, "SELECT max(seq) FROM search_changes");
    test::exec(db, "UPDATE orders SET status = 'CANCELED' WHERE id = 4");
    CHECK(test::scalar(db, "SELECT max(seq) FROM search_changes") == before + 1);
    CHECK(test::scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'") >= 7);
  }
  (void)std::system(("rm -rf '" + tmpl + "'").c_str());
}
