// argon2id hashing: see include/ihome/auth/password.h.
#include "ihome/auth/password.h"

#include <sodium.h>

namespace ihome {

Result<std::string> hash_password(std::string_view password, PasswordCost cost) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            static_cast<unsigned long long>(cost.opslimit),
                            static_cast<size_t>(cost.memlimit_kib) * 1024,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Error{Errno::kServerErr, "", 500, 0};
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string h(hash);  // NUL-terminated copy
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

void verify_password_dummy(std::string_view password, PasswordCost cost) {
  // A hash of a random secret at the configured cost, made once per process.
  static std::string dummy;
  if (dummy.empty()) {
    unsigned char secret[16];
    randombytes_buf(secret, sizeof secret);
    auto h = hash_password(std::string_view(reinterpret_cast<char*>(secret), sizeof secret), cost);
    if (!h) return;
    dummy = *h;
  }
  (void)verify_password(dummy, password);
}

}  // namespace ihome
