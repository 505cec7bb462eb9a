// Unit tests of the order life cycle (src/store/orders.cpp): the status
// machine, and booking against a real SQLite file — overlap rules, amounts,
// min/max nights, and that a refused step leaves nothing behind.
#include <doctest/doctest.h>

#include <string>

#include "ihome/core/date.h"
#include "ihome/store/db.h"
#include "ihome/store/houses.h"
#include "ihome/store/orders.h"
#include "ihome/store/users.h"
#include "temp_db.h"

using namespace ihome;

TEST_CASE("order status: names round trip and five statuses hold nights") {
  using S = OrderStatus;
  for (auto s : {S::kWaitAccept, S::kWaitPayment, S::kPaid, S::kWaitComment, S::kComplete, S::kRejected,
                 S::kCanceled, S::kExpired})
    CHECK(parse_order_status(order_status_name(s)) == s);
  CHECK_FALSE(parse_order_status("wait_accept").has_value());
  CHECK_FALSE(parse_order_status("UNKNOWN").has_value());
  for (auto s : {S::kWaitAccept, S::kWaitPayment, S::kPaid, S::kWaitComment, S::kComplete}) CHECK(order_holds_nights(s));
  for (auto s : {S::kRejected, S::kCanceled, S::kExpired}) CHECK_FALSE(order_holds_nights(s));
}

TEST_CASE("order status: time moves WAIT_PAYMENT to EXPIRED at pay_by and PAID to WAIT_COMMENT on check-out day") {
  using S = OrderStatus;
  const int64_t pay_by = 1'900'000'000, end = 22000;
  CHECK(effective_status(S::kWaitPayment, pay_by, end, pay_by - 1, end - 5) == S::kWaitPayment);
  CHECK(effective_status(S::kWaitPayment, pay_by, end, pay_by, end - 5) == S::kExpired);  // at that second
  CHECK(effective_status(S::kWaitPayment, pay_by, end, pay_by + 1, end - 5) == S::kExpired);
  CHECK(effective_status(S::kPaid, std::nullopt, end, 0, end - 1) == S::kPaid);
  CHECK(effective_status(S::kPaid, std::nullopt, end, 0, end) == S::kWaitComment);  // the check-out day
  CHECK(effective_status(S::kPaid, pay_by, end, pay_by + 10, end + 3) == S::kWaitComment);
  for (auto s : {S::kWaitAccept, S::kWaitComment, S::kComplete, S::kRejected, S::kCanceled, S::kExpired})
    CHECK(effective_status(s, pay_by, end, pay_by + 10, end + 10) == s);
}

TEST_CASE("order status: the moves of API.md by role, and no others") {
  using S = OrderStatus;
  using A = OrderAction;
  using R = OrderRole;
  CHECK(order_transition(S::kWaitAccept, A::kAccept, R::kOwner, true) == S::kWaitPayment);
  CHECK(order_transition(S::kWaitAccept, A::kAccept, R::kOwner, false) == S::kPaid);
  CHECK(order_transition(S::kWaitAccept, A::kReject, R::kOwner, true) == S::kRejected);
  CHECK(order_transition(S::kWaitAccept, A::kCancel, R::kGuest, true) == S::kCanceled);
  CHECK(order_transition(S::kWaitPayment, A::kCancel, R::kGuest, true) == S::kCanceled);
  CHECK(order_transition(S::kPaid, A::kCancel, R::kGuest, true) == S::kCanceled);
  CHECK(order_transition(S::kPaid, A::kCancel, R::kOwner, true) == S::kCanceled);
  CHECK(order_transition(S::kWaitComment, A::kComment, R::kGuest, true) == S::kComplete);
  // Nothing else, whatever the provider: not a landlord cancelling an
  // unpaid order, not a comment before the check-out day, not a guest
  // accepting their own booking.
  int allowed = 0;
  for (bool payments : {false, true})
    for (auto s : {S::kWaitAccept, S::kWaitPayment, S::kPaid, S::kWaitComment, S::kComplete, S::kRejected,
                   S::kCanceled, S::kExpired})
      for (auto a : {A::kAccept, A::kReject, A::kComment, A::kCancel})
        for (auto r : {R::kGuest, R::kOwner}) allowed += order_transition(s, a, r, payments).has_value();
  CHECK(allowed == 2 * 7);  // 7 moves under each setting (accept has a target of its own in each)
  CHECK_FALSE(order_transition(S::kWaitPayment, A::kCancel, R::kOwner, true));
  CHECK_FALSE(order_transition(S::kPaid, A::kComment, R::kGuest, true));
  CHECK(order_action_allowed(A::kCancel, R::kOwner));
  CHECK(order_action_allowed(A::kCancel, R::kGuest));
  CHECK_FALSE(order_action_allowed(A::kAccept, R::kGuest));
  CHECK_FALSE(order_action_allowed(A::kComment, R::kOwner));
}

