// Unit tests of src/auth: password hashing, session encoding and ids, CSRF.
#include <doctest/doctest.h>

#include "ihome/auth/csrf.h"
#include "ihome/auth/password.h"
#include "ihome/auth/session.h"
#include "ihome/core/random.h"

#include <set>

using namespace ihome;

namespace {
// The smallest cost libsodium accepts keeps these tests fast.
constexpr PasswordCost kCheap{1, 8};
}  // namespace

TEST_CASE("password: argon2id hash verifies the right password only") {
  auto h = hash_password("secret1", kCheap);
  REQUIRE(h.ok());
  CHECK(h->rfind("$argon2id$", 0) == 0);
  CHECK(verify_password(*h, "secret1"));
  CHECK_FALSE(verify_password(*h, "secret2"));
  CHECK_FALSE(verify_password(*h, ""));
  CHECK_FALSE(verify_password(*h, "secret1 "));
}

TEST_CASE("password: the same password hashes differently each time (salted)") {
  auto a = hash_password("same-password", kCheap);
  auto b = hash_password("same-password", kCheap);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a != *b);
}

TEST_CASE("password: a malformed or empty hash never verifies") {
  CHECK_FALSE(verify_password("", "x"));
  CHECK_FALSE(verify_password("$argon2id$garbage", "x"));
  CHECK_FALSE(verify_password(std::string(1000, 'a'), "x"));
}

TEST_CASE("password: the stored cost is the configured one") {
  auto h = hash_password("pw123456", PasswordCost{2, 16});
  REQUIRE(h.ok());
  CHECK(h->find("m=16,t=2") != std::string::npos);
}

TEST_CASE("session: JSON round trip keeps id, name and mobile, including non-ASCII names") {
  Session s{42, "张三 \"quoted\"", "13800138000"};
  auto back = session_from_json(session_to_json(s));
  REQUIRE(back.has_value());
  CHECK(back->user_id == 42);
  CHECK(back->name == s.name);
  CHECK(back->mobile == s.mobile);
}

TEST_CASE("session: broken stored JSON is no session") {
  CHECK_FALSE(session_from_json("").has_value());
  CHECK_FALSE(session_from_json("[]").has_value());
  CHECK_FALSE(session_from_json(R"({"user_id":"1","name":"a","mobile":"b"})").has_value());
  CHECK_FALSE(session_from_json(R"({"user_id":0,"name":"a","mobile":"b"})").has_value());
  CHECK_FALSE(session_from_json(R"({"user_id":1,"mobile":"b"})").has_value());
  CHECK_FALSE(session_from_json(R"({"user_id":1,"name":"a"})").has_value());
}

TEST_CASE("session: ids are 256-bit base64url tokens and nothing else is looked up") {
  std::string id = random_token(32);
  CHECK(id.size() == 43);
  CHECK(is_session_id(id));
  CHECK_FALSE(is_session_id(id.substr(1)));
  CHECK_FALSE(is_session_id(id + "A"));
  CHECK_FALSE(is_session_id(std::string(42, 'a') + " "));
  CHECK_FALSE(is_session_id(std::string(42, 'a') + "\n"));
  CHECK_FALSE(is_session_id(std::string(42, 'a') + "="));
  CHECK_FALSE(is_session_id(""));
}

TEST_CASE("session: random ids do not repeat") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random_token(32));
  CHECK(seen.size() == 1000);
}

TEST_CASE("session: cookie attributes are HttpOnly, SameSite=Lax, Path=/ and Secure only when asked") {
  std::string plain = session_cookie_attributes(false);
  CHECK(plain.find("HttpOnly") != std::string::npos);
  CHECK(plain.find("SameSite=Lax") != std::string::npos);
  CHECK(plain.find("Path=/") != std::string::npos);
  CHECK(plain.find("Secure") == std::string::npos);
  CHECK(session_cookie_attributes(true).find("; Secure") != std::string::npos);
}

TEST_CASE("csrf: header must equal a well-formed cookie") {
  std::string token = new_xsrf_token();
  CHECK(is_xsrf_token(token));
  CHECK(csrf_ok(token, token));
  CHECK_FALSE(csrf_ok(token, ""));
  CHECK_FALSE(csrf_ok("", ""));
  CHECK_FALSE(csrf_ok(token, token + "x"));
  CHECK_FALSE(csrf_ok(token, new_xsrf_token()));
  // nginx's $request_id (32 hex digits) is a valid token too.
  CHECK(csrf_ok("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"));
  // Too short, too long, or odd characters are refused even when equal.
  CHECK_FALSE(csrf_ok("short", "short"));
  CHECK_FALSE(csrf_ok(std::string(129, 'a'), std::string(129, 'a')));
  CHECK_FALSE(csrf_ok("aaaaaaaaaaaaaaaa;b", "aaaaaaaaaaaaaaaa;b"));
}
