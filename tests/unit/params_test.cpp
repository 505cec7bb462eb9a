// Unit tests of request fields and their validation: include/ihome/http/params.h.
#include <doctest/doctest.h>

#include <string>

#include "ihome/http/params.h"

namespace ihome {

namespace {
using Kind = Params::Kind;

Params json(std::string_view body) {
  Result<Params> r = Params::from_json(body);
  INFO("body: ", std::string(body.substr(0, 200)));
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : std::string(r.error().text())));
  return std::move(r).value();
}

bool json_rejected(std::string_view body) {
  Result<Params> r = Params::from_json(body);
  if (r.ok()) return false;
  return r.error().code == Errno::kParamErr && r.error().http_status == 200;
}

Params form(std::string_view body) {
  Result<Params> r = Params::from_form(body);
  REQUIRE(r.ok());
  return std::move(r).value();
}

Params one(std::string name, Kind kind, std::string text) {
  Params p;
  p.set(std::move(name), Params::Value{kind, std::move(text), {}});
  return p;
}

Params str(std::string name, std::string text) { return one(std::move(name), Kind::kString, std::move(text)); }

// The error is a PARAMERR naming the field.
void check_field_error(const Error& e, std::string_view field) {
  CHECK(e.code == Errno::kParamErr);
  CHECK(e.http_status == 200);
  CHECK(e.text().find(field) != std::string_view::npos);
}
}  // namespace

// ================================================================ from_json

TEST_CASE("from_json reads scalars of a top-level object") {
  Params p = json(R"({"s":"x","n":42,"t":true,"f":false,"z":null})");
  REQUIRE(p.find("s"));
  CHECK(p.find("s")->kind == Kind::kString);
  CHECK(p.find("s")->text == "x");
  CHECK(p.find("n")->kind == Kind::kNumber);
  CHECK(p.find("n")->text == "42");
  CHECK(p.find("t")->kind == Kind::kBool);
  CHECK(p.find("t")->text == "true");
  CHECK(p.find("f")->kind == Kind::kBool);
  CHECK(p.find("f")->text == "false");
  CHECK(p.find("z")->kind == Kind::kNull);
  CHECK(p.has("z"));
  CHECK_FALSE(p.has("missing"));
  CHECK(p.find("missing") == nullptr);
}

TEST_CASE("from_json accepts the empty object and surrounding white space") {
  Params p = json("{}");
  CHECK_FALSE(p.has(""));
  Params q = json(" \t\r\n{ \"a\" : \"b\" } \n\t ");
  REQUIRE(q.find("a"));
  CHECK(q.find("a")->text == "b");
}

TEST_CASE("from_json keeps a number's literal text (money must not pass through a double)") {
  Params p = json(R"({"price":298.50,"deposit":0.10,"neg":-12,"exp":1.5e+10,"zero":0,)"
                  R"("big":123456789012345678901234567890,"tiny":0.1000000000000000055511151231257827})");
  CHECK(p.find("price")->text == "298.50");
  CHECK(p.find("deposit")->text == "0.10");
  CHECK(p.find("neg")->text == "-12");
  CHECK(p.find("exp")->text == "1.5e+10");
  CHECK(p.find("zero")->text == "0");
  CHECK(p.find("big")->text == "123456789012345678901234567890");
  CHECK(p.find("tiny")->text == "0.1000000000000000055511151231257827");
  for (const char* k : {"price", "deposit", "neg", "exp", "zero", "big", "tiny"})
    CHECK(p.find(k)->kind == Kind::kNumber);
}

TEST_CASE("from_json decodes string escapes") {
  Params p = json(R"({"a":"line\nbreak","b":"\u5317\u4eac","c":"\"q\"\\","d":"\ud83d\ude00"})");
  CHECK(p.find("a")->text == "line\nbreak");
  CHECK(p.find("b")->text == "北京");
  CHECK(p.find("c")->text == "\"q\"\\");
  CHECK(p.find("d")->text == "\xF0\x9F\x98\x80");
}

TEST_CASE("from_json keeps raw UTF-8 text") {
  Params p = json("{\"title\":\"朝阳区两居室\",\"名字\":\"值\"}");
  CHECK(p.find("title")->text == "朝阳区两居室");
  CHECK(p.find("名字")->text == "值");
}

