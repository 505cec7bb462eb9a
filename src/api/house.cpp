// Houses: the catalog, publishing, images, my houses, detail, the home
// page's top houses and the search (API.md "Houses").
//
// Routes:
//   GET  /api/house/area                    areas            (cached)
//   GET  /api/house/facility                facility catalog (cached)
//   POST /api/house/newhouse                publish          (login, real name)
//   POST /api/house/image                   multipart: house_id, house_image (owner)
//   GET  /api/house/my                      my houses        (login)
//   GET  /api/house/info?house_id=          detail           (cached)
//   GET  /api/house/index                   top 5 booked     (cached)
//   GET  /api/house/list?aid=&sd=&ed=&sk=&p=&q= search       (index, cached)
//
// Listing management (edit, online/offline, photos) is in house_manage.cpp;
// the fields of newhouse are parsed by house_fields.cpp (shared with edit).
//
// Public answers are JSON fragments kept in the worker (valid while the
// SQLite generations they were built from hold: a write by anyone shows at
// once) and, for the costlier ones, in memcached under those generations;
// the search answers from the worker's availability index (src/search/).
// With memcached down the reads answer from SQLite.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/api/house_fields.h"
#include "ihome/core/date.h"
#include "ihome/core/id_list.h"
#include "ihome/core/log.h"
#include "ihome/core/money.h"
#include "ihome/core/text.h"
#include "ihome/media/image.h"
#include "ihome/store/houses.h"
#include "ihome/store/users.h"

