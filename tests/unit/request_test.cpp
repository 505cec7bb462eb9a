// Unit tests of request building: include/ihome/http/request.h.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "ihome/http/request.h"

namespace ihome {

namespace {
using FcgiParams = std::map<std::string, std::string, std::less<>>;
constexpr size_t kMaxFile = 5 << 20;

// What nginx's fastcgi_params send for a typical API call.
FcgiParams nginx_params() {
  return {
      {"REQUEST_METHOD", "POST"},
      {"DOCUMENT_URI", "/api/login"},
      {"REQUEST_URI", "/api/login?next=%2F"},
      {"QUERY_STRING", "next=%2F"},
      {"CONTENT_TYPE", "application/json"},
      {"CONTENT_LENGTH", "42"},
      {"REMOTE_ADDR", "203.0.113.7"},
      {"HTTP_HOST", "ihome.example"},
      {"HTTP_COOKIE", "session_id=abc; _xsrf=tok123"},
      {"HTTP_X_XSRFTOKEN", "tok123"},
      {"HTTP_USER_AGENT", "Mozilla/5.0"},
      {"SERVER_PROTOCOL", "HTTP/1.1"},
  };
}

Request build(const FcgiParams& params) {
  Result<Request> r = make_request(params);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : std::string(r.error().text())));
  return std::move(r).value();
}

Request with_body(std::string content_type, std::string body) {
  FcgiParams p = nginx_params();
  p["CONTENT_TYPE"] = std::move(content_type);
  p["CONTENT_LENGTH"] = std::to_string(body.size());
  Request req = build(p);
  req.raw_body = std::move(body);
  return req;
}
}  // namespace

// ================================================================ make_request

TEST_CASE("make_request takes method, path, client ip and length from FastCGI params") {
  Request req = build(nginx_params());
  CHECK(req.method == "POST");
  CHECK(req.path == "/api/login");
  CHECK(req.client_ip == "203.0.113.7");
  CHECK(req.content_length == 42);
  CHECK(req.content_type == "application/json");
  CHECK(req.content_type_raw == "application/json");
  CHECK(req.raw_body.empty());
}

TEST_CASE("make_request prefers DOCUMENT_URI over REQUEST_URI") {
  FcgiParams p = nginx_params();
  p["DOCUMENT_URI"] = "/api/house/info";
  p["REQUEST_URI"] = "/api/other?house_id=1";
  CHECK(build(p).path == "/api/house/info");
}

TEST_CASE("make_request falls back to REQUEST_URI without its query") {
  FcgiParams p = nginx_params();
  p.erase("DOCUMENT_URI");
  p["REQUEST_URI"] = "/api/house/list?aid=1&p=2";
  CHECK(build(p).path == "/api/house/list");
  p["REQUEST_URI"] = "/api/health";
  CHECK(build(p).path == "/api/health");
  p["DOCUMENT_URI"] = "";
  p["REQUEST_URI"] = "/api/check_login?";
  CHECK(build(p).path == "/api/check_login");
}

TEST_CASE("make_request turns HTTP_* params into lower-case dashed header names") {
  Request req = build(nginx_params());
  CHECK(req.header("x-xsrftoken") == "tok123");
  CHECK(req.header("host") == "ihome.example");
  CHECK(req.header("user-agent") == "Mozilla/5.0");
  CHECK(req.headers.count("HTTP_X_XSRFTOKEN") == 0);
  CHECK(req.headers.count("X-XSRFToken") == 0);
  CHECK(req.header("server-protocol") == "");  // not an HTTP_ param
  CHECK(req.header("missing") == "");
}

TEST_CASE("make_request parses the Cookie header") {
  Request req = build(nginx_params());
  CHECK(req.cookie("session_id") == "abc");
  CHECK(req.cookie("_xsrf") == "tok123");
  CHECK(req.cookie("none") == "");
}

TEST_CASE("make_request lower-cases the content type and drops its parameters") {
  FcgiParams p = nginx_params();
  p["CONTENT_TYPE"] = "Application/JSON; charset=UTF-8";
  Request req = build(p);
  CHECK(req.content_type == "application/json");
  CHECK(req.content_type_raw == "Application/JSON; charset=UTF-8");
  p["CONTENT_TYPE"] = " application/x-www-form-urlencoded ;charset=utf-8";
  CHECK(build(p).content_type == "application/x-www-form-urlencoded");
  p["CONTENT_TYPE"] = "multipart/form-data; boundary=----XyZ";
  CHECK(build(p).content_type == "multipart/form-data");
  p.erase("CONTENT_TYPE");
  CHECK(build(p).content_type == "");
}

