// Unit tests of the multipart/form-data parser: include/ihome/http/multipart.h.
// Happy paths first, then hostile bodies (every failure must be a PARAMERR,
// never a crash), then multipart_boundary().
#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "ihome/http/multipart.h"

namespace ihome {

namespace {

using namespace std::string_literals;  // "\0" inside binary test data

constexpr std::string_view kBoundary = "----ihomeFormBoundary7MA4YWxk";

struct TestPart {
  std::string headers;  // header lines, each without CRLF, joined by CRLF
  std::string data;
};

TestPart text_field(std::string name, std::string value) {
  return {"Content-Disposition: form-data; name=\"" + name + "\"", std::move(value)};
}

TestPart file_field(std::string name, std::string filename, std::string type, std::string data) {
  return {"Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename +
              "\"\r\nContent-Type: " + type,
          std::move(data)};
}

// A well-formed body as a browser sends it (no preamble, CRLF epilogue).
std::string body_of(const std::vector<TestPart>& parts, std::string_view boundary = kBoundary) {
  std::string out;
  for (const TestPart& p : parts) {
    out += "--";
    out += boundary;
    out += "\r\n" + p.headers + "\r\n\r\n" + p.data + "\r\n";
  }
  out += "--";
  out += boundary;
  out += "--\r\n";
  return out;
}

std::vector<MultipartPart> parse_ok(std::string_view body, std::string_view boundary = kBoundary,
                                    const MultipartLimits& limits = {}) {
  auto r = parse_multipart(body, boundary, limits);
  INFO("body: ", std::string(body.substr(0, 300)));
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : std::string(r.error().text())));
  return std::move(r).value();
}

// Refused as a PARAMERR (4103, HTTP 200) whose message names the problem.
bool rejected(std::string_view body, std::string_view boundary = kBoundary,
              const MultipartLimits& limits = {}) {
  auto r = parse_multipart(body, boundary, limits);
  if (r.ok()) return false;
  return r.error().code == Errno::kParamErr && r.error().http_status == 200 &&
         r.error().message.starts_with("参数错误：");
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// ---------------------------------------------------------------- happy paths

TEST_CASE("multipart: a text part and a file part keep name, filename, content type and bytes") {
  auto parts = parse_ok(body_of({text_field("title", "海景房"),
                                 file_field("avatar", "me.png", "image/png", "\x89PNG\r\n\x1a\n")}));
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].name == "title");
  CHECK_FALSE(parts[0].filename.has_value());
  CHECK(parts[0].content_type == "");
  CHECK(parts[0].data == "海景房");
  CHECK(parts[1].name == "avatar");
  REQUIRE(parts[1].filename.has_value());
  CHECK(*parts[1].filename == "me.png");
  CHECK(parts[1].content_type == "image/png");
  CHECK(parts[1].data == "\x89PNG\r\n\x1a\n");
}

TEST_CASE("multipart: parts come back in body order, repeated names included") {
  auto parts = parse_ok(body_of({text_field("a", "1"), text_field("b", "2"), text_field("a", "3")}));
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].name == "a");
  CHECK(parts[1].name == "b");
  CHECK(parts[2].name == "a");
  CHECK(parts[2].data == "3");
}

TEST_CASE("multipart: parameter values may be quoted or unquoted") {
  auto parts = parse_ok(body_of({{"Content-Disposition: form-data; name=plain", "1"},
                                 {"Content-Disposition: form-data; name=\"quoted\"", "2"},
                                 {"Content-Disposition: form-data; name=f; filename=a.txt", "3"},
                                 {"Content-Disposition: form-data;name=\"tight\";filename=\"b\"", "4"},
                                 {"Content-Disposition: form-data ;  name = \"spaced\" ", "5"}}));
  REQUIRE(parts.size() == 5);
  CHECK(parts[0].name == "plain");
  CHECK(parts[1].name == "quoted");
  CHECK(parts[2].name == "f");
  CHECK(parts[2].filename == "a.txt");
  CHECK(parts[3].name == "tight");
  CHECK(parts[3].filename == "b");
  CHECK(parts[4].name == "spaced");
}

