// Unit tests of src/core/pricing.cpp: hand-worked quotes (API.md "Pricing")
// and the property that a quote is the sum of its nights plus the fee minus
// the discount, whichever way it is computed.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "ihome/core/date.h"
#include "ihome/core/pricing.h"

using namespace ihome;

namespace {

int64_t day(const char* text) { return *parse_date(text); }

// Base 100.00, weekend 150.00, cleaning 50.00, weekly 10 %, monthly 20 %.
PriceTerms terms() { return PriceTerms{10000, 15000, 5000, 10, 20}; }

struct Case {
  const char* name;
  PriceTerms terms;
  std::vector<DatePrice> dates;
  const char* sd;
  const char* ed;
  std::vector<int64_t> nights;  // fen, night by night
  int64_t discount;
  int64_t total;
};

}  // namespace

TEST_CASE("pricing: weekend nights are Friday and Saturday nights") {
  CHECK(is_weekend_night(day("2026-01-02")));   // Friday
  CHECK(is_weekend_night(day("2026-01-03")));   // Saturday
  CHECK(!is_weekend_night(day("2026-01-04")));  // Sunday
  CHECK(!is_weekend_night(day("2026-01-01")));  // Thursday
  CHECK(is_weekend_night(day("1969-12-26")));   // a Friday before day 0
  CHECK(!is_weekend_night(day("1969-12-31")));  // Wednesday
  CHECK(weekend_nights(day("2026-03-02"), day("2026-03-29")) == 8);
  CHECK(weekend_nights(day("2026-01-03"), day("2026-01-03")) == 0);
}

TEST_CASE("pricing: hand-worked quotes") {
  const int64_t x = 10000, w = 15000;
  std::vector<Case> cases = {
      {"month end: Thu-Sun across 31 January", terms(), {}, "2026-01-29", "2026-02-02", {x, w, w, x}, 0, 55000},
      {"year end with a New Year's Eve date price", terms(),
       {{day("2025-12-31"), day("2026-01-01"), 30000}}, "2025-12-30", "2026-01-02", {x, 30000, x}, 0, 55000},
      {"29 February is a night", terms(), {}, "2024-02-28", "2024-03-02", {x, x, w}, 0, 40000},
      {"29 February 2028 (a Tuesday)", terms(), {}, "2028-02-28", "2028-03-01", {x, x}, 0, 25000},
      {"a weekend", terms(), {}, "2026-01-02", "2026-01-04", {w, w}, 0, 35000},
      {"no weekend price: the base price", PriceTerms{10000, 0, 0, 0, 0}, {}, "2026-01-02", "2026-01-04",
       {x, x}, 0, 20000},
      {"6 nights: no discount", terms(), {}, "2026-03-02", "2026-03-08", {x, x, x, x, w, w}, 0, 75000},
      {"7 nights: weekly 10 %", terms(), {}, "2026-03-02", "2026-03-09", {x, x, x, x, w, w, x}, 8000, 77000},
      {"27 nights: weekly 10 %", terms(), {}, "2026-03-02", "2026-03-29",
       {x, x, x, x, w, w, x, x, x, x, x, w, w, x, x, x, x, x, w, w, x, x, x, x, x, w, w}, 31000, 284000},
      {"28 nights: monthly 20 % replaces weekly", terms(), {}, "2026-03-02", "2026-03-30",
       {x, x, x, x, w, w, x, x, x, x, x, w, w, x, x, x, x, x, w, w, x, x, x, x, x, w, w, x}, 64000, 261000},
      {"28 nights without a monthly discount: weekly", PriceTerms{10000, 15000, 5000, 10, 0}, {}, "2026-03-02",
       "2026-03-30", {x, x, x, x, w, w, x, x, x, x, x, w, w, x, x, x, x, x, w, w, x, x, x, x, x, w, w, x}, 32000,
       293000},
      {"a price change in the middle of the stay", terms(), {{day("2026-03-04"), day("2026-03-06"), 20000}},
       "2026-03-02", "2026-03-09", {x, x, 20000, 20000, w, w, x}, 10000, 95000},
      {"a date price wins over the weekend price", terms(), {{day("2026-03-06"), day("2026-03-08"), 12000}},
       "2026-03-05", "2026-03-09", {x, 12000, 12000, x}, 0, 49000},
      {"rounding: 5 % of 233.31 = 11.6655 -> 11.67", PriceTerms{3333, 0, 0, 5, 0}, {}, "2026-03-02",
       "2026-03-09", {3333, 3333, 3333, 3333, 3333, 3333, 3333}, 1167, 22164},
      {"rounding half-up: 50 % of 0.07 -> 0.04", PriceTerms{1, 0, 0, 50, 0}, {}, "2026-03-02", "2026-03-09",
       {1, 1, 1, 1, 1, 1, 1}, 4, 3},
      {"the cleaning fee is never discounted", PriceTerms{10000, 0, 99900, 50, 70}, {}, "2026-03-02",
       "2026-03-30", std::vector<int64_t>(28, 10000), 196000, 280000 + 99900 - 196000},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.name));
    int64_t sd = day(c.sd), ed = day(c.ed);
    Quote q = quote(c.terms, c.dates, sd, ed);
    REQUIRE(q.nights.size() == c.nights.size());
    int64_t sum = 0;
    for (size_t i = 0; i < c.nights.size(); ++i) {
      CHECK(q.nights[i].day == sd + static_cast<int64_t>(i));
      CHECK(q.nights[i].price == c.nights[i]);
      sum += c.nights[i];
    }
    CHECK(q.nights_total == sum);
    CHECK(q.cleaning_fee == c.terms.cleaning_fee);
    CHECK(q.discount == c.discount);
    CHECK(q.total == c.total);
    CHECK(quote_total(c.terms, c.dates, sd, ed) == c.total);
  }
}

