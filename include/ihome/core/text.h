// Pure text helpers and the format checks of API.md: trimming, UTF-8 code
// point counting, control characters, mobile numbers, code ids.  No I/O;
// every function is unit-tested in tests/unit/text_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ihome {

// Strips ASCII white space (space, \t, \r, \n, \v, \f) at both ends.
std::string_view trim(std::string_view s);

// Number of code points when `s` is well-formed UTF-8 (no overlongs, no
// surrogates, nothing above U+10FFFF); nullopt otherwise.
std::optional<size_t> utf8_length(std::string_view s);

// True when `s` holds a C0/C1 control character or DEL.  Well-formed UTF-8
// is assumed (check utf8_length first).
bool has_control_chars(std::string_view s);

// ^1[3-9][0-9]{9}$ (mainland China mobile).
bool is_mobile(std::string_view s);

// A user's name as other people may see it: a user who never chose a name
// goes by their mobile number (the classic registration), which nobody else
// may learn, so a name that is a mobile shows as 138****0001.
std::string public_name(std::string_view name);

// 1-64 of [A-Za-z0-9_-]: captcha code ids, safe inside a memcached key.
bool is_code_id(std::string_view s);

// base64url without padding of exactly `bytes` bytes (session ids, tokens).
bool is_token(std::string_view s, size_t bytes);

// Strict decimal integer ("-12", "7"; no spaces, no '+', no leading zeros
// beyond "0"), within int64.
std::optional<int64_t> parse_int64(std::string_view s);

// Percent-decoding for query strings and form bodies ('+' is a space).
// nullopt on a broken escape.
std::optional<std::string> url_decode(std::string_view s);

// Case-insensitive ASCII equality (captcha answers).
bool iequals_ascii(std::string_view a, std::string_view b);

// Timing-independent equality of two secrets.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace ihome