TEST_CASE("multipart: parameters come in any order and their names are case-insensitive") {
  auto parts = parse_ok(body_of({{"Content-Disposition: form-data; filename=\"x.jpg\"; name=\"pic\"", "1"},
                                 {"Content-Disposition: Form-Data; NAME=\"upper\"; FileName=\"y\"", "2"}}));
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].name == "pic");
  CHECK(parts[0].filename == "x.jpg");
  CHECK(parts[1].name == "upper");
  CHECK(parts[1].filename == "y");
}

TEST_CASE("multipart: header names are case-insensitive and unknown headers are ignored") {
  auto parts = parse_ok(body_of(
      {{"content-disposition: form-data; name=\"a\"\r\nCONTENT-TYPE: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\nX-Anything: at all",
        "v"},
       {"Content-Disposition:form-data; name=\"b\"\r\nContent-Type:image/jpeg", "w"}}));
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].name == "a");
  CHECK(parts[0].content_type == "text/plain; charset=utf-8");
  CHECK(parts[1].name == "b");
  CHECK(parts[1].content_type == "image/jpeg");
}

TEST_CASE("multipart: a filename with spaces, Chinese and backslash-escaped quotes is decoded") {
  auto parts = parse_ok(body_of(
      {file_field("f1", "my holiday photo.jpg", "image/jpeg", "a"),
       file_field("f2", "北京 三里屯.png", "image/png", "b"),
       {"Content-Disposition: form-data; name=\"f3\"; filename=\"say \\\"hi\\\" \\\\ ok.gif\"", "c"},
       {"Content-Disposition: form-data; name=\"semi;colon\"; filename=\"a;b=c.txt\"", "d"}}));
  REQUIRE(parts.size() == 4);
  CHECK(parts[0].filename == "my holiday photo.jpg");
  CHECK(parts[1].filename == "北京 三里屯.png");
  CHECK(parts[2].filename == "say \"hi\" \\ ok.gif");
  CHECK(parts[3].name == "semi;colon");
  CHECK(parts[3].filename == "a;b=c.txt");
}

TEST_CASE("multipart: filename* is ignored (RFC 7578 4.2)") {
  auto parts = parse_ok(body_of({{"Content-Disposition: form-data; name=\"f\"; filename=\"a.txt\"; "
                                  "filename*=UTF-8''%E4%B8%AD.txt",
                                  "x"}}));
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].filename == "a.txt");
}

TEST_CASE("multipart: a part without Content-Type has an empty content_type") {
  auto parts = parse_ok(body_of({{"Content-Disposition: form-data; name=\"f\"; filename=\"raw\"", "x"}}));
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].filename == "raw");
  CHECK(parts[0].content_type.empty());
}

TEST_CASE("multipart: binary data with CR, LF, NUL and '--' sequences is kept byte for byte") {
  std::string binary = "\0\r\n\r\n--\r\n-\r--\n\0\xff\xfe--"s + std::string(kBoundary) + "\r\r\n\n\0"s;
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  auto parts = parse_ok(body_of({file_field("bin", "b.bin", "application/octet-stream", binary),
                                 file_field("bytes", "c.bin", "application/octet-stream", all_bytes),
                                 file_field("crlf", "d.bin", "application/octet-stream", "\r\n")}));
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].data == binary);
  CHECK(parts[1].data == all_bytes);
  CHECK(parts[2].data == "\r\n");
}

TEST_CASE("multipart: CRLF--boundary not followed by CRLF, '--' or padding+CRLF is data") {
  const std::string b(kBoundary);
  for (std::string tricky : {"x\r\n--" + b + "X\r\ny", "x\r\n--" + b + "-\r\ny", "x\r\n--" + b + " x\r\n",
                             "x\r\n--" + b + " \r x", "x\r\n--" + b + "\r", "x\r\n--" + b + "\n\r\n",
                             "--" + b + "\r\n", "x\n--" + b + "\r\n", "x\r--" + b + "--"}) {
    CAPTURE(tricky);
    auto parts = parse_ok(body_of({text_field("t", tricky)}));
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].data == tricky);
  }
}