namespace ihome {

namespace {

constexpr int kInfoTtl = 3600;
constexpr int kIndexTtl = 600;
constexpr int64_t kMaxImages = 20;
constexpr size_t kHouseImageSide = 1600;

std::string info_key(int64_t id) { return "house:" + std::to_string(id); }

// {errno, errmsg, data: <raw JSON>} — for answers assembled from a cached fragment.
Reply data_reply(const std::string& data_json) { return ok_spliced_reply(",\"data\":", data_json); }

std::string to_json(const std::function<void(JsonWriter&)>& write) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write(w);
  return std::string(buf.GetString(), buf.GetSize());
}

Reply catalog(Context& ctx, const char* key, const char* id_name, const char* name_name,
              Result<std::vector<NamedId>> (Houses::*load)(), bool public_cache) {
  auto json = ctx.read_through(key, gen_bit(GenKind::kCatalog), 0,
                           [&]() -> Result<std::optional<std::string>> {
    auto db = ctx.db();
    if (!db) return db.take_error();
    Houses houses(**db);
    auto rows = (houses.*load)();
    if (!rows) return rows.take_error();
    return std::optional<std::string>(to_json([&](JsonWriter& w) {
      w.StartArray();
      for (const NamedId& r : *rows) {
        w.StartObject();
        w.Key(id_name);
        w.Int64(r.id);
        w.Key(name_name);
        write_string(w, r.name);
        w.EndObject();
      }
      w.EndArray();
    }));
  });
  if (!json) return error_reply(json.error());
  Reply reply = data_reply(**json);
  if (public_cache) {  // API.md allows it for the area list only
    reply.headers.clear();
    reply.add_header("Cache-Control", "public, max-age=3600");
  }
  return reply;
}

Reply areas(Context& ctx, Request&) { return catalog(ctx, "areas", "aid", "aname", &Houses::areas, true); }
Reply facilities(Context& ctx, Request&) {
  return catalog(ctx, "facilities", "fid", "name", &Houses::facilities, false);
}

Reply new_house(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(parsed, parse_house_fields(req.body, false));
  const HouseChanges& f = parsed.fields;
  NewHouse h{session.user_id, *f.area_id, *f.title,    *f.price,   *f.address,  *f.room_count, *f.acreage,
             *f.unit,         *f.capacity, *f.beds,    *f.deposit, *f.min_days, *f.max_days,   *f.facilities,
             *f.weekend_price, *f.cleaning_fee, *f.weekly_discount, *f.monthly_discount};

  TRY_ASSIGN(db, ctx.db());
  Users users(*db);
  TRY_ASSIGN(user, users.by_id(session.user_id));
  if (!user) return error_reply(Error{Errno::kUserErr, "", 200, 0});
  if (!user->real_name_verified) return error_reply(Error{Errno::kRoleErr, "请先完成实名认证", 200, 0});
  Houses houses(*db);
  TRY(check_house_catalog(houses, parsed));
  TRY_ASSIGN(id, houses.create(h));
  log_info("house published house_id=" + std::to_string(id) + " user_id=" + std::to_string(h.user_id));
  return ok_reply([&](JsonWriter& w) {
    w.Key("house_id");
    w.Int64(id);
  });
}

Reply house_image(Context& ctx, Request& req) {
  const Config& cfg = ctx.config();
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(house_id, req.body.integer("house_id", 1, INT64_MAX));
  const MultipartPart* file = req.file("house_image");
  if (!file) return error_reply(field_error("house_image", "缺少图片"));

  // Cheap refusals before the costly decode.
  TRY_ASSIGN(db, ctx.db());
  Houses houses(*db);
  TRY_ASSIGN(owner, houses.owner_of(house_id));
  if (!owner) return error_reply(Error{Errno::kNoData, "房屋不存在", 200, 0});
  if (*owner != session.user_id) return error_reply(Error{Errno::kRoleErr, "只有房东可以上传房屋图片", 200, 0});

  ImageRules rules;
  rules.max_bytes = static_cast<size_t>(cfg.upload_max_bytes);
  rules.fit = ImageRules::Fit::kInside;
  rules.size = kHouseImageSide;
  TRY_ASSIGN(jpeg, reencode_image(file->data, rules));
  TRY_ASSIGN(name, store_media_file(cfg.media_dir, jpeg));
  auto added = houses.add_image(house_id, session.user_id, name, kMaxImages);
  if (!added) {
    remove_media_file(cfg.media_dir, name);
    return error_reply(added.error());
  }
  return ok_reply([&](JsonWriter& w) {
    w.Key("url");
    write_string(w, media_url(name));
  });
}

void write_summary(JsonWriter& w, const HouseSummary& h, bool list_fields) {
  w.StartObject();
  w.Key("house_id");
  w.Int64(h.id);
  w.Key("title");
  write_string(w, h.title);
  w.Key("price");
  write_string(w, format_yuan(h.price));
  w.Key("area_name");
  write_string(w, h.area_name);
  w.Key("address");
  write_string(w, h.address);
  w.Key("room_count");
  w.Int64(h.room_count);
  w.Key("order_count");
  w.Int64(h.order_count);
  w.Key("img_url");
  write_media_url(w, h.image);
  write_rating(w, h.rating_sum, h.rating_count);
  if (list_fields) {
    w.Key("user_avatar");
    write_media_url(w, h.owner_avatar);
  }
  w.Key("ctime");
  write_string(w, h.created_at);
  if (h.stay_total) {  // a dated search: what the stay costs (API.md "Pricing")
    w.Key("stay_total");
    write_string(w, format_yuan(*h.stay_total));
  }
  if (!list_fields) {  // house/my: the owner sees whether it is online
    w.Key("status");
    write_string(w, h.status);
  }
  w.EndObject();
}

Reply my_houses(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(db, ctx.db());
  Houses houses(*db);
  TRY_ASSIGN(rows, houses.by_owner(session.user_id));
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("houses");
    w.StartArray();
    for (const HouseSummary& h : rows) write_summary(w, h, false);
    w.EndArray();
    w.EndObject();
  });
}

