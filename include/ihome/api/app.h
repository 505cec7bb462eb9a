// App: the routes of every API resource and the handling of one request
// around its handler — route lookup (404/405), body size (413), CSRF on
// state-changing methods (403), body parsing (4103), the `_xsrf` cookie,
// turning a thrown exception into a 500 JSON answer, and the access log line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ihome/api/context.h"
#include "ihome/http/reply.h"
#include "ihome/http/request.h"
#include "ihome/http/router.h"

namespace ihome {

// Each resource file adds its routes (listed at the top of that file).
void add_passport_routes(Router& router, Context& ctx);
void add_health_routes(Router& router, Context& ctx);
void add_profile_routes(Router& router, Context& ctx);
void add_house_routes(Router& router, Context& ctx);
void add_order_routes(Router& router, Context& ctx);
void add_account_routes(Router& router, Context& ctx);
void add_house_manage_routes(Router& router, Context& ctx);
void add_landlord_routes(Router& router, Context& ctx);
void add_ical_routes(Router& router, Context& ctx);
void add_calendar_routes(Router& router, Context& ctx);
void add_user_routes(Router& router, Context& ctx);
void add_pay_routes(Router& router, Context& ctx);
void add_alipay_routes(Router& router, Context& ctx);
void add_pricing_routes(Router& router, Context& ctx);

// "/media/<file>": the URL nginx serves an uploaded file under.
std::string media_url(std::string_view file);
// Writes media_url(*file), or null when there is no file.
void write_media_url(JsonWriter& w, const std::optional<std::string>& file);

// One house of house/list's answer (also the favourites list's).
struct HouseSummary;
void write_house_summary(JsonWriter& w, const HouseSummary& house);

// All routes of the API.
Router make_router(Context& ctx);

// Answers one request whose body has been read into req.raw_body (or that
// was refused as too large: body_too_large).
Reply handle_request(Router& router, Context& ctx, Request& req, bool body_too_large);

// ihomed's version string.
extern const std::string_view kVersion;

}  // namespace ihome
