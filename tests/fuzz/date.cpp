// Fuzz target: 'YYYY-MM-DD' dates (parse_date, src/core/date.cpp): a parsed
// date formats back to exactly the input.
#include "fuzz.h"
#include "ihome/core/date.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::bytes(data, size);
  auto d = ihome::parse_date(in);
  if (d) {
    FUZZ_CHECK(ihome::format_date(*d) == in);
    static const int64_t kLast = *ihome::parse_date("9999-12-31");
    if (*d < kLast) FUZZ_CHECK(ihome::parse_date(ihome::format_date(*d + 1)) == *d + 1);
  }
  return 0;
}
