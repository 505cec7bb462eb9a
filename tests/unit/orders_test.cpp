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

TEST_CASE("order status: names round trip and only three statuses hold nights") {
  for (auto s : {OrderStatus::kWaitAccept, OrderStatus::kWaitComment, OrderStatus::kComplete,
                 OrderStatus::kRejected, OrderStatus::kCanceled})
    CHECK(parse_order_status(order_status_name(s)) == s);
  CHECK_FALSE(parse_order_status("wait_accept").has_value());
  CHECK(order_holds_nights(OrderStatus::kWaitAccept));
  CHECK(order_holds_nights(OrderStatus::kWaitComment));
  CHECK(order_holds_nights(OrderStatus::kComplete));
  CHECK_FALSE(order_holds_nights(OrderStatus::kRejected));
  CHECK_FALSE(order_holds_nights(OrderStatus::kCanceled));
}

TEST_CASE("order status: the allowed transitions of API.md and no others") {
  using S = OrderStatus;
  using A = OrderAction;
  CHECK(order_transition(S::kWaitAccept, A::kAccept) == S::kWaitComment);
  CHECK(order_transition(S::kWaitAccept, A::kReject) == S::kRejected);
  CHECK(order_transition(S::kWaitAccept, A::kCancel) == S::kCanceled);
  CHECK(order_transition(S::kWaitComment, A::kComment) == S::kComplete);
  int allowed = 0;
  for (auto s : {S::kWaitAccept, S::kWaitComment, S::kComplete, S::kRejected, S::kCanceled})
    for (auto a : {A::kAccept, A::kReject, A::kComment, A::kCancel}) allowed += order_transition(s, a).has_value();
  CHECK(allowed == 4);
  CHECK(order_action_role(A::kAccept) == OrderRole::kOwner);
  CHECK(order_action_role(A::kReject) == OrderRole::kOwner);
  CHECK(order_action_role(A::kComment) == OrderRole::kGuest);
  CHECK(order_action_role(A::kCancel) == OrderRole::kGuest);
}

namespace {
// HouseDb's landlord, guest and house, and a third user who books too.
struct Fixture : test::HouseDb {
  int64_t other = 0;
  Fixture() : HouseDb("orders", 29850, {1, 3}) {
    other = *Users(*db).create("13800000003", "other", "h");
  }
  Result<int64_t> book(int64_t user, const char* start, const char* end) {
    return Orders(*db).create(NewOrder{user, house, *parse_date(start), *parse_date(end)});
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
  auto none = Orders(*f.db).create(NewOrder{f.guest, f.house + 100, *parse_date("2030-02-01"), *parse_date("2030-02-03")});
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

TEST_CASE("life cycle: roles and statuses are enforced; comment completes and counts in one step") {
  Fixture f;
  int64_t id = *f.book(f.guest, "2030-03-01", "2030-03-03");
  Orders orders(*f.db);
  auto by_guest = orders.act(id, f.guest, OrderAction::kAccept, "");
  REQUIRE_FALSE(by_guest.ok());
  CHECK(by_guest.error().code == Errno::kRoleErr);
  auto early_comment = orders.act(id, f.guest, OrderAction::kComment, "nice");
  REQUIRE_FALSE(early_comment.ok());
  CHECK(early_comment.error().code == Errno::kDataErr);
  REQUIRE(orders.act(id, f.landlord, OrderAction::kAccept, "").ok());
  auto twice = orders.act(id, f.landlord, OrderAction::kAccept, "");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == Errno::kDataErr);
  auto cancel = orders.act(id, f.guest, OrderAction::kCancel, "");
  REQUIRE_FALSE(cancel.ok());
  CHECK(cancel.error().code == Errno::kDataErr);
  auto stranger = orders.act(id, f.other, OrderAction::kComment, "x");
  REQUIRE_FALSE(stranger.ok());
  CHECK(stranger.error().code == Errno::kRoleErr);
  REQUIRE(orders.act(id, f.guest, OrderAction::kComment, "很好").ok());
  CHECK(f.scalar("SELECT order_count FROM houses WHERE id = " + std::to_string(f.house)) == 1);
  auto detail = Houses(*f.db).detail(f.house);
  REQUIRE(detail.ok());
  REQUIRE((*detail)->comments.size() == 1);
  CHECK((*detail)->comments[0].comment == "很好");
  CHECK((*detail)->comments[0].user_name == "guest");
  auto unknown = orders.act(id + 100, f.guest, OrderAction::kCancel, "");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == Errno::kNoData);
}

TEST_CASE("life cycle: rejected and canceled stays free their nights") {
  Fixture f;
  Orders orders(*f.db);
  int64_t a = *f.book(f.guest, "2030-04-01", "2030-04-03");
  REQUIRE(orders.act(a, f.landlord, OrderAction::kReject, "维修中").ok());
  int64_t b = *f.book(f.other, "2030-04-01", "2030-04-03");
  REQUIRE(orders.act(b, f.other, OrderAction::kCancel, "").ok());
  CHECK(f.book(f.guest, "2030-04-01", "2030-04-03").ok());
  auto list = orders.list(f.guest, OrderRole::kGuest, 1);
  REQUIRE(list.ok());
  REQUIRE(list->orders.size() == 2);
  CHECK(list->orders[0].status == "WAIT_ACCEPT");  // newest first
  CHECK(list->orders[1].status == "REJECTED");
  CHECK(list->orders[1].comment == std::optional<std::string>("维修中"));
  auto landlord = orders.list(f.landlord, OrderRole::kOwner, 1);
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
