// Calendar: which nights of a house are taken (API.md house/calendar), for
// the booking page's date picker and the house page's availability strip.
//
// Routes:
//   GET /api/house/calendar?house_id=&from=&days=   public (cached)
//
// The answer is cached in memcached under the house's calendar generation
// (calendar_gen:<id>), which every write that books, frees or re-rules the
// house's nights increments (forget_calendar) after its commit.  A reader
// reads the generation before SQLite, so an answer computed from a snapshot
// older than a write can only be stored under a generation that write has
// already left behind: nobody reads it again.  memcached down: SQLite.
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/store/calendar.h"

namespace ihome {

namespace {

constexpr int64_t kDefaultDays = 90;
constexpr int64_t kMaxDays = 366;
constexpr int kCalendarTtl = 600;

std::string generation_key(int64_t house_id) { return "calendar_gen:" + std::to_string(house_id); }

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

  // An absent generation is "0": the first increment makes it 1.
  std::optional<std::string> key;
  auto generation = ctx.cache().get(generation_key(house_id));
  if (generation) {
    key = "calendar:" + std::to_string(house_id) + ":" + generation->value_or("0") + ":" +
          format_date(from) + ":" + std::to_string(days);
    if (auto cached = ctx.cached(*key)) {
      return ok_reply([&](JsonWriter& w) {
        w.Key("data");
        w.RawValue(cached->data(), cached->size(), rapidjson::kObjectType);
      });
    }
  }

  TRY_ASSIGN(db, ctx.db());
  TRY_ASSIGN(calendar, house_calendar(*db, house_id, from, days));
  if (!calendar) return error_reply(Error{Errno::kNoData, "房屋不存在", 200, 0});
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
  w.Int64(calendar->min_days);
  w.Key("max_days");
  w.Int64(calendar->max_days);
  w.Key("booked");
  w.StartArray();
  for (int64_t night : calendar->booked) write_string(w, format_date(night));
  w.EndArray();
  w.EndObject();
  std::string json(buf.GetString(), buf.GetSize());
  if (key) ctx.remember(*key, json, kCalendarTtl);
  return ok_reply([&](JsonWriter& out) {
    out.Key("data");
    out.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  });
}

}  // namespace

void forget_calendar(Context& ctx, int64_t house_id) {
  // Never expires (TTL 0): a generation that vanished would start again at
  // 1 and could meet an answer cached under an earlier 1.
  (void)ctx.cache().increment(generation_key(house_id), 0);
}

void add_calendar_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/house/calendar", bind_handler(ctx, house_calendar_reply));
}

}  // namespace ihome
