// Helpers for handler bodies: unwrap a Result or Status, or return its Error
// as the JSON reply.  Handlers stay a straight line:
//   TRY_ASSIGN(mobile, req.body.mobile("mobile"));
//   TRY(ctx.cache().remove(key));
#pragma once

#include <ctime>
#include <string>

#include "ihome/api/context.h"
#include "ihome/core/date.h"
#include "ihome/http/reply.h"
#include "ihome/http/router.h"

namespace ihome {

// A handler function of a resource file, bound to the worker's context.
using HandlerFn = Reply (*)(Context&, Request&);
inline Handler bind_handler(Context& ctx, HandlerFn fn) {
  return [&ctx, fn](Request& req) { return fn(ctx, req); };
}

// A public read that nginx's micro-cache may keep for visitors without a
// session (API.md "Freshness", nginx/ihome-microcache.conf): a 200 answer is
// marked `X-Accel-Expires: @<this second>`, so nginx keeps it to the end of
// the current second at most — never older than 1 s (fastcgi_cache_valid
// counts whole seconds: "1s" keeps an answer up to 2 s).  nginx does not
// pass the header on.
inline Handler public_read(Handler h) {
  return [h = std::move(h)](Request& req) {
    Reply r = h(req);
    if (r.status == 200) r.add_header("X-Accel-Expires", "@" + std::to_string(unix_now()));
    return r;
  };
}

}  // namespace ihome

#define IHOME_CONCAT_(a, b) a##b
#define IHOME_CONCAT(a, b) IHOME_CONCAT_(a, b)

#define TRY_ASSIGN(var, expr)                                            \
  auto IHOME_CONCAT(var, _result_) = (expr);                             \
  if (!IHOME_CONCAT(var, _result_)) return ::ihome::error_reply(IHOME_CONCAT(var, _result_).error()); \
  auto& var = *IHOME_CONCAT(var, _result_)

#define TRY(expr)                                                          \
  do {                                                                     \
    auto try_status_ = (expr);                                             \
    if (!try_status_.ok()) return ::ihome::error_reply(try_status_.error()); \
  } while (0)