std::string detail_json(const HouseDetail& d) {
  return to_json([&](JsonWriter& w) {
    w.StartObject();
    w.Key("hid");
    w.Int64(d.id);
    w.Key("user_id");
    w.Int64(d.user_id);
    write_field(w, "user_name", public_name(d.user_name));  // never the landlord's mobile
    w.Key("user_avatar");
    write_media_url(w, d.user_avatar);
    w.Key("title");
    write_string(w, d.title);
    w.Key("price");
    write_string(w, format_yuan(d.price));
    w.Key("address");
    write_string(w, d.address);
    w.Key("room_count");
    w.Int64(d.room_count);
    w.Key("acreage");
    w.Int64(d.acreage);
    w.Key("unit");
    write_string(w, d.unit);
    w.Key("capacity");
    w.Int64(d.capacity);
    w.Key("beds");
    write_string(w, d.beds);
    w.Key("deposit");
    write_string(w, format_yuan(d.deposit));
    w.Key("min_days");
    w.Int64(d.min_days);
    w.Key("max_days");
    w.Int64(d.max_days);
    w.Key("order_count");
    w.Int64(d.order_count);
    w.Key("favorite_count");
    w.Int64(d.favorite_count);
    w.Key("weekend_price");  // "" when none: the base price (API.md "Pricing")
    write_string(w, d.weekend_price > 0 ? format_yuan(d.weekend_price) : std::string());
    w.Key("cleaning_fee");
    write_string(w, format_yuan(d.cleaning_fee));
    w.Key("weekly_discount");
    w.Int64(d.weekly_discount);
    w.Key("monthly_discount");
    w.Int64(d.monthly_discount);
    write_rating(w, d.rating_sum, d.rating_count);
    w.Key("status");
    write_string(w, d.status);
    w.Key("images");
    w.StartArray();
    for (const std::string& f : d.images) write_string(w, media_url(f));
    w.EndArray();
    w.Key("facilities");
    w.StartArray();
    for (int64_t f : d.facilities) w.Int64(f);
    w.EndArray();
    w.Key("comments");
    w.StartArray();
    for (const HouseComment& c : d.comments) write_comment(w, c);
    w.EndArray();
    w.EndObject();
  });
}

Reply house_info(Context& ctx, Request& req) {
  TRY_ASSIGN(house_id, req.query.integer("house_id", 1, INT64_MAX));
  // The viewer is optional here: a memcached failure only hides who looks.
  int64_t viewer = -1;
  auto session = ctx.session_of(req);
  if (session && session->has_value()) viewer = (*session)->user_id;

  auto json = ctx.read_through(info_key(house_id), gen_bit(GenKind::kHouse) | gen_bit(GenKind::kFavorite), kInfoTtl,
                           [&]() -> Result<std::optional<std::string>> {
    auto db = ctx.db();
    if (!db) return db.take_error();
    Houses houses(**db);
    auto detail = houses.detail(house_id);
    if (!detail) return detail.take_error();
    if (!*detail) return std::optional<std::string>();
    return std::optional<std::string>(detail_json(**detail));
  });
  if (!json) return error_reply(json.error());
  if (!*json) return error_reply(Error{Errno::kNoData, "房屋不存在", 200, 0});
  // {"data": {"user_id": <viewer>, "house": <the cached fragment>}}
  return ok_spliced_reply(",\"data\":{\"user_id\":" + std::to_string(viewer) + ",\"house\":", **json, "}");
}

Reply house_index(Context& ctx, Request&) {
  auto json = ctx.read_through("house_index", gen_bit(GenKind::kHouse), kIndexTtl,
                           [&]() -> Result<std::optional<std::string>> {
    auto db = ctx.db();
    if (!db) return db.take_error();
    Houses houses(**db);
    auto rows = houses.top_booked();
    if (!rows) return rows.take_error();
    return std::optional<std::string>(to_json([&](JsonWriter& w) {
      w.StartArray();
      for (const HouseSummary& h : *rows) {
        w.StartObject();
        w.Key("house_id");
        w.Int64(h.id);
        w.Key("title");
        write_string(w, h.title);
        w.Key("img_url");
        write_media_url(w, h.image);
        write_rating(w, h.rating_sum, h.rating_count);
        w.EndObject();
      }
      w.EndArray();
    }));
  });
  if (!json) return error_reply(json.error());
  return data_reply(**json);
}

