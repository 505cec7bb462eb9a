// Unit tests of src/store/landlord.cpp against a real SQLite file: the
// year summary's night-by-night arithmetic (month ends, 29 February, year
// ends, statuses that do not count) and the calendar tokens.
#include <doctest/doctest.h>

#include <string>

#include "ihome/store/db.h"
#include "ihome/store/landlord.h"
#include "temp_db.h"

using namespace ihome;

namespace {
using test::TempDb;

// Landlord 1 (houses 1, 2, 3), landlord 2 (house 4), guest 3.
void seed(TempDb& t) {
  t.exec(
      "INSERT INTO users (id, mobile, name, password_hash) VALUES "
      "(1, '13800000001', 'a', 'h'), (2, '13800000002', 'b', 'h'), (3, '13800000003', 'c', 'h');"
      "INSERT INTO houses (id, user_id, area_id, title, price, address, room_count, acreage, capacity) VALUES "
      "(1, 1, 1, 'A', 10000, 'x', 1, 10, 1), (2, 1, 1, 'B', 10000, 'x', 1, 10, 1),"
      "(3, 1, 1, 'C', 10000, 'x', 1, 10, 1), (4, 2, 1, 'D', 10000, 'x', 1, 10, 1);");
  // earned: what the landlord kept (sql/010_payments.sql): the amount of a
  // stay that was paid for, -1 meaning that; 0 for one that earned nothing.
  auto stay = [&](int house, const char* start, const char* end, int days, int price, const char* status,
                  int earned = -1) {
    std::string s(status);
    int kept = earned >= 0 ? earned : (s == "COMPLETE" || s == "WAIT_COMMENT" || s == "PAID") ? days * price : 0;
    t.exec("INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount, status, earned) "
           "VALUES (3, " + std::to_string(house) + ", '" + start + "', '" + end + "', " + std::to_string(days) + ", " +
           std::to_string(price) + ", " + std::to_string(days * price) + ", '" + status + "', " +
           std::to_string(kept) + ")");
  };
  stay(1, "2024-01-30", "2024-02-02", 3, 10000, "COMPLETE");      // Jan 2, Feb 1
  stay(1, "2024-02-28", "2024-03-02", 3, 20000, "WAIT_COMMENT");  // Feb 2 (29th), Mar 1
  stay(1, "2023-12-30", "2024-01-02", 3, 5000, "COMPLETE");       // 2023: 2, 2024: Jan 1
  stay(1, "2024-12-31", "2025-01-03", 3, 10000, "COMPLETE");      // 2024: Dec 1, 2025: 2
  stay(1, "2024-05-01", "2024-05-05", 4, 10000, "REJECTED");
  stay(1, "2024-06-01", "2024-06-05", 4, 10000, "CANCELED");
  stay(2, "2024-07-01", "2024-07-31", 30, 30000, "COMPLETE");
  stay(2, "2024-08-10", "2024-08-12", 2, 30000, "WAIT_ACCEPT");
  stay(4, "2024-07-01", "2024-07-10", 9, 99900, "COMPLETE");
  // Cancelled after paying, half kept: its nights count, its kept money is
  // spread evenly (10001 fen over 2 nights: 5000 in September, 5001 in October).
  stay(3, "2024-09-30", "2024-10-02", 2, 10000, "CANCELED", 10001);
}
}  // namespace

