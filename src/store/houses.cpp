// Houses repository: see include/ihome/store/houses.h.
//
// The search is one statement chosen from a fixed set of texts (area or
// not, dates or not, four sorts), every value bound: no SQL is ever built
// from input.  The date filter is a NOT EXISTS probe of the partial index
// orders_house_busy, so each candidate house costs one index seek.
#include "ihome/store/houses.h"

#include "ihome/store/orders.h"

#include "ihome/core/date.h"

namespace ihome {

namespace {

// A closed account's name shows as 已注销用户 (kClosedUserName).
#define CLOSED_AS_NAME "CASE WHEN u.closed_at IS NULL THEN u.name ELSE '已注销用户' END"

// ?8: the unix time a stay's holding is judged at (holds_nights_sql).
constexpr int kNowParam = 8;

// A dated search's quote of the stay [?2, ?3) of ?4 nights, written out in
// SQL as API.md "Pricing" says it (the reference that core/pricing.h, which
// the availability index and booking use, must agree with): every night at
// the base price, its Friday and Saturday nights (strftime %w 5 and 6) at
// the weekend price instead when there is one, and the nights a date price
// covers at that price instead (one seek of house_prices for a house
// without any); the discount the monthly (>= 28 nights, when set) or weekly
// (>= 7) percentage of the nights rounded half-up; plus the cleaning fee.
constexpr const char* kStayNights =
    "WITH RECURSIVE stay_nights(d) AS (SELECT ?2 UNION ALL SELECT date(d, '+1 day') FROM stay_nights "
    "WHERE date(d, '+1 day') < ?3) ";
#define STAY_WEEKEND "strftime('%w', n.d) IN ('5', '6')"
#define STAY_NIGHTS_TOTAL                                                                                   \
  "(?4 * h.price + CASE WHEN h.weekend_price IS NULL THEN 0 ELSE (h.weekend_price - h.price) * "            \
  "(SELECT count(*) FROM stay_nights n WHERE " STAY_WEEKEND ") END + ifnull((SELECT sum(p.price - "        \
  "CASE WHEN h.weekend_price IS NOT NULL AND " STAY_WEEKEND " THEN h.weekend_price ELSE h.price END) "      \
  "FROM house_prices p JOIN stay_nights n ON n.d >= p.start_date AND n.d < p.end_date "                     \
  "WHERE p.house_id = h.id AND p.start_date < ?3 AND p.end_date > ?2), 0))"
constexpr const char* kStayTotal =
    "(SELECT t + h.cleaning_fee - (t * (CASE WHEN ?4 >= 28 AND h.monthly_discount > 0 THEN h.monthly_discount "
    "WHEN ?4 >= 7 THEN h.weekly_discount ELSE 0 END) + 50) / 100 FROM (SELECT " STAY_NIGHTS_TOTAL " AS t))";

bool price_sort(HouseSort s) { return s == HouseSort::kPriceInc || s == HouseSort::kPriceDes; }

Result<std::vector<HouseSummary>> summaries(Result<Stmt> stmt) {
  if (!stmt) return stmt.take_error();
  std::vector<HouseSummary> out;
  Status s = stmt->each([&](const Stmt& row) { out.push_back(read_house_summary(row)); });
  if (!s.ok()) return s.take_error();
  return out;
}

Result<std::vector<NamedId>> named_ids(Result<Stmt> stmt) {
  if (!stmt) return stmt.take_error();
  std::vector<NamedId> out;
  Status s = stmt->each([&](const Stmt& row) { out.push_back({row.int64(0), row.text(1)}); });
  if (!s.ok()) return s.take_error();
  return out;
}

// `for_list`: the page query walks the sort's index and stops after one
// page, so the unary + keeps the planner off houses_area_days (which only
// helps the count, where every candidate is visited anyway).
// `walk_sort`: see Houses::search.
std::string where_clause(const HouseSearch& q, bool for_list, bool walk_sort = false) {
  std::string w = "WHERE h.status = 'online' ";
  if (q.area_id) w += "AND h.area_id = ?1 ";
  if (q.start_day) {
    w += for_list ? "AND +h.min_days <= ?4 " : "AND h.min_days <= ?4 ";
    w += "AND (h.max_days = 0 OR h.max_days >= ?4) ";
    w += "AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.house_id = h.id AND " + holds_nights_sql("o", kNowParam) +
         " AND o.start_date < ?3 AND o.end_date > ?2) ";
  }
  if (q.keyword) w += keyword_condition(*q.keyword, walk_sort);
  // min_price/max_price: the base price, or a stay's average nightly price
  // (its total against the bound times the nights, exactly).
  std::string value = q.start_day ? kStayTotal : "h.price";
  const char* per = q.start_day ? " * ?4 " : " ";
  if (q.min_price) w += "AND " + value + " >= ?8" + per;
  if (q.max_price) w += "AND " + value + " <= ?9" + per;
  return w;
}

const char* order_clause(HouseSort sort, bool dated = false) {
  if (dated && sort == HouseSort::kPriceInc) return "ORDER BY stay_total ASC, h.id DESC ";
  if (dated && sort == HouseSort::kPriceDes) return "ORDER BY stay_total DESC, h.id DESC ";
  switch (sort) {
    case HouseSort::kBooking: return "ORDER BY h.order_count DESC, h.id DESC ";
    case HouseSort::kPriceInc: return "ORDER BY h.price ASC, h.id DESC ";
    case HouseSort::kPriceDes: return "ORDER BY h.price DESC, h.id DESC ";
    case HouseSort::kNew: break;
  }
  return "ORDER BY h.id DESC ";
}

void bind_search(Stmt& s, const HouseSearch& q) {
  if (q.area_id) s.bind(1, *q.area_id);
  if (q.start_day) {
    s.bind(2, format_date(*q.start_day));
    s.bind(3, format_date(*q.end_day));
    s.bind(4, *q.end_day - *q.start_day);
    s.bind(kNowParam, unix_now());
  }
  if (q.keyword) bind_keyword(s, kKeywordParam, *q.keyword);
  if (q.min_price) s.bind(8, *q.min_price);
  if (q.max_price) s.bind(9, *q.max_price);
}

}  // namespace

HouseSummary read_house_summary(const Stmt& s) {
  HouseSummary h;
  h.id = s.int64(0);
  h.title = s.text(1);
  h.price = s.int64(2);
  h.area_name = s.text(3);
  h.address = s.text(4);
  h.room_count = s.int64(5);
  h.order_count = s.int64(6);
  if (!s.is_null(7)) h.image = s.text(7);
  if (!s.is_null(8)) h.owner_avatar = s.text(8);
  h.created_at = s.text(9);
  h.status = s.text(10);
  return h;
}

const std::string& house_summary_select() {
  static const std::string sql =
      "SELECT h.id, h.title, h.price, a.name, h.address, h.room_count, h.order_count, "
      "h.index_image, u.avatar, h.created_at, h.status "
      "FROM houses h JOIN areas a ON a.id = h.area_id JOIN users u ON u.id = h.user_id ";
  return sql;
}

Result<std::vector<NamedId>> Houses::areas() {
  return named_ids(db_.prepare("SELECT id, name FROM areas ORDER BY id"));
}

Result<std::vector<NamedId>> Houses::facilities() {
  return named_ids(db_.prepare("SELECT id, name FROM facilities ORDER BY id"));
}

Result<int64_t> Houses::create(const NewHouse& h) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto insert = db_.prepare(
      "INSERT INTO houses (user_id, area_id, title, price, address, room_count, acreage, unit, "
      "capacity, beds, deposit, min_days, max_days, weekend_price, cleaning_fee, weekly_discount, monthly_discount) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULLIF(?14, 0), ?15, ?16, ?17)");
  if (!insert) return insert.take_error();
  insert->bind(1, h.user_id).bind(2, h.area_id).bind(3, h.title).bind(4, h.price).bind(5, h.address);
  insert->bind(6, h.room_count).bind(7, h.acreage).bind(8, h.unit).bind(9, h.capacity).bind(10, h.beds);
  insert->bind(11, h.deposit).bind(12, h.min_days).bind(13, h.max_days);
  insert->bind(14, h.weekend_price).bind(15, h.cleaning_fee).bind(16, h.weekly_discount).bind(17, h.monthly_discount);
  Status s = insert->run();
  if (!s.ok()) return s.take_error();
  int64_t id = db_.last_insert_id();
  for (int64_t facility : h.facilities) {
    auto f = db_.prepare("INSERT INTO house_facilities (house_id, facility_id) VALUES (?1, ?2)");
    if (!f) return f.take_error();
    f->bind(1, id).bind(2, facility);
    s = f->run();
    if (!s.ok()) return s.take_error();
  }
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return id;
}

