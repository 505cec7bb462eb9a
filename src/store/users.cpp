// Users repository: see include/ihome/store/users.h.
#include "ihome/store/users.h"

namespace ihome {

namespace {
constexpr const char* kColumns =
    "id, mobile, name, password_hash, avatar, disabled, id_card_digest IS NOT NULL";

User read_user(const Stmt& s) {
  User u;
  u.id = s.int64(0);
  u.mobile = s.text(1);
  u.name = s.text(2);
  u.password_hash = s.text(3);
  if (!s.is_null(4)) u.avatar = s.text(4);
  u.disabled = s.int64(5) != 0;
  u.real_name_verified = s.int64(6) != 0;
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

Result<bool> Users::is_active(int64_t id) {
  auto stmt = db_.prepare("SELECT disabled FROM users WHERE id = ?1");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return row.take_error();
  return *row && stmt->int64(0) == 0;
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

Status Users::set_name(int64_t id, const std::string& name) {
  auto stmt = db_.prepare(
      "UPDATE users SET name = ?2, updated_at = datetime('now', 'localtime') WHERE id = ?1");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, id).bind(2, name);
  Status s = stmt->run();
  if (!s.ok()) return s;
  if (db_.changes() == 0) return Error{Errno::kNoData, "", 200, 0};
  return Status::OK();
}

Result<std::optional<std::string>> Users::set_avatar(int64_t id, const std::string& file) {
  // Read-then-write of one row: IMMEDIATE, so two uploads by the same user
  // cannot both see the same old file (and one of them leak a file).
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto user = by_id(id);
  if (!user) return user.take_error();
  if (!*user) return Error{Errno::kNoData, "", 200, 0};
  auto stmt = db_.prepare(
      "UPDATE users SET avatar = ?2, updated_at = datetime('now', 'localtime') WHERE id = ?1");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, id).bind(2, file);
  Status s = stmt->run();
  if (!s.ok()) return s.take_error();
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return (*user)->avatar;
}

Status Users::set_real_name(int64_t id, const std::string& real_name, const std::string& sealed,
                            const std::string& digest) {
  auto stmt = db_.prepare(
      "UPDATE users SET real_name = ?2, id_card_sealed = ?3, id_card_digest = ?4, "
      "updated_at = datetime('now', 'localtime') WHERE id = ?1 AND id_card_digest IS NULL");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, id).bind(2, real_name).bind_blob(3, sealed).bind(4, digest);
  Status s = stmt->run();  // the unique digest index refuses a second account: DATAEXIST
  if (!s.ok()) return s;
  if (db_.changes() == 0) return Error{Errno::kDataExist, "已完成实名认证", 200, 0};
  return Status::OK();
}

Result<std::optional<RealNameRecord>> Users::real_name(int64_t id) {
  auto stmt = db_.prepare(
      "SELECT real_name, id_card_sealed FROM users WHERE id = ?1 AND id_card_digest IS NOT NULL");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<RealNameRecord>();
  return std::optional<RealNameRecord>(RealNameRecord{stmt->text(0), stmt->blob(1)});
}

}  // namespace ihome
