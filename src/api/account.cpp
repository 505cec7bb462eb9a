// Account: getting back in and leaving — the password reset by SMS, the
// password change and closing the account (API.md "password/reset",
// "profile/password", "profile/delete").  Each of them ends sessions
// through end_user_sessions() / Sessions::forget_user (see
// include/ihome/auth/session.h for how).
//
// Routes:
//   POST /api/password/reset     {mobile, phonecode, password, password2}
//   POST /api/profile/password   {old_password, password, password2}  (login)
//   POST /api/profile/delete     {password}                           (login)
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/api/passport.h"
#include "ihome/auth/password.h"
#include "ihome/core/log.h"
#include "ihome/media/image.h"
#include "ihome/store/users.h"

namespace ihome {

namespace {

// password and password2 of a form that sets a new password (register's rules).
Result<std::string> new_password(const Params& p) {
  auto password = p.secret("password", 6, 64);
  if (!password) return password.take_error();
  auto password2 = p.secret("password2", 0, 64);
  if (!password2) return password2.take_error();
  if (*password != *password2) return param_error("两次输入的密码不一致");
  return std::move(*password);
}

Reply reset_password(Context& ctx, Request& req) {
  TRY_ASSIGN(mobile, req.body.mobile("mobile"));
  TRY_ASSIGN(phonecode, req.body.digits("phonecode", kSmsCodeDigits));
  TRY_ASSIGN(password, new_password(req.body));

  // No reset code is ever made for an unknown mobile, so it answers 4002
  // here like an expired code.
  TRY(take_sms_code(ctx, SmsPurpose::kReset, mobile, phonecode));
  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  TRY_ASSIGN(user, users.by_mobile(mobile));
  if (!user || user->closed) return error_reply(Error{Errno::kNoData, "短信验证码已过期", 200, 0});
  TRY_ASSIGN(hash, hash_password(password, password_cost(ctx.config())));
  TRY_ASSIGN(epoch, users.set_password(user->id, hash));
  (void)epoch;  // nobody is logged in by a reset
  TRY(ctx.sessions().forget_user(user->id));
  TRY(clear_login_failures(ctx, mobile, true));
  log_info("password reset user_id=" + std::to_string(user->id));
  return ok_reply();
}

Reply change_password(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(old_password, req.body.secret("old_password", 1, 64));
  TRY_ASSIGN(password, new_password(req.body));

  TRY(check_login_lock(ctx, session.mobile));
  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  TRY_ASSIGN(user, users.by_id(session.user_id));
  if (!user) return error_reply(Error{Errno::kUserErr, "", 200, 0});
  if (!verify_password(user->password_hash, old_password)) {
    TRY(count_login_failure(ctx, req, user->mobile));
    return error_reply(Error{Errno::kPwdErr, "原密码错误", 200, 0});
  }
  TRY_ASSIGN(hash, hash_password(password, password_cost(ctx.config())));
  TRY_ASSIGN(epoch, users.set_password(user->id, hash));
  // Every session is over (the epoch moved); the caller's goes on under a
  // new id, made after the old ones are forgotten.
  TRY(ctx.sessions().forget_user(user->id));
  user->session_epoch = epoch;
  Reply reply = ok_reply();
  TRY(log_in(ctx, req, *user, reply));
  log_info("password changed user_id=" + std::to_string(user->id));
  return reply;
}

Reply close_account(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(password, req.body.secret("password", 1, 64));

  TRY(check_login_lock(ctx, session.mobile));
  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  TRY_ASSIGN(user, users.by_id(session.user_id));
  if (!user) return error_reply(Error{Errno::kUserErr, "", 200, 0});
  if (!verify_password(user->password_hash, password)) {
    TRY(count_login_failure(ctx, req, user->mobile));
    return error_reply(Error{Errno::kPwdErr, "密码错误", 200, 0});
  }
  TRY_ASSIGN(closed, users.close(user->id));

  // Committed: now the copies outside SQLite.  Failures here are logged,
  // not answered: the account is closed and its sessions refused already.
  if (closed.avatar) remove_media_file(ctx.config().media_dir, *closed.avatar);
  Status forgot = ctx.sessions().forget_user(user->id);
  if (!forgot.ok()) log_warn("closed account's sessions not deleted user_id=" + std::to_string(user->id));
  (void)clear_login_failures(ctx, user->mobile, true);
  Reply reply = ok_reply();
  reply.set_cookie("session_id", "", session_cookie_attributes(ctx.config().cookie_secure) + "; Max-Age=0");
  log_info("account closed user_id=" + std::to_string(user->id));
  return reply;
}

}  // namespace

void add_account_routes(Router& router, Context& ctx) {
  router.add("POST", "/api/password/reset", bind_handler(ctx, reset_password));
  router.add("POST", "/api/profile/password", bind_handler(ctx, change_password));
  router.add("POST", "/api/profile/delete", bind_handler(ctx, close_account));
}

}  // namespace ihome
