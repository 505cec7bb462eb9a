// Unit tests of what owners manage themselves: the session epoch in the
// session JSON, the house fields parser shared by newhouse and edit
// (src/api/house_fields.cpp), and the store's edit / status / image / close
// operations against a real SQLite file.
#include <doctest/doctest.h>

#include <string>

#include "ihome/api/house_fields.h"
#include "ihome/auth/session.h"
#include "ihome/core/date.h"
#include "ihome/store/db.h"
#include "ihome/store/houses.h"
#include "ihome/store/orders.h"
#include "ihome/store/users.h"
#include "temp_db.h"

using namespace ihome;

namespace {

Params json(std::string_view body) {
  auto p = Params::from_json(body);
  REQUIRE(p.ok());
  return *p;
}

struct Fixture : test::HouseDb {
  Fixture() : HouseDb("manage", 10000, {1, 2}) {}
};

}  // namespace

TEST_CASE("session: the epoch travels in the JSON; a session of before has epoch 0") {
  Session s{7, "名字", "13800000000"};
  s.epoch = 42;
  s.renewed_at = 1000;
  auto back = session_from_json(session_to_json(s));
  REQUIRE(back);
  CHECK(back->epoch == 42);
  auto old = session_from_json(R"({"user_id":7,"name":"n","mobile":"13800000000","renewed_at":5})");
  REQUIRE(old);
  CHECK(old->epoch == 0);
}

TEST_CASE("house fields: publishing needs the required fields and fills defaults") {
  auto missing = parse_house_fields(json(R"({"title":"t"})"), false);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errno::kParamErr);
  auto full = parse_house_fields(json(R"({"title":" t ","price":"1.5","area_id":3,"address":"a",
      "room_count":1,"acreage":2,"house_capacity":1})"), false);
  REQUIRE(full.ok());
  CHECK(*full->fields.title == "t");
  CHECK(*full->fields.price == 150);
  CHECK(full->area_field == "area_id");
  CHECK(*full->fields.deposit == 0);
  CHECK(*full->fields.min_days == 1);
  CHECK(*full->fields.max_days == 0);
  CHECK(full->fields.facilities->empty());
  CHECK(*full->fields.unit == "");
}

TEST_CASE("house fields: editing parses only what is sent, with the same rules") {
  auto one = parse_house_fields(json(R"({"house_id":1,"price":"20"})"), true);
  REQUIRE(one.ok());
  CHECK(*one->fields.price == 2000);
  CHECK_FALSE(one->fields.title);
  CHECK_FALSE(one->fields.facilities);
  CHECK_FALSE(one->fields.deposit);
  CHECK_FALSE(parse_house_fields(json(R"({"house_id":1})"), true).ok());
  for (const char* bad : {R"({"title":""})", R"({"price":"0"})", R"({"price":null})", R"({"room_count":101})",
                          R"({"min_days":3,"max_days":2})", R"({"facility":"x"})", R"({"beds":1})"}) {
    auto r = parse_house_fields(json(bad), true);
    CHECK_MESSAGE(!r.ok(), bad);
  }
  auto cleared = parse_house_fields(json(R"({"facility":[]})"), true);
  REQUIRE(cleared.ok());
  REQUIRE(cleared->fields.facilities);
  CHECK(cleared->fields.facilities->empty());
}

TEST_CASE("houses: edit changes only the fields given and checks days against the stored ones") {
  Fixture f;
  Houses houses(*f.db);
  HouseChanges c;
  c.title = "新标题";
  REQUIRE(houses.update(f.house, f.landlord, c).ok());
  CHECK(f.text("SELECT title || '|' || price || '|' || address FROM houses") == "新标题|10000|路1号");
  HouseChanges days;
  days.max_days = 1;  // below the stored min_days 2
  auto refused = houses.update(f.house, f.landlord, days);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errno::kParamErr);
  HouseChanges facilities;
  facilities.facilities = std::vector<int64_t>{5};
  REQUIRE(houses.update(f.house, f.landlord, facilities).ok());
  CHECK(f.scalar("SELECT group_concat(facility_id) FROM house_facilities") == 5);
  CHECK(houses.update(f.house, f.guest, c).error().code == Errno::kRoleErr);
  CHECK(houses.update(999, f.landlord, c).error().code == Errno::kNoData);
}

