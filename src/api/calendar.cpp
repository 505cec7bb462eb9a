// Calendar: which nights of a house are taken (API.md house/calendar), for
// the booking page's date picker and the house page's availability strip.
//
// Routes:
//   GET /api/house/calendar?house_id=&from=&days=   public (cached)
//
// The answer goes through the read path (Context::read_through): kept in the
// worker and in memcached while the SQLite generations of orders (nights)
// and houses (min/max days) hold, which triggers move in every writing
// transaction, whoever writes (sql/008_read_path.sql).  Anonymous visitors
// may get it from nginx's micro-cache, at most 1 s old (public_read).
// memcached down: SQLite.
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/core/money.h"
#include "ihome/store/calendar.h"

namespace ihome {

namespace {

constexpr int64_t kDefaultDays = 90;
constexpr int64_t kMaxDays = 366;
constexpr int kCalendarTtl = 600;

Reply house_calendar_reply(Context& ctx, Request& req) {
  TRY_ASSIGN(house_id, req.query.integer("house_id", 1, INT64_MAX));
  int64_t from = today();
  if (!req.query_value("from").empty()) {
    TRY_ASSIGN(day, req.query.date("from"));
    from = day;
  }
  int64_t days = kDefaultDays;
  if (!req.query_value("days").empty()) {
    TRY_ASSIGN(n, req.query.integer("days", 1, kMaxDays));
    days = n;
  }

  std::string key = "calendar:" + std::to_string(house_id) + ":" + format_date(from) + ":" + std::to_string(days);
  auto json = ctx.read_through(key, gen_bit(GenKind::kOrder) | gen_bit(GenKind::kHouse), kCalendarTtl,
                               [&]() -> Result<std::optional<std::string>> {
    auto db = ctx.db();
    if (!db) return db.take_error();
    auto calendar = house_calendar(**db, house_id, from, days);
    if (!calendar) return calendar.take_error();
    if (!*calendar) return std::optional<std::string>();
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("house_id");
    w.Int64(house_id);
    w.Key("from");
    write_string(w, format_date(from));
    w.Key("days");
    w.Int64(days);
    w.Key("min_days");
    w.Int64((*calendar)->min_days);
    w.Key("max_days");
    w.Int64((*calendar)->max_days);
    w.Key("booked");
    w.StartArray();
    for (int64_t night : (*calendar)->booked) write_string(w, format_date(night));
    w.EndArray();
    w.Key("prices");  // every night of the window (API.md "Pricing")
    w.StartObject();
    for (size_t i = 0; i < (*calendar)->prices.size(); ++i) {
      w.Key(format_date(from + static_cast<int64_t>(i)).c_str());
      write_string(w, format_yuan((*calendar)->prices[i]));
    }
    w.EndObject();
    w.EndObject();
    return std::optional<std::string>(std::string(buf.GetString(), buf.GetSize()));
  });
  if (!json) return error_reply(json.error());
  if (!*json) return error_reply(Error{Errno::kNoData, "房屋不存在", 200, 0});
  return ok_spliced_reply(",\"data\":", **json);
}

}  // namespace

void add_calendar_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/house/calendar", public_read(bind_handler(ctx, house_calendar_reply)));
}

}  // namespace ihome