TEST_CASE("refund policy: all from refund_full_days ahead, half (rounded up) from 1 day, none on the day") {
  using R = OrderRole;
  CHECK(refund_policy(59700, 7, R::kGuest, 7) == 59700);
  CHECK(refund_policy(59700, 30, R::kGuest, 7) == 59700);
  CHECK(refund_policy(59700, 6, R::kGuest, 7) == 29850);
  CHECK(refund_policy(59701, 1, R::kGuest, 7) == 29851);  // the odd fen goes to the guest
  CHECK_FALSE(refund_policy(59700, 0, R::kGuest, 7));
  CHECK_FALSE(refund_policy(59700, -3, R::kGuest, 7));
  CHECK(refund_policy(59700, 1, R::kOwner, 7) == 59700);  // the landlord cancelling refunds all
  CHECK_FALSE(refund_policy(59700, 0, R::kOwner, 7));
  CHECK(refund_policy(0, 10, R::kGuest, 7) == 0);  // provider none: nothing was paid
}

TEST_CASE("holds_nights_sql names every holding status and the pay_by rule") {
  std::string sql = holds_nights_sql("o", 4);
  for (const char* s : {"'WAIT_ACCEPT'", "'WAIT_PAYMENT'", "'PAID'", "'WAIT_COMMENT'", "'COMPLETE'"})
    CHECK(sql.find(s) != std::string::npos);
  CHECK(sql.find("o.pay_by > ?4") != std::string::npos);
  CHECK(sql.find("CANCELED") == std::string::npos);
}

namespace {
// HouseDb's landlord, guest and house, and a third user who books too.
struct Fixture : test::HouseDb {
  int64_t other = 0;
  Fixture() : HouseDb("orders", 29850, {1, 3}) {
    other = *Users(*db).create("13800000003", "other", "h");
  }
  Result<int64_t> book(int64_t user, const char* start, const char* end) {
    auto booked = Orders(*db).create(NewOrder{user, house, *parse_date(start), *parse_date(end)}, unix_now());
    if (!booked) return booked.take_error();
    return booked->id;
  }
  // An action as of 2030-01-01, well before every stay booked here.
  ActContext at(bool payments = false) const {
    ActContext a;
    a.now = 1'893'456'000;  // 2030-01-01 00:00 UTC
    a.today = *parse_date("2030-01-01");
    a.payments_on = payments;
    return a;
  }
};
}  // namespace

TEST_CASE("booking: amount is nights times price, and the nights are held") {
  Fixture f;
  auto id = f.book(f.guest, "2030-01-10", "2030-01-13");
  REQUIRE(id.ok());
  CHECK(f.scalar("SELECT amount FROM orders WHERE id = " + std::to_string(*id)) == 3 * 29850);
  CHECK(f.scalar("SELECT days FROM orders WHERE id = " + std::to_string(*id)) == 3);
  auto clash = f.book(f.other, "2030-01-12", "2030-01-14");
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().code == Errno::kDataErr);
  // Check-in on the other stay's check-out day shares no night.
  CHECK(f.book(f.other, "2030-01-13", "2030-01-15").ok());
  CHECK(f.book(f.other, "2030-01-08", "2030-01-10").ok());
  CHECK_FALSE(f.book(f.other, "2030-01-09", "2030-01-11").ok());
  CHECK(f.scalar("SELECT count(*) FROM orders") == 3);
}

TEST_CASE("booking: own house, unknown house and nights outside min/max are refused, writing nothing") {
  Fixture f;
  auto own = f.book(f.landlord, "2030-02-01", "2030-02-03");
  REQUIRE_FALSE(own.ok());
  CHECK(own.error().code == Errno::kRoleErr);
  auto none = Orders(*f.db).create(NewOrder{f.guest, f.house + 100, *parse_date("2030-02-01"), *parse_date("2030-02-03")},
                                   unix_now());
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == Errno::kNoData);
  auto short_stay = f.book(f.guest, "2030-02-01", "2030-02-02");
  REQUIRE_FALSE(short_stay.ok());
  CHECK(short_stay.error().code == Errno::kParamErr);
  auto long_stay = f.book(f.guest, "2030-02-01", "2030-02-07");
  REQUIRE_FALSE(long_stay.ok());
  CHECK(long_stay.error().code == Errno::kParamErr);
  CHECK(f.scalar("SELECT count(*) FROM orders") == 0);
}

