// Landlord repository: see include/ihome/store/landlord.h.
#include "ihome/store/landlord.h"

#include <sodium.h>

#include <cstdio>

#include "ihome/core/date.h"
#include "ihome/core/random.h"
#include "ihome/store/orders.h"

namespace ihome {

namespace {

// ?1 user, ?2 first day of the year, ?3 first day of the next year.
// A stay counts when it earned something (orders.earned: paid net of
// refunds, or the amount under payment_provider = none); its nights inside
// [a, b) are julianday(min(end, b)) - julianday(max(start, a)), and they earn
// its money spread evenly over all its nights: the part of the nights
// before b minus the part before a, each rounded down, so the parts of one
// stay add up to exactly what it earned.
#define IHOME_NIGHTS_IN(a, b) \
  "CAST(round(julianday(min(o.end_date, " b ")) - julianday(max(o.start_date, " a "))) AS INTEGER)"
#define IHOME_EARNED_IN(a, b)                                                                              \
  "(o.earned * CAST(round(julianday(min(o.end_date, " b ")) - julianday(o.start_date)) AS INTEGER) / o.days - " \
  "o.earned * CAST(round(julianday(max(o.start_date, " a ")) - julianday(o.start_date)) AS INTEGER) / o.days)"

constexpr const char* kHouseYearSql =
    "SELECT h.id, h.title, COUNT(o.id), COALESCE(SUM(" IHOME_NIGHTS_IN("?2", "?3") "), 0), "
    "COALESCE(SUM(" IHOME_EARNED_IN("?2", "?3") "), 0) "
    "FROM houses h "
    "LEFT JOIN orders o ON o.house_id = h.id AND o.earned > 0 AND o.end_date > ?2 AND o.start_date < ?3 "
    "WHERE h.user_id = ?1 GROUP BY h.id ORDER BY h.id";

// The stays are MATERIALIZED: otherwise SQLite walks the months outside and
// reads every stay twelve times (measured: 200 ms against 18 ms for a
// landlord of 1196 houses and 1782 stays).
constexpr const char* kMonthSql =
    "WITH RECURSIVE months (m, first, next) AS ("
    "  SELECT 1, ?2, date(?2, '+1 month')"
    "  UNION ALL"
    "  SELECT m + 1, next, date(next, '+1 month') FROM months WHERE m < 12"
    "),"
    "stays AS MATERIALIZED ("
    "  SELECT o.start_date, o.end_date, o.earned, o.days"
    "  FROM houses h"
    "  JOIN orders o ON o.house_id = h.id AND o.earned > 0 AND o.end_date > ?2 AND o.start_date < ?3"
    "  WHERE h.user_id = ?1"
    "),"
    "pieces AS ("
    "  SELECT m.m AS m, " IHOME_NIGHTS_IN("m.first", "m.next") " AS n, "
    IHOME_EARNED_IN("m.first", "m.next") " AS amount"
    "  FROM stays o JOIN months m ON o.start_date < m.next AND o.end_date > m.first"
    ")"
    "SELECT m, COUNT(*), SUM(n), SUM(amount) FROM pieces GROUP BY m ORDER BY m";
#undef IHOME_NIGHTS_IN
#undef IHOME_EARNED_IN

std::string first_day(int year) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-01-01", year);
  return buf;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

}  // namespace

Result<LandlordYear> Landlords::year_summary(int64_t user_id, int year) {
  LandlordYear out;
  out.year = year;
  out.days = is_leap(year) ? 366 : 365;
  std::string from = first_day(year), to = first_day(year + 1);

  auto houses = db_.prepare(kHouseYearSql);
  if (!houses) return houses.take_error();
  houses->bind(1, user_id).bind(2, from).bind(3, to);
  Status s = houses->each([&](const Stmt& row) {
    HouseYear h;
    h.house_id = row.int64(0);
    h.title = row.text(1);
    h.totals = {row.int64(2), row.int64(3), row.int64(4)};
    out.total.orders += h.totals.orders;
    out.total.nights += h.totals.nights;
    out.total.amount += h.totals.amount;
    out.houses.push_back(std::move(h));
  });
  if (!s.ok()) return s.take_error();

  auto months = db_.prepare(kMonthSql);
  if (!months) return months.take_error();
  months->bind(1, user_id).bind(2, from).bind(3, to);
  s = months->each([&](const Stmt& row) {
    int64_t m = row.int64(0);
    if (m >= 1 && m <= 12) out.months[static_cast<size_t>(m - 1)] = {row.int64(1), row.int64(2), row.int64(3)};
  });
  if (!s.ok()) return s.take_error();
  return out;
}

Result<std::optional<std::string>> Landlords::ical_token(int64_t house_id) {
  auto select = db_.prepare("SELECT token FROM house_ical_tokens WHERE house_id = ?1");
  if (!select) return select.take_error();
  select->bind(1, house_id);
  auto row = select->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(select->text(0));
}

Result<std::string> Landlords::reset_ical_token(int64_t house_id) {
  std::string token = random_token(kIcalTokenBytes);
  auto stmt = db_.prepare(
      "INSERT INTO house_ical_tokens (house_id, token) VALUES (?1, ?2) "
      "ON CONFLICT (house_id) DO UPDATE SET token = excluded.token, "
      "created_at = datetime('now', 'localtime')");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, house_id).bind(2, token);
  Status s = stmt->run();
  if (!s.ok()) return s.take_error();
  return token;
}

Result<bool> Landlords::ical_token_matches(int64_t house_id, std::string_view token) {
  auto stmt = db_.prepare("SELECT token FROM house_ical_tokens WHERE house_id = ?1");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, house_id);
  auto row = stmt->step();
  if (!row) return row.take_error();
  if (!*row) return false;
  std::string stored = stmt->text(0);
  // The length is no secret (every token has the same); the bytes are
  // compared in constant time.
  if (stored.size() != token.size() || stored.empty()) return false;
  return sodium_memcmp(stored.data(), token.data(), stored.size()) == 0;
}

Result<std::vector<CalendarStay>> Landlords::calendar_stays(int64_t house_id, const std::string& from_date) {
  static const std::string kStays = "SELECT o.id, o.start_date, o.end_date, o.status FROM orders o "
                                    "WHERE o.house_id = ?1 AND o.end_date >= ?2 AND " +
                                    holds_nights_sql("o", 3) + " ORDER BY o.start_date, o.id";
  auto stmt = db_.prepare(kStays);
  if (!stmt) return stmt.take_error();
  stmt->bind(1, house_id).bind(2, from_date).bind(3, unix_now());
  std::vector<CalendarStay> out;
  Status s = stmt->each([&](const Stmt& row) {
    out.push_back({row.int64(0), row.text(1), row.text(2), row.text(3)});
  });
  if (!s.ok()) return s.take_error();
  return out;
}

Result<std::optional<std::string>> Landlords::house_title(int64_t house_id) {
  auto stmt = db_.prepare("SELECT title FROM houses WHERE id = ?1");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, house_id);
  auto row = stmt->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->text(0));
}

}  // namespace ihome