Result<HouseSearch> parse_search(const Request& req) {
  HouseSearch q;
  const Params& p = req.query;
  if (!req.query_value("aid").empty()) {
    auto aid = p.integer("aid", 1, INT32_MAX);
    if (!aid) return aid.take_error();
    q.area_id = *aid;
  }
  bool has_sd = !req.query_value("sd").empty(), has_ed = !req.query_value("ed").empty();
  if (has_sd != has_ed) return field_error(has_sd ? "ed" : "sd", "入住和离开日期需同时提供");
  if (has_sd) {
    auto sd = p.date("sd");
    if (!sd) return sd.take_error();
    auto ed = p.date("ed");
    if (!ed) return ed.take_error();
    if (*sd >= *ed) return field_error("ed", "离开日期须晚于入住日期");
    q.start_day = *sd;
    q.end_day = *ed;
  }
  std::string sk = req.query_value("sk");
  if (sk.empty() || sk == "new") q.sort = HouseSort::kNew;
  else if (sk == "booking") q.sort = HouseSort::kBooking;
  else if (sk == "price-inc") q.sort = HouseSort::kPriceInc;
  else if (sk == "price-des") q.sort = HouseSort::kPriceDes;
  else if (sk == "rating") q.sort = HouseSort::kRating;
  else return field_error("sk", "排序方式无效");
  if (!req.query_value("p").empty()) {
    auto page = p.integer("p", 1, INT64_MAX / Houses::kPageSize);
    if (!page) return page.take_error();
    q.page = *page;
  }
  // min_price/max_price (API.md "Pricing"): yuan a night, empty = no bound.
  for (const char* name : {"min_price", "max_price"}) {
    if (req.query_value(name).empty()) continue;
    auto fen = p.money(name, 0, int64_t{1'000'000} * 100);
    if (!fen) return fen.take_error();
    (std::string_view(name) == "min_price" ? q.min_price : q.max_price) = *fen;
  }
  if (q.min_price && q.max_price && *q.min_price > *q.max_price) return field_error("max_price", "小于最低价格");
  if (p.has("q")) {  // blank after trimming: no filter
    auto text = p.text("q", 0, 32);
    if (!text) return text.take_error();
    if (!text->empty()) q.keyword = Keyword{*text, *utf8_length(*text)};
  }
  return q;
}

// Whether `area_id` is in the catalog; the ids are kept in the worker while
// the catalog generation holds (an area added by ihome-admin or sqlite3
// shows at once), so the hot search path asks SQLite nothing.
Result<bool> known_area(Context& ctx, Houses& houses, int64_t area_id) {
  static std::vector<int64_t> ids;
  static int64_t ids_gen = 0;  // generations start at 1
  auto gens = ctx.generations();
  if (!gens) return gens.take_error();
  int64_t gen = (*gens)->get(GenKind::kCatalog);
  if (gen != ids_gen) {
    auto areas = houses.areas();
    if (!areas) return areas.take_error();
    ids.clear();
    for (const NamedId& a : *areas) ids.push_back(a.id);
    ids_gen = gen;
  }
  return std::find(ids.begin(), ids.end(), area_id) != ids.end();
}

// The ids of the houses matching `keyword` (ascending, online or not),
// kept in the worker while no house changed (a title, an address, an area).
Result<std::vector<int64_t>> keyword_matches(Context& ctx, Db& db, const Keyword& keyword) {
  auto gens = ctx.generations();
  if (!gens) return gens.take_error();
  std::string key = "kw:" + keyword.text;
  if (const std::string* packed = ctx.local().get(key, **gens))
    if (auto ids = unpack_ascending_ids(*packed)) return std::move(*ids);
  auto found = keyword_house_ids(db, keyword);
  if (!found) return found.take_error();
  // Packed (core/id_list.h): at 1M houses a common keyword matches 100k+
  // houses, 800 KB as int64 against about 150 KB packed.
  ctx.local().put(key, pack_ascending_ids(*found), gen_bit(GenKind::kHouse), **gens);
  return found;
}