Result<std::optional<int64_t>> Houses::owner_of(int64_t house_id) {
  auto s = db_.prepare("SELECT user_id FROM houses WHERE id = ?1");
  if (!s) return s.take_error();
  s->bind(1, house_id);
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(s->int64(0));
}

Status Houses::check_owner(int64_t house_id, int64_t user_id, std::string_view denied) {
  auto owner = owner_of(house_id);
  if (!owner) return owner.take_error();
  if (!*owner) return Error{Errno::kNoData, "房屋不存在", 200, 0};
  if (**owner != user_id) return Error{Errno::kRoleErr, std::string(denied), 200, 0};
  return Status::OK();
}

Result<ImageAdded> Houses::add_image(int64_t house_id, int64_t user_id, const std::string& file,
                                     int64_t max_images) {
  // Count-then-insert: IMMEDIATE, so two uploads cannot both pass the limit.
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  Status owned = check_owner(house_id, user_id, "只有房东可以上传房屋图片");
  if (!owned.ok()) return owned.take_error();
  auto count = db_.prepare("SELECT count(*) FROM house_images WHERE house_id = ?1");
  if (!count) return count.take_error();
  count->bind(1, house_id);
  auto row = count->step();
  if (!row) return row.take_error();
  if (count->int64(0) >= max_images)
    return Error{Errno::kDataErr, "每个房屋最多" + std::to_string(max_images) + "张图片", 200, 0};
  auto insert = db_.prepare("INSERT INTO house_images (house_id, file) VALUES (?1, ?2)");
  if (!insert) return insert.take_error();
  insert->bind(1, house_id).bind(2, file);
  Status s = insert->run();
  if (!s.ok()) return s.take_error();
  auto index = db_.prepare(
      "UPDATE houses SET index_image = ?2, updated_at = datetime('now', 'localtime') "
      "WHERE id = ?1 AND index_image IS NULL");
  if (!index) return index.take_error();
  index->bind(1, house_id).bind(2, file);
  s = index->run();
  if (!s.ok()) return s.take_error();
  ImageAdded added{db_.changes() > 0};
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return added;
}