TEST_CASE("from_json marks a nested object as kObject and does not leak its members") {
  Params p = json(R"({"o":{"x":1,"y":{"z":2},"w":[1,2]},"after":"v"})");
  REQUIRE(p.find("o"));
  CHECK(p.find("o")->kind == Kind::kObject);
  CHECK(p.find("o")->items.empty());
  CHECK_FALSE(p.has("x"));
  CHECK_FALSE(p.has("y"));
  CHECK_FALSE(p.has("z"));
  CHECK_FALSE(p.has("w"));
  REQUIRE(p.find("after"));
  CHECK(p.find("after")->kind == Kind::kString);
  CHECK(p.find("after")->text == "v");
}

TEST_CASE("from_json marks an empty nested object as kObject") {
  Params p = json(R"({"o":{}})");
  CHECK(p.find("o")->kind == Kind::kObject);
}

TEST_CASE("from_json keeps a flat array of scalars as items") {
  Params p = json(R"({"facility":[1,"2",true,null,3.50],"k":"v"})");
  const Params::Value* v = p.find("facility");
  REQUIRE(v);
  CHECK(v->kind == Kind::kArray);
  REQUIRE(v->items.size() == 5);
  CHECK(v->items[0].kind == Kind::kNumber);
  CHECK(v->items[0].text == "1");
  CHECK(v->items[1].kind == Kind::kString);
  CHECK(v->items[1].text == "2");
  CHECK(v->items[2].kind == Kind::kBool);
  CHECK(v->items[3].kind == Kind::kNull);
  CHECK(v->items[4].text == "3.50");
  CHECK(p.find("k")->text == "v");
}

TEST_CASE("from_json marks an empty array as kArray without items") {
  Params p = json(R"({"facility":[]})");
  CHECK(p.find("facility")->kind == Kind::kArray);
  CHECK(p.find("facility")->items.empty());
}

TEST_CASE("from_json marks an array holding arrays or objects as kArray, not as an empty list") {
  // header: "nesting is kept only as kArray/kObject markers one level deep".
  Params p = json(R"({"a":[[1,2],3],"b":[{"x":1}],"c":"after"})");
  REQUIRE(p.find("a"));
  CHECK(p.find("a")->kind == Kind::kArray);
  REQUIRE(p.find("b"));
  CHECK(p.find("b")->kind == Kind::kArray);
  // A non-empty array must not look like [] to a handler.
  CHECK_FALSE(p.find("b")->items.empty());
  // Whatever is inside never looks like a flat array of scalars 3 / 1.
  bool flat_scalars = !p.find("a")->items.empty();
  for (const auto& item : p.find("a")->items)
    flat_scalars &= item.kind != Kind::kArray && item.kind != Kind::kObject;
  CHECK_FALSE(flat_scalars);
  // Parsing goes on correctly after the nested array.
  CHECK(p.find("c")->text == "after");
  CHECK_FALSE(p.has("x"));
}

TEST_CASE("from_json keeps one level of kArray/kObject markers inside an array") {
  Params p = json(R"({"a":[1,[2,[3]],{"k":[4]},"s"]})");
  const Params::Value* v = p.find("a");
  REQUIRE(v);
  CHECK(v->kind == Kind::kArray);
  REQUIRE(v->items.size() == 4);
  CHECK(v->items[0].kind == Kind::kNumber);
  CHECK(v->items[0].text == "1");
  CHECK(v->items[1].kind == Kind::kArray);
  CHECK(v->items[1].items.empty());  // deeper levels are dropped
  CHECK(v->items[2].kind == Kind::kObject);
  CHECK(v->items[3].kind == Kind::kString);
  CHECK(v->items[3].text == "s");
  CHECK_FALSE(p.has("k"));
}

TEST_CASE("from_json: a nested array does not disturb the following fields") {
  Params p = json(R"({"a":[1,[2,[3]],{"k":[4]}],"b":[5,6],"c":7})");
  REQUIRE(p.find("b"));
  CHECK(p.find("b")->kind == Kind::kArray);
  REQUIRE(p.find("b")->items.size() == 2);
  CHECK(p.find("b")->items[1].text == "6");
  CHECK(p.find("c")->text == "7");
  CHECK_FALSE(p.has("k"));
}

TEST_CASE("from_json: the first of duplicate keys wins") {
  Params p = json(R"({"a":"first","a":"second","b":{"x":1},"b":"later","c":"s","c":[1]})");
  CHECK(p.find("a")->text == "first");
  CHECK(p.find("b")->kind == Kind::kObject);
  CHECK(p.find("c")->kind == Kind::kString);
  CHECK(p.find("c")->text == "s");
}

