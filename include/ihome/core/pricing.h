// Pricing: what a stay costs (API.md "Pricing").  The one computation that
// house/quote, booking (src/store/orders.cpp) and the search (the
// availability index, src/search/, and its SQL reference) all use, so they
// can never disagree.  Pure: no I/O, integer fen throughout, one rounding.
//
// A night's price is its date price (set by the landlord for a range of
// dates), else the weekend price on Friday and Saturday nights (when set),
// else the base price.  nights_total is their sum; the discount is the
// monthly percentage (stays of >= 28 nights, when the landlord set one; it
// replaces the weekly one) or else the weekly percentage (>= 7 nights) of
// nights_total in fen, rounded half-up; the cleaning fee is added once and
// never discounted: total = nights_total + cleaning_fee - discount.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ihome {

// A landlord's price for the nights [start_day, end_day) (day numbers,
// core/date.h).  A house's list is ascending and disjoint.
struct DatePrice {
  int64_t start_day = 0;
  int64_t end_day = 0;
  int64_t price = 0;  // fen a night
  bool operator==(const DatePrice&) const = default;
};

// A house's own terms (the columns of `houses`).
struct PriceTerms {
  int64_t price = 0;            // fen a night
  int64_t weekend_price = 0;    // fen, Friday and Saturday nights; 0: the base price
  int64_t cleaning_fee = 0;     // fen, once a stay
  int64_t weekly_discount = 0;  // percent (0-50), stays of >= kWeeklyNights
  int64_t monthly_discount = 0; // percent (0-70), stays of >= kMonthlyNights; 0: none
};

struct QuoteNight {
  int64_t day = 0;
  int64_t price = 0;
};

struct Quote {
  std::vector<QuoteNight> nights;
  int64_t nights_total = 0;
  int64_t cleaning_fee = 0;
  int64_t discount_percent = 0;
  int64_t discount = 0;
  int64_t total = 0;
};

constexpr int64_t kWeeklyNights = 7;
constexpr int64_t kMonthlyNights = 28;

// Friday and Saturday nights (the night starting on that day).
bool is_weekend_night(int64_t day);
// Weekend nights among [from, to).
int64_t weekend_nights(int64_t from, int64_t to);
// The price of the night `day`.
int64_t night_price(const PriceTerms& terms, std::span<const DatePrice> dates, int64_t day);
// The percentage a stay of `nights` nights gets off its nights.
inline int64_t discount_percent(const PriceTerms& terms, int64_t nights) {
  if (nights >= kMonthlyNights && terms.monthly_discount > 0) return terms.monthly_discount;
  if (nights >= kWeeklyNights) return terms.weekly_discount;
  return 0;
}
// `percent` of `amount` fen, rounded half-up to the fen.
inline int64_t percent_of(int64_t amount, int64_t percent) { return (amount * percent + 50) / 100; }

// The stay [start_day, end_day) (end_day > start_day), night by night.
Quote quote(const PriceTerms& terms, std::span<const DatePrice> dates, int64_t start_day, int64_t end_day);

// The nights' sum at the base and weekend prices alone, for `nights` nights
// of which `weekend` are weekend nights (no date price among them).
inline int64_t plain_nights_total(const PriceTerms& terms, int64_t nights, int64_t weekend) {
  if (terms.weekend_price <= 0) return nights * terms.price;
  return (nights - weekend) * terms.price + weekend * terms.weekend_price;
}
// total from nights_total: less the discount, plus the cleaning fee.
inline int64_t stay_total(const PriceTerms& terms, int64_t nights, int64_t nights_total) {
  return nights_total + terms.cleaning_fee - percent_of(nights_total, discount_percent(terms, nights));
}
// quote(...).total without the list of nights: O(date prices), for the
// search, which prices every candidate of a dated search.
int64_t quote_total(const PriceTerms& terms, std::span<const DatePrice> dates, int64_t start_day,
                    int64_t end_day);
// The same, given the stay's weekend_nights(start_day, end_day) (a search
// counts them once for all its candidates).
int64_t quote_total(const PriceTerms& terms, std::span<const DatePrice> dates, int64_t start_day, int64_t end_day,
                    int64_t weekend);

// Range edits of a house's date prices (kept ascending, disjoint, with
// touching ranges of one price merged): `price` for the nights [from, to),
// over whatever was there; and no date price on [from, to).
void set_date_price(std::vector<DatePrice>& dates, int64_t from, int64_t to, int64_t price);
void clear_date_price(std::vector<DatePrice>& dates, int64_t from, int64_t to);

}  // namespace ihome