TEST_CASE("multipart: a boundary that extends another is not confused with it") {
  // The data holds the delimiter of a longer boundary that starts with ours.
  std::string data = "\r\n--" + std::string(kBoundary) + "extra\r\nContent-Disposition: form-data; name=z";
  auto parts = parse_ok(body_of({text_field("t", data)}));
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].data == data);
}

TEST_CASE("multipart: empty file and empty text parts are parts with no bytes") {
  auto parts = parse_ok(body_of({file_field("avatar", "", "application/octet-stream", ""),
                                 text_field("note", "")}));
  REQUIRE(parts.size() == 2);
  REQUIRE(parts[0].filename.has_value());
  CHECK(parts[0].filename->empty());
  CHECK(parts[0].data.empty());
  CHECK_FALSE(parts[1].filename.has_value());
  CHECK(parts[1].data.empty());
}

TEST_CASE("multipart: preamble and epilogue are ignored") {
  std::string inner = body_of({text_field("a", "1")});
  std::string preamble = "This is a preamble.\r\n--" + std::string(kBoundary) + "X not yet\r\n";
  for (std::string body : {preamble + inner, inner + "epilogue\r\n--" + std::string(kBoundary) + "\r\njunk",
                           preamble + inner + "trailing words"}) {
    auto parts = parse_ok(body);
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].name == "a");
    CHECK(parts[0].data == "1");
  }
}

TEST_CASE("multipart: the close delimiter may end the body without CRLF") {
  std::string body = body_of({text_field("a", "1")});
  body.resize(body.size() - 2);
  CHECK(parse_ok(body).size() == 1);
}

TEST_CASE("multipart: transport padding (spaces, tabs) may follow a delimiter") {
  const std::string b(kBoundary);
  std::string body = "--" + b + " \t \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" + b +
                     "\t\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--" + b + "--  \r\n";
  auto parts = parse_ok(body);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].data == "1");
  CHECK(parts[1].data == "2");
}

TEST_CASE("multipart: a body that is only the close delimiter has zero parts") {
  CHECK(parse_ok("--" + std::string(kBoundary) + "--\r\n").empty());
}

TEST_CASE("multipart: boundaries using every RFC 2046 bchar, of 1 and 70 characters, work") {
  for (std::string b : {"x"s, std::string(70, 'b'), "'()+_,-./:=? Az09"s}) {
    CAPTURE(b);
    auto parts = parse_ok(body_of({text_field("a", "1")}, b), b);
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].data == "1");
  }
}

TEST_CASE("multipart: a 5 MiB file part parses in one pass") {
  std::string data(5 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : data) c = static_cast<char>(rng());
  std::string body = body_of({text_field("title", "t"), file_field("avatar", "big.bin", "image/jpeg", data)});
  auto start = std::chrono::steady_clock::now();
  auto parts = parse_ok(body);
  CHECK(seconds_since(start) < 2.0);  // milliseconds in practice, even under sanitizers
  REQUIRE(parts.size() == 2);
  CHECK(parts[1].data == data);
}

TEST_CASE("multipart: 5 MiB of near-miss delimiters stays linear") {
  std::string near_miss = "\r\n--" + std::string(kBoundary) + "X";
  std::string data;
  while (data.size() < (5u << 20) - near_miss.size()) data += near_miss;
  std::string body = body_of({file_field("f", "f", "application/octet-stream", data)});
  auto start = std::chrono::steady_clock::now();
  auto parts = parse_ok(body);
  CHECK(seconds_since(start) < 2.0);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].data == data);
}

// ------------------------------------------------------------ hostile bodies

TEST_CASE("multipart: a body where the boundary never appears is PARAMERR") {
  CHECK(rejected(""));
  CHECK(rejected("\r\n"));
  CHECK(rejected("name=value&other=1"));
  CHECK(rejected("--"));
  CHECK(rejected("--" + std::string(kBoundary)));  // no CRLF or "--" after it
  CHECK(rejected("--" + std::string(kBoundary) + "X\r\n"));
}

