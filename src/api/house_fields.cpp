// House fields of newhouse and edit: see include/ihome/api/house_fields.h.
#include "ihome/api/house_fields.h"

#include <cstdint>

namespace ihome {

namespace {

constexpr int64_t kMaxYuanFen = 1'000'000 * 100;
constexpr int64_t kMaxDays = 3650;
constexpr int64_t kMaxWeeklyDiscount = 50;   // percent (API.md "Pricing")
constexpr int64_t kMaxMonthlyDiscount = 70;

// weekend_price: yuan like price, or "" for none (the base price then), as 0.
Result<int64_t> weekend_price(const Params& p, std::string_view name) {
  const Params::Value* v = p.find(name);
  if (v && v->kind == Params::Kind::kString && v->text.find_first_not_of(" \t\r\n") == std::string::npos)
    return int64_t{0};
  return p.money(name, 1, kMaxYuanFen);
}

// Parses one field into `out` with `parse` when it is present (a JSON null
// is a wrong value, as in Params::integer_or), or when it is required
// (`fallback` empty and not partial); else the fallback.
template <typename T, typename Parse>
Status field(const Params& p, bool partial, std::string_view name, std::optional<T>& out, Parse parse,
             std::optional<T> fallback = std::nullopt) {
  if (!p.has(name)) {
    if (partial) return Status::OK();
    if (fallback) {
      out = fallback;
      return Status::OK();
    }
  }
  auto value = parse(name);
  if (!value) return value.take_error();
  out = std::move(*value);
  return Status::OK();
}

}  // namespace

Result<ParsedHouse> parse_house_fields(const Params& p, bool partial) {
  ParsedHouse out;
  HouseChanges& h = out.fields;
  auto text = [&](size_t min, size_t max) {
    return [&p, min, max](std::string_view n) { return p.text(n, min, max); };
  };
  auto integer = [&](int64_t min, int64_t max) {
    return [&p, min, max](std::string_view n) { return p.integer(n, min, max); };
  };
  auto money = [&](int64_t min, int64_t max) {
    return [&p, min, max](std::string_view n) { return p.money(n, min, max); };
  };
  out.area_field = p.has("district") ? "district" : "area_id";
  Status s;
  if (!(s = field(p, partial, "title", h.title, text(1, 64))).ok()) return s.take_error();
  if (!(s = field(p, partial, "price", h.price, money(1, kMaxYuanFen))).ok()) return s.take_error();
  if (!(s = field(p, partial, out.area_field, h.area_id, integer(1, INT32_MAX))).ok()) return s.take_error();
  if (!(s = field(p, partial, "address", h.address, text(1, 256))).ok()) return s.take_error();
  if (!(s = field(p, partial, "room_count", h.room_count, integer(1, 100))).ok()) return s.take_error();
  if (!(s = field(p, partial, "acreage", h.acreage, integer(1, 100000))).ok()) return s.take_error();
  if (!(s = field(p, partial, "house_unit", h.unit, text(0, 64), std::optional<std::string>(""))).ok())
    return s.take_error();
  if (!(s = field(p, partial, "house_capacity", h.capacity, integer(1, 100))).ok()) return s.take_error();
  if (!(s = field(p, partial, "beds", h.beds, text(0, 64), std::optional<std::string>(""))).ok())
    return s.take_error();
  if (!(s = field(p, partial, "deposit", h.deposit, money(0, kMaxYuanFen), std::optional<int64_t>(0))).ok())
    return s.take_error();
  if (!(s = field(p, partial, "min_days", h.min_days, integer(1, kMaxDays), std::optional<int64_t>(1))).ok())
    return s.take_error();
  if (!(s = field(p, partial, "max_days", h.max_days, integer(0, kMaxDays), std::optional<int64_t>(0))).ok())
    return s.take_error();
  if (!(s = field(p, partial, "weekend_price", h.weekend_price,
                  [&p](std::string_view n) { return weekend_price(p, n); }, std::optional<int64_t>(0))).ok())
    return s.take_error();
  if (!(s = field(p, partial, "cleaning_fee", h.cleaning_fee, money(0, kMaxYuanFen), std::optional<int64_t>(0))).ok())
    return s.take_error();
  if (!(s = field(p, partial, "weekly_discount", h.weekly_discount, integer(0, kMaxWeeklyDiscount),
                  std::optional<int64_t>(0))).ok())
    return s.take_error();
  if (!(s = field(p, partial, "monthly_discount", h.monthly_discount, integer(0, kMaxMonthlyDiscount),
                  std::optional<int64_t>(0))).ok())
    return s.take_error();
  if (h.min_days && h.max_days && *h.max_days != 0 && *h.max_days < *h.min_days)
    return field_error("max_days", "小于最少天数");
  // facility: a list; absent means none when publishing, "unchanged" when editing.
  if (p.has("facility") || !partial) {
    auto facility = p.integer_list("facility", 1, INT32_MAX);
    if (!facility) return facility.take_error();
    h.facilities = std::move(*facility);
  }
  if (partial && !h.title && !h.price && !h.area_id && !h.address && !h.room_count && !h.acreage &&
      !h.unit && !h.capacity && !h.beds && !h.deposit && !h.min_days && !h.max_days && !h.facilities &&
      !h.weekend_price && !h.cleaning_fee && !h.weekly_discount && !h.monthly_discount)
    return param_error("参数错误：没有要修改的字段");
  return out;
}

Status check_house_catalog(Houses& houses, const ParsedHouse& h) {
  auto known = [](Result<std::vector<NamedId>> catalog, const std::vector<int64_t>& ids,
                  std::string_view name) -> Status {
    if (!catalog) return catalog.take_error();
    for (int64_t id : ids) {
      bool found = false;
      for (const NamedId& row : *catalog) found |= row.id == id;
      if (!found) return field_error(name, "不存在");
    }
    return Status::OK();
  };
  if (h.fields.area_id) {
    Status s = known(houses.areas(), {*h.fields.area_id}, h.area_field);
    if (!s.ok()) return s;
  }
  if (h.fields.facilities) return known(houses.facilities(), *h.fields.facilities, "facility");
  return Status::OK();
}

}  // namespace ihome
