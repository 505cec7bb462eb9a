// Fuzz target: the text vocabulary under every validator (src/core/text.cpp):
// UTF-8 counting, control characters, url_decode, integers, tokens.
#include <string>

#include "fuzz.h"
#include "ihome/core/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::bytes(data, size);
  if (auto n = ihome::utf8_length(in)) {
    FUZZ_CHECK(*n <= in.size());
    (void)ihome::has_control_chars(in);
  }
  if (auto d = ihome::url_decode(in)) FUZZ_CHECK(d->size() <= in.size());
  if (auto i = ihome::parse_int64(in)) FUZZ_CHECK(std::to_string(*i) == in);
  if (ihome::is_mobile(in)) FUZZ_CHECK(in.size() == 11);
  if (ihome::is_code_id(in)) FUZZ_CHECK(!in.empty() && in.size() <= 64);
  (void)ihome::is_token(in, 32);
  FUZZ_CHECK(ihome::trim(in).size() <= in.size());
  FUZZ_CHECK(ihome::iequals_ascii(in, in) && ihome::constant_time_equals(in, in));
  return 0;
}
