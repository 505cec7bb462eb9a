// Users repository: see include/ihome/store/users.h.
#include "ihome/store/users.h"

namespace ihome {

namespace {
constexpr const char* kColumns = "id, mobile, name, password_hash, avatar, disabled";

User read_user(const Stmt& s) {
  User u;
  u.id = s.int64(0);
  u.mobile = s.text(1);
  u.name = s.text(2);
  u.password_hash = s.text(3);
  if (!s.is_null(4)) u.avatar = s.text(4);
  u.disabled = s.int64(5) != 0;
  return u;
}

Result<std::optional<User>> one_user(Result<Stmt> stmt) {
  if (!stmt) return stmt.take_error();
  auto row = stmt->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<User>();
  return std::optional<User>(read_user(*stmt));
}
}  // namespace

Result<std::optional<User>> Users::by_mobile(const std::string& mobile) {
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM users WHERE mobile = ?1";
  auto stmt = db_.prepare(sql);
  if (stmt) stmt->bind(1, mobile);
  return one_user(std::move(stmt));
}

Result<std::optional<User>> Users::by_id(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM users WHERE id = ?1";
  auto stmt = db_.prepare(sql);
  if (stmt) stmt->bind(1, id);
  return one_user(std::move(stmt));
}

Result<int64_t> Users::create(const std::string& mobile, const std::string& name,
                              const std::string& password_hash) {
  auto stmt = db_.prepare("INSERT INTO users (mobile, name, password_hash) VALUES (?1, ?2, ?3)");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, mobile).bind(2, name).bind(3, password_hash);
  Status s = stmt->run();
  if (!s.ok()) return s.take_error();
  return db_.last_insert_id();
}

}  // namespace ihome
