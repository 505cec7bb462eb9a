// Unit tests of replies and routing: include/ihome/http/reply.h and
// include/ihome/http/router.h.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>

#include "ihome/http/reply.h"
#include "ihome/http/router.h"

namespace ihome {

namespace {
rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  INFO("body: ", body);
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  return d;
}

int count_headers(const Reply& r, std::string_view name) {
  int n = 0;
  for (const auto& [k, v] : r.headers) n += k == name;
  return n;
}

std::string header_value(const Reply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

Reply answer(std::string_view tag) {
  return json_reply(Errno::kOk, "OK", [tag](JsonWriter& w) {
    w.Key("handler");
    write_string(w, tag);
  });
}

std::string handler_tag(const Handler& h) {
  Request req;
  Reply r = h(req);
  rapidjson::Document d = parse(r.body);
  return d["handler"].GetString();
}
}  // namespace

// ================================================================ json_reply

TEST_CASE("json_reply writes errno then errmsg as a JSON object") {
  Reply r = json_reply(Errno::kParamErr, "参数错误：mobile");
  rapidjson::Document d = parse(r.body);
  REQUIRE(d.HasMember("errno"));
  REQUIRE(d["errno"].IsInt());
  CHECK(d["errno"].GetInt() == 4103);
  REQUIRE(d["errmsg"].IsString());
  CHECK(std::string(d["errmsg"].GetString()) == "参数错误：mobile");
  CHECK(d.MemberCount() == 2);
  CHECK(r.body.rfind("{\"errno\":4103,\"errmsg\":", 0) == 0);
  CHECK(r.status == 200);
  CHECK(r.errno_value == 4103);
}

TEST_CASE("json_reply: an empty message is the errno's default message") {
  Reply r = json_reply(Errno::kDbErr, "");
  rapidjson::Document d = parse(r.body);
  CHECK(std::string(d["errmsg"].GetString()) == std::string(errno_message(Errno::kDbErr)));
}

TEST_CASE("json_reply adds extra members after errmsg") {
  Reply r = json_reply(Errno::kOk, "OK", [](JsonWriter& w) {
    w.Key("house_id");
    w.Int64(12);
    w.Key("price");
    write_string(w, "298.50");
    w.Key("avatar");
    w.Null();
    w.Key("data");
    w.StartObject();
    w.Key("houses");
    w.StartArray();
    w.Int(1);
    w.Int(2);
    w.EndArray();
    w.EndObject();
  });
  rapidjson::Document d = parse(r.body);
  CHECK(d["errno"].GetInt() == 0);
  CHECK(std::string(d["errmsg"].GetString()) == "OK");
  CHECK(d["house_id"].GetInt64() == 12);
  CHECK(std::string(d["price"].GetString()) == "298.50");
  CHECK(d["avatar"].IsNull());
  REQUIRE(d["data"]["houses"].IsArray());
  CHECK(d["data"]["houses"].Size() == 2);
  // Member order: errno, errmsg, then the extras.
  auto it = d.MemberBegin();
  CHECK(std::string(it->name.GetString()) == "errno");
  ++it;
  CHECK(std::string(it->name.GetString()) == "errmsg");
  ++it;
  CHECK(std::string(it->name.GetString()) == "house_id");
}

TEST_CASE("json_reply escapes quotes, backslashes and control characters in text") {
  std::string nasty = std::string("a\"b\\c\nd\te\x01</script>") + std::string("\0z", 2);
  Reply r = json_reply(Errno::kParamErr, nasty, [&](JsonWriter& w) {
    w.Key("echo");
    write_string(w, nasty);
  });
  CHECK(r.body.find('\n') == std::string::npos);
  CHECK(r.body.find('\x01') == std::string::npos);
  CHECK(r.body.find('\0') == std::string::npos);
  rapidjson::Document d = parse(r.body);
  CHECK(std::string(d["errmsg"].GetString(), d["errmsg"].GetStringLength()) == nasty);
  CHECK(std::string(d["echo"].GetString(), d["echo"].GetStringLength()) == nasty);
}

TEST_CASE("json_reply sends Content-Type JSON UTF-8 and Cache-Control no-store once") {
  Reply r = json_reply(Errno::kOk, "OK");
  CHECK(r.content_type == "application/json; charset=utf-8");
  CHECK(count_headers(r, "Cache-Control") == 1);
  CHECK(header_value(r, "Cache-Control") == "no-store");
  CHECK(count_headers(r, "Retry-After") == 0);
}

TEST_CASE("json_reply carries the given HTTP status") {
  Reply r = json_reply(Errno::kNoData, "", nullptr, 404);
  CHECK(r.status == 404);
  CHECK(r.errno_value == 4002);
}

TEST_CASE("ok_reply is errno 0, errmsg OK, plus extras") {
  Reply r = ok_reply([](JsonWriter& w) {
    w.Key("order_id");
    w.Int(7);
  });
  rapidjson::Document d = parse(r.body);
  CHECK(d["errno"].GetInt() == 0);
  CHECK(std::string(d["errmsg"].GetString()) == "OK");
  CHECK(d["order_id"].GetInt() == 7);
  CHECK(r.status == 200);
  Reply bare = ok_reply();
  CHECK(bare.body == "{\"errno\":0,\"errmsg\":\"OK\"}");
}

// ================================================================ error_reply

TEST_CASE("error_reply: application errors are HTTP 200 with the errno") {
  Reply r = error_reply(param_error("参数错误：title（长度错误）"));
  CHECK(r.status == 200);
  CHECK(r.errno_value == 4103);
  rapidjson::Document d = parse(r.body);
  CHECK(d["errno"].GetInt() == 4103);
  CHECK(std::string(d["errmsg"].GetString()) == "参数错误：title（长度错误）");
  CHECK(count_headers(r, "Retry-After") == 0);
  CHECK(header_value(r, "Cache-Control") == "no-store");
}

TEST_CASE("error_reply: an Error without message uses the default errmsg") {
  Reply r = error_reply(Error{Errno::kSessionErr, "", 200, 0});
  rapidjson::Document d = parse(r.body);
  CHECK(d["errno"].GetInt() == 4101);
  CHECK(std::string(d["errmsg"].GetString()) == std::string(errno_message(Errno::kSessionErr)));
}

TEST_CASE("error_reply: a rate limit is 429, errno 4201, with Retry-After") {
  Reply r = error_reply(rate_limited(60));
  CHECK(r.status == 429);
  CHECK(r.errno_value == 4201);
  CHECK(count_headers(r, "Retry-After") == 1);
  CHECK(header_value(r, "Retry-After") == "60");
  rapidjson::Document d = parse(r.body);
  CHECK(d["errno"].GetInt() == 4201);
  CHECK(r.serialize().rfind("Status: 429 Too Many Requests\r\n", 0) == 0);
}

TEST_CASE("error_reply: database and cache outages are 503") {
  Reply db = error_reply(db_error());
  CHECK(db.status == 503);
  CHECK(parse(db.body)["errno"].GetInt() == 4001);
  Reply cache = error_reply(cache_error());
  CHECK(cache.status == 503);
  CHECK(parse(cache.body)["errno"].GetInt() == 4301);
  CHECK(db.serialize().rfind("Status: 503 Service Unavailable\r\n", 0) == 0);
}

// ================================================================ serialize

TEST_CASE("serialize writes CGI status, headers, a blank line, then the body") {
  Reply r = ok_reply();
  CHECK(r.serialize() ==
        "Status: 200 OK\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        "Content-Length: 25\r\n"
        "Cache-Control: no-store\r\n"
        "\r\n"
        "{\"errno\":0,\"errmsg\":\"OK\"}");
}

TEST_CASE("serialize keeps header order and repeated headers") {
  Reply r;
  r.status = 404;
  r.content_type = "image/png";
  r.add_header("X-A", "1");
  r.set_cookie("session_id", "abc", "HttpOnly; SameSite=Lax; Path=/");
  r.set_cookie("_xsrf", "tok", "");
  r.body = std::string("\x89PNG\0\x01", 6);
  CHECK(r.serialize() == "Status: 404 Not Found\r\n"
                         "Content-Type: image/png\r\n"
                         "Content-Length: 6\r\n"
                         "X-A: 1\r\n"
                         "Set-Cookie: session_id=abc; HttpOnly; SameSite=Lax; Path=/\r\n"
                         "Set-Cookie: _xsrf=tok\r\n"
                         "\r\n" +
                             std::string("\x89PNG\0\x01", 6));
}

TEST_CASE("serialize of an empty body ends with the blank line") {
  Reply r;
  std::string s = r.serialize();
  CHECK(s == "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 0\r\n\r\n");
  CHECK(r.head() == s);
}

TEST_CASE("status_text names every status ihomed sends") {
  CHECK(status_text(200) == "OK");
  CHECK(status_text(400) == "Bad Request");
  CHECK(status_text(403) == "Forbidden");
  CHECK(status_text(404) == "Not Found");
  CHECK(status_text(405) == "Method Not Allowed");
  CHECK(status_text(413) == "Payload Too Large");
  CHECK(status_text(429) == "Too Many Requests");
  CHECK(status_text(500) == "Internal Server Error");
  CHECK(status_text(503) == "Service Unavailable");
}

// ================================================================ Router

TEST_CASE("router matches an exact method and path") {
  Router router;
  router.add("GET", "/api/house/area", [](Request&) { return answer("area"); });
  router.add("POST", "/api/login", [](Request&) { return answer("login"); });
  router.add("GET", "/api/logout", [](Request&) { return answer("logout-get"); });
  router.add("POST", "/api/logout", [](Request&) { return answer("logout-post"); });
  auto area = router.match("GET", "/api/house/area");
  REQUIRE(area.ok());
  CHECK(handler_tag(**area) == "area");
  auto login = router.match("POST", "/api/login");
  REQUIRE(login.ok());
  CHECK(handler_tag(**login) == "login");
  CHECK(handler_tag(**router.match("GET", "/api/logout")) == "logout-get");
  CHECK(handler_tag(**router.match("POST", "/api/logout")) == "logout-post");
}

TEST_CASE("router: an unknown path is 404 with errno 4002") {
  Router router;
  router.add("GET", "/api/house/area", [](Request&) { return answer("area"); });
  for (const char* path : {"/api/house", "/api/house/area/", "/api/House/area", "/api/nothing",
                           "/api/house/area?x=1", "", "/"}) {
    CAPTURE(path);
    auto m = router.match("GET", path);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code == Errno::kNoData);
    CHECK(m.error().http_status == 404);
  }
}

