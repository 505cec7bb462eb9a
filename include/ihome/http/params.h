// Params: the fields of a request body (a JSON object or an urlencoded
// form), and the validation vocabulary every handler uses to read them:
// params.text("title", 1, 64), params.mobile("mobile"), params.integer(...).
// Each accessor checks presence, type, range and format and answers a
// PARAMERR (4103) Error naming the field; handlers never look at raw values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ihome/core/result.h"

namespace ihome {

class Params {
 public:
  enum class Kind { kString, kNumber, kBool, kNull, kArray, kObject };
  struct Value {
    Kind kind = Kind::kNull;
    std::string text;                // string contents, or a number's literal text
    std::vector<Value> items;        // elements of a flat array (scalars only)
  };

  Params() = default;
  // A JSON object (top level must be an object; nesting is kept only as
  // kArray/kObject markers one level deep).  Malformed JSON or non-UTF-8: 4103.
  static Result<Params> from_json(std::string_view body);
  // application/x-www-form-urlencoded; a repeated key becomes an array.
  static Result<Params> from_form(std::string_view body);
  // Query strings parse the same way as forms.
  static Result<Params> from_query(std::string_view query) { return from_form(query); }

  void set(std::string name, Value v) { fields_[std::move(name)] = std::move(v); }
  bool has(std::string_view name) const;
  // Every field as (name, text), by name: for a signed message whose
  // signature covers all of them (a payment provider's notify).  PARAMERR
  // when a field is not a single string (repeated, an array, an object).
  Result<std::vector<std::pair<std::string, std::string>>> string_pairs() const;
  const Value* find(std::string_view name) const;

  // Required trimmed text of min..max code points, no control characters.
  Result<std::string> text(std::string_view name, size_t min, size_t max) const;
  // Like text() but the value is taken as sent (passwords): not trimmed.
  Result<std::string> secret(std::string_view name, size_t min, size_t max) const;
  // Required mobile number (^1[3-9][0-9]{9}$).
  Result<std::string> mobile(std::string_view name) const;
  // Required code id (1-64 of [A-Za-z0-9_-]).
  Result<std::string> code_id(std::string_view name) const;
  // Required string of exactly `n` ASCII digits (SMS codes).
  Result<std::string> digits(std::string_view name, size_t n) const;
  // Required integer in [min, max]: a JSON integer or a numeric string.
  Result<int64_t> integer(std::string_view name, int64_t min, int64_t max) const;
  // Like integer(), but `fallback` when the field is absent (a JSON null is
  // a wrong value, not an absent one).
  Result<int64_t> integer_or(std::string_view name, int64_t min, int64_t max, int64_t fallback) const;
  // Like text(), but `fallback` when the field is absent.
  Result<std::string> text_or(std::string_view name, size_t min, size_t max, std::string fallback) const;
  // Required money in yuan (JSON number or numeric string, at most 2
  // decimals) as fen within [min_fen, max_fen].
  Result<int64_t> money(std::string_view name, int64_t min_fen, int64_t max_fen) const;
  Result<int64_t> money_or(std::string_view name, int64_t min_fen, int64_t max_fen, int64_t fallback) const;
  // Required 'YYYY-MM-DD' as a day number (include/ihome/core/date.h).
  Result<int64_t> date(std::string_view name) const;
  // A list of integers in [min, max] (a JSON array, or a form field given
  // once or repeated), duplicates merged, ascending; empty when absent.
  Result<std::vector<int64_t>> integer_list(std::string_view name, int64_t min, int64_t max) const;

 private:
  Result<std::string> string_value(std::string_view name) const;
  std::map<std::string, Value, std::less<>> fields_;
  bool form_ = false;  // from an urlencoded body or query: every value is text
};

// "参数错误：<field>" — the PARAMERR every accessor answers.
Error field_error(std::string_view name, std::string_view why = {});

}  // namespace ihome
