// Users repository: the `users` table (sql/001_passport.sql).  Handlers ask
// it for users by mobile or id and create accounts; it speaks SQL, never JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

struct User {
  int64_t id = 0;
  std::string mobile;
  std::string name;
  std::string password_hash;
  std::optional<std::string> avatar;  // media file name
  bool disabled = false;
  bool real_name_verified = false;
};

// What real-name verification stored for a user.
struct RealNameRecord {
  std::string real_name;
  std::string id_card_sealed;  // secretbox nonce || ciphertext
};

class Users {
 public:
  explicit Users(Db& db) : db_(db) {}

  Result<std::optional<User>> by_mobile(const std::string& mobile);
  Result<std::optional<User>> by_id(int64_t id);
  // True when the user exists and is not disabled: the per-request check
  // that ends a disabled user's sessions (one primary-key lookup).
  Result<bool> is_active(int64_t id);
  // Inserts a user; DATAEXIST (4003) when the mobile (or name) is taken.
  Result<int64_t> create(const std::string& mobile, const std::string& name,
                         const std::string& password_hash);
  // DATAEXIST when another user has the name; NODATA when the user is gone.
  Status set_name(int64_t id, const std::string& name);
  // Points the user at a new avatar file and returns the old one (to remove
  // once this has committed).
  Result<std::optional<std::string>> set_avatar(int64_t id, const std::string& file);
  // Stores a verification once: DATAEXIST when the user is verified already
  // or another user holds the same id card (digest).
  Status set_real_name(int64_t id, const std::string& real_name, const std::string& sealed,
                       const std::string& digest);
  Result<std::optional<RealNameRecord>> real_name(int64_t id);

 private:
  Db& db_;
};

}  // namespace ihome