Result<std::vector<HouseSummary>> Houses::by_owner(int64_t user_id) {
  static const std::string sql = house_summary_select() + "WHERE h.user_id = ?1 ORDER BY h.id DESC";
  auto s = db_.prepare(sql);
  if (s) s->bind(1, user_id);
  return summaries(std::move(s));
}

Result<std::optional<HouseDetail>> Houses::detail(int64_t house_id) {
  auto s = db_.prepare(
      "SELECT h.id, h.user_id, " CLOSED_AS_NAME ", u.avatar, h.title, h.price, h.address, h.room_count, "
      "h.acreage, h.unit, h.capacity, h.beds, h.deposit, h.min_days, h.max_days, h.order_count, h.status, "
      "(SELECT count(*) FROM favorites f WHERE f.house_id = h.id), "
      "ifnull(h.weekend_price, 0), h.cleaning_fee, h.weekly_discount, h.monthly_discount "
      "FROM houses h JOIN users u ON u.id = h.user_id WHERE h.id = ?1");
  if (!s) return s.take_error();
  s->bind(1, house_id);
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<HouseDetail>();
  HouseDetail d;
  d.id = s->int64(0);
  d.user_id = s->int64(1);
  d.user_name = s->text(2);
  if (!s->is_null(3)) d.user_avatar = s->text(3);
  d.title = s->text(4);
  d.price = s->int64(5);
  d.address = s->text(6);
  d.room_count = s->int64(7);
  d.acreage = s->int64(8);
  d.unit = s->text(9);
  d.capacity = s->int64(10);
  d.beds = s->text(11);
  d.deposit = s->int64(12);
  d.min_days = s->int64(13);
  d.max_days = s->int64(14);
  d.order_count = s->int64(15);
  d.status = s->text(16);
  d.favorite_count = s->int64(17);
  d.weekend_price = s->int64(18);
  d.cleaning_fee = s->int64(19);
  d.weekly_discount = s->int64(20);
  d.monthly_discount = s->int64(21);

  // The cover first (API.md "house/image/cover"), then upload order.
  auto images = db_.prepare(
      "SELECT i.file FROM house_images i JOIN houses h ON h.id = i.house_id WHERE i.house_id = ?1 "
      "ORDER BY i.file IS h.index_image DESC, i.id");
  if (!images) return images.take_error();
  images->bind(1, house_id);
  Status done = images->each([&](const Stmt& row) { d.images.push_back(row.text(0)); });
  if (!done.ok()) return done.take_error();
  auto facilities = db_.prepare(
      "SELECT facility_id FROM house_facilities WHERE house_id = ?1 ORDER BY facility_id");
  if (!facilities) return facilities.take_error();
  facilities->bind(1, house_id);
  done = facilities->each([&](const Stmt& row) { d.facilities.push_back(row.int64(0)); });
  if (!done.ok()) return done.take_error();
  auto comments = db_.prepare(
      "SELECT " CLOSED_AS_NAME ", o.updated_at, o.comment FROM orders o JOIN users u ON u.id = o.user_id "
      "WHERE o.house_id = ?1 AND o.status = 'COMPLETE' AND o.comment IS NOT NULL "
      "ORDER BY o.updated_at DESC, o.id DESC LIMIT ?2");
  if (!comments) return comments.take_error();
  comments->bind(1, house_id).bind(2, kMaxComments);
  done = comments->each(
      [&](const Stmt& row) { d.comments.push_back({row.text(0), row.text(1), row.text(2)}); });
  if (!done.ok()) return done.take_error();
  return std::optional<HouseDetail>(std::move(d));
}

