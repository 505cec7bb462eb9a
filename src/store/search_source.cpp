// SQL of the availability index: see include/ihome/store/search_source.h.
// "Holds its nights" is the same status list as the SQL search's
// (src/store/houses.cpp) and the booking's overlap check.
#include "ihome/store/search_source.h"

#include "ihome/core/date.h"

namespace ihome {

namespace {

constexpr const char* kHouseColumns =
    "SELECT id, area_id, price, order_count, min_days, max_days, status = 'online', rating_sum, rating_count "
    "FROM houses ";

IndexedHouse read_house(const Stmt& s) {
  IndexedHouse h;
  h.id = s.int64(0);
  h.area_id = s.int64(1);
  h.price = s.int64(2);
  h.order_count = s.int64(3);
  h.min_days = s.int64(4);
  h.max_days = s.int64(5);
  h.listed = s.int64(6) != 0;  // offline houses stay out of searches (API.md house/status)
  h.rating_sum = s.int64(7);
  h.rating_count = s.int64(8);
  return h;
}

std::optional<BusyStay> read_stay(const Stmt& s, int col) {
  auto start = parse_date(s.text(col));
  auto end = parse_date(s.text(col + 1));
  if (!start || !end) return std::nullopt;  // not a date (ihomed never writes one): left out
  return BusyStay{*start, *end};
}

}  // namespace

Result<int64_t> SearchSource::last_change() {
  auto s = db_.prepare("SELECT ifnull(max(seq), 0) FROM search_changes");
  if (!s) return s.take_error();
  auto row = s->step();
  if (!row) return row.take_error();
  return s->int64(0);
}

Result<std::vector<std::pair<int64_t, int64_t>>> SearchSource::changes_after(int64_t seq, int64_t limit) {
  auto s = db_.prepare("SELECT seq, house_id FROM search_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  if (!s) return s.take_error();
  s->bind(1, seq).bind(2, limit);
  std::vector<std::pair<int64_t, int64_t>> out;
  Status done = s->each([&](const Stmt& r) { out.emplace_back(r.int64(0), r.int64(1)); });
  if (!done.ok()) return done.take_error();
  return out;
}

Status SearchSource::each_house(
    int64_t base_day, const std::function<void(const IndexedHouse&, const std::vector<BusyStay>&)>& fn) {
  // Two ordered walks merged: houses by id, busy stays by house id.
  auto houses = db_.prepare(std::string(kHouseColumns) + "ORDER BY id");
  if (!houses) return houses.take_error();
  auto stays = db_.prepare(
      "SELECT house_id, start_date, end_date FROM orders "
      "WHERE status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE') AND end_date > ?1 "
      "ORDER BY house_id");
  if (!stays) return stays.take_error();
  stays->bind(1, format_date(base_day));
  auto more = stays->step();
  if (!more) return more.take_error();
  bool have_stay = *more;
  std::vector<BusyStay> held;
  return houses->each([&](const Stmt& row) {
    IndexedHouse h = read_house(row);
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

Result<std::optional<IndexedHouse>> SearchSource::house(int64_t id, int64_t base_day,
                                                        std::vector<BusyStay>& stays) {
  stays.clear();
  auto s = db_.prepare(std::string(kHouseColumns) + "WHERE id = ?1");
  if (!s) return s.take_error();
  s->bind(1, id);
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<IndexedHouse>();
  IndexedHouse h = read_house(*s);
  auto o = db_.prepare(
      "SELECT start_date, end_date FROM orders "
      "WHERE house_id = ?1 AND status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE') AND end_date > ?2");
  if (!o) return o.take_error();
  o->bind(1, id).bind(2, format_date(base_day));
  Status done = o->each([&](const Stmt& r) {
    if (auto stay = read_stay(r, 0)) stays.push_back(*stay);
  });
  if (!done.ok()) return done.take_error();
  return std::optional<IndexedHouse>(h);
}

}  // namespace ihome
