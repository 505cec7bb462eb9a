// Fuzz target: resident identity numbers and their sealed form
// (src/auth/real_name.cpp): validation, normalizing, masking, and opening
// arbitrary bytes as a sealed id card (a tampered database value).
#include <cstring>

#include "fuzz.h"
#include "ihome/auth/real_name.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::bytes(data, size);
  static const ihome::RealNameKeys keys = [] {
    ihome::RealNameKeys k;
    std::memset(k.box_key, 7, sizeof k.box_key);
    std::memset(k.hash_key, 9, sizeof k.hash_key);
    return k;
  }();
  if (ihome::is_valid_id_card(in)) {
    std::string id = ihome::normalize_id_card(in);
    FUZZ_CHECK(id.size() == 18 && ihome::is_valid_id_card(id));
    std::string masked = ihome::mask_id_card(id);
    FUZZ_CHECK(masked.size() == 18 && masked.substr(0, 3) == id.substr(0, 3));
    auto opened = ihome::open_id_card(keys, ihome::seal_id_card(keys, id));
    FUZZ_CHECK(opened && *opened == id);
  }
  (void)ihome::mask_id_card(in);
  (void)ihome::normalize_id_card(in);
  auto opened = ihome::open_id_card(keys, in);
  if (!opened) FUZZ_CHECK(opened.error().code == ihome::Errno::kServerErr);
  return 0;
}
