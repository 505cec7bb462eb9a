// iCal export: each house's calendar for other booking platforms (API.md
// "house/ical_url", "house/ical").
//
// Routes:
//   GET  /api/house/ical_url?house_id=      the secret calendar URL, null while none (owner)
//   POST /api/house/ical_url/reset {house_id} a new token (the first one too), old URL dead (owner)
//   GET  /api/house/ical?house_id=&token=   text/calendar (no login: the token is the key)
//
// The feed holds the stays that keep the house's nights (waiting, accepted,
// completed) ending 30 days ago or later: dates, a stable UID per order and
// a status word — never the guest's name, mobile or comment.  A wrong or
// missing token and an unknown house get the same 404, so the URL reveals
// nothing about which houses exist.
#include <ctime>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/core/ical.h"
#include "ihome/core/log.h"
#include "ihome/core/text.h"
#include "ihome/store/houses.h"
#include "ihome/store/landlord.h"

namespace ihome {

namespace {

constexpr int64_t kPastDays = 30;

std::string calendar_url(int64_t house_id, const std::string& token) {
  return "/api/house/ical?house_id=" + std::to_string(house_id) + "&token=" + token;
}

// {data: {url}}: null while the house has no token.
Reply url_reply(int64_t house_id, const std::optional<std::string>& token) {
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("url");
    if (token) write_string(w, calendar_url(house_id, *token));
    else w.Null();
    w.EndObject();
  });
}

// The owner check of both URL routes: NODATA for an unknown house, ROLEERR
// for someone else's.
Status check_owner(Db& db, int64_t house_id, int64_t user_id) {
  return Houses(db).check_owner(house_id, user_id, "只有房东可以查看日历链接");
}

Reply ical_url(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.query.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(db, ctx.db());
  TRY(check_owner(*db, house_id, session.user_id));
  // A GET never writes: no token yet answers null (the reset route makes one).
  TRY_ASSIGN(token, Landlords(*db).ical_token(house_id));
  return url_reply(house_id, token);
}

Reply ical_url_reset(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(db, ctx.db());
  TRY(check_owner(*db, house_id, session.user_id));
  TRY_ASSIGN(token, Landlords(*db).reset_ical_token(house_id));
  log_info("calendar token reset house_id=" + std::to_string(house_id));
  return url_reply(house_id, token);
}

std::string utc_stamp() {
  time_t now = unix_now();
  struct tm tm {};
  gmtime_r(&now, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Reply ical(Context& ctx, Request& req) {
  const Error not_found{Errno::kNoData, "日历不存在", 404, 0};
  // Malformed values get the same answer as wrong ones.
  auto house_id = req.query.integer("house_id", 1, INT64_MAX);
  std::string token = req.query_value("token");
  if (!house_id || !is_token(token, kIcalTokenBytes)) return error_reply(not_found);
  TRY_ASSIGN(db, ctx.db());
  Landlords landlords(*db);
  TRY_ASSIGN(matches, landlords.ical_token_matches(*house_id, token));
  if (!matches) return error_reply(not_found);
  TRY_ASSIGN(title, landlords.house_title(*house_id));
  if (!title) return error_reply(not_found);
  TRY_ASSIGN(stays, landlords.calendar_stays(*house_id, format_date(today() - kPastDays)));

  std::vector<IcalEvent> events;
  events.reserve(stays.size());
  for (const CalendarStay& s : stays) {
    // Asked, or accepted and not paid yet: the nights may still come free.
    bool waiting = s.status == "WAIT_ACCEPT" || s.status == "WAIT_PAYMENT";
    events.push_back({"order-" + std::to_string(s.order_id) + "@ihome", ical_date(s.start_date),
                      ical_date(s.end_date), waiting ? "爱家租房：待确认的预订" : "爱家租房：已预订",
                      waiting ? "TENTATIVE" : "CONFIRMED"});
  }
  Reply r;
  r.content_type = "text/calendar; charset=utf-8";
  r.add_header("Cache-Control", "private, max-age=300");
  r.add_header("Content-Disposition", "inline; filename=\"ihome-" + std::to_string(*house_id) + ".ics\"");
  r.body = ical_calendar("爱家租房 · " + *title, utc_stamp(), events);
  return r;
}

}  // namespace

void add_ical_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/house/ical_url", bind_handler(ctx, ical_url));
  router.add("POST", "/api/house/ical_url/reset", bind_handler(ctx, ical_url_reset));
  router.add("GET", "/api/house/ical", bind_handler(ctx, ical));
}

}  // namespace ihome
