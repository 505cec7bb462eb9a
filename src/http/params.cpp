// Request body fields and their validation: see include/ihome/http/params.h.
// JSON is read with RapidJSON's SAX reader so that numbers keep their exact
// literal text (money like 298.50 must not pass through a double).
#include "ihome/http/params.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>

#include "ihome/core/date.h"
#include "ihome/core/money.h"
#include "ihome/core/text.h"

namespace ihome {

namespace {

// Builds the flat field map from SAX events.  Depth 1 is the top object.
// A field's array keeps its elements as items; an element that is itself an
// array or object is kept as a kArray/kObject marker, and anything deeper is
// dropped (no field of API.md nests, so markers are enough to refuse them).
class FlatHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, FlatHandler> {
 public:
  explicit FlatHandler(Params& out) : out_(out) {}

  bool Null() { return scalar(Params::Kind::kNull, ""); }
  bool Bool(bool b) { return scalar(Params::Kind::kBool, b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool) {
    return scalar(Params::Kind::kNumber, std::string(s, len));
  }
  bool String(const char* s, rapidjson::SizeType len, bool) {
    return scalar(Params::Kind::kString, std::string(s, len));
  }
  bool StartObject() {
    ++depth_;
    if (depth_ == 2 && !in_array_) current_.kind = Params::Kind::kObject;
    if (depth_ == 3 && in_array_) current_.items.push_back(Params::Value{Params::Kind::kObject, "", {}});
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType len, bool) {
    if (depth_ == 1) key_.assign(s, len);
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    if (depth_ == 1 && !in_array_) commit();
    if (depth_ == 0) top_done_ = true;
    return true;
  }
  bool StartArray() {
    ++depth_;
    if (depth_ == 1) return false;  // top level must be an object
    if (depth_ == 2) {
      in_array_ = true;
      current_ = Params::Value{Params::Kind::kArray, "", {}};
    } else if (depth_ == 3 && in_array_) {
      current_.items.push_back(Params::Value{Params::Kind::kArray, "", {}});
    }
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    if (depth_ == 1 && in_array_) {
      in_array_ = false;
      commit();
    }
    return true;
  }
  bool top_done() const { return top_done_; }

 private:
  bool scalar(Params::Kind kind, std::string text) {
    if (depth_ == 0) return false;  // a bare scalar is not an object
    if (depth_ == 1) {
      current_ = Params::Value{kind, std::move(text), {}};
      commit();
    } else if (depth_ == 2 && in_array_) {
      current_.items.push_back(Params::Value{kind, std::move(text), {}});
    }
    return true;
  }
  void commit() {
    if (!out_.has(key_)) out_.set(key_, std::move(current_));  // first of duplicate keys wins
    current_ = {};
  }

  Params& out_;
  int depth_ = 0;
  bool in_array_ = false;
  bool top_done_ = false;
  std::string key_;
  Params::Value current_;
};

}  // namespace

Error field_error(std::string_view name, std::string_view why) {
  std::string msg = "参数错误：";
  msg += name;
  if (!why.empty()) {
    msg += "（";
    msg += why;
    msg += "）";
  }
  return param_error(std::move(msg));
}

Result<Params> Params::from_json(std::string_view body) {
  Params params;
  FlatHandler handler(params);
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(body.data(), body.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  rapidjson::ParseResult r = reader.Parse<kFlags>(is, handler);
  if (r.IsError() || !handler.top_done()) return param_error("参数错误：请求体不是合法的JSON对象");
  // Nothing but white space may follow the object.
  if (!trim(body.substr(is.Tell())).empty()) return param_error("参数错误：请求体不是合法的JSON对象");
  return params;
}

Result<Params> Params::from_form(std::string_view body) {
  Params params;
  params.form_ = true;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq));
    auto value = url_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) return param_error("参数错误：表单编码错误");
    auto it = params.fields_.find(*key);
    if (it == params.fields_.end()) {
      params.fields_.emplace(*key, Value{Kind::kString, std::move(*value), {}});
    } else {
      Value& v = it->second;
      if (v.kind != Kind::kArray) v = Value{Kind::kArray, "", {Value{Kind::kString, v.text, {}}}};
      v.items.push_back(Value{Kind::kString, std::move(*value), {}});
    }
  }
  return params;
}

bool Params::has(std::string_view name) const { return fields_.find(name) != fields_.end(); }

Result<std::vector<std::pair<std::string, std::string>>> Params::string_pairs() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : fields_) {
    if (value.kind != Kind::kString) return field_error(name);
    out.emplace_back(name, value.text);
  }
  return out;
}

const Params::Value* Params::find(std::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? nullptr : &it->second;
}

