// Random ids and codes: see include/ihome/core/random.h.
#include "ihome/core/random.h"

#include <sodium.h>

#include <vector>

namespace ihome {

std::string random_token(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

uint32_t random_below(uint32_t upper) { return randombytes_uniform(upper); }

std::string random_digits(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += static_cast<char>('0' + randombytes_uniform(10));
  return out;
}

}  // namespace ihome