TEST_CASE("pricing: date price ranges split and merge") {
  std::vector<DatePrice> d;
  set_date_price(d, 10, 20, 500);
  CHECK(d == std::vector<DatePrice>{{10, 20, 500}});
  set_date_price(d, 14, 16, 700);  // splits
  CHECK(d == std::vector<DatePrice>{{10, 14, 500}, {14, 16, 700}, {16, 20, 500}});
  set_date_price(d, 14, 16, 500);  // merges back into one
  CHECK(d == std::vector<DatePrice>{{10, 20, 500}});
  set_date_price(d, 20, 25, 500);  // touching, same price: one range
  CHECK(d == std::vector<DatePrice>{{10, 25, 500}});
  set_date_price(d, 30, 31, 900);
  set_date_price(d, 5, 12, 300);   // overlaps the start
  CHECK(d == std::vector<DatePrice>{{5, 12, 300}, {12, 25, 500}, {30, 31, 900}});
  clear_date_price(d, 11, 13);     // a hole across two ranges
  CHECK(d == std::vector<DatePrice>{{5, 11, 300}, {13, 25, 500}, {30, 31, 900}});
  clear_date_price(d, 0, 100);
  CHECK(d.empty());
  clear_date_price(d, 0, 100);     // nothing there: nothing happens
  CHECK(d.empty());
}

TEST_CASE("pricing: property — a quote is its nights plus the fee minus the discount") {
  std::mt19937_64 rng(21);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  const int64_t base = day("2027-12-01");
  for (int round = 0; round < 2000; ++round) {
    PriceTerms t{pick(1, 100'000'000), pick(0, 1) ? pick(1, 100'000'000) : 0, pick(0, 1) ? pick(0, 100'000) : 0,
                 pick(0, 50), pick(0, 1) ? pick(0, 70) : 0};
    std::vector<DatePrice> dates;
    for (int n = static_cast<int>(pick(0, 6)); n > 0; --n) {
      int64_t from = base + pick(0, 120);
      if (pick(0, 3) == 0) clear_date_price(dates, from, from + pick(1, 30));
      else set_date_price(dates, from, from + pick(1, 30), pick(1, 100'000'000));
    }
    for (size_t i = 1; i < dates.size(); ++i) REQUIRE(dates[i - 1].end_day <= dates[i].start_day);
    int64_t sd = base + pick(-10, 120), ed = sd + pick(1, 60);
    Quote q = quote(t, dates, sd, ed);
    int64_t sum = 0;
    for (const QuoteNight& n : q.nights) {
      REQUIRE(n.price == night_price(t, dates, n.day));
      sum += n.price;
    }
    REQUIRE(static_cast<int64_t>(q.nights.size()) == ed - sd);
    REQUIRE(q.nights_total == sum);
    REQUIRE(q.discount == (sum * discount_percent(t, ed - sd) + 50) / 100);
    REQUIRE(q.total == sum + t.cleaning_fee - q.discount);
    REQUIRE(quote_total(t, dates, sd, ed) == q.total);
    // Without date prices, what the search computes once per house.
    if (dates.empty()) REQUIRE(stay_total(t, ed - sd, plain_nights_total(t, ed - sd, weekend_nights(sd, ed))) == q.total);
  }
}