TEST_CASE("router: a known path with the wrong method is 405 with errno 4201") {
  Router router;
  router.add("POST", "/api/login", [](Request&) { return answer("login"); });
  for (const char* method : {"GET", "PUT", "DELETE", "post", "HEAD", ""}) {
    CAPTURE(method);
    auto m = router.match(method, "/api/login");
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code == Errno::kReqErr);
    CHECK(m.error().http_status == 405);
  }
  Reply r = error_reply(router.match("GET", "/api/login").error());
  CHECK(r.status == 405);
  CHECK(parse(r.body)["errno"].GetInt() == 4201);
  CHECK(r.serialize().rfind("Status: 405 Method Not Allowed\r\n", 0) == 0);
}

TEST_CASE("router: HEAD falls back to GET") {
  Router router;
  router.add("GET", "/api/health", [](Request&) { return answer("health"); });
  auto m = router.match("HEAD", "/api/health");
  REQUIRE(m.ok());
  CHECK(handler_tag(**m) == "health");
}

TEST_CASE("router: an explicit HEAD route wins over GET") {
  Router router;
  router.add("GET", "/api/x", [](Request&) { return answer("get"); });
  router.add("HEAD", "/api/x", [](Request&) { return answer("head"); });
  CHECK(handler_tag(**router.match("HEAD", "/api/x")) == "head");
}