TEST_CASE("make_request: CONTENT_LENGTH absent or empty is 0") {
  FcgiParams p = nginx_params();
  p.erase("CONTENT_LENGTH");
  CHECK(build(p).content_length == 0);
  p["CONTENT_LENGTH"] = "";
  CHECK(build(p).content_length == 0);
  p["CONTENT_LENGTH"] = "0";
  CHECK(build(p).content_length == 0);
}

TEST_CASE("make_request: a bad CONTENT_LENGTH is a PARAMERR") {
  for (const char* v : {"abc", "-1", "1.5", "12abc", "0x10", "+5", "99999999999999999999"}) {
    CAPTURE(v);
    FcgiParams p = nginx_params();
    p["CONTENT_LENGTH"] = v;
    Result<Request> r = make_request(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errno::kParamErr);
  }
}

TEST_CASE("make_request parses the query string") {
  FcgiParams p = nginx_params();
  p["REQUEST_METHOD"] = "GET";
  p["QUERY_STRING"] = "aid=3&sd=2026-05-01&sk=price-inc&p=2&title=%E5%8C%97+%E4%BA%AC&aid=9";
  Request req = build(p);
  CHECK(req.query_value("sd") == "2026-05-01");
  CHECK(req.query_value("sk") == "price-inc");
  CHECK(req.query_value("title") == "北 京");
  CHECK(req.query_value("aid") == "3");  // repeated: the first
  CHECK(req.query_value("missing") == "");
  CHECK(req.query.integer("p", 1, 1000).value() == 2);
}

TEST_CASE("make_request: a broken query escape is a PARAMERR") {
  for (const char* q : {"codeid=%", "codeid=%4", "codeid=%zz", "a=1&b=%G1", "%=1"}) {
    CAPTURE(q);
    FcgiParams p = nginx_params();
    p["QUERY_STRING"] = q;
    Result<Request> r = make_request(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errno::kParamErr);
  }
}

TEST_CASE("make_request from an empty parameter map gives an empty request") {
  Request req = build({});
  CHECK(req.method == "");
  CHECK(req.path == "");
  CHECK(req.content_length == 0);
  CHECK(req.cookies.empty());
  CHECK(req.headers.empty());
}

// ================================================================ parse_cookies

TEST_CASE("parse_cookies splits on ';' and trims") {
  auto c = parse_cookies("a=1; b=2;c=3 ;  d = 4 ");
  CHECK(c.size() == 4);
  CHECK(c["a"] == "1");
  CHECK(c["b"] == "2");
  CHECK(c["c"] == "3");
  CHECK(c["d"] == "4");
}

TEST_CASE("parse_cookies: the first of a repeated name wins") {
  auto c = parse_cookies("session_id=first; session_id=second");
  CHECK(c.size() == 1);
  CHECK(c["session_id"] == "first");
}

TEST_CASE("parse_cookies strips one pair of double quotes") {
  auto c = parse_cookies("a=\"quoted\"; b=\"\"; c=\"; d=\"x");
  CHECK(c["a"] == "quoted");
  CHECK(c["b"] == "");
  CHECK(c["c"] == "\"");
  CHECK(c["d"] == "\"x");
}

TEST_CASE("parse_cookies keeps '=' inside values (base64 padding)") {
  auto c = parse_cookies("t=YWJj==; u=a=b");
  CHECK(c["t"] == "YWJj==");
  CHECK(c["u"] == "a=b");
}

TEST_CASE("parse_cookies skips pairs without a name or '='") {
  auto c = parse_cookies("; ;novalue; =orphan;  = x ; ok=1;;");
  CHECK(c.size() == 1);
  CHECK(c["ok"] == "1");
}

TEST_CASE("parse_cookies: empty value is kept; names are case-sensitive") {
  auto c = parse_cookies("empty=; Name=A; name=b");
  CHECK(c.count("empty") == 1);
  CHECK(c["empty"] == "");
  CHECK(c["Name"] == "A");
  CHECK(c["name"] == "b");
}

TEST_CASE("parse_cookies of an empty or blank header is empty") {
  CHECK(parse_cookies("").empty());
  CHECK(parse_cookies("   ").empty());
  CHECK(parse_cookies(";").empty());
}

// ================================================================ parse_body

TEST_CASE("parse_body reads a JSON body") {
  Request req = with_body("application/json; charset=utf-8",
                          R"({"mobile":"13800138000","password":"secret1"})");
  REQUIRE(parse_body(req, kMaxFile).ok());
  CHECK(req.body.mobile("mobile").value() == "13800138000");
  CHECK(req.body.secret("password", 6, 64).value() == "secret1");
}

TEST_CASE("parse_body reads an urlencoded body") {
  Request req = with_body("application/x-www-form-urlencoded",
                          "mobile=13800138000&password=se+cret%21");
  REQUIRE(parse_body(req, kMaxFile).ok());
  CHECK(req.body.mobile("mobile").value() == "13800138000");
  CHECK(req.body.secret("password", 6, 64).value() == "se cret!");
}

