// Unit tests of src/core/money.cpp and src/core/date.cpp.
#include <doctest/doctest.h>

#include <ctime>

#include "ihome/core/date.h"
#include "ihome/core/money.h"
#include "ihome/http/params.h"

using namespace ihome;

TEST_CASE("money: yuan with up to two decimals becomes exact fen") {
  CHECK(parse_yuan("298.50") == 29850);
  CHECK(parse_yuan("298.5") == 29850);
  CHECK(parse_yuan("298") == 29800);
  CHECK(parse_yuan("0.01") == 1);
  CHECK(parse_yuan("0") == 0);
  CHECK(parse_yuan("1000000") == 100000000);
  CHECK(parse_yuan("0.1") == 10);
  // 0.1 + 0.2 style float errors cannot happen: no double on the way.
  CHECK(parse_yuan("19.99") == 1999);
}

TEST_CASE("money: anything but digits, a point and 1-2 decimals is refused") {
  for (const char* bad : {"", ".5", "298.", "1.234", "-1", "+1", "1e3", " 1", "1 ", "1,5", "abc", "1..2",
                          "0x10", "1234567890123", "１２"})
    CHECK_MESSAGE(!parse_yuan(bad).has_value(), bad);
}

TEST_CASE("money: fen prints as yuan with two decimals") {
  CHECK(format_yuan(29850) == "298.50");
  CHECK(format_yuan(5) == "0.05");
  CHECK(format_yuan(0) == "0.00");
  CHECK(format_yuan(100000000) == "1000000.00");
  CHECK(format_yuan(-150) == "-1.50");
}

TEST_CASE("params: money reads JSON numbers and strings, bounded in fen") {
  auto p = Params::from_json(R"({"a":298.5,"b":"12.30","c":1.234,"d":true,"e":"0","f":298})");
  REQUIRE(p.ok());
  CHECK(p->money("a", 1, 100000000).value() == 29850);
  CHECK(p->money("b", 1, 100000000).value() == 1230);
  CHECK(p->money("f", 1, 100000000).value() == 29800);
  CHECK_FALSE(p->money("c", 1, 100000000).ok());
  CHECK_FALSE(p->money("d", 1, 100000000).ok());
  CHECK_FALSE(p->money("e", 1, 100000000).ok());  // below the minimum
  CHECK_FALSE(p->money("missing", 1, 100000000).ok());
  CHECK(p->money_or("missing", 0, 100, 7).value() == 7);
  auto null = Params::from_json(R"({"deposit":null})");
  REQUIRE(null.ok());
  CHECK_FALSE(null->money_or("deposit", 0, 100, 0).ok());  // null is a wrong value, not an absent one
}

TEST_CASE("date: strict YYYY-MM-DD calendar dates") {
  CHECK(parse_date("1970-01-01") == 0);
  CHECK(parse_date("1970-01-02") == 1);
  CHECK(parse_date("2000-02-29").has_value());
  CHECK(parse_date("2024-02-29").has_value());
  for (const char* bad : {"2023-02-29", "1900-02-29", "2026-02-30", "2026-04-31", "2026-13-01", "2026-00-10",
                          "2026-01-00", "2026-1-5", "26-01-05", "2026/01/05", "2026-01-05 ", "", "abcd-ef-gh",
                          "1899-12-31"})
    CHECK_MESSAGE(!parse_date(bad).has_value(), bad);
}

TEST_CASE("date: nights are a subtraction, across months, years and leap days") {
  CHECK(*parse_date("2026-03-01") - *parse_date("2026-02-28") == 1);
  CHECK(*parse_date("2024-03-01") - *parse_date("2024-02-28") == 2);
  CHECK(*parse_date("2027-01-01") - *parse_date("2026-12-31") == 1);
  CHECK(*parse_date("2027-01-01") - *parse_date("2026-01-01") == 365);
}

TEST_CASE("date: unix_now turns with the real-time clock, not a tick behind it") {
  // time(2) reads the coarse clock, which lags CLOCK_REALTIME by up to a
  // kernel tick: just after a second turns it still says the old second, and
  // a pay_by that a client already saw pass was not yet due here (seen in CI).
  for (int turn = 0; turn < 2; ++turn) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    const time_t before = t.tv_sec;
    do clock_gettime(CLOCK_REALTIME, &t);
    while (t.tv_sec == before);
    CHECK(ihome::unix_now() >= static_cast<int64_t>(t.tv_sec));
  }
}

TEST_CASE("date: format is the inverse of parse") {
  for (const char* d : {"1970-01-01", "2000-02-29", "2026-11-25", "2099-12-31"})
    CHECK(format_date(*parse_date(d)) == d);
  CHECK(today() > *parse_date("2020-01-01"));
}

TEST_CASE("params: integer_list merges duplicates, sorts, and refuses wrong types") {
  auto p = Params::from_json(R"({"f":[3,"1",3,2],"g":"5","h":[1,[2]],"i":{"a":1},"j":[0],"k":[true]})");
  REQUIRE(p.ok());
  CHECK(p->integer_list("f", 1, 100).value() == std::vector<int64_t>{1, 2, 3});
  CHECK_FALSE(p->integer_list("g", 1, 100).ok());  // in JSON a list must be a list
  auto form = Params::from_form("g=5&h=2&h=1");
  REQUIRE(form.ok());
  CHECK(form->integer_list("g", 1, 100).value() == std::vector<int64_t>{5});  // a form field given once
  CHECK(form->integer_list("h", 1, 100).value() == std::vector<int64_t>{1, 2});
  CHECK(p->integer_list("missing", 1, 100).value().empty());
  CHECK_FALSE(p->integer_list("h", 1, 100).ok());
  CHECK_FALSE(p->integer_list("i", 1, 100).ok());
  CHECK_FALSE(p->integer_list("j", 1, 100).ok());
  CHECK_FALSE(p->integer_list("k", 1, 100).ok());
}
