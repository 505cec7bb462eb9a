// Profile: the logged-in user's own account (API.md "Profile").  All routes
// require login (4101).
//
// Routes:
//   GET  /api/profile          who I am
//   POST /api/profile/avatar   multipart, file field `avatar`
//   POST /api/profile/name     {name}
//   GET  /api/profile/auth     my real-name record, masked
//   POST /api/profile/auth     {real_name, id_card}, once
//   POST /api/profile/notify   {sms: true|false}  SMS notifications on/off
#include <optional>
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/auth/real_name.h"
#include "ihome/core/log.h"
#include "ihome/core/text.h"
#include "ihome/media/image.h"
#include "ihome/store/users.h"

namespace ihome {

namespace {

constexpr size_t kAvatarSide = 256;

Reply profile(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  TRY_ASSIGN(user, users.by_id(session.user_id));
  if (!user) return error_reply(Error{Errno::kUserErr, "", 200, 0});
  return ok_reply([&](JsonWriter& w) {
    w.Key("user_id");
    w.Int64(user->id);
    w.Key("username");
    write_string(w, user->name);
    w.Key("mobile");
    write_string(w, user->mobile);
    w.Key("avatar");
    write_media_url(w, user->avatar);
    w.Key("real_name_verified");
    w.Bool(user->real_name_verified);
    write_flag(w, "notify_sms", user->notify_sms);
    w.Key("data");
    w.StartObject();
    w.Key("user_id");
    w.Int64(user->id);
    w.Key("name");
    write_string(w, user->name);
    w.Key("mobile");
    write_string(w, user->mobile);
    w.Key("avatar");
    write_media_url(w, user->avatar);
    w.EndObject();
  });
}

Reply avatar(Context& ctx, Request& req) {
  const Config& cfg = ctx.config();
  TRY_ASSIGN(session, ctx.require_login(req));
  const MultipartPart* file = req.file("avatar");
  if (!file) return error_reply(field_error("avatar", "缺少图片"));

  ImageRules rules;
  rules.max_bytes = static_cast<size_t>(cfg.upload_max_bytes);
  rules.fit = ImageRules::Fit::kSquareCrop;
  rules.size = kAvatarSide;
  TRY_ASSIGN(jpeg, reencode_image(file->data, rules));
  TRY_ASSIGN(name, store_media_file(cfg.media_dir, jpeg));

  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  auto old = users.set_avatar(session.user_id, name);
  if (!old) {
    remove_media_file(cfg.media_dir, name);  // the row never pointed at it
    return error_reply(old.error());
  }
  // Only now that the row points at the new file may the old one go.
  if (*old) remove_media_file(cfg.media_dir, **old);
  return ok_reply([&](JsonWriter& w) {
    w.Key("url");
    write_string(w, media_url(name));
  });
}

Reply change_name(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(name, req.body.text("name", 1, 32));
  // Every account starts named after its mobile; a name that looks like a
  // mobile number would take a future user's default name.
  if (is_mobile(name) && name != session.mobile)
    return error_reply(field_error("name", "用户名不能是手机号"));
  // Closed accounts are named kClosedUserName + "#id": keep that name theirs.
  if (name.rfind(kClosedUserName, 0) == 0) return error_reply(field_error("name", "用户名不可用"));

  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  Status s = users.set_name(session.user_id, name);
  if (!s.ok()) {
    if (s.error().code == Errno::kDataExist) return error_reply(Error{Errno::kDataExist, "用户名已存在", 200, 0});
    return error_reply(s.error());
  }
  session.name = name;
  TRY(ctx.sessions().update(req.cookie("session_id"), session));
  return ok_reply();
}

Reply get_auth(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  TRY_ASSIGN(record, users.real_name(session.user_id));
  std::optional<std::string> masked;
  if (record) {
    TRY_ASSIGN(keys, ctx.real_name_keys());
    TRY_ASSIGN(id_card, open_id_card(*keys, record->id_card_sealed));
    masked = mask_id_card(id_card);
  }
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("real_name");
    if (record) write_string(w, record->real_name);
    else w.Null();
    w.Key("id_card");
    if (masked) write_string(w, *masked);
    else w.Null();
    w.EndObject();
  });
}

Reply set_auth(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(real_name, req.body.text("real_name", 2, 32));
  TRY_ASSIGN(id_card_raw, req.body.text("id_card", 18, 18));
  if (!is_valid_id_card(id_card_raw)) return error_reply(field_error("id_card", "身份证号码无效"));
  std::string id_card = normalize_id_card(id_card_raw);

  TRY_ASSIGN(keys, ctx.real_name_keys());
  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  Status s = users.set_real_name(session.user_id, real_name, seal_id_card(*keys, id_card),
                                 id_card_digest(*keys, id_card));
  if (!s.ok()) {
    if (s.error().code == Errno::kDataExist && s.error().message.empty())
      return error_reply(Error{Errno::kDataExist, "该身份证已被其他账号认证", 200, 0});
    return error_reply(s.error());
  }
  log_info("real name verified user_id=" + std::to_string(session.user_id));
  return ok_reply();
}

// {sms: true|false}: a JSON boolean, or (forms, the classic front end's
// strings) "true"/"false"/"1"/"0".
Reply set_notify(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  const Params::Value* v = req.body.find("sms");
  if (!v || (v->kind != Params::Kind::kBool && v->kind != Params::Kind::kString && v->kind != Params::Kind::kNumber))
    return error_reply(field_error("sms", "应为true或false"));
  bool on;
  if (v->text == "true" || v->text == "1") on = true;
  else if (v->text == "false" || v->text == "0") on = false;
  else return error_reply(field_error("sms", "应为true或false"));
  TRY_ASSIGN(db, ctx.db());
  TRY(Users(*db).set_notify_sms(session.user_id, on));
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    write_flag(w, "notify_sms", on);
    w.EndObject();
  });
}

}  // namespace

std::string media_url(std::string_view file) { return "/media/" + std::string(file); }

void write_media_url(JsonWriter& w, const std::optional<std::string>& file) {
  if (file) write_string(w, media_url(*file));
  else w.Null();
}

void add_profile_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/profile", bind_handler(ctx, profile));
  router.add("POST", "/api/profile/avatar", bind_handler(ctx, avatar));
  router.add("POST", "/api/profile/name", bind_handler(ctx, change_name));
  router.add("GET", "/api/profile/auth", bind_handler(ctx, get_auth));
  router.add("POST", "/api/profile/auth", bind_handler(ctx, set_auth));
  router.add("POST", "/api/profile/notify", bind_handler(ctx, set_notify));
}

}  // namespace ihome
