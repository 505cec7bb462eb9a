// Pricing repository: see include/ihome/store/pricing.h.
#include "ihome/store/pricing.h"

#include "ihome/store/orders.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "ihome/core/date.h"

namespace ihome {

namespace {

Result<std::vector<DatePrice>> read_dates(Result<Stmt> s) {
  if (!s) return s.take_error();
  std::vector<DatePrice> out;
  Status done = s->each([&](const Stmt& row) {
    auto from = parse_date(row.text(0));
    auto to = parse_date(row.text(1));
    if (from && to) out.push_back({*from, *to, row.int64(2)});
  });
  if (!done.ok()) return done.take_error();
  return out;
}

}  // namespace

const char* unavailable_name(Unavailable u) {
  switch (u) {
    case Unavailable::kBooked: return "booked";
    case Unavailable::kMinDays: return "min_days";
    case Unavailable::kMaxDays: return "max_days";
    case Unavailable::kOffline: return "offline";
    case Unavailable::kPast: return "past";
    case Unavailable::kNone: break;
  }
  return nullptr;
}

Result<std::optional<HousePricing>> load_house_pricing(Db& db, int64_t house_id) {
  auto s = db.prepare(
      "SELECT user_id, status, min_days, max_days, price, ifnull(weekend_price, 0), cleaning_fee, "
      "weekly_discount, monthly_discount FROM houses WHERE id = ?1");
  if (!s) return s.take_error();
  s->bind(1, house_id);
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<HousePricing>();
  HousePricing h;
  h.user_id = s->int64(0);
  h.status = s->text(1);
  h.min_days = s->int64(2);
  h.max_days = s->int64(3);
  h.terms = PriceTerms{s->int64(4), s->int64(5), s->int64(6), s->int64(7), s->int64(8)};
  auto dates = db.prepare("SELECT start_date, end_date, price FROM house_prices WHERE house_id = ?1 ORDER BY start_date");
  if (dates) dates->bind(1, house_id);
  auto list = read_dates(std::move(dates));
  if (!list) return list.take_error();
  h.dates = std::move(*list);
  return std::optional<HousePricing>(std::move(h));
}

Result<bool> nights_taken(Db& db, int64_t house_id, int64_t start_day, int64_t end_day) {
  static const std::string kTaken = "SELECT 1 FROM orders o WHERE o.house_id = ?1 AND " + holds_nights_sql("o", 4) +
                                    " AND o.start_date < ?3 AND o.end_date > ?2 LIMIT 1";
  auto taken = db.prepare(kTaken);
  if (!taken) return taken.take_error();
  taken->bind(1, house_id).bind(2, format_date(start_day)).bind(3, format_date(end_day)).bind(4, unix_now());
  return taken->step();
}

StayQuote check_stay(const HousePricing& house, bool taken, int64_t today, int64_t start_day, int64_t end_day) {
  StayQuote out;
  out.quote = quote(house.terms, house.dates, start_day, end_day);
  int64_t nights = end_day - start_day;
  if (house.status != "online") out.reason = Unavailable::kOffline;
  else if (start_day < today) out.reason = Unavailable::kPast;
  else if (nights < house.min_days) out.reason = Unavailable::kMinDays;
  else if (house.max_days != 0 && nights > house.max_days) out.reason = Unavailable::kMaxDays;
  else if (taken) out.reason = Unavailable::kBooked;
  return out;
}

Status set_house_prices(Db& db, int64_t house_id, int64_t user_id, int64_t from, int64_t to,
                        std::optional<int64_t> price) {
  auto tx = Transaction::begin(db);
  if (!tx) return tx.take_error();
  auto owner = db.prepare("SELECT user_id FROM houses WHERE id = ?1");
  if (!owner) return owner.take_error();
  owner->bind(1, house_id);
  auto row = owner->step();
  if (!row) return row.take_error();
  if (!*row) return Error{Errno::kNoData, "房屋不存在", 200, 0};
  if (owner->int64(0) != user_id) return Error{Errno::kRoleErr, "只有房东可以设置价格", 200, 0};

  // The ranges touching [from - 1, to + 1) are rewritten (a neighbour of
  // the same price merges); the others stay as they are.
  auto near = db.prepare(
      "SELECT start_date, end_date, price FROM house_prices WHERE house_id = ?1 "
      "AND start_date <= ?3 AND end_date >= ?2 ORDER BY start_date");
  if (near) near->bind(1, house_id).bind(2, format_date(from)).bind(3, format_date(to));
  auto before = read_dates(std::move(near));
  if (!before) return before.take_error();
  std::vector<DatePrice> after = *before;
  if (price) set_date_price(after, from, to, *price);
  else clear_date_price(after, from, to);
  if (after == *before) return Status::OK();  // nothing changes: no write, no cache dropped

  for (const DatePrice& p : *before) {
    auto del = db.prepare("DELETE FROM house_prices WHERE house_id = ?1 AND start_date = ?2");
    if (!del) return del.take_error();
    del->bind(1, house_id).bind(2, format_date(p.start_day));
    Status s = del->run();
    if (!s.ok()) return s;
  }
  for (const DatePrice& p : after) {
    auto ins = db.prepare("INSERT INTO house_prices (house_id, start_date, end_date, price) VALUES (?1, ?2, ?3, ?4)");
    if (!ins) return ins.take_error();
    ins->bind(1, house_id).bind(2, format_date(p.start_day)).bind(3, format_date(p.end_day)).bind(4, p.price);
    Status s = ins->run();
    if (!s.ok()) return s;
  }
  return tx->commit();
}

Result<std::vector<DatePrice>> house_date_prices(Db& db, int64_t house_id, int64_t from, int64_t to) {
  auto s = db.prepare(
      "SELECT start_date, end_date, price FROM house_prices WHERE house_id = ?1 "
      "AND start_date < ?3 AND end_date > ?2 ORDER BY start_date");
  if (s) s->bind(1, house_id).bind(2, format_date(from)).bind(3, format_date(to));
  return read_dates(std::move(s));
}

std::string quote_record(const Quote& q) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("nights");
  w.StartArray();
  for (const QuoteNight& n : q.nights) {
    w.StartArray();
    std::string date = format_date(n.day);
    w.String(date.c_str(), static_cast<rapidjson::SizeType>(date.size()));
    w.Int64(n.price);
    w.EndArray();
  }
  w.EndArray();
  w.Key("nights_total");
  w.Int64(q.nights_total);
  w.Key("cleaning_fee");
  w.Int64(q.cleaning_fee);
  w.Key("discount_percent");
  w.Int64(q.discount_percent);
  w.Key("discount");
  w.Int64(q.discount);
  w.Key("total");
  w.Int64(q.total);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace ihome
