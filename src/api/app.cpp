// Request handling around the handlers: see include/ihome/api/app.h.
#include "ihome/api/app.h"

#include <chrono>
#include <exception>

#include "ihome/auth/csrf.h"
#include "ihome/core/log.h"
#include "ihome/metrics/metrics.h"

namespace ihome {

const std::string_view kVersion = "0.1.0";

Router make_router(Context& ctx) {
  Router router;
  add_passport_routes(router, ctx);
  add_health_routes(router, ctx);
  add_profile_routes(router, ctx);
  add_house_routes(router, ctx);
  add_order_routes(router, ctx);
  add_account_routes(router, ctx);
  add_house_manage_routes(router, ctx);
  add_landlord_routes(router, ctx);
  add_ical_routes(router, ctx);
  add_calendar_routes(router, ctx);
  add_user_routes(router, ctx);
  add_pay_routes(router, ctx);
  add_pricing_routes(router, ctx);
  return router;
}

namespace {

bool changes_state(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// GET /metrics, for the loopback status listener only (API.md): anywhere
// else the path is unknown, like any other.
bool is_metrics(const Request& req) {
  return req.status_listener && req.path == "/metrics" && (req.method == "GET" || req.method == "HEAD");
}

Reply metrics_reply() {
  Reply r;
  r.content_type = std::string(metrics::kContentType);
  r.add_header("Cache-Control", "no-store");
  r.body = metrics::render();
  return r;
}

Reply dispatch(Router& router, const Config& config, Request& req, bool body_too_large) {
  if (is_metrics(req)) return metrics_reply();
  auto handler = router.match(req.method, req.path);
  if (!handler) {
    Reply r = error_reply(handler.error());
    if (r.status == 405) r.add_header("Allow", router.allowed(req.path));
    return r;
  }
  if (body_too_large) return error_reply(Error{Errno::kParamErr, "请求体过大", 413, 0});
  if (changes_state(req.method) && !router.csrf_exempt(req.path) &&
      !csrf_ok(req.cookie("_xsrf"), req.header("x-xsrftoken")))
    return error_reply(Error{Errno::kReqErr, "CSRF校验失败", 403, 0});
  Status parsed = parse_body(req, static_cast<size_t>(config.upload_max_bytes) + 64 * 1024);
  if (!parsed.ok()) return error_reply(parsed.error());
  return (**handler)(req);
}

}  // namespace

Reply handle_request(Router& router, Context& ctx, Request& req, bool body_too_large) {
  auto start = std::chrono::steady_clock::now();
  ctx.begin_request();
  Reply reply;
  try {
    reply = dispatch(router, ctx.config(), req, body_too_large);
  } catch (const std::exception& e) {
    log_error("handler threw path=" + log_quote(req.path) + " what=" + log_quote(e.what()));
    reply = error_reply(Error{Errno::kServerErr, "", 500, 0});
  } catch (...) {
    log_error("handler threw path=" + log_quote(req.path));
    reply = error_reply(Error{Errno::kServerErr, "", 500, 0});
  }
  // Hand out the CSRF cookie to whoever has none yet (API.md) — but never
  // on an answer a shared cache may keep, or one visitor's cookie would be
  // served to the next.
  bool shared_cacheable = false;
  for (const auto& [name, value] : reply.headers)
    shared_cacheable |= name == "Cache-Control" && value.rfind("public", 0) == 0;
  if (!shared_cacheable && !is_xsrf_token(req.cookie("_xsrf")))
    reply.set_cookie("_xsrf", new_xsrf_token(),
                     ctx.config().cookie_secure ? "Path=/; SameSite=Lax; Secure" : "Path=/; SameSite=Lax");
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  metrics::count_request(is_metrics(req) || router.knows(req.path) ? std::string_view(req.path)
                                                                   : metrics::kUnmatched,
                         reply.status, reply.errno_value, static_cast<double>(micros) / 1e6);
  if (log_enabled(LogLevel::kInfo))
    log_info("request method=" + log_quote(req.method) + " path=" + log_quote(req.path) +
             " status=" + std::to_string(reply.status) + " errno=" + std::to_string(reply.errno_value) +
             " ms=" + std::to_string(micros / 1000) + "." + std::to_string(micros / 100 % 10) +
             " ip=" + log_quote(req.client_ip));
  return reply;
}

}  // namespace ihome
