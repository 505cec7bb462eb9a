// Listing management: a landlord edits a house, takes it offline or back
// online, deletes its photos and picks the cover (API.md "house/edit",
// "house/status", "house/image/delete", "house/image/cover").  Owner only
// (4105); unknown house 4002.  What shows the house (its detail, the home
// page's top houses, searches, calendars) is cached under the SQLite
// generations, which every write here moves (sql/008_read_path.sql).
//
// Routes:
//   POST /api/house/edit          {house_id, …fields of newhouse…}
//   POST /api/house/status        {house_id, status: online|offline}
//   POST /api/house/image/delete  {house_id, url}
//   POST /api/house/image/cover   {house_id, url}
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/api/house_fields.h"
#include "ihome/core/log.h"
#include "ihome/media/image.h"
#include "ihome/store/houses.h"

namespace ihome {

namespace {

// The media file a house/info image URL names ("/media/<file>").  A URL of
// another shape cannot be one of the house's images: NODATA, as API.md
// says for a URL that is not this house's.
Result<std::string> image_file(const Params& p) {
  auto url = p.text("url", 1, 512);
  if (!url) return url.take_error();
  const std::string prefix = media_url("");
  if (url->rfind(prefix, 0) != 0 || url->size() == prefix.size() ||
      url->find('/', prefix.size()) != std::string::npos)
    return Error{Errno::kNoData, "图片不存在", 200, 0};
  return url->substr(prefix.size());
}

Reply edit(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(parsed, parse_house_fields(req.body, true));
  TRY_ASSIGN(db, ctx.db());
  Houses houses(*db);
  TRY(check_house_catalog(houses, parsed));
  TRY(houses.update(house_id, session.user_id, parsed.fields));
  log_info("house edited house_id=" + std::to_string(house_id));
  return ok_reply();
}

Reply set_status(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(status, req.body.text("status", 1, 16));
  if (status != "online" && status != "offline") return error_reply(field_error("status", "应为online或offline"));
  TRY_ASSIGN(db, ctx.db());
  Houses houses(*db);
  TRY(houses.set_status(house_id, session.user_id, status));
  log_info("house status house_id=" + std::to_string(house_id) + " status=" + status);
  return ok_reply();
}

Reply delete_image(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(file, image_file(req.body));
  TRY_ASSIGN(db, ctx.db());
  Houses houses(*db);
  TRY_ASSIGN(deleted, houses.delete_image(house_id, session.user_id, file));
  (void)deleted;
  // Committed: nothing points at the file any more.
  remove_media_file(ctx.config().media_dir, file);
  return ok_reply();
}

Reply set_cover(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  TRY_ASSIGN(file, image_file(req.body));
  TRY_ASSIGN(db, ctx.db());
  Houses houses(*db);
  TRY(houses.set_cover(house_id, session.user_id, file));
  return ok_reply();
}

}  // namespace

void add_house_manage_routes(Router& router, Context& ctx) {
  router.add("POST", "/api/house/edit", bind_handler(ctx, edit));
  router.add("POST", "/api/house/status", bind_handler(ctx, set_status));
  router.add("POST", "/api/house/image/delete", bind_handler(ctx, delete_image));
  router.add("POST", "/api/house/image/cover", bind_handler(ctx, set_cover));
}

}  // namespace ihome
