// Passport: image codes, SMS codes, register, login, check_login, logout
// (API.md "Passport").  Each handler reads top to bottom:
// parse -> validate -> call services -> reply.
//
// Routes:
//   GET  /api/imagecode?codeid=&pcodeid=   captcha picture
//   POST /api/smscode                      {mobile, image_code_id, image_code_text, purpose}
//   POST /api/register                     {mobile, phonecode, password, password2}
//   POST /api/login                        {mobile, password}
//   GET  /api/check_login
//   GET  /api/logout, POST /api/logout
#include <ctime>
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/api/passport.h"
#include "ihome/auth/password.h"
#include "ihome/captcha/captcha.h"
#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/core/random.h"
#include "ihome/core/text.h"
#include "ihome/metrics/metrics.h"
#include "ihome/sms/sms.h"
#include "ihome/store/users.h"

namespace ihome {

namespace {

std::string imagecode_key(std::string_view id) { return "imagecode:" + std::string(id); }
// Register codes keep the classic key of API.md; reset codes live apart, so
// one never serves the other.
std::string smscode_key(SmsPurpose purpose, std::string_view mobile) {
  return (purpose == SmsPurpose::kReset ? "smscode:reset:" : "smscode:") + std::string(mobile);
}
std::string smstries_key(SmsPurpose purpose, std::string_view mobile) {
  return (purpose == SmsPurpose::kReset ? "smstries:reset:" : "smstries:") + std::string(mobile);
}
std::string loginfail_key(std::string_view mobile) { return "loginfail:" + std::string(mobile); }
std::string loginlock_key(std::string_view mobile) { return "loginlock:" + std::string(mobile); }

}  // namespace

PasswordCost password_cost(const Config& c) { return {c.password_opslimit, c.password_memlimit_kib}; }

Status log_in(Context& ctx, const Request& req, const User& user, Reply& reply) {
  std::string_view old = req.cookie("session_id");
  if (!old.empty()) {
    Status s = ctx.sessions().destroy(old);
    if (!s.ok()) return s;
  }
  Session fresh{user.id, user.name, user.mobile};
  fresh.epoch = user.session_epoch;
  auto id = ctx.sessions().create(fresh);
  if (!id) return id.take_error();
  reply.set_cookie("session_id", *id, session_cookie_attributes(ctx.config().cookie_secure));
  return Status::OK();
}

Status take_sms_code(Context& ctx, SmsPurpose purpose, const std::string& mobile,
                     const std::string& phonecode) {
  const Config& cfg = ctx.config();
  auto expected = ctx.cache().get(smscode_key(purpose, mobile));
  if (!expected) return expected.take_error();
  if (!*expected) return Error{Errno::kNoData, "短信验证码已过期", 200, 0};
  if (!constant_time_equals(**expected, phonecode)) {
    auto tries = ctx.cache().increment(smstries_key(purpose, mobile), cfg.sms_code_ttl);
    if (!tries) return tries.take_error();
    if (*tries >= static_cast<uint64_t>(cfg.sms_max_attempts)) {
      auto removed = ctx.cache().remove(smscode_key(purpose, mobile));
      if (!removed) return removed.take_error();
      removed = ctx.cache().remove(smstries_key(purpose, mobile));
      if (!removed) return removed.take_error();
    }
    return Error{Errno::kDataErr, "短信验证码错误", 200, 0};
  }
  // Right code: consume it; of two concurrent uses only one wins.
  auto taken = ctx.cache().take(smscode_key(purpose, mobile));
  if (!taken) return taken.take_error();
  if (!*taken) return Error{Errno::kNoData, "短信验证码已过期", 200, 0};
  return Status::OK();
}

Status check_login_lock(Context& ctx, const std::string& mobile) {
  const Config& cfg = ctx.config();
  auto locked_until = ctx.cache().get(loginlock_key(mobile));
  if (!locked_until) return locked_until.take_error();
  if (*locked_until) {
    long long left = std::atoll((*locked_until)->c_str()) - static_cast<long long>(unix_now());
    int retry = left > 0 && left <= cfg.login_lock ? static_cast<int>(left) : cfg.login_lock;
    return rate_limited(retry, "登录失败次数过多，请稍后再试");
  }
  return Status::OK();
}

Status count_login_failure(Context& ctx, const Request& req, const std::string& mobile) {
  const Config& cfg = ctx.config();
  auto failures = ctx.cache().increment(loginfail_key(mobile), cfg.login_window);
  if (!failures) return failures.take_error();
  if (*failures >= static_cast<uint64_t>(cfg.login_max_failures)) {
    Status s = ctx.cache().set(loginlock_key(mobile), std::to_string(unix_now() + cfg.login_lock),
                               cfg.login_lock);
    if (!s.ok()) return s;
    auto removed = ctx.cache().remove(loginfail_key(mobile));
    if (!removed) return removed.take_error();
    log_warn("login locked mobile=" + mobile.substr(0, 3) + "****" + mobile.substr(7) +
             " ip=" + log_quote(req.client_ip));
  }
  return Status::OK();
}

Status clear_login_failures(Context& ctx, const std::string& mobile, bool lock_too) {
  auto removed = ctx.cache().remove(loginfail_key(mobile));
  if (!removed) return removed.take_error();
  if (lock_too) {
    removed = ctx.cache().remove(loginlock_key(mobile));
    if (!removed) return removed.take_error();
  }
  return Status::OK();
}

namespace {

Reply imagecode(Context& ctx, Request& req) {
  std::string codeid = req.query_value("codeid");
  std::string previous = req.query_value("pcodeid");
  if (previous.empty()) previous = req.query_value("precodeid");
  if (!is_code_id(codeid) || (!previous.empty() && !is_code_id(previous)))
    return error_reply(Error{Errno::kParamErr, "参数错误：codeid", 400, 0});
  TRY(ctx.limiter().hit("imagecode", req.client_ip, ctx.config().imagecode_per_minute, 60));

  std::string text = captcha_text();
  TRY_ASSIGN(png, render_captcha_png(text, ctx.config().captcha_font));
  TRY(ctx.cache().set(imagecode_key(codeid), text, ctx.config().captcha_ttl));
  if (!previous.empty() && previous != codeid) {
    auto removed = ctx.cache().remove(imagecode_key(previous));
    if (!removed) return error_reply(removed.error());
  }
  Reply reply;
  reply.content_type = "image/png";
  reply.add_header("Cache-Control", "no-store");
  reply.body = std::move(png);
  return reply;
}

Reply smscode(Context& ctx, Request& req) {
  const Config& cfg = ctx.config();
  // Parameters first, without touching the image code.
  TRY_ASSIGN(mobile, req.body.mobile("mobile"));
  TRY_ASSIGN(code_id, req.body.code_id("image_code_id"));
  TRY_ASSIGN(code_text, req.body.text("image_code_text", 1, 16));
  TRY_ASSIGN(purpose_name, req.body.text_or("purpose", 0, 16, "register"));
  SmsPurpose purpose;
  if (purpose_name == "register" || purpose_name.empty()) purpose = SmsPurpose::kRegister;
  else if (purpose_name == "reset") purpose = SmsPurpose::kReset;
  else return error_reply(field_error("purpose", "应为register或reset"));

  // The image code is single-use: taken (read and deleted) right or wrong.
  TRY_ASSIGN(expected, ctx.cache().take(imagecode_key(code_id)));
  if (!expected) return error_reply(Error{Errno::kNoData, "图片验证码已过期", 200, 0});
  if (!iequals_ascii(*expected, code_text))
    return error_reply(Error{Errno::kDataErr, "图片验证码错误", 200, 0});

  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  TRY_ASSIGN(existing, users.by_mobile(mobile));
  if (purpose == SmsPurpose::kRegister && existing)
    return error_reply(Error{Errno::kDataExist, "手机号已注册", 200, 0});

  // The limits count for every mobile alike: for a reset, a limit that only
  // registered mobiles reached would tell which ones are registered.
  TRY(ctx.limiter().hit("sms_ip", req.client_ip, cfg.sms_ip_per_hour, 3600));
  TRY(ctx.limiter().gap("sms_mobile", mobile, cfg.sms_mobile_interval));
  Status daily = ctx.limiter().hit("sms_day", mobile, cfg.sms_mobile_per_day, 86400);
  if (!daily.ok()) {
    (void)ctx.limiter().forget_gap("sms_mobile", mobile);
    return error_reply(daily.error());
  }
  // A reset code is made only for an account that could use it; the answer
  // is the same either way (no account enumeration).
  if (purpose == SmsPurpose::kReset && (!existing || existing->disabled || existing->closed))
    return ok_reply();

  std::string code = random_digits(kSmsCodeDigits);
  TRY(ctx.cache().set(smscode_key(purpose, mobile), code, cfg.sms_code_ttl));
  TRY(ctx.cache().remove(smstries_key(purpose, mobile)));
  auto provider = make_sms_provider(cfg, *db);
  Status sent = provider->send(mobile, sms_message(code, cfg.sms_code_ttl));
  if (!sent.ok()) {
    // Undelivered: the code must not stay usable, and the person may retry.
    (void)ctx.cache().remove(smscode_key(purpose, mobile));
    (void)ctx.limiter().forget_gap("sms_mobile", mobile);
    return error_reply(sent.error());
  }
  log_info("sms code sent provider=" + cfg.sms_provider + " purpose=" + purpose_name + " mobile=" +
           mobile.substr(0, 3) + "****" + mobile.substr(7));
  return ok_reply();
}

Reply register_user(Context& ctx, Request& req) {
  const Config& cfg = ctx.config();
  TRY_ASSIGN(mobile, req.body.mobile("mobile"));
  TRY_ASSIGN(phonecode, req.body.digits("phonecode", kSmsCodeDigits));
  TRY_ASSIGN(password, req.body.secret("password", 6, 64));
  TRY_ASSIGN(password2, req.body.secret("password2", 0, 64));
  if (password != password2) return error_reply(param_error("两次输入的密码不一致"));

  TRY(take_sms_code(ctx, SmsPurpose::kRegister, mobile, phonecode));

  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  TRY_ASSIGN(existing, users.by_mobile(mobile));
  if (existing) return error_reply(Error{Errno::kDataExist, "手机号已注册", 200, 0});
  TRY_ASSIGN(hash, hash_password(password, password_cost(cfg)));
  auto id = users.create(mobile, mobile, hash);
  if (!id) {
    if (id.error().code == Errno::kDataExist)
      return error_reply(Error{Errno::kDataExist, "手机号已注册", 200, 0});
    return error_reply(id.error());
  }
  User user{*id, mobile, mobile, hash, std::nullopt, false, false, 0, false};
  Reply reply = ok_reply();
  TRY(log_in(ctx, req, user, reply));
  metrics::count_registration();
  log_info("user registered user_id=" + std::to_string(*id));
  return reply;
}

Reply login(Context& ctx, Request& req) {
  const Config& cfg = ctx.config();
  TRY_ASSIGN(mobile, req.body.mobile("mobile"));
  TRY_ASSIGN(password, req.body.secret("password", 1, 64));

  TRY(check_login_lock(ctx, mobile));

  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  TRY_ASSIGN(user, users.by_mobile(mobile));
  bool good = false;
  if (user) {
    good = verify_password(user->password_hash, password);
  } else {
    verify_password_dummy(password, password_cost(cfg));
  }
  if (!good) {
    TRY(count_login_failure(ctx, req, mobile));
    return error_reply(Error{Errno::kPwdErr, "", 200, 0});
  }
  if (user->disabled) return error_reply(Error{Errno::kUserErr, "用户已被禁用", 200, 0});
  TRY(clear_login_failures(ctx, mobile, false));
  Reply reply = ok_reply();
  TRY(log_in(ctx, req, *user, reply));
  return reply;
}

Reply check_login(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.session_of(req));
  if (!session) return json_reply(Errno::kSessionErr, "false");
  return json_reply(Errno::kOk, "true", [&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("user_id");
    w.Int64(session->user_id);
    w.Key("name");
    write_string(w, session->name);
    w.EndObject();
  });
}

Reply logout(Context& ctx, Request& req) {
  // GET is not CSRF-checked (it changes nothing else): a link or an <img>
  // on another site must not log the user out.  Browsers say so in
  // Sec-Fetch-Site; same-origin, same-site and typed URLs ("none") go on.
  if (req.method == "GET" && req.header("sec-fetch-site") == "cross-site")
    return error_reply(Error{Errno::kReqErr, "跨站请求不能退出登录", 403, 0});
  std::string_view id = req.cookie("session_id");
  if (!id.empty()) TRY(ctx.sessions().destroy(id));
  Reply reply = ok_reply();
  reply.set_cookie("session_id", "",
                   session_cookie_attributes(ctx.config().cookie_secure) + "; Max-Age=0");
  return reply;
}

}  // namespace

void add_passport_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/imagecode", bind_handler(ctx, imagecode));
  router.add("POST", "/api/smscode", bind_handler(ctx, smscode));
  router.add("POST", "/api/register", bind_handler(ctx, register_user));
  router.add("POST", "/api/login", bind_handler(ctx, login));
  router.add("GET", "/api/check_login", bind_handler(ctx, check_login));
  router.add("GET", "/api/logout", bind_handler(ctx, logout));
  router.add("POST", "/api/logout", bind_handler(ctx, logout));
}

}  // namespace ihome
