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
  std::optional<std::string> avatar;
  bool disabled = false;
};

class Users {
 public:
  explicit Users(Db& db) : db_(db) {}

  Result<std::optional<User>> by_mobile(const std::string& mobile);
  Result<std::optional<User>> by_id(int64_t id);
  // Inserts a user; DATAEXIST (4003) when the mobile (or name) is taken.
  Result<int64_t> create(const std::string& mobile, const std::string& name,
                         const std::string& password_hash);

 private:
  Db& db_;
};

}  // namespace ihome
