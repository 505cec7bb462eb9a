// SQL of the availability index: see include/ihome/store/search_source.h.
// "Holds its nights" is holds_nights_sql(), as in the SQL search
// (src/store/houses.cpp) and the booking's overlap check.
#include "ihome/store/search_source.h"

#include "ihome/core/date.h"
#include "ihome/store/orders.h"

namespace ihome {

namespace {

constexpr const char* kHouseColumns =
    "SELECT id, area_id, price, order_count, min_days, max_days, status = 'online', "
    "ifnull(weekend_price, 0), cleaning_fee, weekly_discount, monthly_discount, rating_sum, rating_count FROM houses ";

IndexedHouse read_house(const Stmt& s) {
  IndexedHouse h;
  h.id = s.int64(0);
  h.area_id = s.int64(1);
  h.price = s.int64(2);
  h.order_count = s.int64(3);
  h.min_days = s.int64(4);
  h.max_days = s.int64(5);
  h.listed = s.int64(6) != 0;  // offline houses stay out of searches (API.md house/status)
  h.weekend_price = s.int64(7);
  h.cleaning_fee = s.int64(8);
  h.weekly_discount = s.int64(9);
  h.monthly_discount = s.int64(10);
  h.rating_sum = s.int64(11);
  h.rating_count = s.int64(12);
  return h;
}

std::optional<DatePrice> read_date_price(const Stmt& s, int col) {
  auto start = parse_date(s.text(col));
  auto end = parse_date(s.text(col + 1));
  if (!start || !end) return std::nullopt;
  return DatePrice{*start, *end, s.int64(col + 2)};
}

// Columns start_date, end_date, then pay_by when the order waits for its payment.
std::optional<BusyStay> read_stay(const Stmt& s, int col) {
  auto start = parse_date(s.text(col));
  auto end = parse_date(s.text(col + 1));
  if (!start || !end) return std::nullopt;  // not a date (ihomed never writes one): left out
  return BusyStay{*start, *end, s.is_null(col + 2) ? INT64_MAX : s.int64(col + 2)};
}

// (seq, house_id) rows of the change log: `sql` binds the seq as ?1 and a limit as ?2.
Result<std::vector<std::pair<int64_t, int64_t>>> log_entries(Db& db, const char* sql, int64_t seq, int64_t limit) {
  auto s = db.prepare(sql);
  if (!s) return s.take_error();
  s->bind(1, seq).bind(2, limit);
  std::vector<std::pair<int64_t, int64_t>> out;
  Status done = s->each([&](const Stmt& r) { out.emplace_back(r.int64(0), r.int64(1)); });
  if (!done.ok()) return done.take_error();
  return out;
}

}  // namespace

Result<int64_t> SearchSource::last_change() {
  auto s = db_.prepare("SELECT ifnull(max(seq), 0) FROM search_changes");
  if (!s) return s.take_error();
  auto row = s->step();
  if (!row) return row.take_error();
  return s->int64(0);
}

Result<std::vector<std::pair<int64_t, int64_t>>> SearchSource::changes_up_to(int64_t seq, int64_t limit) {
  return log_entries(db_, "SELECT seq, house_id FROM search_changes WHERE seq <= ?1 ORDER BY seq DESC LIMIT ?2", seq,
                     limit);
}

Result<std::string> SearchSource::identity() {
  auto s = db_.prepare("SELECT token FROM database_identity WHERE id = 1");
  if (!s) return s.take_error();
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return db_error("database_identity has no row");
  return s->blob(0);
}

Result<std::vector<std::pair<int64_t, int64_t>>> SearchSource::changes_after(int64_t seq, int64_t limit) {
  return log_entries(db_, "SELECT seq, house_id FROM search_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2", seq, limit);
}

Status SearchSource::each_house(
    int64_t base_day, int64_t now,
    const std::function<void(const IndexedHouse&, const std::vector<BusyStay>&)>& fn) {
  // Two ordered walks merged: houses by id, busy stays by house id.
  auto houses = db_.prepare(std::string(kHouseColumns) + "ORDER BY id");
  if (!houses) return houses.take_error();
  static const std::string kStays =
      "SELECT o.house_id, o.start_date, o.end_date, CASE WHEN o.status = 'WAIT_PAYMENT' THEN o.pay_by END "
      "FROM orders o WHERE " + holds_nights_sql("o", 2) + " AND o.end_date > ?1 ORDER BY o.house_id";
  auto stays = db_.prepare(kStays);
  if (!stays) return stays.take_error();
  stays->bind(1, format_date(base_day)).bind(2, now);
  auto more = stays->step();
  if (!more) return more.take_error();
  bool have_stay = *more;
  auto prices = db_.prepare(
      "SELECT house_id, start_date, end_date, price FROM house_prices WHERE end_date > ?1 "
      "ORDER BY house_id, start_date");
  if (!prices) return prices.take_error();
  prices->bind(1, format_date(base_day));
  auto more_prices = prices->step();
  if (!more_prices) return more_prices.take_error();
  bool have_price = *more_prices;
  std::vector<BusyStay> held;
  return houses->each([&](const Stmt& row) {
    IndexedHouse h = read_house(row);
    while (have_price && prices->int64(0) <= h.id) {
      if (prices->int64(0) == h.id)
        if (auto p = read_date_price(*prices, 1)) h.dates.push_back(*p);
      auto next = prices->step();
      have_price = next && *next;
    }
    held.clear();
    while (have_stay && stays->int64(0) <= h.id) {
      if (stays->int64(0) == h.id)
        if (auto stay = read_stay(*stays, 1)) held.push_back(*stay);
      auto next = stays->step();
      have_stay = next && *next;
    }
    fn(h, held);
  });
}

Result<std::optional<IndexedHouse>> SearchSource::house(int64_t id, int64_t base_day, int64_t now,
                                                        std::vector<BusyStay>& stays) {
  stays.clear();
  auto s = db_.prepare(std::string(kHouseColumns) + "WHERE id = ?1");
  if (!s) return s.take_error();
  s->bind(1, id);
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<IndexedHouse>();
  IndexedHouse h = read_house(*s);
  static const std::string kStays =
      "SELECT o.start_date, o.end_date, CASE WHEN o.status = 'WAIT_PAYMENT' THEN o.pay_by END FROM orders o "
      "WHERE o.house_id = ?1 AND " + holds_nights_sql("o", 3) + " AND o.end_date > ?2";
  auto o = db_.prepare(kStays);
  if (!o) return o.take_error();
  o->bind(1, id).bind(2, format_date(base_day)).bind(3, now);
  Status done = o->each([&](const Stmt& r) {
    if (auto stay = read_stay(r, 0)) stays.push_back(*stay);
  });
  if (!done.ok()) return done.take_error();
  auto p = db_.prepare(
      "SELECT start_date, end_date, price FROM house_prices WHERE house_id = ?1 AND end_date > ?2 "
      "ORDER BY start_date");
  if (!p) return p.take_error();
  p->bind(1, id).bind(2, format_date(base_day));
  done = p->each([&](const Stmt& r) {
    if (auto price = read_date_price(r, 0)) h.dates.push_back(*price);
  });
  if (!done.ok()) return done.take_error();
  return std::optional<IndexedHouse>(std::move(h));
}

}  // namespace ihome