TEST_CASE("parse_body: an empty or blank body gives no fields, whatever the type") {
  for (const char* type : {"application/json", "application/x-www-form-urlencoded", "",
                           "text/plain"}) {
    CAPTURE(type);
    Request req = with_body(type, "");
    REQUIRE(parse_body(req, kMaxFile).ok());
    CHECK_FALSE(req.body.has("mobile"));
    Request blank = with_body(type, " \r\n");
    REQUIRE(parse_body(blank, kMaxFile).ok());
  }
}

TEST_CASE("parse_body: an unsupported content type is a PARAMERR") {
  for (const char* type : {"text/plain", "", "application/xml", "application/jsonp",
                           "application/octet-stream"}) {
    CAPTURE(type);
    Request req = with_body(type, "{\"a\":1}");
    Status s = parse_body(req, kMaxFile);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == Errno::kParamErr);
  }
}

TEST_CASE("parse_body: a malformed body is a PARAMERR") {
  Request j = with_body("application/json", "{\"a\":");
  CHECK(parse_body(j, kMaxFile).error().code == Errno::kParamErr);
  Request arr = with_body("application/json", "[1,2]");
  CHECK(parse_body(arr, kMaxFile).error().code == Errno::kParamErr);
  Request f = with_body("application/x-www-form-urlencoded", "a=%ZZ");
  CHECK(parse_body(f, kMaxFile).error().code == Errno::kParamErr);
}

TEST_CASE("parse_body: a JSON body is not read as a form and vice versa") {
  Request req = with_body("application/x-www-form-urlencoded", "{\"a\":\"1\"}");
  REQUIRE(parse_body(req, kMaxFile).ok());
  CHECK_FALSE(req.body.has("a"));
  Request form = with_body("application/json", "a=1");
  CHECK_FALSE(parse_body(form, kMaxFile).ok());
}

TEST_CASE("parse_body: multipart text parts become fields, file parts become files") {
  std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"house_id\"\r\n"
      "\r\n"
      "12\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"house_id\"\r\n"
      "\r\n"
      "13\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"house_image\"; filename=\"a.png\"\r\n"
      "Content-Type: image/png\r\n"
      "\r\n" +
      std::string("\x89PNG\r\n\0\x01", 8) +
      "\r\n"
      "--XyZ--\r\n";
  Request req = with_body("multipart/form-data; boundary=XyZ", body);
  REQUIRE(parse_body(req, kMaxFile).ok());
  CHECK(req.body.integer("house_id", 1, 1000).value() == 12);  // the first of a repeated name
  CHECK_FALSE(req.body.has("house_image"));
  const MultipartPart* file = req.file("house_image");
  REQUIRE(file != nullptr);
  CHECK(file->filename.value() == "a.png");
  CHECK(file->content_type == "image/png");
  CHECK(file->data == std::string("\x89PNG\r\n\0\x01", 8));
  CHECK(req.file("house_id") == nullptr);  // a text part is no file
  CHECK(req.file("avatar") == nullptr);
}

TEST_CASE("parse_body: a multipart body without boundary or malformed is a PARAMERR") {
  Request none = with_body("multipart/form-data", "--x\r\n\r\n--x--\r\n");
  CHECK(parse_body(none, kMaxFile).error().code == Errno::kParamErr);
  Request broken = with_body("multipart/form-data; boundary=x", "{\"a\":1}");
  CHECK(parse_body(broken, kMaxFile).error().code == Errno::kParamErr);
}

TEST_CASE("parse_body: a multipart file above max_file_bytes is refused") {
  std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"x.jpg\"\r\n\r\n" +
      std::string(101, 'x') + "\r\n--b--\r\n";
  Request big = with_body("multipart/form-data; boundary=b", body);
  CHECK_FALSE(parse_body(big, 100).ok());
  Request fits = with_body("multipart/form-data; boundary=b", body);
  REQUIRE(parse_body(fits, 101).ok());
  CHECK(fits.file("avatar")->data.size() == 101);
}

// ================================================================ body_limit

TEST_CASE("body_limit: JSON and forms get max_body; multipart gets the upload limit plus room") {
  CHECK(body_limit("application/json", 1 << 20, 5 << 20) == 1 << 20);
  CHECK(body_limit("application/x-www-form-urlencoded", 1 << 20, 5 << 20) == 1 << 20);
  CHECK(body_limit("", 1 << 20, 5 << 20) == 1 << 20);
  CHECK(body_limit("multipart/form-data", 1 << 20, 5 << 20) == (5 << 20) + 64 * 1024);
  // Never less than max_body.
  CHECK(body_limit("multipart/form-data", 10 << 20, 1 << 20) == 10 << 20);
}

}  // namespace ihome
