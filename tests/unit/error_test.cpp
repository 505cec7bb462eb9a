// Unit tests of the errno table: include/ihome/core/error.h against
// API.md's "errno" table, and the Error shorthands.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "ihome/core/error.h"
#include "ihome/core/result.h"
#include "ihome/core/text.h"

namespace ihome {

namespace {
struct ApiRow {
  Errno code;
  int number;
  const char* name;
};

// Copied from /work/shared/API.md, "## errno" (the contract, spelling included).
constexpr ApiRow kApiTable[] = {
    {Errno::kOk, 0, "OK"},
    {Errno::kDbErr, 4001, "DBERR"},
    {Errno::kNoData, 4002, "NODATA"},
    {Errno::kDataExist, 4003, "DATAEXIST"},
    {Errno::kDataErr, 4004, "DATAERR"},
    {Errno::kSessionErr, 4101, "SESSIONERR"},
    {Errno::kLoginErr, 4102, "LOGINERR"},
    {Errno::kParamErr, 4103, "PARAMERR"},
    {Errno::kUserErr, 4104, "USERERR"},
    {Errno::kRoleErr, 4105, "ROLEERR"},
    {Errno::kPwdErr, 4106, "PWDERR"},
    {Errno::kReqErr, 4201, "REQERR"},
    {Errno::kIpErr, 4202, "IPERR"},
    {Errno::kThirdErr, 4301, "THIRDERR"},
    {Errno::kIoErr, 4302, "IOERR"},
    {Errno::kServerErr, 4500, "SERVERERR"},
    {Errno::kUnknownErr, 4501, "UNKOWNERR"},
};
}  // namespace

TEST_CASE("every errno number matches API.md's table") {
  for (const ApiRow& row : kApiTable) {
    CAPTURE(row.name);
    CHECK(errno_number(row.code) == row.number);
  }
  // Spot checks that do not go through the table.
  static_assert(errno_number(Errno::kOk) == 0);
  static_assert(errno_number(Errno::kParamErr) == 4103);
  static_assert(errno_number(Errno::kReqErr) == 4201);
}

TEST_CASE("every errno name matches API.md's table") {
  for (const ApiRow& row : kApiTable) {
    CAPTURE(row.number);
    CHECK(errno_name(row.code) == row.name);
  }
}

TEST_CASE("errno numbers and names are unique") {
  std::set<int> numbers;
  std::set<std::string> names;
  for (const ApiRow& row : kApiTable) {
    numbers.insert(errno_number(row.code));
    names.insert(std::string(errno_name(row.code)));
  }
  CHECK(numbers.size() == std::size(kApiTable));
  CHECK(names.size() == std::size(kApiTable));
}

TEST_CASE("errmsg of errno 0 is the literal OK") {
  CHECK(errno_message(Errno::kOk) == "OK");
}

TEST_CASE("every non-zero errno has a non-empty, one-line, UTF-8 Chinese message") {
  std::set<std::string> messages;
  for (const ApiRow& row : kApiTable) {
    if (row.code == Errno::kOk) continue;
    CAPTURE(row.name);
    std::string_view m = errno_message(row.code);
    CHECK_FALSE(m.empty());
    CHECK(utf8_length(m).has_value());
    CHECK_FALSE(has_control_chars(m));
    CHECK(m != "OK");
    // Simplified Chinese: at least one non-ASCII byte.
    bool non_ascii = false;
    for (unsigned char c : m) non_ascii |= c >= 0x80;
    CHECK(non_ascii);
    messages.insert(std::string(m));
  }
  CHECK(messages.size() == std::size(kApiTable) - 1);  // distinct messages
}

TEST_CASE("an errno outside the table falls back to UNKOWNERR") {
  Errno bogus = static_cast<Errno>(1234);
  CHECK(errno_name(bogus) == "UNKOWNERR");
  CHECK(errno_message(bogus) == errno_message(Errno::kUnknownErr));
}

TEST_CASE("Error::text falls back to the errno's default message") {
  Error e{Errno::kDbErr, "", 503, 0};
  CHECK(e.text() == errno_message(Errno::kDbErr));
  e.message = "数据库忙";
  CHECK(e.text() == "数据库忙");
  Error d;
  CHECK(d.code == Errno::kUnknownErr);
  CHECK(d.http_status == 200);
  CHECK(d.retry_after == 0);
  CHECK(d.text() == errno_message(Errno::kUnknownErr));
}

TEST_CASE("param_error is PARAMERR with HTTP 200") {
  Error e = param_error("参数错误：mobile");
  CHECK(e.code == Errno::kParamErr);
  CHECK(e.http_status == 200);
  CHECK(e.retry_after == 0);
  CHECK(e.text() == "参数错误：mobile");
}

TEST_CASE("db_error is DBERR with HTTP 503") {
  Error e = db_error();
  CHECK(e.code == Errno::kDbErr);
  CHECK(e.http_status == 503);
  CHECK(e.text() == errno_message(Errno::kDbErr));
}

TEST_CASE("cache_error is THIRDERR with HTTP 503") {
  Error e = cache_error("memcached down");
  CHECK(e.code == Errno::kThirdErr);
  CHECK(e.http_status == 503);
  CHECK(e.text() == "memcached down");
}

TEST_CASE("rate_limited is REQERR with HTTP 429 and Retry-After seconds") {
  Error e = rate_limited(42);
  CHECK(e.code == Errno::kReqErr);
  CHECK(e.http_status == 429);
  CHECK(e.retry_after == 42);
  CHECK(e.text() == errno_message(Errno::kReqErr));
}

TEST_CASE("Result carries either a value or an Error") {
  Result<int> good(5);
  CHECK(good.ok());
  CHECK(static_cast<bool>(good));
  CHECK(*good == 5);
  Result<int> bad(param_error("x"));
  CHECK_FALSE(bad.ok());
  CHECK(bad.error().code == Errno::kParamErr);
  Error taken = bad.take_error();
  CHECK(taken.message == "x");
}

TEST_CASE("Status is OK by default and carries an Error otherwise") {
  Status ok = Status::OK();
  CHECK(ok.ok());
  Status bad(db_error("locked"));
  CHECK_FALSE(bad.ok());
  CHECK(bad.error().code == Errno::kDbErr);
  CHECK(bad.error().message == "locked");
}

}  // namespace ihome
