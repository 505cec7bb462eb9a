// Unit tests of the pure text helpers: include/ihome/core/text.h.
#include <doctest/doctest.h>

#include <climits>
#include <cstdint>
#include <string>

#include <random>
#include <vector>

#include "ihome/core/id_list.h"
#include "ihome/core/random.h"
#include "ihome/core/text.h"

namespace ihome {

namespace {
// Builds a string that may hold NUL bytes.
std::string bytes(const char* s, size_t n) { return std::string(s, n); }
}  // namespace

// ---------------------------------------------------------------- trim

TEST_CASE("trim strips ASCII white space at both ends") {
  CHECK(trim("  x  ") == "x");
  CHECK(trim("\t\r\n\v\fx\f\v\n\r\t") == "x");
  CHECK(trim("x") == "x");
  CHECK(trim("") == "");
  CHECK(trim(" \t\r\n\v\f ") == "");
}

TEST_CASE("trim keeps inner white space") {
  CHECK(trim("  a b\tc  ") == "a b\tc");
}

TEST_CASE("trim leaves non-ASCII spaces and NUL alone") {
  // U+00A0 NO-BREAK SPACE and U+3000 IDEOGRAPHIC SPACE are not ASCII white space.
  CHECK(trim("\xC2\xA0x\xC2\xA0") == "\xC2\xA0x\xC2\xA0");
  CHECK(trim("\xE3\x80\x80x") == "\xE3\x80\x80x");
  std::string nul = bytes("\0x\0", 3);
  CHECK(trim(nul).size() == 3);
}

TEST_CASE("trim returns a view into its argument") {
  std::string s = "  abc ";
  std::string_view t = trim(s);
  CHECK(t.data() == s.data() + 2);
  CHECK(t.size() == 3);
}

// ---------------------------------------------------------------- utf8_length

TEST_CASE("utf8_length counts code points of well-formed text") {
  CHECK(utf8_length("") == size_t{0});
  CHECK(utf8_length("abc") == size_t{3});
  CHECK(utf8_length("北京") == size_t{2});
  CHECK(utf8_length("爱家租房 ok") == size_t{7});
  CHECK(utf8_length("\xC3\xA9") == size_t{1});             // é
  CHECK(utf8_length("\xF0\x9F\x98\x80") == size_t{1});     // U+1F600, 4 bytes
  CHECK(utf8_length("a\xF0\x9F\x98\x80" "b") == size_t{3});
  CHECK(utf8_length(bytes("a\0b", 3)) == size_t{3});       // NUL is a code point
}

TEST_CASE("utf8_length accepts the smallest and largest value of every length") {
  CHECK(utf8_length("\x7F") == size_t{1});
  CHECK(utf8_length("\xC2\x80") == size_t{1});          // U+0080
  CHECK(utf8_length("\xDF\xBF") == size_t{1});          // U+07FF
  CHECK(utf8_length("\xE0\xA0\x80") == size_t{1});      // U+0800
  CHECK(utf8_length("\xEF\xBF\xBF") == size_t{1});      // U+FFFF
  CHECK(utf8_length("\xF0\x90\x80\x80") == size_t{1});  // U+10000
  CHECK(utf8_length("\xF4\x8F\xBF\xBF") == size_t{1});  // U+10FFFF
}

TEST_CASE("utf8_length rejects overlong encodings") {
  CHECK_FALSE(utf8_length("\xC0\x80").has_value());          // NUL in 2 bytes
  CHECK_FALSE(utf8_length("\xC0\xAF").has_value());          // '/' in 2 bytes
  CHECK_FALSE(utf8_length("\xC1\xBF").has_value());
  CHECK_FALSE(utf8_length("\xE0\x80\x80").has_value());
  CHECK_FALSE(utf8_length("\xE0\x9F\xBF").has_value());      // U+07FF in 3 bytes
  CHECK_FALSE(utf8_length("\xF0\x80\x80\x80").has_value());
  CHECK_FALSE(utf8_length("\xF0\x8F\xBF\xBF").has_value());  // U+FFFF in 4 bytes
}

TEST_CASE("utf8_length rejects UTF-16 surrogates") {
  CHECK_FALSE(utf8_length("\xED\xA0\x80").has_value());  // U+D800
  CHECK_FALSE(utf8_length("\xED\xAF\xBF").has_value());  // U+DBFF
  CHECK_FALSE(utf8_length("\xED\xB0\x80").has_value());  // U+DC00
  CHECK_FALSE(utf8_length("\xED\xBF\xBF").has_value());  // U+DFFF
  // A CESU-8 style pair is two surrogates, not one character.
  CHECK_FALSE(utf8_length("\xED\xA0\xBD\xED\xB8\x80").has_value());
  // Neighbours of the surrogate block are fine.
  CHECK(utf8_length("\xED\x9F\xBF") == size_t{1});  // U+D7FF
  CHECK(utf8_length("\xEE\x80\x80") == size_t{1});  // U+E000
}

TEST_CASE("utf8_length rejects code points above U+10FFFF and 5/6-byte forms") {
  CHECK_FALSE(utf8_length("\xF4\x90\x80\x80").has_value());  // U+110000
  CHECK_FALSE(utf8_length("\xF5\x80\x80\x80").has_value());
  CHECK_FALSE(utf8_length("\xF7\xBF\xBF\xBF").has_value());
  CHECK_FALSE(utf8_length("\xF8\x88\x80\x80\x80").has_value());
  CHECK_FALSE(utf8_length("\xFC\x84\x80\x80\x80\x80").has_value());
  CHECK_FALSE(utf8_length("\xFE").has_value());
  CHECK_FALSE(utf8_length("\xFF").has_value());
}

TEST_CASE("utf8_length rejects truncated sequences") {
  CHECK_FALSE(utf8_length("\xC3").has_value());
  CHECK_FALSE(utf8_length("\xE5\x8C").has_value());         // 北 cut short
  CHECK_FALSE(utf8_length("ab\xE5\x8C").has_value());
  CHECK_FALSE(utf8_length("\xF0\x9F\x98").has_value());
  CHECK_FALSE(utf8_length("\xF0").has_value());
  // A truncated sequence followed by ASCII is still broken.
  CHECK_FALSE(utf8_length("\xE5\x8C" "a").has_value());
  CHECK_FALSE(utf8_length("\xF0\x9F\x98" "a").has_value());
}

TEST_CASE("utf8_length rejects stray continuation bytes") {
  CHECK_FALSE(utf8_length("\x80").has_value());
  CHECK_FALSE(utf8_length("a\xBF").has_value());
  CHECK_FALSE(utf8_length("\xC3\xA9\xA9").has_value());
  CHECK_FALSE(utf8_length("\xE5\x41\x80").has_value());  // lead byte then ASCII
}

// ---------------------------------------------------------------- has_control_chars

TEST_CASE("has_control_chars finds C0 controls and DEL") {
  CHECK(has_control_chars(bytes("\0", 1)));
  CHECK(has_control_chars("\x01"));
  CHECK(has_control_chars("a\tb"));
  CHECK(has_control_chars("a\nb"));
  CHECK(has_control_chars("a\rb"));
  CHECK(has_control_chars("\x1B[31m"));
  CHECK(has_control_chars("\x1F"));
  CHECK(has_control_chars("abc\x7F"));
}

TEST_CASE("has_control_chars finds C1 controls (U+0080..U+009F)") {
  CHECK(has_control_chars("\xC2\x80"));
  CHECK(has_control_chars("a\xC2\x85" "b"));  // NEL
  CHECK(has_control_chars("\xC2\x9F"));
}

TEST_CASE("has_control_chars accepts printable text") {
  CHECK_FALSE(has_control_chars(""));
  CHECK_FALSE(has_control_chars(" "));
  CHECK_FALSE(has_control_chars("Hello, world! ~"));
  CHECK_FALSE(has_control_chars("\xC2\xA0"));  // U+00A0 right after the C1 block
  CHECK_FALSE(has_control_chars("\xC2\xBF"));
  CHECK_FALSE(has_control_chars("北京市朝阳区"));
  CHECK_FALSE(has_control_chars("\xF0\x9F\x98\x80"));
  // U+0100..U+07FF share no lead byte with the C1 block.
  CHECK_FALSE(has_control_chars("\xC4\x80\xC3\x80"));
  // A 3-byte character whose continuation bytes are 0x80..0x9F is no C1 control.
  CHECK_FALSE(has_control_chars("\xE4\x80\x80"));
}

// ---------------------------------------------------------------- is_mobile

TEST_CASE("is_mobile accepts ^1[3-9][0-9]{9}$") {
  CHECK(is_mobile("13800138000"));
  CHECK(is_mobile("19999999999"));
  CHECK(is_mobile("15012345678"));
}

TEST_CASE("is_mobile rejects everything else") {
  CHECK_FALSE(is_mobile(""));
  CHECK_FALSE(is_mobile("12800138000"));   // second digit 2
  CHECK_FALSE(is_mobile("10800138000"));
  CHECK_FALSE(is_mobile("23800138000"));   // not starting with 1
  CHECK_FALSE(is_mobile("1380013800"));    // 10 digits
  CHECK_FALSE(is_mobile("138001380000"));  // 12 digits
  CHECK_FALSE(is_mobile("1380013800a"));
  CHECK_FALSE(is_mobile(" 13800138000"));
  CHECK_FALSE(is_mobile("13800138000 "));
  CHECK_FALSE(is_mobile("+8613800138000"));
  CHECK_FALSE(is_mobile("138-0013-800"));
  CHECK_FALSE(is_mobile("１３８００１３８０００"));  // full-width digits
  CHECK_FALSE(is_mobile(bytes("1380013800\0", 11)));
}

// ---------------------------------------------------------------- is_code_id

TEST_CASE("is_code_id accepts 1-64 of [A-Za-z0-9_-]") {
  CHECK(is_code_id("a"));
  CHECK(is_code_id("AZaz09_-"));
  CHECK(is_code_id("c3b5e0f2-7d1a-4a8e-9b8c-1f2e3d4c5b6a"));
  CHECK(is_code_id(std::string(64, 'x')));
}

TEST_CASE("is_code_id rejects empty, too long and unsafe characters") {
  CHECK_FALSE(is_code_id(""));
  CHECK_FALSE(is_code_id(std::string(65, 'x')));
  CHECK_FALSE(is_code_id("a b"));
  CHECK_FALSE(is_code_id("a:b"));  // memcached key separator
  CHECK_FALSE(is_code_id("a.b"));
  CHECK_FALSE(is_code_id("a/b"));
  CHECK_FALSE(is_code_id("a\nb"));
  CHECK_FALSE(is_code_id("a+b"));
  CHECK_FALSE(is_code_id("验证码"));
  CHECK_FALSE(is_code_id(bytes("ab\0", 3)));
}

// ---------------------------------------------------------------- is_token

TEST_CASE("is_token wants unpadded base64url of exactly n bytes") {
  CHECK(is_token(std::string(43, 'A'), 32));  // 256 bits -> 43 characters
  CHECK(is_token(std::string(22, 'z'), 16));  // 128 bits -> 22 characters
  CHECK(is_token("AAAA", 3));
  CHECK(is_token("-_09azAZ", 6));
  CHECK_FALSE(is_token(std::string(42, 'A'), 32));
  CHECK_FALSE(is_token(std::string(44, 'A'), 32));
  CHECK_FALSE(is_token(std::string(42, 'A') + "=", 32));  // padding
  CHECK_FALSE(is_token(std::string(42, 'A') + "+", 32));  // standard alphabet
  CHECK_FALSE(is_token(std::string(42, 'A') + "/", 32));
  CHECK_FALSE(is_token(std::string(42, 'A') + ".", 32));
  CHECK_FALSE(is_token("", 32));
}

TEST_CASE("is_token accepts what random_token makes") {
  for (int i = 0; i < 20; ++i) {
    CHECK(is_token(random_token(32), 32));
    CHECK(is_token(random_token(16), 16));
  }
}

// ---------------------------------------------------------------- parse_int64

TEST_CASE("parse_int64 reads strict decimal integers") {
  CHECK(parse_int64("0") == int64_t{0});
  CHECK(parse_int64("7") == int64_t{7});
  CHECK(parse_int64("-12") == int64_t{-12});
  CHECK(parse_int64("1000000") == int64_t{1000000});
  CHECK(parse_int64("10") == int64_t{10});
}

TEST_CASE("parse_int64 reaches INT64_MAX and INT64_MIN") {
  CHECK(parse_int64("9223372036854775807") == INT64_MAX);
  CHECK(parse_int64("-9223372036854775808") == INT64_MIN);
  CHECK(parse_int64("9223372036854775806") == INT64_MAX - 1);
  CHECK(parse_int64("-9223372036854775807") == INT64_MIN + 1);
}

TEST_CASE("parse_int64 rejects overflow") {
  CHECK_FALSE(parse_int64("9223372036854775808").has_value());
  CHECK_FALSE(parse_int64("-9223372036854775809").has_value());
  CHECK_FALSE(parse_int64("9999999999999999999").has_value());     // fits uint64, not int64
  CHECK_FALSE(parse_int64("-9999999999999999999").has_value());
  CHECK_FALSE(parse_int64("18446744073709551615").has_value());    // UINT64_MAX
  CHECK_FALSE(parse_int64("18446744073709551616").has_value());    // wraps uint64
  CHECK_FALSE(parse_int64("36893488147419103232").has_value());    // 2^65, wraps to 0
  CHECK_FALSE(parse_int64("100000000000000000000000").has_value());
}

TEST_CASE("parse_int64 rejects -0, leading zeros and signs other than one '-'") {
  CHECK_FALSE(parse_int64("-0").has_value());
  CHECK_FALSE(parse_int64("00").has_value());
  CHECK_FALSE(parse_int64("01").has_value());
  CHECK_FALSE(parse_int64("-01").has_value());
  CHECK_FALSE(parse_int64("0000000000000000001").has_value());
  CHECK_FALSE(parse_int64("+1").has_value());
  CHECK_FALSE(parse_int64("--1").has_value());
  CHECK_FALSE(parse_int64("-").has_value());
  CHECK_FALSE(parse_int64("1-").has_value());
}

TEST_CASE("parse_int64 rejects spaces, decimals and other notations") {
  CHECK_FALSE(parse_int64("").has_value());
  CHECK_FALSE(parse_int64(" 1").has_value());
  CHECK_FALSE(parse_int64("1 ").has_value());
  CHECK_FALSE(parse_int64("1.0").has_value());
  CHECK_FALSE(parse_int64("1e3").has_value());
  CHECK_FALSE(parse_int64("0x10").has_value());
  CHECK_FALSE(parse_int64("12a").has_value());
  CHECK_FALSE(parse_int64("１２").has_value());  // full-width digits
  CHECK_FALSE(parse_int64(bytes("1\0", 2)).has_value());
}

// ---------------------------------------------------------------- url_decode

TEST_CASE("url_decode decodes percent escapes and '+' as space") {
  CHECK(url_decode("") == std::string());
  CHECK(url_decode("abc") == std::string("abc"));
  CHECK(url_decode("a+b") == std::string("a b"));
  CHECK(url_decode("a%20b") == std::string("a b"));
  CHECK(url_decode("%2B") == std::string("+"));
  CHECK(url_decode("%2b") == std::string("+"));
  CHECK(url_decode("%25") == std::string("%"));
  CHECK(url_decode("%e5%8C%97%E4%BA%AC") == std::string("北京"));
  CHECK(url_decode("%26%3D") == std::string("&="));
  CHECK(url_decode("%00") == bytes("\0", 1));
  CHECK(url_decode("北京") == std::string("北京"));  // raw bytes pass through
}

TEST_CASE("url_decode accepts an escape that ends the string") {
  CHECK(url_decode("%41") == std::string("A"));
  CHECK(url_decode("x%41") == std::string("xA"));
  CHECK(url_decode("%41%42") == std::string("AB"));
}

TEST_CASE("url_decode rejects broken escapes, including at the end of the string") {
  CHECK_FALSE(url_decode("%").has_value());
  CHECK_FALSE(url_decode("abc%").has_value());
  CHECK_FALSE(url_decode("%4").has_value());
  CHECK_FALSE(url_decode("abc%4").has_value());
  CHECK_FALSE(url_decode("100%").has_value());
  CHECK_FALSE(url_decode("%G0").has_value());
  CHECK_FALSE(url_decode("%0G").has_value());
  CHECK_FALSE(url_decode("%%").has_value());
  CHECK_FALSE(url_decode("%%41").has_value());
  CHECK_FALSE(url_decode("% 1").has_value());
  CHECK_FALSE(url_decode("%-1").has_value());
  CHECK_FALSE(url_decode("%+1").has_value());
}

// ---------------------------------------------------------------- iequals_ascii

TEST_CASE("iequals_ascii ignores ASCII case only") {
  CHECK(iequals_ascii("", ""));
  CHECK(iequals_ascii("AbCd", "aBcD"));
  CHECK(iequals_ascii("x7Kp", "X7kP"));
  CHECK_FALSE(iequals_ascii("abc", "abd"));
  CHECK_FALSE(iequals_ascii("abc", "ab"));
  CHECK_FALSE(iequals_ascii("ab", "abc"));
  // Pairs that differ only in bit 0x20 but are not letters.
  CHECK_FALSE(iequals_ascii("@", "`"));
  CHECK_FALSE(iequals_ascii("[", "{"));
  CHECK_FALSE(iequals_ascii("^", "~"));
  CHECK_FALSE(iequals_ascii("1", "\x11"));
  // Non-ASCII letters are compared byte for byte.
  CHECK_FALSE(iequals_ascii("\xC3\x84", "\xC3\xA4"));  // Ä vs ä
  CHECK(iequals_ascii("\xC3\x84", "\xC3\x84"));
}

// ---------------------------------------------------------------- constant_time_equals

TEST_CASE("constant_time_equals compares whole secrets") {
  CHECK(constant_time_equals("", ""));
  CHECK(constant_time_equals("token", "token"));
  CHECK_FALSE(constant_time_equals("token", "tokeN"));
  CHECK_FALSE(constant_time_equals("token", "toke"));
  CHECK_FALSE(constant_time_equals("", "x"));
  CHECK_FALSE(constant_time_equals("x", ""));
  CHECK_FALSE(constant_time_equals("Token", "token"));
  // Bytes after a NUL count.
  CHECK(constant_time_equals(bytes("a\0b", 3), bytes("a\0b", 3)));
  CHECK_FALSE(constant_time_equals(bytes("a\0b", 3), bytes("a\0c", 3)));
  std::string big(4096, 'q');
  std::string other = big;
  other.back() = 'r';
  CHECK(constant_time_equals(big, big));
  CHECK_FALSE(constant_time_equals(big, other));
}

}  // namespace ihome