TEST_CASE("houses: an offline house cannot be booked and leaves the search") {
  Fixture f;
  Houses houses(*f.db);
  REQUIRE(houses.set_status(f.house, f.landlord, "offline").ok());
  Orders orders(*f.db);
  auto booked = orders.create(NewOrder{f.guest, f.house, 30000, 30002}, unix_now());
  REQUIRE_FALSE(booked.ok());
  CHECK(booked.error().code == Errno::kDataErr);
  HouseSearch q;
  CHECK(*houses.count(q) == 0);
  REQUIRE(houses.set_status(f.house, f.landlord, "online").ok());
  CHECK(*houses.count(q) == 1);
  CHECK(orders.create(NewOrder{f.guest, f.house, 30000, 30002}, unix_now()).ok());
}

TEST_CASE("houses: deleting the cover makes the oldest remaining image the cover") {
  Fixture f;
  Houses houses(*f.db);
  for (const char* file : {"a.jpg", "b.jpg", "c.jpg"}) REQUIRE(houses.add_image(f.house, f.landlord, file, 20).ok());
  CHECK(f.text("SELECT index_image FROM houses") == "a.jpg");
  REQUIRE(houses.set_cover(f.house, f.landlord, "c.jpg").ok());
  auto detail = houses.detail(f.house);
  REQUIRE(detail.ok());
  CHECK((*detail)->images == std::vector<std::string>{"c.jpg", "a.jpg", "b.jpg"});
  CHECK_FALSE(houses.delete_image(f.house, f.landlord, "a.jpg")->cover_changed);
  CHECK(houses.delete_image(f.house, f.landlord, "c.jpg")->cover_changed);
  CHECK(f.text("SELECT index_image FROM houses") == "b.jpg");
  CHECK(houses.delete_image(f.house, f.landlord, "c.jpg").error().code == Errno::kNoData);
  CHECK(houses.set_cover(f.house, f.landlord, "zzz.jpg").error().code == Errno::kNoData);
  CHECK(houses.delete_image(f.house, f.guest, "b.jpg").error().code == Errno::kRoleErr);
  REQUIRE(houses.delete_image(f.house, f.landlord, "b.jpg").ok());
  CHECK(f.text("SELECT index_image FROM houses") == "NULL");
}

TEST_CASE("users: closing is refused with an open order, then erases the person in one step") {
  Fixture f;
  Users users(*f.db);
  REQUIRE(users.set_real_name(f.guest, "张三", "sealed-bytes", "digest").ok());
  Orders orders(*f.db);
  auto order = orders.create(NewOrder{f.guest, f.house, 30000, 30002}, unix_now());
  REQUIRE(order.ok());
  CHECK(users.close(f.guest).error().code == Errno::kDataErr);
  CHECK(users.close(f.landlord).error().code == Errno::kDataErr);
  ActContext at;
  at.now = unix_now();
  at.today = today();
  REQUIRE(orders.act(order->id, f.guest, OrderAction::kCancel, "", at).ok());
  int64_t epoch = f.scalar("SELECT session_epoch FROM users WHERE id = 2");
  auto closed = users.close(f.guest);
  REQUIRE(closed.ok());
  auto u = users.by_id(f.guest);
  REQUIRE(u.ok());
  REQUIRE(*u);
  CHECK((*u)->closed);
  CHECK((*u)->session_epoch == epoch + 1);
  CHECK((*u)->mobile == "00000000002");
  CHECK((*u)->name == std::string(kClosedUserName) + "#2");
  CHECK_FALSE((*u)->real_name_verified);
  CHECK(f.scalar("SELECT count(*) FROM users WHERE real_name IS NOT NULL OR id_card_sealed IS NOT NULL") == 0);
  CHECK(*users.create("13800000002", "13800000002", "h") > 0);  // the mobile is free again
  // What showed their houses is cached under the house generation: closing
  // moves it inside the same transaction (sql/008_read_path.sql).
  int64_t house_gen = f.scalar("SELECT gen FROM generations WHERE kind = 'house'");
  auto landlord_closed = users.close(f.landlord);
  REQUIRE(landlord_closed.ok());
  CHECK(f.scalar("SELECT gen FROM generations WHERE kind = 'house'") > house_gen);
  CHECK(f.text("SELECT status FROM houses") == "offline");
}