TEST_CASE("multipart: a body written with another boundary is PARAMERR") {
  std::string body = body_of({text_field("a", "1")}, "other-boundary");
  CHECK(rejected(body));
  CHECK(rejected(body, "other-boundar"));  // a prefix of the real one
  CHECK(parse_ok(body, "other-boundary").size() == 1);
}

TEST_CASE("multipart: an invalid boundary argument (empty, 71 chars, non-bchar, trailing space) is PARAMERR") {
  std::string b71(71, 'b');
  CHECK(rejected(body_of({text_field("a", "1")}, b71), b71));
  CHECK(rejected("--\r\n\r\n--", ""));
  CHECK(rejected(body_of({text_field("a", "1")}, "a\"b"), "a\"b"));
  CHECK(rejected(body_of({text_field("a", "1")}, "a;b"), "a;b"));
  CHECK(rejected(body_of({text_field("a", "1")}, "ab "), "ab "));
  CHECK(rejected(body_of({text_field("a", "1")}, "a\r\nb"), "a\r\nb"));
}

TEST_CASE("multipart: a body truncated at any byte offset is PARAMERR until the close delimiter is whole") {
  std::string body = body_of({text_field("title", "line1\r\nline2"),
                              file_field("avatar", "a b.jpg", "image/jpeg", "\xff\xd8\r\n--\0\xff\xd9"s),
                              file_field("empty", "", "application/octet-stream", "")});
  const size_t complete = body.size() - 2;  // everything but the CRLF after the close delimiter
  for (size_t n = 0; n < body.size(); ++n) {
    CAPTURE(n);
    std::string_view prefix = std::string_view(body).substr(0, n);
    if (n < complete) {
      CHECK(rejected(prefix));
    } else {
      CHECK(parse_ok(prefix).size() == 3);
    }
  }
}

TEST_CASE("multipart: a body without a closing delimiter is PARAMERR") {
  const std::string b(kBoundary);
  CHECK(rejected("--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1"));
  CHECK(rejected("--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"));
  CHECK(rejected("--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" + b + "\r\n"));
  CHECK(rejected("--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" + b + "-"));
  CHECK(rejected("--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1--" + b + "--"));
}

TEST_CASE("multipart: more than max_parts parts is PARAMERR; exactly max_parts is fine") {
  MultipartLimits limits;
  limits.max_parts = 3;
  std::vector<TestPart> three = {text_field("a", "1"), text_field("b", "2"), text_field("c", "3")};
  CHECK(parse_ok(body_of(three), kBoundary, limits).size() == 3);
  three.push_back(text_field("d", "4"));
  CHECK(rejected(body_of(three), kBoundary, limits));
  CHECK(rejected(body_of(three)) == false);  // the default limit is 16
}

TEST_CASE("multipart: 100k tiny parts are rejected quickly by the part limit") {
  std::vector<TestPart> many(100000, {"Content-Disposition: form-data; name=a", "x"});
  std::string body = body_of(many);
  auto start = std::chrono::steady_clock::now();
  CHECK(rejected(body));
  CHECK(seconds_since(start) < 0.5);
}

TEST_CASE("multipart: a header block larger than max_header_bytes is PARAMERR; exactly the limit is fine") {
  MultipartLimits limits;
  limits.max_header_bytes = 200;
  std::string disposition = "Content-Disposition: form-data; name=\"a\"";
  // Header block = the lines with their CRLFs: disposition + CRLF + padding line + CRLF.
  std::string filler = "X-Filler: ";
  filler += std::string(200 - disposition.size() - 2 - filler.size() - 2, 'f');
  std::string exact = body_of({{disposition + "\r\n" + filler, "1"}});
  CHECK(parse_ok(exact, kBoundary, limits).size() == 1);
  CHECK(rejected(body_of({{disposition + "\r\n" + filler + "f", "1"}}), kBoundary, limits));
  // An endless header is refused without scanning the rest of the body.
  CHECK(rejected("--" + std::string(kBoundary) + "\r\nX: " + std::string(1 << 20, 'h')));
  CHECK(rejected(body_of({{disposition + "\r\nX: " + std::string(5000, 'h'), "1"}})));
}

