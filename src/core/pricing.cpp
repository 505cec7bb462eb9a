// Pricing: see include/ihome/core/pricing.h.
#include "ihome/core/pricing.h"

#include <algorithm>

namespace ihome {

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days d in [from, to) with d = r (mod 7).
int64_t count_mod7(int64_t from, int64_t to, int64_t r) {
  if (to <= from) return 0;
  return floor_div(to - 1 - r, 7) - floor_div(from - 1 - r, 7);
}

// Day 0 (1970-01-01) was a Thursday: Friday is 1 (mod 7), Saturday 2.
constexpr int64_t kFriday = 1, kSaturday = 2;

}  // namespace

bool is_weekend_night(int64_t day) {
  int64_t r = day - floor_div(day, 7) * 7;
  return r == kFriday || r == kSaturday;
}

int64_t weekend_nights(int64_t from, int64_t to) {
  return count_mod7(from, to, kFriday) + count_mod7(from, to, kSaturday);
}

int64_t night_price(const PriceTerms& terms, std::span<const DatePrice> dates, int64_t day) {
  auto it = std::upper_bound(dates.begin(), dates.end(), day,
                             [](int64_t d, const DatePrice& p) { return d < p.start_day; });
  if (it != dates.begin() && day < std::prev(it)->end_day) return std::prev(it)->price;
  if (terms.weekend_price > 0 && is_weekend_night(day)) return terms.weekend_price;
  return terms.price;
}

Quote quote(const PriceTerms& terms, std::span<const DatePrice> dates, int64_t start_day, int64_t end_day) {
  Quote q;
  q.nights.reserve(static_cast<size_t>(std::max<int64_t>(end_day - start_day, 0)));
  for (int64_t d = start_day; d < end_day; ++d) {
    int64_t price = night_price(terms, dates, d);
    q.nights.push_back({d, price});
    q.nights_total += price;
  }
  q.cleaning_fee = terms.cleaning_fee;
  q.discount_percent = discount_percent(terms, end_day - start_day);
  q.discount = percent_of(q.nights_total, q.discount_percent);
  q.total = q.nights_total + q.cleaning_fee - q.discount;
  return q;
}

int64_t quote_total(const PriceTerms& terms, std::span<const DatePrice> dates, int64_t start_day, int64_t end_day,
                    int64_t weekend) {
  // Base and weekend prices over the whole stay, then each date price's
  // nights swapped in for what they would have cost.
  int64_t nights_total = plain_nights_total(terms, end_day - start_day, weekend);
  if (dates.empty() || dates.front().start_day >= end_day || dates.back().end_day <= start_day)
    return stay_total(terms, end_day - start_day, nights_total);
  auto it = std::upper_bound(dates.begin(), dates.end(), start_day,
                             [](int64_t d, const DatePrice& p) { return d < p.start_day; });
  if (it != dates.begin()) --it;
  for (; it != dates.end() && it->start_day < end_day; ++it) {
    int64_t from = std::max(it->start_day, start_day), to = std::min(it->end_day, end_day);
    if (from >= to) continue;
    nights_total += (to - from) * it->price - plain_nights_total(terms, to - from, weekend_nights(from, to));
  }
  return stay_total(terms, end_day - start_day, nights_total);
}

int64_t quote_total(const PriceTerms& terms, std::span<const DatePrice> dates, int64_t start_day,
                    int64_t end_day) {
  return quote_total(terms, dates, start_day, end_day, weekend_nights(start_day, end_day));
}

void clear_date_price(std::vector<DatePrice>& dates, int64_t from, int64_t to) {
  if (from >= to) return;
  std::vector<DatePrice> out;
  out.reserve(dates.size() + 1);
  for (const DatePrice& p : dates) {
    if (p.end_day <= from || p.start_day >= to) {
      out.push_back(p);
      continue;
    }
    if (p.start_day < from) out.push_back({p.start_day, from, p.price});
    if (p.end_day > to) out.push_back({to, p.end_day, p.price});
  }
  dates = std::move(out);
}

void set_date_price(std::vector<DatePrice>& dates, int64_t from, int64_t to, int64_t price) {
  if (from >= to) return;
  clear_date_price(dates, from, to);
  auto at = std::lower_bound(dates.begin(), dates.end(), from,
                             [](const DatePrice& p, int64_t d) { return p.start_day < d; });
  dates.insert(at, DatePrice{from, to, price});
  // Touching ranges of one price become one.
  std::vector<DatePrice> merged;
  merged.reserve(dates.size());
  for (const DatePrice& p : dates) {
    if (!merged.empty() && merged.back().end_day == p.start_day && merged.back().price == p.price)
      merged.back().end_day = p.end_day;
    else
      merged.push_back(p);
  }
  dates = std::move(merged);
}

}  // namespace ihome