Result<std::string> Params::string_value(std::string_view name) const {
  const Value* v = find(name);
  if (!v || v->kind == Kind::kNull) return field_error(name, "缺少");
  if (v->kind != Kind::kString) return field_error(name, "类型错误");
  if (!utf8_length(v->text)) return field_error(name, "编码错误");
  return v->text;
}

Result<std::string> Params::secret(std::string_view name, size_t min, size_t max) const {
  auto s = string_value(name);
  if (!s) return s;
  size_t n = *utf8_length(*s);
  if (n < min || n > max) return field_error(name, "长度错误");
  if (has_control_chars(*s)) return field_error(name, "含有控制字符");
  return s;
}

Result<std::string> Params::text(std::string_view name, size_t min, size_t max) const {
  auto s = string_value(name);
  if (!s) return s;
  std::string t(trim(*s));
  size_t n = *utf8_length(t);
  if (n < min || n > max) return field_error(name, "长度错误");
  if (has_control_chars(t)) return field_error(name, "含有控制字符");
  return t;
}

Result<std::string> Params::mobile(std::string_view name) const {
  auto s = string_value(name);
  if (!s) return s;
  std::string t(trim(*s));
  if (!is_mobile(t)) return field_error(name, "手机号格式错误");
  return t;
}

Result<std::string> Params::code_id(std::string_view name) const {
  auto s = string_value(name);
  if (!s) return s;
  std::string t(trim(*s));
  if (!is_code_id(t)) return field_error(name, "格式错误");
  return t;
}

Result<std::string> Params::digits(std::string_view name, size_t n) const {
  auto s = string_value(name);
  if (!s) return s;
  std::string t(trim(*s));
  if (t.size() != n || t.find_first_not_of("0123456789") != std::string::npos)
    return field_error(name, "格式错误");
  return t;
}

Result<int64_t> Params::integer(std::string_view name, int64_t min, int64_t max) const {
  const Value* v = find(name);
  if (!v || v->kind == Kind::kNull) return field_error(name, "缺少");
  if (v->kind != Kind::kString && v->kind != Kind::kNumber) return field_error(name, "类型错误");
  auto n = parse_int64(v->kind == Kind::kString ? trim(v->text) : std::string_view(v->text));
  if (!n) return field_error(name, "不是整数");
  if (*n < min || *n > max) return field_error(name, "超出范围");
  return *n;
}

Result<int64_t> Params::integer_or(std::string_view name, int64_t min, int64_t max,
                                   int64_t fallback) const {
  if (!find(name)) return fallback;
  return integer(name, min, max);
}

Result<std::string> Params::text_or(std::string_view name, size_t min, size_t max,
                                    std::string fallback) const {
  if (!find(name)) return fallback;
  return text(name, min, max);
}

Result<int64_t> Params::money(std::string_view name, int64_t min_fen, int64_t max_fen) const {
  const Value* v = find(name);
  if (!v || v->kind == Kind::kNull) return field_error(name, "缺少");
  if (v->kind != Kind::kString && v->kind != Kind::kNumber) return field_error(name, "类型错误");
  auto fen = parse_yuan(v->kind == Kind::kString ? trim(v->text) : std::string_view(v->text));
  if (!fen) return field_error(name, "金额格式错误");
  if (*fen < min_fen || *fen > max_fen) return field_error(name, "超出范围");
  return *fen;
}

Result<int64_t> Params::money_or(std::string_view name, int64_t min_fen, int64_t max_fen,
                                 int64_t fallback) const {
  if (!find(name)) return fallback;
  return money(name, min_fen, max_fen);
}

Result<int64_t> Params::date(std::string_view name) const {
  auto s = string_value(name);
  if (!s) return s.take_error();
  auto days = parse_date(trim(*s));
  if (!days) return field_error(name, "日期格式错误");
  return *days;
}

Result<std::vector<int64_t>> Params::integer_list(std::string_view name, int64_t min, int64_t max) const {
  std::vector<int64_t> out;
  const Value* v = find(name);
  if (!v || v->kind == Kind::kNull) return out;
  std::vector<const Value*> items;
  if (v->kind == Kind::kArray) {
    for (const Value& item : v->items) items.push_back(&item);
  } else if (v->kind == Kind::kString && form_) {
    items.push_back(v);  // a form sends one value as a plain field
  } else {
    return field_error(name, "类型错误");
  }
  for (const Value* item : items) {
    if (item->kind != Kind::kString && item->kind != Kind::kNumber) return field_error(name, "类型错误");
    auto n = parse_int64(item->kind == Kind::kString ? trim(item->text) : std::string_view(item->text));
    if (!n || *n < min || *n > max) return field_error(name, "超出范围");
    out.push_back(*n);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ihome