Result<std::vector<HouseSummary>> Houses::top_booked() {
  static const std::string sql = house_summary_select() +
                                 "WHERE h.index_image IS NOT NULL AND h.status = 'online' "
                                 "ORDER BY h.order_count DESC, h.id DESC LIMIT ?1";
  auto s = db_.prepare(sql);
  if (s) s->bind(1, kIndexSize);
  return summaries(std::move(s));
}

Result<std::vector<HouseSummary>> Houses::by_ids(const std::vector<int64_t>& ids) {
  std::string list = "[";
  for (int64_t id : ids) list += (list.size() > 1 ? "," : "") + std::to_string(id);
  list += "]";
  static const std::string sql = house_summary_select() + "WHERE h.id IN (SELECT value FROM json_each(?1))";
  auto s = db_.prepare(sql);
  if (s) s->bind(1, list);
  auto rows = summaries(std::move(s));
  if (!rows) return rows.take_error();
  std::vector<HouseSummary> out;
  out.reserve(ids.size());
  for (int64_t id : ids)
    for (HouseSummary& h : *rows)
      if (h.id == id) out.push_back(std::move(h));
  return out;
}

Result<int64_t> Houses::count(const HouseSearch& q) {
  auto count = db_.prepare(std::string(q.start_day ? kStayNights : "") + "SELECT count(*) FROM houses h " +
                           where_clause(q, false));
  if (!count) return count.take_error();
  bind_search(*count, q);
  auto row = count->step();
  if (!row) return row.take_error();
  return count->int64(0);
}

Result<HousePage> Houses::search(const HouseSearch& q, std::optional<int64_t> known_total) {
  HousePage page;
  if (known_total) {
    page.total = *known_total;
  } else {
    auto total = count(q);
    if (!total) return total.take_error();
    page.total = *total;
  }
  if (page.total <= (q.page - 1) * kPageSize) return page;

  // A keyword matching many houses: walk the sort's index and test each
  // house against the keyword's id set (stops after one page) instead of
  // sorting every match; a rare one: sort its few matches.  Not for
  // price-inc across all areas, where SQLite walks (price, id) badly.
  bool dated = q.start_day.has_value();
  bool walk_sort = q.keyword && page.total >= kKeywordWalkMin &&
                   (q.sort != HouseSort::kPriceInc || q.area_id.has_value()) && !(dated && price_sort(q.sort));
  // With dates every house carries its stay's total (an extra column).
  std::string select = house_summary_select();
  if (dated) select.replace(select.find(" FROM houses h "), 0, std::string(", ") + kStayTotal + " AS stay_total");
  auto list = db_.prepare(std::string(dated ? kStayNights : "") + select + where_clause(q, true, walk_sort) +
                          order_clause(q.sort, dated) + "LIMIT ?5 OFFSET ?6");
  if (!list) return list.take_error();
  bind_search(*list, q);
  list->bind(5, kPageSize).bind(6, (q.page - 1) * kPageSize);
  Status done = list->each([&](const Stmt& row) {
    page.houses.push_back(read_house_summary(row));
    if (dated) page.houses.back().stay_total = row.int64(11);
  });
  if (!done.ok()) return done.take_error();
  return page;
}

}  // namespace ihome