TEST_CASE("life cycle: roles and statuses are enforced; comment only from the check-out day, completes and counts") {
  Fixture f;
  int64_t id = *f.book(f.guest, "2030-03-01", "2030-03-03");
  Orders orders(*f.db);
  ActContext at = f.at();
  auto by_guest = orders.act(id, f.guest, OrderAction::kAccept, "", at);
  REQUIRE_FALSE(by_guest.ok());
  CHECK(by_guest.error().code == Errno::kRoleErr);
  auto early_comment = orders.act(id, f.guest, OrderAction::kComment, "nice", at);
  REQUIRE_FALSE(early_comment.ok());
  CHECK(early_comment.error().code == Errno::kDataErr);
  auto accepted = orders.act(id, f.landlord, OrderAction::kAccept, "", at);
  REQUIRE(accepted.ok());
  CHECK(accepted->status == OrderStatus::kPaid);  // payment_provider = none
  CHECK(f.scalar("SELECT earned FROM orders WHERE id = " + std::to_string(id)) == 2 * 29850);
  auto twice = orders.act(id, f.landlord, OrderAction::kAccept, "", at);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == Errno::kDataErr);
  auto paid_comment = orders.act(id, f.guest, OrderAction::kComment, "nice", at);  // the stay is ahead
  REQUIRE_FALSE(paid_comment.ok());
  CHECK(paid_comment.error().code == Errno::kDataErr);
  auto stranger = orders.act(id, f.other, OrderAction::kComment, "x", at);
  REQUIRE_FALSE(stranger.ok());
  CHECK(stranger.error().code == Errno::kRoleErr);
  at.today = *parse_date("2030-03-03");  // the check-out day: WAIT_COMMENT, whatever is stored
  auto on_the_day = orders.act(id, f.guest, OrderAction::kCancel, "", at);
  REQUIRE_FALSE(on_the_day.ok());
  CHECK(on_the_day.error().code == Errno::kDataErr);
  REQUIRE(orders.act(id, f.guest, OrderAction::kComment, "很好", at).ok());
  CHECK(f.scalar("SELECT order_count FROM houses WHERE id = " + std::to_string(f.house)) == 1);
  auto detail = Houses(*f.db).detail(f.house);
  REQUIRE(detail.ok());
  REQUIRE((*detail)->comments.size() == 1);
  CHECK((*detail)->comments[0].comment == "很好");
  CHECK((*detail)->comments[0].user_name == "guest");
  auto unknown = orders.act(id + 100, f.guest, OrderAction::kCancel, "", at);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == Errno::kNoData);
}

TEST_CASE("life cycle: rejected and canceled stays free their nights") {
  Fixture f;
  Orders orders(*f.db);
  int64_t a = *f.book(f.guest, "2030-04-01", "2030-04-03");
  REQUIRE(orders.act(a, f.landlord, OrderAction::kReject, "维修中", f.at()).ok());
  int64_t b = *f.book(f.other, "2030-04-01", "2030-04-03");
  REQUIRE(orders.act(b, f.other, OrderAction::kCancel, "", f.at()).ok());
  CHECK(f.book(f.guest, "2030-04-01", "2030-04-03").ok());
  auto list = orders.list(f.guest, OrderRole::kGuest, 1, unix_now());
  REQUIRE(list.ok());
  REQUIRE(list->orders.size() == 2);
  CHECK(list->orders[0].status == OrderStatus::kWaitAccept);  // newest first
  CHECK(list->orders[1].status == OrderStatus::kRejected);
  CHECK(list->orders[1].comment == std::optional<std::string>("维修中"));
  auto landlord = orders.list(f.landlord, OrderRole::kOwner, 1, unix_now());
  REQUIRE(landlord.ok());
  CHECK(landlord->total == 3);
}

TEST_CASE("search: the date filter leaves out held nights and honours min/max days") {
  Fixture f;
  REQUIRE(f.book(f.guest, "2030-05-10", "2030-05-12").ok());
  Houses houses(*f.db);
  auto search = [&](const char* sd, const char* ed) {
    HouseSearch q;
    q.start_day = *parse_date(sd);
    q.end_day = *parse_date(ed);
    auto page = houses.search(q);
    REQUIRE(page.ok());
    return page->total;
  };
  CHECK(search("2030-05-11", "2030-05-13") == 0);  // shares the night of the 11th
  CHECK(search("2030-05-12", "2030-05-14") == 1);  // starts on check-out day
  CHECK(search("2030-05-08", "2030-05-10") == 1);  // ends on check-in day
  CHECK(search("2030-05-20", "2030-05-21") == 0);  // 1 night < min_days 2
  CHECK(search("2030-05-20", "2030-05-26") == 0);  // 6 nights > max_days 5
  HouseSearch all;
  CHECK(houses.search(all)->total == 1);
}
