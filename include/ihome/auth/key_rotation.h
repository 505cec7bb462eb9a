// Key rotation (`ihomed --rotate-key`, run by `ihome-admin rotate-key` with
// ihomed stopped): a new secret.key, and every sealed id card re-encrypted
// under it — with its uniqueness digest recomputed — in one transaction.
//
// Crash-safe by the order of its durable steps, each of which a second run
// recognizes and continues from:
//   1. secret.key.old  := copy of secret.key   (the key the database is under)
//   2. secret.key.new  := fresh random key
//   3. one transaction: every row opened with .old, secret.key or .new
//      (whichever opens it), sealed again with .new; COMMIT
//   4. rename secret.key.new -> secret.key
//   5. unlink secret.key.old
// Until 3 commits, the database is under the key in .old (and secret.key);
// after it, under the key in .new (secret.key after 4).  No key the database
// may be under is removed before that is settled.  ihomed refuses to start
// while a secret.key.new exists (an unfinished rotation).
#pragma once

#include <cstdint>
#include <string>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

struct KeyRotation {
  int64_t rows = 0;      // sealed id cards re-encrypted
  bool resumed = false;  // an interrupted rotation was found and finished
};

// Rotates `key_path` (secret_key_file) for the database `db`.  A row that no
// key opens aborts it with nothing changed (SERVERERR naming the user id).
Result<KeyRotation> rotate_real_name_key(Db& db, const std::string& key_path);

// "" when no rotation is unfinished at `key_path`; otherwise why not to
// start ihomed now.
std::string unfinished_key_rotation(const std::string& key_path);

}  // namespace ihome
