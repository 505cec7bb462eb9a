// Cryptographic randomness from libsodium (sodium_init() must have run:
// ihomed calls it in main, the unit tests in their main).
#pragma once

#include <cstdint>
#include <string>

namespace ihome {

// `bytes` random bytes as base64url without padding (session ids, _xsrf).
std::string random_token(size_t bytes = 32);

// Uniform integer in [0, upper).
uint32_t random_below(uint32_t upper);

// `n` random decimal digits (SMS codes).
std::string random_digits(size_t n);

}  // namespace ihome
