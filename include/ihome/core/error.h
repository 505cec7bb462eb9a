// The errno table of API.md and the error value that travels from the store
// up to the handler.  Errno <-> number <-> default message live here and only
// here; handlers name Errno::kParamErr, never a bare 4103.
#pragma once

#include <string>
#include <string_view>

namespace ihome {

enum class Errno : int {
  kOk = 0,
  kDbErr = 4001,
  kNoData = 4002,
  kDataExist = 4003,
  kDataErr = 4004,
  kSessionErr = 4101,
  kLoginErr = 4102,
  kParamErr = 4103,
  kUserErr = 4104,
  kRoleErr = 4105,
  kPwdErr = 4106,
  kReqErr = 4201,
  kIpErr = 4202,
  kThirdErr = 4301,
  kIoErr = 4302,
  kServerErr = 4500,
  kUnknownErr = 4501,
};

// The number sent as "errno".
constexpr int errno_number(Errno e) { return static_cast<int>(e); }
// The symbolic name of API.md ("PARAMERR"), for logs.
std::string_view errno_name(Errno e);
// The default errmsg (Simplified Chinese; "OK" for kOk).
std::string_view errno_message(Errno e);

// An error as a value: what went wrong (errno), a message for the person,
// and the HTTP status it travels with (200 for application errors; 4xx/5xx
// for protocol errors, see API.md "Conventions").
struct Error {
  Errno code = Errno::kUnknownErr;
  std::string message;  // empty: errno_message(code)
  int http_status = 200;
  int retry_after = 0;  // seconds, for 429 answers

  std::string_view text() const {
    return message.empty() ? errno_message(code) : std::string_view(message);
  }
};

// Shorthands for the errors handlers raise most.
inline Error param_error(std::string msg) { return {Errno::kParamErr, std::move(msg), 200, 0}; }
inline Error db_error(std::string msg = {}) { return {Errno::kDbErr, std::move(msg), 503, 0}; }
inline Error cache_error(std::string msg = {}) { return {Errno::kThirdErr, std::move(msg), 503, 0}; }
inline Error rate_limited(int retry_after, std::string msg = {}) {
  return {Errno::kReqErr, std::move(msg), 429, retry_after};
}

}  // namespace ihome