TEST_CASE("multipart: a text part larger than max_text_bytes is PARAMERR; exactly the limit is fine") {
  MultipartLimits limits;
  limits.max_text_bytes = 10;
  CHECK(parse_ok(body_of({text_field("t", std::string(10, 'a'))}), kBoundary, limits).size() == 1);
  CHECK(rejected(body_of({text_field("t", std::string(11, 'a'))}), kBoundary, limits));
  // The text limit does not apply to file parts.
  CHECK(parse_ok(body_of({file_field("f", "f", "text/plain", std::string(11, 'a'))}), kBoundary, limits)
            .size() == 1);
}

TEST_CASE("multipart: a file part larger than max_file_bytes is PARAMERR; exactly the limit is fine") {
  MultipartLimits limits;
  limits.max_file_bytes = 100;
  CHECK(parse_ok(body_of({file_field("f", "f.bin", "image/png", std::string(100, 'a'))}), kBoundary, limits)
            .size() == 1);
  CHECK(rejected(body_of({file_field("f", "f.bin", "image/png", std::string(101, 'a'))}), kBoundary, limits));
  // The default: 5 MiB.
  std::string big((5 << 20) + 1, 'z');
  CHECK(rejected(body_of({file_field("f", "f.bin", "image/png", big)})));
}

TEST_CASE("multipart: a part without Content-Disposition form-data is PARAMERR") {
  CHECK(rejected(body_of({{"Content-Type: text/plain", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: attachment; name=\"a\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: ; name=\"a\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data-x; name=\"a\"", "1"}})));
  // A part with no header lines at all.
  CHECK(rejected("--" + std::string(kBoundary) + "\r\n\r\n1\r\n--" + std::string(kBoundary) + "--"));
}

TEST_CASE("multipart: a part without a name, or with an empty name, is PARAMERR") {
  CHECK(rejected(body_of({{"Content-Disposition: form-data", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; filename=\"a.txt\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; names=\"a\"", "1"}})));
  // One bad part spoils the body.
  CHECK(rejected(body_of({text_field("ok", "1"), {"Content-Disposition: form-data", "2"}})));
}

TEST_CASE("multipart: a header line without ':' is PARAMERR") {
  CHECK(rejected(body_of({{"Content-Disposition form-data; name=\"a\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"a\"\r\ngarbage", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"a\"\r\n: no name", "1"}})));
}

TEST_CASE("multipart: folded header lines and control characters in headers are PARAMERR") {
  CHECK(rejected(body_of({{"Content-Disposition: form-data;\r\n name=\"a\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"a\"\r\nContent-Type: a\nX: b", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"a\rb\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"a\0b\""s, "1"}})));
}

TEST_CASE("multipart: duplicate Content-Disposition, Content-Type or parameter is PARAMERR") {
  CHECK(rejected(body_of(
      {{"Content-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"a\"\r\nContent-Type: a/b\r\n"
                           "Content-Type: c/d",
                           "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"a\"; NAME=\"b\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=a; filename=x; filename=y", "1"}})));
}

TEST_CASE("multipart: malformed Content-Disposition parameters are PARAMERR") {
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"unterminated", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"ends in backslash\\\"", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name=\"a\"junk", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; name", "1"}})));
  CHECK(rejected(body_of({{"Content-Disposition: form-data; =\"a\"", "1"}})));
}

