// Real-name verification: the PRC resident identity number (GB 11643:
// 6-digit area, 8-digit birth date, 3-digit sequence, ISO 7064 MOD 11-2
// check character), its masked display form, and its protection at rest:
// encrypted with libsodium secretbox and indexed by a keyed BLAKE2b hash
// (crypto_generichash) for the one-id-one-account rule.  Both keys are
// derived (crypto_kdf) from one 32-byte master key kept in a key file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ihome/core/result.h"

namespace ihome {

// True when `id` is 18 characters: 17 digits then a digit or 'X' (an 'x' is
// accepted and upper-cased by normalize_id_card), a real calendar birth date
// between 1900-01-01 and today, and a correct check character.
bool is_valid_id_card(std::string_view id);

// Upper-cases a trailing 'x'.
std::string normalize_id_card(std::string_view id);

// First 3 and last 4 characters, the rest as '*': "110***********123X".
std::string mask_id_card(std::string_view id);

// The keys in memory; load with load_or_create_key_file.
struct RealNameKeys {
  unsigned char box_key[32];
  unsigned char hash_key[32];
};

// Reads the 32-byte master key from `path`, creating it (random, mode 0600,
// written atomically) when the file does not exist.  A file of the wrong size
// or with group/other permissions is an error (never silently replaced).
Result<RealNameKeys> load_or_create_key_file(const std::string& path);

// The key file operations of a key rotation (include/ihome/auth/key_rotation.h),
// each durable (fsync of the file and of its directory) when it returns:
// the keys of an existing key file (same checks as above), nullopt when the
// file does not exist;
Result<std::optional<RealNameKeys>> load_key_file(const std::string& path);
// a new file `to` holding the key of `from` (`to` is kept when it exists);
Status copy_key_file(const std::string& from, const std::string& to);
// a new file of random key bytes (kept when it exists);
Status create_fresh_key_file(const std::string& path);
// rename(from, to), replacing `to` atomically;
Status replace_key_file(const std::string& from, const std::string& to);
// unlink (a missing file is fine).
Status remove_key_file(const std::string& path);

// Encrypts `plain` with a random nonce: returns nonce || ciphertext.
std::string seal_id_card(const RealNameKeys& keys, std::string_view plain);
// Decrypts what seal_id_card returned; SERVERERR when it does not verify.
Result<std::string> open_id_card(const RealNameKeys& keys, std::string_view sealed);
// Keyed hash (hex) of the normalized id, for the uniqueness index.
std::string id_card_digest(const RealNameKeys& keys, std::string_view id);

}  // namespace ihome
