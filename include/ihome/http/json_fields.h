// One line a JSON member: field(w, "name", value) instead of a w.Key(..)
// and a write call for every member of an answer.  Optional values are
// written as null when empty; money is written by the caller as yuan
// (format_yuan), never as a number of a floating type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ihome/http/reply.h"

namespace ihome {

inline void key(JsonWriter& w, std::string_view name) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
inline void field(JsonWriter& w, std::string_view name, int64_t value) {
  key(w, name);
  w.Int64(value);
}
inline void field(JsonWriter& w, std::string_view name, int value) { field(w, name, static_cast<int64_t>(value)); }
inline void field(JsonWriter& w, std::string_view name, std::string_view value) {
  key(w, name);
  write_string(w, value);
}
inline void field(JsonWriter& w, std::string_view name, const char* value) {
  field(w, name, std::string_view(value));
}
inline void field(JsonWriter& w, std::string_view name, const std::string& value) {
  field(w, name, std::string_view(value));
}
inline void field(JsonWriter& w, std::string_view name, bool value) {
  key(w, name);
  w.Bool(value);
}
inline void field_null(JsonWriter& w, std::string_view name) {
  key(w, name);
  w.Null();
}
inline void field(JsonWriter& w, std::string_view name, const std::optional<std::string>& value) {
  if (value) field(w, name, *value);
  else field_null(w, name);
}
inline void field(JsonWriter& w, std::string_view name, const std::optional<int64_t>& value) {
  if (value) field(w, name, *value);
  else field_null(w, name);
}

}  // namespace ihome
