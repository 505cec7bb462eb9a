// Pricing: a landlord's date prices and a stay's quote (API.md "Pricing").
// The quote is core/pricing.h's, the one booking stores and the search
// sorts on.
//
// Routes:
//   GET  /api/house/quote?house_id=&sd=&ed=        public
//   POST /api/house/prices        {house_id, from, to, price}   (owner)
//   POST /api/house/prices/clear  {house_id, from, to}          (owner)
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/core/money.h"
#include "ihome/store/pricing.h"

namespace ihome {

namespace {

constexpr int64_t kMaxPriceNights = 366;     // nights one house/prices call sets
constexpr int64_t kPriceHorizonDays = 731;   // "within the next two years": [today, today + 731)
constexpr int64_t kMaxQuoteNights = 3650;    // as long as max_days may be
constexpr int64_t kMaxDaysAhead = 2 * 366;   // as booking (src/api/order.cpp): a stay starts by then
constexpr int64_t kMaxPriceFen = 1'000'000 * 100;

Reply quote_reply(Context& ctx, Request& req) {
  TRY_ASSIGN(house_id, req.query.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(sd, req.query.date("sd"));
  TRY_ASSIGN(ed, req.query.date("ed"));
  if (ed <= sd) return error_reply(field_error("ed", "离开日期须晚于入住日期"));
  if (ed - sd > kMaxQuoteNights) return error_reply(field_error("ed", "入住天数过多"));
  if (sd > today() + kMaxDaysAhead) return error_reply(field_error("sd", "入住日期太远"));
  TRY_ASSIGN(db, ctx.db());
  TRY_ASSIGN(house, load_house_pricing(*db, house_id));
  if (!house) return error_reply(Error{Errno::kNoData, "房屋不存在", 200, 0});
  TRY_ASSIGN(taken, nights_taken(*db, house_id, sd, ed));
  StayQuote stay = check_stay(*house, taken, today(), sd, ed);
  const Quote& q = stay.quote;
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("house_id");
    w.Int64(house_id);
    w.Key("available");
    w.Bool(stay.reason == Unavailable::kNone);
    w.Key("reason");
    if (const char* why = unavailable_name(stay.reason)) write_string(w, why);
    else w.Null();
    w.Key("nights");
    w.StartArray();
    for (const QuoteNight& n : q.nights) {
      w.StartObject();
      w.Key("date");
      write_string(w, format_date(n.day));
      w.Key("price");
      write_string(w, format_yuan(n.price));
      w.EndObject();
    }
    w.EndArray();
    auto money = [&](const char* key, int64_t fen) {
      w.Key(key);
      write_string(w, format_yuan(fen));
    };
    money("nights_total", q.nights_total);
    money("cleaning_fee", q.cleaning_fee);
    w.Key("discount_percent");
    w.Int64(q.discount_percent);
    money("discount", q.discount);
    money("total", q.total);
    w.EndObject();
  });
}

// house/prices and house/prices/clear: `with_price` sets, else clears.
Reply prices(Context& ctx, Request& req, bool with_price) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(from, req.body.date("from"));
  TRY_ASSIGN(to, req.body.date("to"));
  std::optional<int64_t> price;
  if (with_price) {
    TRY_ASSIGN(fen, req.body.money("price", 1, kMaxPriceFen));
    price = fen;
  }
  if (to <= from) return error_reply(field_error("to", "须晚于开始日期"));
  if (to - from > kMaxPriceNights) return error_reply(field_error("to", "一次最多设置366晚"));
  int64_t now = today();
  if (from < now) return error_reply(field_error("from", "不能早于今天"));
  if (to > now + kPriceHorizonDays) return error_reply(field_error("to", "只能设置未来两年内的价格"));
  TRY_ASSIGN(db, ctx.db());
  TRY(set_house_prices(*db, house_id, session.user_id, from, to, price));
  log_info(std::string(with_price ? "house prices set" : "house prices cleared") +
           " house_id=" + std::to_string(house_id) + " from=" + format_date(from) + " to=" + format_date(to));
  return ok_reply();
}

Reply set_prices(Context& ctx, Request& req) { return prices(ctx, req, true); }
Reply clear_prices(Context& ctx, Request& req) { return prices(ctx, req, false); }

}  // namespace

void add_pricing_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/house/quote", bind_handler(ctx, quote_reply));
  router.add("POST", "/api/house/prices", bind_handler(ctx, set_prices));
  router.add("POST", "/api/house/prices/clear", bind_handler(ctx, clear_prices));
}

}  // namespace ihome