TEST_CASE("router: adding a route again replaces its handler") {
  Router router;
  router.add("GET", "/api/x", [](Request&) { return answer("old"); });
  router.add("GET", "/api/x", [](Request&) { return answer("new"); });
  CHECK(handler_tag(**router.match("GET", "/api/x")) == "new");
  CHECK(router.allowed("/api/x") == "GET, HEAD");
}

TEST_CASE("router: allowed lists the methods of a known path for the Allow header") {
  Router router;
  router.add("POST", "/api/logout", [](Request&) { return answer("p"); });
  router.add("GET", "/api/logout", [](Request&) { return answer("g"); });
  router.add("POST", "/api/login", [](Request&) { return answer("l"); });
  CHECK(router.allowed("/api/logout") == "GET, POST, HEAD");
  CHECK(router.allowed("/api/login") == "POST");
  CHECK(router.allowed("/api/unknown") == "");
}

// Fuzz finding (tests/fuzz/corpus/router/finding_head_allowed): HEAD is
// answered wherever GET is, but the Allow header of a 405 left it out.
TEST_CASE("router: Allow names HEAD wherever GET answers it") {
  Router router;
  router.add("GET", "/api/house/info", [](Request&) { return answer("g"); });
  REQUIRE(router.match("HEAD", "/api/house/info"));
  CHECK(router.match("PUT", "/api/house/info").error().http_status == 405);
  CHECK(router.allowed("/api/house/info") == "GET, HEAD");
  router.add("HEAD", "/api/house/info", [](Request&) { return answer("h"); });
  CHECK(router.allowed("/api/house/info") == "GET, HEAD");
}

TEST_CASE("router: the handler gets the request") {
  Router router;
  router.add("GET", "/api/echo", [](Request& req) {
    return json_reply(Errno::kOk, "OK", [&](JsonWriter& w) {
      w.Key("ip");
      write_string(w, req.client_ip);
    });
  });
  auto m = router.match("GET", "/api/echo");
  REQUIRE(m.ok());
  Request req;
  req.client_ip = "198.51.100.9";
  Reply r = (**m)(req);
  CHECK(std::string(parse(r.body)["ip"].GetString()) == "198.51.100.9");
}

TEST_CASE("ok_spliced_reply answers what ok_reply with the fragment as a raw value does") {
  std::string fragment = "{\"a\":[1,2],\"b\":\"中文\\\"\"}";
  Reply spliced = ok_spliced_reply(",\"data\":{\"user_id\":-1,\"house\":", fragment, "}");
  Reply written = ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("user_id");
    w.Int64(-1);
    w.Key("house");
    w.RawValue(fragment.data(), fragment.size(), rapidjson::kObjectType);
    w.EndObject();
  });
  CHECK(spliced.body == written.body);
  CHECK(spliced.serialize() == written.serialize());
  CHECK(spliced.status == 200);
  CHECK(spliced.errno_value == 0);
  CHECK(ok_spliced_reply(",\"data\":", "[]").body == "{\"errno\":0,\"errmsg\":\"OK\",\"data\":[]}");
}

}  // namespace ihome