TEST_CASE("from_json: an empty key is a key") {
  Params p = json(R"({"":"x"})");
  CHECK(p.has(""));
  CHECK(p.find("")->text == "x");
}

TEST_CASE("from_json rejects a top-level array or scalar") {
  CHECK(json_rejected("[]"));
  CHECK(json_rejected(R"([{"a":1}])"));
  CHECK(json_rejected(R"("string")"));
  CHECK(json_rejected("42"));
  CHECK(json_rejected("true"));
  CHECK(json_rejected("null"));
}

TEST_CASE("from_json rejects an empty or blank body") {
  CHECK(json_rejected(""));
  CHECK(json_rejected("   \n"));
}

TEST_CASE("from_json rejects trailing garbage after the object") {
  CHECK(json_rejected(R"({"a":1} x)"));
  CHECK(json_rejected(R"({"a":1}{})"));
  CHECK(json_rejected(R"({"a":1},)"));
  CHECK(json_rejected(R"({"a":1}])"));
  CHECK(json_rejected(std::string("{\"a\":1}\0", 8)));
  CHECK(json_rejected(std::string("{\"a\":1}\0{\"b\":2}", 15)));
}

TEST_CASE("from_json rejects truncated JSON") {
  for (const char* body : {"{", R"({")", R"({"a")", R"({"a":)", R"({"a":1)", R"({"a":1,)",
                           R"({"a":"x)", R"({"a":[1,2)", R"({"a":{"b":1})", R"({"a":tru)",
                           R"({"a":"\u12)"}) {
    CAPTURE(body);
    CHECK(json_rejected(body));
  }
}

TEST_CASE("from_json rejects non-JSON syntax") {
  for (const char* body : {R"({'a':1})", R"({a:1})", R"({"a":1,})", R"({"a":[1,]})",
                           R"({"a":NaN})", R"({"a":Infinity})", R"({"a":01})", R"({"a":+1})",
                           R"({"a":.5})", R"({"a":1 /* c */})", "{\"a\":\"tab\there\"}",
                           R"({"a":"\x41"})", R"({"a" 1})"}) {
    CAPTURE(body);
    CHECK(json_rejected(body));
  }
}

TEST_CASE("from_json rejects invalid UTF-8 in values and keys") {
  CHECK(json_rejected("{\"a\":\"\xFF\"}"));
  CHECK(json_rejected("{\"a\":\"\xC0\x80\"}"));          // overlong NUL
  CHECK(json_rejected("{\"a\":\"\xED\xA0\x80\"}"));      // surrogate
  CHECK(json_rejected("{\"a\":\"\xE5\x8C\"}"));          // truncated 北
  CHECK(json_rejected("{\"a\":\"\xF4\x90\x80\x80\"}"));  // above U+10FFFF
  CHECK(json_rejected("{\"\xFF\":\"x\"}"));
}

TEST_CASE("from_json: a lone escaped surrogate never reaches a handler as text") {
  // Either the parser refuses it, or the accessor does.
  for (const char* body : {R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"x\udfffy"})"}) {
    CAPTURE(body);
    Result<Params> r = Params::from_json(body);
    if (r.ok()) CHECK_FALSE(r->text("a", 0, 100).ok());
  }
}

TEST_CASE("from_json: deep nesting is rejected or flattened without crashing") {
  const size_t kDepth = 100000;
  CHECK(json_rejected(std::string(kDepth, '[')));
  CHECK(json_rejected(std::string(kDepth, '{')));
  CHECK(json_rejected("{\"a\":" + std::string(kDepth, '[')));
  std::string deep_objects;
  for (size_t i = 0; i < kDepth; ++i) deep_objects += "{\"a\":";
  CHECK(json_rejected(deep_objects));
  // Well-formed but deep: accepted, and only the top-level field is seen.
  Params p = json("{\"a\":" + std::string(kDepth, '[') + std::string(kDepth, ']') + ",\"b\":1}");
  CHECK(p.has("a"));
  CHECK(p.find("b")->text == "1");
  std::string nested = deep_objects + "1" + std::string(kDepth, '}');
  Params q = json(nested);
  REQUIRE(q.find("a"));
  CHECK(q.find("a")->kind == Kind::kObject);
}

// ================================================================ from_form

TEST_CASE("from_form reads key=value pairs, percent-decoded") {
  Params p = form("mobile=13800138000&name=%E5%BC%A0+%E4%B8%89&x=a%2Bb%26c%3Dd");
  CHECK(p.find("mobile")->kind == Kind::kString);
  CHECK(p.find("mobile")->text == "13800138000");
  CHECK(p.find("name")->text == "张 三");
  CHECK(p.find("x")->text == "a+b&c=d");
}

TEST_CASE("from_form: a repeated key becomes an array in order") {
  Params p = form("facility=1&facility=2&other=x&facility=3");
  const Params::Value* v = p.find("facility");
  REQUIRE(v);
  CHECK(v->kind == Kind::kArray);
  REQUIRE(v->items.size() == 3);
  CHECK(v->items[0].text == "1");
  CHECK(v->items[1].text == "2");
  CHECK(v->items[2].text == "3");
  for (const auto& item : v->items) CHECK(item.kind == Kind::kString);
  CHECK(p.find("other")->text == "x");
}

TEST_CASE("from_form: key without '=' or value is an empty string; empty pairs are skipped") {
  Params p = form("&&flag&empty=&=anon&&k=v=w&");
  CHECK(p.find("flag")->kind == Kind::kString);
  CHECK(p.find("flag")->text == "");
  CHECK(p.find("empty")->text == "");
  CHECK(p.find("")->text == "anon");
  CHECK(p.find("k")->text == "v=w");
}

TEST_CASE("from_form decodes '+' in keys too") {
  Params p = form("a+b=c+d&e%20f=1");
  CHECK(p.find("a b")->text == "c d");
  CHECK(p.find("e f")->text == "1");
}

TEST_CASE("from_form: an empty body has no fields") {
  Params p = form("");
  CHECK_FALSE(p.has(""));
}

TEST_CASE("from_form rejects broken escapes in keys and values") {
  for (const char* body : {"a=%", "a=%4", "a=%zz", "a=1&b=%G0", "%=1", "%4=1", "a=1%"}) {
    CAPTURE(body);
    Result<Params> r = Params::from_form(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errno::kParamErr);
  }
}

TEST_CASE("from_query parses like from_form") {
  Result<Params> r = Params::from_query("aid=1&sd=2026-01-01&sk=price-inc&p=2");
  REQUIRE(r.ok());
  CHECK(r->find("aid")->text == "1");
  CHECK(r->find("sd")->text == "2026-01-01");
  CHECK(r->find("sk")->text == "price-inc");
  CHECK_FALSE(Params::from_query("codeid=%").ok());
}

// ================================================================ field_error

TEST_CASE("field_error is PARAMERR naming the field and the reason") {
  Error e = field_error("mobile");
  CHECK(e.code == Errno::kParamErr);
  CHECK(e.http_status == 200);
  CHECK(e.text() == "参数错误：mobile");
  Error w = field_error("title", "长度错误");
  CHECK(w.text() == "参数错误：title（长度错误）");
}

// ================================================================ text

TEST_CASE("text: a missing or null field is an error naming it") {
  Params p;
  check_field_error(p.text("title", 1, 64).error(), "title");
  Params n = one("title", Kind::kNull, "");
  check_field_error(n.text("title", 1, 64).error(), "title");
}

TEST_CASE("text: a number, bool, array or object is a type error") {
  for (Kind k : {Kind::kNumber, Kind::kBool, Kind::kArray, Kind::kObject}) {
    Params p = one("title", k, "1");
    Result<std::string> r = p.text("title", 0, 64);
    REQUIRE_FALSE(r.ok());
    check_field_error(r.error(), "title");
  }
}

TEST_CASE("text: a repeated form field is a type error") {
  Params p = form("title=a&title=b");
  CHECK_FALSE(p.text("title", 1, 64).ok());
}

TEST_CASE("text is trimmed before its length is checked") {
  Params p = str("title", "  \t北京 两居室\r\n ");
  Result<std::string> r = p.text("title", 1, 6);
  REQUIRE(r.ok());
  CHECK(*r == "北京 两居室");
  CHECK_FALSE(p.text("title", 1, 5).ok());
  CHECK_FALSE(p.text("title", 7, 64).ok());
}

TEST_CASE("text length counts code points, not bytes") {
  std::string name64;
  for (int i = 0; i < 64; ++i) name64 += "房";  // 192 bytes
  Params p = str("title", name64);
  CHECK(p.text("title", 1, 64).ok());
  CHECK_FALSE(p.text("title", 1, 63).ok());
  Params q = str("title", name64 + "房");
  CHECK_FALSE(q.text("title", 1, 64).ok());
  Params e = str("e", "😀😀");  // 4-byte characters
  CHECK(e.text("e", 2, 2).ok());
}

TEST_CASE("text: blank text is empty after trimming") {
  Params p = str("title", "   ");
  CHECK_FALSE(p.text("title", 1, 64).ok());
  Result<std::string> r = p.text("title", 0, 64);
  REQUIRE(r.ok());
  CHECK(*r == "");
}

TEST_CASE("text rejects control characters inside the text") {
  for (const char* s : {"a\tb", "a\nb", "a\x01" "b", "a\x7F" "b", "a\xC2\x85" "b", "\x1B[0m"}) {
    CAPTURE(s);
    Params p = str("comment", s);
    Result<std::string> r = p.text("comment", 0, 1024);
    REQUIRE_FALSE(r.ok());
    check_field_error(r.error(), "comment");
  }
  Params nul = str("comment", std::string("a\0b", 3));
  CHECK_FALSE(nul.text("comment", 0, 1024).ok());
}

TEST_CASE("text rejects invalid UTF-8 (e.g. from a form body)") {
  Params p = form("title=%FF%FE&t2=%E5%8C&t3=%C0%80&ok=%E5%8C%97");
  CHECK_FALSE(p.text("title", 0, 64).ok());
  CHECK_FALSE(p.text("t2", 0, 64).ok());
  CHECK_FALSE(p.text("t3", 0, 64).ok());
  Result<std::string> r = p.text("ok", 1, 1);
  REQUIRE(r.ok());
  CHECK(*r == "北");
}

TEST_CASE("text rejects an escaped NUL from JSON") {
  Params p = json(R"({"name":"a\u0000b"})");
  CHECK(p.find("name")->text.size() == 3);
  CHECK_FALSE(p.text("name", 1, 32).ok());
}

// ================================================================ secret

TEST_CASE("secret keeps the value as sent (no trimming)") {
  Params p = str("password", " pass word ");
  Result<std::string> r = p.secret("password", 6, 64);
  REQUIRE(r.ok());
  CHECK(*r == " pass word ");
  CHECK_FALSE(p.secret("password", 6, 10).ok());  // 11 code points with the spaces
}

TEST_CASE("secret length counts code points") {
  Params p = str("password", "密码密码密码");  // 6 code points, 18 bytes
  CHECK(p.secret("password", 6, 64).ok());
  CHECK_FALSE(p.secret("password", 7, 64).ok());
  Params q = str("password", std::string(65, 'x'));
  CHECK_FALSE(q.secret("password", 6, 64).ok());
}

TEST_CASE("secret rejects missing, wrong type, control characters and bad UTF-8") {
  Params none;
  CHECK_FALSE(none.secret("password", 6, 64).ok());
  Params num = one("password", Kind::kNumber, "123456");
  CHECK_FALSE(num.secret("password", 6, 64).ok());
  Params ctl = str("password", "abc\tdef");
  CHECK_FALSE(ctl.secret("password", 6, 64).ok());
  Params bad = str("password", "abcdef\xFF");
  CHECK_FALSE(bad.secret("password", 6, 64).ok());
}

// ================================================================ mobile

TEST_CASE("mobile accepts a trimmed mainland mobile number") {
  Params p = str("mobile", " 13800138000\n");
  Result<std::string> r = p.mobile("mobile");
  REQUIRE(r.ok());
  CHECK(*r == "13800138000");
}

TEST_CASE("mobile rejects malformed numbers, naming the field") {
  for (const char* s : {"", "12800138000", "1380013800", "138001380001", "1380013800x",
                        "+8613800138000", "138 0013 8000"}) {
    CAPTURE(s);
    Params p = str("mobile", s);
    Result<std::string> r = p.mobile("mobile");
    REQUIRE_FALSE(r.ok());
    check_field_error(r.error(), "mobile");
  }
  Params none;
  CHECK_FALSE(none.mobile("mobile").ok());
}

// ================================================================ code_id

TEST_CASE("code_id accepts 1-64 of [A-Za-z0-9_-], trimmed") {
  Params p = str("image_code_id", " abc-DEF_123 ");
  Result<std::string> r = p.code_id("image_code_id");
  REQUIRE(r.ok());
  CHECK(*r == "abc-DEF_123");
  CHECK(str("id", std::string(64, 'a')).code_id("id").ok());
}

TEST_CASE("code_id rejects empty, too long and unsafe ids") {
  for (std::string s : {std::string(""), std::string(65, 'a'), std::string("a b"),
                        std::string("a:b"), std::string("中文"), std::string("a\nb")}) {
    CAPTURE(s);
    Params p = str("id", s);
    CHECK_FALSE(p.code_id("id").ok());
  }
  Params num = one("id", Kind::kNumber, "123");
  CHECK_FALSE(num.code_id("id").ok());
}

// ================================================================ digits

TEST_CASE("digits accepts exactly n ASCII digits, trimmed, leading zeros kept") {
  Params p = str("phonecode", " 012345 ");
  Result<std::string> r = p.digits("phonecode", 6);
  REQUIRE(r.ok());
  CHECK(*r == "012345");
}

TEST_CASE("digits rejects wrong length and non-digits") {
  for (const char* s : {"", "12345", "1234567", "12345a", "-12345", "12 345", "１２３４５６",
                        "+12345", "1.2345"}) {
    CAPTURE(s);
    Params p = str("phonecode", s);
    Result<std::string> r = p.digits("phonecode", 6);
    REQUIRE_FALSE(r.ok());
    check_field_error(r.error(), "phonecode");
  }
  Params none;
  CHECK_FALSE(none.digits("phonecode", 6).ok());
}

// ================================================================ integer

TEST_CASE("integer reads a JSON number") {
  Params p = json(R"({"house_id":42,"neg":-7,"max":9223372036854775807})");
  CHECK(p.integer("house_id", 1, 100).value() == 42);
  CHECK(p.integer("neg", -10, 10).value() == -7);
  CHECK(p.integer("max", 0, INT64_MAX).value() == INT64_MAX);
}

TEST_CASE("integer reads a numeric string, trimmed") {
  Params p = str("house_id", " 42 ");
  Result<int64_t> r = p.integer("house_id", 1, 100);
  REQUIRE(r.ok());
  CHECK(*r == 42);
  Params f = form("p=3");
  CHECK(f.integer("p", 1, 1000).value() == 3);
}

TEST_CASE("integer range is inclusive at both ends") {
  Params lo = str("n", "1");
  Params hi = str("n", "100");
  CHECK(lo.integer("n", 1, 100).ok());
  CHECK(hi.integer("n", 1, 100).ok());
  Params below = str("n", "0");
  Params above = str("n", "101");
  check_field_error(below.integer("n", 1, 100).error(), "n");
  check_field_error(above.integer("n", 1, 100).error(), "n");
}

TEST_CASE("integer rejects fractions, exponents, overflow and sloppy text") {
  for (const char* s : {"1.0", "1.5", "1e2", "0x10", "+1", "01", "-0", "", "abc", "1 2",
                        "9223372036854775808", "-9223372036854775809"}) {
    CAPTURE(s);
    Params p = str("n", s);
    CHECK_FALSE(p.integer("n", INT64_MIN, INT64_MAX).ok());
  }
  Params j = json(R"({"a":1.0,"b":1e2,"c":12345678901234567890,"d":1.5})");
  for (const char* k : {"a", "b", "c", "d"}) {
    CAPTURE(k);
    CHECK_FALSE(j.integer(k, INT64_MIN, INT64_MAX).ok());
  }
}

TEST_CASE("integer: missing, null, bool, array and object are errors naming the field") {
  Params none;
  check_field_error(none.integer("order_id", 1, 100).error(), "order_id");
  for (Kind k : {Kind::kNull, Kind::kBool, Kind::kArray, Kind::kObject}) {
    Params p = one("order_id", k, "1");
    Result<int64_t> r = p.integer("order_id", 1, 100);
    REQUIRE_FALSE(r.ok());
    check_field_error(r.error(), "order_id");
  }
  Params rep = form("order_id=1&order_id=2");
  CHECK_FALSE(rep.integer("order_id", 1, 100).ok());
}

TEST_CASE("set replaces a field") {
  Params p = str("a", "1");
  p.set("a", Params::Value{Kind::kNumber, "2", {}});
  CHECK(p.find("a")->kind == Kind::kNumber);
  CHECK(p.integer("a", 0, 10).value() == 2);
}

}  // namespace ihome
