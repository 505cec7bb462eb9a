// Sessions: who is logged in, kept in memcached under
// <prefix>session:<id> as JSON {user_id, name, mobile} with a sliding TTL.
// The id is 256 random bits, base64url (43 characters); a cookie that is
// not of that shape is never looked up.
//
// Ending every session of a user (password change or reset, closing the
// account, an operator disabling the user) is ONE rule: a session carries
// the `epoch` its user had when it was made, and is valid only while that
// equals users.session_epoch in SQLite and the user is enabled and not
// closed (checked on every request by Context::session_of).  So
//   UPDATE users SET session_epoch = session_epoch + 1 WHERE id = ?
// (Users::end_sessions, or the same SQL from a script) ends them all at
// once, on the next request of each.  Sessions::forget_user then deletes
// their stored JSON from memcached too (best effort, through the list of
// ids kept under <prefix>user_sessions:<user_id>): end_user_sessions()
// does both.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ihome/core/result.h"
#include "ihome/store/cache.h"

namespace ihome {

struct Session {
  int64_t user_id = 0;
  std::string name;
  std::string mobile;
  int64_t epoch = 0;       // users.session_epoch when it was made
  int64_t renewed_at = 0;  // unix time the TTL was last renewed
  bool just_renewed = false;  // not stored: load() renewed it on this request
};

// JSON encoding of a session, and its strict parse (nullopt when broken).
std::string session_to_json(const Session& s);
std::optional<Session> session_from_json(std::string_view json);

// True when `id` has the shape of a session id.
bool is_session_id(std::string_view id);

class Sessions {
 public:
  Sessions(Cache& cache, int ttl_seconds) : cache_(cache), ttl_(ttl_seconds) {}

  // Stores `s` under a fresh id and returns the id.
  Result<std::string> create(const Session& s);
  // The session of `id`; nullopt when unknown or expired.  The TTL is
  // renewed when a tenth of it has passed since the last renewal, so most
  // requests cost one memcached round trip, not two.
  Result<std::optional<Session>> load(std::string_view id);
  // Replaces the stored data of a live session.
  Status update(std::string_view id, const Session& s);
  Status destroy(std::string_view id);
  // Deletes every stored session of `user_id` listed under
  // user_sessions:<user_id> (the ids create() recorded).  This erases their
  // data; what makes them invalid is the epoch (see above).
  Status forget_user(int64_t user_id);

 private:
  Status remember(int64_t user_id, const std::string& id);

  Cache& cache_;
  int ttl_;
};

class Db;
// Ends every session of `user_id`: bumps users.session_epoch (every session
// is refused from the next request on), then forget_user().  Callers whose
// own transaction already bumped the epoch (Users::close) call
// forget_user() alone.
Status end_user_sessions(Db& db, Sessions& sessions, int64_t user_id);

// The Set-Cookie attributes of session_id ("HttpOnly; SameSite=Lax; Path=/"
// and "; Secure" when `secure`).
std::string session_cookie_attributes(bool secure);

}  // namespace ihome