TEST_CASE("multipart: random corruption of a valid body never crashes and respects the limits") {
  MultipartLimits limits;
  limits.max_parts = 4;
  limits.max_header_bytes = 128;
  limits.max_text_bytes = 16;
  limits.max_file_bytes = 64;
  const std::string b = "xB";  // short, so that mutations often hit it
  std::string valid = body_of({text_field("a", "1\r\n--xBy"), file_field("f", "q\\\"q", "x/y", "\r\n\0--"s),
                               text_field("c", "")},
                              b);
  REQUIRE(parse_ok(valid, b, limits).size() == 3);
  const std::string alphabet = "\r\n-\"\\;=: \0xBaf"s;
  std::mt19937 rng(20240607);
  for (int round = 0; round < 20000; ++round) {
    std::string body = valid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % (body.size() + 1);
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: if (at < body.size()) body[at] = c; break;
        case 1: body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: if (at < body.size()) body.erase(at, 1); break;
      }
    }
    auto r = parse_multipart(body, b, limits);
    if (!r.ok()) {
      CHECK(r.error().code == Errno::kParamErr);
      continue;
    }
    CHECK(r->size() <= limits.max_parts);
    for (const MultipartPart& p : *r) {
      CHECK_FALSE(p.name.empty());
      CHECK(p.data.size() <= (p.filename ? limits.max_file_bytes : limits.max_text_bytes));
    }
  }
}

// --------------------------------------------------------- multipart_boundary

TEST_CASE("multipart_boundary: quoted or unquoted boundary of multipart/form-data") {
  CHECK(multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk") ==
        "----WebKitFormBoundary7MA4YWxk");
  CHECK(multipart_boundary("multipart/form-data; boundary=\"abc\"") == "abc");
  CHECK(multipart_boundary("multipart/form-data; boundary=\"with space:and=?\"") == "with space:and=?");
  CHECK(multipart_boundary("multipart/form-data;boundary=x") == "x");
  CHECK(multipart_boundary("  multipart/form-data ;  boundary = abc  ") == "abc");
  CHECK(multipart_boundary("multipart/form-data; boundary=abc;") == "abc");
}

TEST_CASE("multipart_boundary: type and parameter name are case-insensitive, parameters in any order") {
  CHECK(multipart_boundary("Multipart/Form-Data; Boundary=abc") == "abc");
  CHECK(multipart_boundary("MULTIPART/FORM-DATA; BOUNDARY=\"AbC\"") == "AbC");  // the value keeps its case
  CHECK(multipart_boundary("multipart/form-data; charset=utf-8; boundary=abc") == "abc");
  CHECK(multipart_boundary("multipart/form-data; boundary=abc; charset=\"utf-8\"") == "abc");
}

TEST_CASE("multipart_boundary: 1 to 70 bchars; 0, 71 or others are nullopt") {
  CHECK(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'a')) == std::string(70, 'a'));
  CHECK(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')) == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary=\"" + std::string(71, 'a') + "\"") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary=") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary=\"\"") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary=\"a\\\"b\"") == std::nullopt);  // '"' not a bchar
  CHECK(multipart_boundary("multipart/form-data; boundary=\"ends with space \"") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary=a@b") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary=\"a\tb\"") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary=中文") == std::nullopt);
}

TEST_CASE("multipart_boundary: absent, duplicated or malformed boundary parameter is nullopt") {
  CHECK(multipart_boundary("multipart/form-data") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data;") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; charset=utf-8") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary=a; boundary=b") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary=\"unterminated") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; boundary") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-data; xboundary=abc") == std::nullopt);
}

TEST_CASE("multipart_boundary: other media types are nullopt") {
  CHECK(multipart_boundary("") == std::nullopt);
  CHECK(multipart_boundary("multipart/mixed; boundary=abc") == std::nullopt);
  CHECK(multipart_boundary("application/x-www-form-urlencoded; boundary=abc") == std::nullopt);
  CHECK(multipart_boundary("multipart/form-datax; boundary=abc") == std::nullopt);
  CHECK(multipart_boundary("boundary=abc") == std::nullopt);
}

TEST_CASE("multipart_boundary: its result parses the body it describes") {
  auto boundary = multipart_boundary("multipart/form-data; boundary=\"'()+_,-./:=? x\"");
  REQUIRE(boundary.has_value());
  auto parts = parse_ok(body_of({text_field("a", "1")}, *boundary), *boundary);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].data == "1");
}

}  // namespace ihome
