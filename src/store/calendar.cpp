// Calendar repository: see include/ihome/store/calendar.h.
//
// One seek of orders_house_busy (house_id, end_date > from) reads only the
// stays that can touch the window; their nights are expanded here.
#include "ihome/store/calendar.h"

#include <algorithm>

#include "ihome/core/date.h"
#include "ihome/store/orders.h"
#include "ihome/core/pricing.h"

namespace ihome {

std::vector<int64_t> nights_in_window(const std::vector<Stay>& stays, int64_t from, int64_t days) {
  std::vector<int64_t> out;
  int64_t until = from + days;
  for (const auto& [start, end] : stays)
    for (int64_t night = std::max(start, from); night < std::min(end, until); ++night) out.push_back(night);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::optional<HouseCalendar>> house_calendar(Db& db, int64_t house_id, int64_t from, int64_t days) {
  // One read transaction: the house's rules and its stays from one snapshot.
  auto tx = Transaction::begin(db, Transaction::Mode::kDeferred);
  if (!tx) return tx.take_error();
  auto house = db.prepare(
      "SELECT min_days, max_days, price, ifnull(weekend_price, 0), cleaning_fee, weekly_discount, "
      "monthly_discount FROM houses WHERE id = ?1");
  if (!house) return house.take_error();
  house->bind(1, house_id);
  auto row = house->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<HouseCalendar>();
  HouseCalendar cal;
  cal.min_days = house->int64(0);
  cal.max_days = house->int64(1);
  PriceTerms terms{house->int64(2), house->int64(3), house->int64(4), house->int64(5), house->int64(6)};
  auto dated = db.prepare(
      "SELECT start_date, end_date, price FROM house_prices WHERE house_id = ?1 "
      "AND start_date < ?3 AND end_date > ?2 ORDER BY start_date");
  if (!dated) return dated.take_error();
  dated->bind(1, house_id).bind(2, format_date(from)).bind(3, format_date(from + days));
  std::vector<DatePrice> dates;
  Status read = dated->each([&](const Stmt& r) {
    auto start = parse_date(r.text(0)), end = parse_date(r.text(1));
    if (start && end) dates.push_back({*start, *end, r.int64(2)});
  });
  if (!read.ok()) return read.take_error();
  cal.prices.reserve(static_cast<size_t>(days));
  for (int64_t night = from; night < from + days; ++night) cal.prices.push_back(night_price(terms, dates, night));

  static const std::string kBusy = "SELECT o.start_date, o.end_date FROM orders o WHERE o.house_id = ?1 AND " +
                                   holds_nights_sql("o", 4) + " AND o.end_date > ?2 AND o.start_date < ?3";
  auto busy = db.prepare(kBusy);
  if (!busy) return busy.take_error();
  busy->bind(1, house_id).bind(2, format_date(from)).bind(3, format_date(from + days)).bind(4, unix_now());
  std::vector<Stay> stays;
  Status done = busy->each([&](const Stmt& r) {
    auto start = parse_date(r.text(0)), end = parse_date(r.text(1));
    if (start && end) stays.emplace_back(*start, *end);
  });
  if (!done.ok()) return done.take_error();
  Status s = tx->commit();
  if (!s.ok()) return s.take_error();
  cal.booked = nights_in_window(stays, from, days);
  return std::optional<HouseCalendar>(std::move(cal));
}

}  // namespace ihome
