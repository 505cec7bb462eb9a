// Users repository: the `users` table (sql/001_passport.sql).  Handlers ask
// it for users by mobile or id and create accounts; it speaks SQL, never JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  int64_t session_epoch = 0;  // see include/ihome/auth/session.h
  bool closed = false;        // the account was closed (erased)
  bool notify_sms = true;     // SMS notifications on (API.md "Notifications")
};

// What closing an account left for the caller to clean up after commit.
struct ClosedAccount {
  std::optional<std::string> avatar;  // media file to remove
};

// The name a closed account shows under (API.md "profile/delete").
inline constexpr const char* kClosedUserName = "已注销用户";

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

  // Ends every session of the user (bumps session_epoch).
  Status end_sessions(int64_t id);
  // Sets a new password hash and ends every session; returns the new
  // session epoch (for the caller's next session, if any).
  Result<int64_t> set_password(int64_t id, const std::string& password_hash);
  // Closes the account in one IMMEDIATE transaction (API.md "profile/delete"):
  // DATAERR while an order of theirs, as guest or on one of their houses,
  // is WAIT_ACCEPT or WAIT_COMMENT; otherwise mobile, name, password,
  // avatar and real-name record erased (mobile and name replaced by
  // placeholders no real user can have: the columns are NOT NULL UNIQUE),
  // their SMS outbox rows and favourites deleted, houses offline and their
  // iCal tokens deleted (the feeds answer 404), sessions ended.
  Result<ClosedAccount> close(int64_t id);

  // Turns SMS notifications on or off (USERERR when closed or gone).
  Status set_notify_sms(int64_t id, bool on);
  // The mobile to notify: nullopt when the user turned notifications off,
  // or is disabled, closed or gone.
  Result<std::optional<std::string>> notify_mobile(int64_t id);

 private:
  Db& db_;
};

}  // namespace ihome