// ---------------------------------------------------------------- id lists

using ihome::pack_ascending_ids;
using ihome::unpack_ascending_ids;

TEST_CASE("ascending ids: packed and unpacked again, for any int64 values") {
  std::mt19937_64 rng(22);
  std::vector<std::vector<int64_t>> cases = {
      {}, {1}, {0}, {1, 2, 3}, {127, 128, 16383, 16384}, {INT64_MIN, -1, 0, 1, INT64_MAX}, {INT64_MIN}, {INT64_MAX}};
  for (int n = 0; n < 50; ++n) {  // random ascending runs, dense and sparse
    std::vector<int64_t> ids;
    int64_t id = static_cast<int64_t>(rng() % 1000) - 500;
    for (int k = static_cast<int>(rng() % 3000); k > 0; --k) {
      id += 1 + static_cast<int64_t>(rng() % (n % 2 ? 3 : 100000));
      ids.push_back(id);
    }
    cases.push_back(ids);
  }
  for (const auto& ids : cases) {
    CAPTURE(ids.size());
    std::string packed = pack_ascending_ids(ids);
    auto back = unpack_ascending_ids(packed);
    REQUIRE(back);
    CHECK(*back == ids);
  }
  // Dense ids (a common keyword's matches): about a byte each.
  std::vector<int64_t> dense;
  for (int64_t id = 1; id <= 100000; id += 3) dense.push_back(id);
  CHECK(pack_ascending_ids(dense).size() == dense.size());
  CHECK(pack_ascending_ids({300}).size() == 2);
}

TEST_CASE("ascending ids: bytes the packer never makes are refused") {
  CHECK_FALSE(unpack_ascending_ids(std::string("\x80", 1)));            // a varint cut short
  CHECK_FALSE(unpack_ascending_ids(std::string("\x05\xff\xff", 3)));    // the same after a good one
  CHECK_FALSE(unpack_ascending_ids(std::string(10, '\xff') + '\x01'));  // longer than 10 bytes
  CHECK_FALSE(unpack_ascending_ids(std::string(9, '\xff') + '\x02'));   // past 64 bits
  auto max = unpack_ascending_ids(std::string(9, '\xff') + '\x01');     // 2^64 - 1: the gap to -1
  REQUIRE(max);
  CHECK(*max == std::vector<int64_t>{-1});
  CHECK(unpack_ascending_ids("")->empty());
}
