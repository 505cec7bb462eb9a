// Password hashing with argon2id (libsodium crypto_pwhash_str_alg).  The
// cost (opslimit, memory) comes from config and is stored inside the hash
// string, so raising it later keeps old hashes verifiable.
#pragma once

#include <string>
#include <string_view>

#include "ihome/core/result.h"

namespace ihome {

struct PasswordCost {
  int opslimit = 2;
  int memlimit_kib = 65536;
};

// "$argon2id$v=19$m=...,t=...,p=1$salt$hash"; SERVERERR when out of memory.
Result<std::string> hash_password(std::string_view password, PasswordCost cost);

// True when `password` matches `hash` (false for a malformed hash).
bool verify_password(std::string_view hash, std::string_view password);

// Burns the time of one verification, for unknown accounts, so a login for
// an unknown mobile takes as long as a wrong password (no enumeration).
void verify_password_dummy(std::string_view password, PasswordCost cost);

}  // namespace ihome
