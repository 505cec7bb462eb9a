// Session store in memcached: see include/ihome/auth/session.h.
#include "ihome/auth/session.h"

#include <ctime>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "ihome/core/date.h"
#include "ihome/core/random.h"
#include "ihome/core/text.h"
#include "ihome/store/users.h"

namespace ihome {

namespace {
constexpr size_t kSessionBytes = 32;  // 256 bits
std::string key_of(std::string_view id) { return "session:" + std::string(id); }
std::string list_key(int64_t user_id) { return "user_sessions:" + std::to_string(user_id); }
}  // namespace

std::string session_to_json(const Session& s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("user_id");
  w.Int64(s.user_id);
  w.Key("name");
  w.String(s.name.data(), static_cast<rapidjson::SizeType>(s.name.size()));
  w.Key("mobile");
  w.String(s.mobile.data(), static_cast<rapidjson::SizeType>(s.mobile.size()));
  w.Key("epoch");
  w.Int64(s.epoch);
  w.Key("renewed_at");
  w.Int64(s.renewed_at);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<Session> session_from_json(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  auto id = d.FindMember("user_id");
  auto name = d.FindMember("name");
  auto mobile = d.FindMember("mobile");
  if (id == d.MemberEnd() || !id->value.IsInt64() || id->value.GetInt64() <= 0) return std::nullopt;
  if (name == d.MemberEnd() || !name->value.IsString()) return std::nullopt;
  if (mobile == d.MemberEnd() || !mobile->value.IsString()) return std::nullopt;
  auto renewed = d.FindMember("renewed_at");
  int64_t renewed_at = renewed != d.MemberEnd() && renewed->value.IsInt64() ? renewed->value.GetInt64() : 0;
  auto epoch = d.FindMember("epoch");
  int64_t epoch_value = epoch != d.MemberEnd() && epoch->value.IsInt64() ? epoch->value.GetInt64() : 0;
  return Session{id->value.GetInt64(),
                 std::string(name->value.GetString(), name->value.GetStringLength()),
                 std::string(mobile->value.GetString(), mobile->value.GetStringLength()), epoch_value,
                 renewed_at};
}

bool is_session_id(std::string_view id) { return is_token(id, kSessionBytes); }

// The list of a user's session ids ("id id id "), for forget_user().  It
// lives as long as its newest session could (renewed with them, see
// load()).  Past kListPrune ids, the ids whose session is gone are dropped
// so that a person who logs in all day keeps a short list.  A login racing
// the prune may lose its id from the list: its session is still ended by
// the epoch, only its JSON then waits for its TTL.
Status Sessions::remember(int64_t user_id, const std::string& id) {
  constexpr size_t kListPrune = 32;
  std::string list = list_key(user_id), entry = id + " ";
  auto current = cache_.get(list);
  if (!current) return current.take_error();
  if (current->has_value() && (*current)->size() > kListPrune * entry.size()) {
    std::string kept;
    const std::string& ids = **current;
    for (size_t start = 0; start < ids.size();) {
      size_t end = ids.find(' ', start);
      if (end == std::string::npos) end = ids.size();
      std::string one = ids.substr(start, end - start);
      start = end + 1;
      if (one.empty()) continue;
      auto alive = cache_.get(key_of(one));
      if (!alive) return alive.take_error();
      if (alive->has_value()) kept += one + " ";
    }
    return cache_.set(list, kept + entry, ttl_);
  }
  auto appended = cache_.append(list, entry);
  if (!appended) return appended.take_error();
  if (!*appended) {
    auto fresh = cache_.add(list, entry, ttl_);
    if (!fresh) return fresh.take_error();
    if (*fresh) return Status::OK();
    appended = cache_.append(list, entry);  // another login made the list in between
    if (!appended) return appended.take_error();
  }
  auto touched = cache_.touch(list, ttl_);
  if (!touched) return touched.take_error();
  return Status::OK();
}

Result<std::string> Sessions::create(const Session& fresh) {
  Session s = fresh;
  s.renewed_at = unix_now();
  std::string id = random_token(kSessionBytes);
  // add, not set: a 256-bit collision is impossible in practice, but add
  // makes "never overwrite another person's session" a checked rule.
  auto added = cache_.add(key_of(id), session_to_json(s), ttl_);
  if (!added) return added.take_error();
  if (!*added) return Error{Errno::kServerErr, "", 500, 0};
  Status listed = remember(s.user_id, id);
  if (!listed.ok()) return listed.take_error();
  return id;
}

Result<std::optional<Session>> Sessions::load(std::string_view id) {
  if (!is_session_id(id)) return std::optional<Session>();
  auto value = cache_.get(key_of(id));
  if (!value) return value.take_error();
  if (!value->has_value()) return std::optional<Session>();
  auto session = session_from_json(**value);
  if (!session) return std::optional<Session>();
  int64_t now = unix_now();
  if (now - session->renewed_at >= ttl_ / 10) {
    // Rewritten rather than touched, to record the renewal time.
    session->renewed_at = now;
    Status s = cache_.set(key_of(id), session_to_json(*session), ttl_);
    if (!s.ok()) return s.take_error();
    auto touched = cache_.touch(list_key(session->user_id), ttl_);  // the list lives as long
    if (!touched) return touched.take_error();
    session->just_renewed = true;
  }
  return session;
}

Status Sessions::update(std::string_view id, const Session& changed) {
  if (!is_session_id(id)) return Error{Errno::kSessionErr, "", 200, 0};
  Session s = changed;
  s.renewed_at = unix_now();
  return cache_.set(key_of(id), session_to_json(s), ttl_);
}

Status Sessions::destroy(std::string_view id) {
  if (!is_session_id(id)) return Status::OK();
  auto removed = cache_.remove(key_of(id));
  if (!removed) return removed.take_error();
  return Status::OK();
}

Status Sessions::forget_user(int64_t user_id) {
  auto list = cache_.take(list_key(user_id));
  if (!list) return list.take_error();
  if (!list->has_value()) return Status::OK();
  const std::string& ids = **list;
  size_t start = 0;
  while (start < ids.size()) {
    size_t end = ids.find(' ', start);
    if (end == std::string::npos) end = ids.size();
    Status s = destroy(std::string_view(ids).substr(start, end - start));
    if (!s.ok()) return s;
    start = end + 1;
  }
  return Status::OK();
}

Status end_user_sessions(Db& db, Sessions& sessions, int64_t user_id) {
  Status s = Users(db).end_sessions(user_id);
  if (!s.ok()) return s;
  return sessions.forget_user(user_id);
}

std::string session_cookie_attributes(bool secure) {
  return secure ? "Path=/; HttpOnly; SameSite=Lax; Secure" : "Path=/; HttpOnly; SameSite=Lax";
}

}  // namespace ihome
