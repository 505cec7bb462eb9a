// SealedIdCards: the sealed id card numbers of the `users` table
// (sql/002_profile.sql) as a key rotation sees them: every one, and the
// rewrite of one under a new key.  Nothing else reads them this way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

struct SealedIdCard {
  int64_t user_id = 0;
  std::string sealed;  // secretbox nonce || ciphertext
};

class SealedIdCards {
 public:
  explicit SealedIdCards(Db& db) : db_(db) {}
  // Every sealed id card, by user id.
  Result<std::vector<SealedIdCard>> all();
  // Replaces one user's sealed value and digest (NODATA when it is gone).
  Status rewrite(int64_t user_id, const std::string& sealed, const std::string& digest);

 private:
  Db& db_;
};

}  // namespace ihome