Reply house_list(Context& ctx, Request& req) {
  TRY_ASSIGN(q, parse_search(req));
  TRY_ASSIGN(db, ctx.db());
  Houses houses(*db);
  if (q.area_id) {
    TRY_ASSIGN(known, known_area(ctx, houses, *q.area_id));
    if (!known) return error_reply(field_error("aid", "不存在"));
  }

  // A page is kept in the worker while houses and orders stay as they were;
  // otherwise the availability index chooses its ids (SQL only for a stay
  // outside the index's horizon) among the keyword's matches, if any, and
  // SQLite gives their summaries.  The keyword goes last in the key (it may
  // hold any character).
  std::string key = "list:" + (q.area_id ? std::to_string(*q.area_id) : "") + ":" +
                    (q.start_day ? format_date(*q.start_day) + ":" + format_date(*q.end_day) : ":") + ":" +
                    std::to_string(static_cast<int>(q.sort)) + ":" + std::to_string(q.page) + ":" +
                    (q.min_price ? std::to_string(*q.min_price) : "") + "-" +
                    (q.max_price ? std::to_string(*q.max_price) : "") + ":" +
                    (q.keyword ? "q=" + q.keyword->text : "");
  auto json = ctx.read_through(key, gen_bit(GenKind::kHouse) | gen_bit(GenKind::kOrder), 0,
                           [&]() -> Result<std::optional<std::string>> {
    auto index = ctx.search_index();
    if (!index) return index.take_error();
    std::vector<int64_t> matches;
    if (q.keyword) {
      auto ids = keyword_matches(ctx, *db, *q.keyword);
      if (!ids) return ids.take_error();
      matches = std::move(*ids);
    }
    HousePage page;
    if (auto found = (*index)->query(q, q.keyword ? &matches : nullptr)) {
      page.total = found->total;
      auto rows = houses.by_ids(found->ids);
      if (!rows) return rows.take_error();
      page.houses = std::move(*rows);
      for (HouseSummary& h : page.houses)  // by_ids keeps the order of ids, leaving out gone ones
        for (size_t i = 0; i < found->ids.size() && i < found->stay_totals.size(); ++i)
          if (found->ids[i] == h.id) h.stay_total = found->stay_totals[i];
    } else {
      auto rows = houses.search(q);
      if (!rows) return rows.take_error();
      page = std::move(*rows);
    }
    int64_t total_page = (page.total + Houses::kPageSize - 1) / Houses::kPageSize;
    return std::optional<std::string>(to_json([&](JsonWriter& w) {
      w.StartObject();
      w.Key("houses");
      w.StartArray();
      for (const HouseSummary& h : page.houses) write_summary(w, h, true);
      w.EndArray();
      w.Key("total_page");
      w.Int64(total_page);
      w.Key("current_page");
      w.Int64(q.page);
      w.EndObject();
    }));
  });
  if (!json) return error_reply(json.error());
  return data_reply(**json);
}

}  // namespace

void write_house_summary(JsonWriter& w, const HouseSummary& house) { write_summary(w, house, true); }

std::string format_rating(int64_t sum, int64_t count) {
  // One decimal, half up, in integers: tenths = round(10 * sum / count).
  int64_t tenths = (20 * sum + count) / (2 * count);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

void write_rating(JsonWriter& w, int64_t sum, int64_t count) {
  w.Key("rating");
  if (count > 0) {
    std::string text = format_rating(sum, count);
    w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
  } else {
    w.Null();
  }
  write_field(w, "rating_count", count);
}

void write_comment(JsonWriter& w, const HouseComment& c) {
  w.StartObject();
  write_field(w, "user_name", public_name(c.user_name));  // never the guest's mobile
  w.Key("user_avatar");
  write_media_url(w, c.user_avatar);
  write_field(w, "ctime", c.created_at);
  write_field(w, "comment", c.comment);
  write_field(w, "rating", c.rating);
  write_field(w, "reply", c.reply);
  write_field(w, "reply_time", c.reply_time);
  write_field(w, "stay", c.stay);
  w.EndObject();
}

void add_house_routes(Router& router, Context& ctx) {
  router.add("GET", "/api/house/area", public_read(bind_handler(ctx, areas)));
  router.add("GET", "/api/house/facility", public_read(bind_handler(ctx, facilities)));
  router.add("POST", "/api/house/newhouse", bind_handler(ctx, new_house));
  router.add("POST", "/api/house/image", bind_handler(ctx, house_image));
  router.add("GET", "/api/house/my", bind_handler(ctx, my_houses));
  router.add("GET", "/api/house/info", public_read(bind_handler(ctx, house_info)));
  router.add("GET", "/api/house/index", public_read(bind_handler(ctx, house_index)));
  router.add("GET", "/api/house/list", public_read(bind_handler(ctx, house_list)));
}

}  // namespace ihome
