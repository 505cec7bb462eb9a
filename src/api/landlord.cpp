// Landlords: the earnings summary of API.md "Landlords".
//
// Routes:
//   GET /api/landlord/summary?year=YYYY   the year of my houses (login)
//
// The numbers are computed by SQLite (src/store/landlord.cpp); this file
// only validates the year and shapes the JSON: amounts in yuan, occupancy =
// nights / days of the year with 3 decimals.
#include <cmath>
#include <ctime>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/core/money.h"
#include "ihome/store/landlord.h"

namespace ihome {

namespace {

int current_year() {
  time_t now = unix_now();
  struct tm tm {};
  localtime_r(&now, &tm);
  return tm.tm_year + 1900;
}

void write_totals(JsonWriter& w, const StayTotals& t) {
  w.Key("orders");
  w.Int64(t.orders);
  w.Key("nights");
  w.Int64(t.nights);
  w.Key("amount");
  write_string(w, format_yuan(t.amount));
}

Reply summary(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(year, req.query.integer_or("year", 1900, 9998, current_year()));
  TRY_ASSIGN(db, ctx.db());
  Landlords landlords(*db);
  TRY_ASSIGN(y, landlords.year_summary(session.user_id, static_cast<int>(year)));
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("year");
    w.Int(y.year);
    w.Key("days");
    w.Int(y.days);
    w.Key("total");
    w.StartObject();
    write_totals(w, y.total);
    w.EndObject();
    w.Key("months");
    w.StartArray();
    for (size_t m = 0; m < y.months.size(); ++m) {
      char label[16];
      std::snprintf(label, sizeof label, "%04d-%02zu", y.year, m + 1);
      w.StartObject();
      w.Key("month");
      w.String(label);
      write_totals(w, y.months[m]);
      w.EndObject();
    }
    w.EndArray();
    w.Key("houses");
    w.StartArray();
    for (const HouseYear& h : y.houses) {
      w.StartObject();
      w.Key("house_id");
      w.Int64(h.house_id);
      w.Key("title");
      write_string(w, h.title);
      write_totals(w, h.totals);
      w.Key("occupancy");
      double occupancy = static_cast<double>(h.totals.nights) / y.days;
      w.Double(std::round(occupancy * 1000.0) / 1000.0);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

}  // namespace

void add_landlord_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/landlord/summary", bind_handler(ctx, summary));
}

}  // namespace ihome
