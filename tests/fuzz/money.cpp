// Fuzz target: yuan amounts (parse_yuan, src/core/money.cpp): a parsed
// amount is non-negative and formats back to a string that parses to it.
#include "fuzz.h"
#include "ihome/core/money.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto fen = ihome::parse_yuan(fuzz::bytes(data, size));
  if (fen) {
    FUZZ_CHECK(*fen >= 0);
    FUZZ_CHECK(ihome::parse_yuan(ihome::format_yuan(*fen)) == *fen);
  }
  return 0;
}