TEST_CASE("landlord summary: nights in their own month, leap year, year ends, accepted stays only") {
  TempDb t("landlord");
  seed(t);
  Landlords landlords(*t.db);
  auto y = landlords.year_summary(1, 2024);
  REQUIRE(y.ok());
  CHECK(y->days == 366);
  CHECK(y->total.orders == 6);
  CHECK(y->total.nights == 40);
  CHECK(y->total.amount == 1005000 + 10001);
  const auto& m = y->months;
  CHECK((m[0].orders == 2 && m[0].nights == 3 && m[0].amount == 25000));
  CHECK((m[1].orders == 2 && m[1].nights == 3 && m[1].amount == 50000));
  CHECK((m[2].orders == 1 && m[2].nights == 1 && m[2].amount == 20000));
  CHECK(m[4].nights == 0);
  CHECK(m[5].nights == 0);
  CHECK((m[6].orders == 1 && m[6].nights == 30 && m[6].amount == 900000));
  CHECK(m[7].nights == 0);
  CHECK((m[8].orders == 1 && m[8].nights == 1 && m[8].amount == 5000));
  CHECK((m[9].orders == 1 && m[9].nights == 1 && m[9].amount == 5001));
  CHECK((m[11].orders == 1 && m[11].nights == 1));
  REQUIRE(y->houses.size() == 3);
  CHECK((y->houses[0].house_id == 1 && y->houses[0].totals.orders == 4 && y->houses[0].totals.nights == 8));
  CHECK((y->houses[1].house_id == 2 && y->houses[1].totals.nights == 30));
  CHECK((y->houses[2].house_id == 3 && y->houses[2].totals.orders == 1 && y->houses[2].totals.nights == 2 &&
         y->houses[2].totals.amount == 10001));

  auto y23 = landlords.year_summary(1, 2023);
  REQUIRE(y23.ok());
  CHECK(y23->days == 365);
  CHECK((y23->total.orders == 1 && y23->total.nights == 2 && y23->months[11].nights == 2));
  auto y25 = landlords.year_summary(1, 2025);
  REQUIRE(y25.ok());
  CHECK((y25->total.nights == 2 && y25->months[0].nights == 2));

  auto nobody = landlords.year_summary(3, 2024);
  REQUIRE(nobody.ok());
  CHECK(nobody->houses.empty());
  CHECK(nobody->total.nights == 0);
}

TEST_CASE("calendar tokens: none until a reset makes one, read without writing, compared exactly, replaced by a reset") {
  TempDb t("landlord");
  seed(t);
  Landlords landlords(*t.db);
  auto none = landlords.ical_token_matches(1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  REQUIRE(none.ok());
  CHECK_FALSE(*none);  // no token yet
  auto absent = landlords.ical_token(1);
  REQUIRE(absent.ok());
  CHECK_FALSE(absent->has_value());
  CHECK(t.scalar("SELECT count(*) FROM house_ical_tokens") == 0);  // reading made none
  auto made = landlords.reset_ical_token(1);  // the first one
  REQUIRE(made.ok());
  auto read = landlords.ical_token(1);
  REQUIRE(read.ok());
  REQUIRE(read->has_value());
  std::string* token = &**read;
  CHECK(token->size() == 32);
  CHECK(*token == *made);
  auto again = landlords.ical_token(1);
  REQUIRE(again.ok());
  CHECK(**again == *token);
  CHECK(*landlords.ical_token_matches(1, *token));
  CHECK_FALSE(*landlords.ical_token_matches(2, *token));
  CHECK_FALSE(*landlords.ical_token_matches(1, token->substr(1)));
  CHECK_FALSE(*landlords.ical_token_matches(1, ""));
  std::string flipped = *token;
  flipped[5] = flipped[5] == 'x' ? 'y' : 'x';
  CHECK_FALSE(*landlords.ical_token_matches(1, flipped));
  auto fresh = landlords.reset_ical_token(1);
  REQUIRE(fresh.ok());
  CHECK(*fresh != *token);
  CHECK_FALSE(*landlords.ical_token_matches(1, *token));
  CHECK(*landlords.ical_token_matches(1, *fresh));
  auto title = landlords.house_title(4);
  REQUIRE(title.ok());
  CHECK(title->value() == "D");
  CHECK_FALSE(landlords.house_title(99)->has_value());
}

TEST_CASE("calendar stays: holding statuses only, ending on the given day or later") {
  TempDb t("landlord");
  seed(t);
  Landlords landlords(*t.db);
  auto stays = landlords.calendar_stays(1, "2024-03-02");
  REQUIRE(stays.ok());
  REQUIRE(stays->size() == 2);
  CHECK((*stays)[0].start_date == "2024-02-28");   // ends on 2024-03-02: included
  CHECK((*stays)[1].start_date == "2024-12-31");
  auto house2 = landlords.calendar_stays(2, "2024-01-01");
  REQUIRE(house2.ok());
  REQUIRE(house2->size() == 2);
  CHECK((*house2)[1].status == "WAIT_ACCEPT");
}
