// Fuzz target: the Cookie header (parse_cookies, src/http/request.cpp).
#include "fuzz.h"
#include "ihome/core/text.h"
#include "ihome/http/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto cookies = ihome::parse_cookies(fuzz::bytes(data, size));
  for (const auto& [name, value] : cookies) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(name.find(';') == std::string::npos && value.find(';') == std::string::npos);
    FUZZ_CHECK(name.size() + value.size() < size);
  }
  return 0;
}
