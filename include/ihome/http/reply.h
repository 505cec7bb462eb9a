// Reply: status, headers, cookies and body of one answer, and the one place
// that turns an Errno or an Error into the JSON of API.md:
//   {"errno": 4103, "errmsg": "参数错误：mobile"}
// All JSON is written with RapidJSON (JsonWriter); nothing is concatenated.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ihome/core/error.h"

namespace ihome {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

struct Reply {
  int status = 200;
  int errno_value = 0;  // for the access log
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void add_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  // Appends a Set-Cookie header; `attributes` like "HttpOnly; SameSite=Lax".
  void set_cookie(std::string_view name, std::string_view value, std::string_view attributes);

  // The FastCGI response: CGI headers ("Status: 200 OK", Content-Type,
  // Content-Length, the rest), blank line, body.  Content-Length spares
  // nginx the chunked encoding: an answer larger than its first read would
  // otherwise cost one more write to the client (the last chunk), measured.
  std::string serialize() const;
  // serialize() without the body: the worker writes head and body as they are.
  std::string head() const;
};

// Writes a string with an explicit length (keeps embedded bytes exact).
inline void write_string(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Field writers: the key, then its value; an absent optional is null.
inline void write_field(JsonWriter& w, const char* key, int64_t value) {
  w.Key(key);
  w.Int64(value);
}
inline void write_field(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  write_string(w, value);
}
inline void write_field(JsonWriter& w, const char* key, const std::string& value) {
  write_field(w, key, std::string_view(value));
}
inline void write_field(JsonWriter& w, const char* key, const char* value) {
  write_field(w, key, std::string_view(value));
}
inline void write_field(JsonWriter& w, const char* key, const std::optional<int64_t>& value) {
  w.Key(key);
  if (value) w.Int64(*value);
  else w.Null();
}
inline void write_field(JsonWriter& w, const char* key, const std::optional<std::string>& value) {
  w.Key(key);
  if (value) write_string(w, *value);
  else w.Null();
}
// Booleans by their own name: a string literal would otherwise convert to bool.
inline void write_flag(JsonWriter& w, const char* key, bool value) {
  w.Key(key);
  w.Bool(value);
}

// {errno, errmsg, ...extra}: `extra` adds members after errmsg.
Reply json_reply(Errno code, std::string_view message,
                 const std::function<void(JsonWriter&)>& extra = nullptr, int status = 200);

// errno 0, errmsg "OK", then `extra`.
inline Reply ok_reply(const std::function<void(JsonWriter&)>& extra = nullptr) {
  return json_reply(Errno::kOk, "OK", extra);
}

// The answer of ok_reply() whose `extra` members are `before` + `fragment`
// + `after`, spliced as bytes: for answers around a cached JSON fragment
// (already written by RapidJSON), which RawValue would copy byte by byte.
// `before` starts with the comma, e.g. `,"data":`.
Reply ok_spliced_reply(std::string_view before, std::string_view fragment, std::string_view after = {});

// The JSON answer for an Error, with its HTTP status (and Retry-After).
// A SERVERERR with status 500 is logged and answered with the generic
// message only, so no internal detail reaches a client.
Reply error_reply(const Error& error);

// "200 OK", "404 Not Found", ...
std::string_view status_text(int status);

}  // namespace ihome
