// Users repository: see include/ihome/store/users.h.
#include "ihome/store/users.h"

#include "ihome/core/date.h"
#include "ihome/store/orders.h"

namespace ihome {

namespace {
constexpr const char* kColumns =
    "id, mobile, name, password_hash, avatar, disabled, id_card_digest IS NOT NULL, session_epoch, "
    "closed_at IS NOT NULL, notify_sms";

User read_user(const Stmt& s) {
  User u;
  u.id = s.int64(0);
  u.mobile = s.text(1);
  u.name = s.text(2);
  u.password_hash = s.text(3);
  if (!s.is_null(4)) u.avatar = s.text(4);
  u.disabled = s.int64(5) != 0;
  u.real_name_verified = s.int64(6) != 0;
  u.session_epoch = s.int64(7);
  u.closed = s.int64(8) != 0;
  u.notify_sms = s.int64(9) != 0;
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

Status Users::end_sessions(int64_t id) {
  auto stmt = db_.prepare("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = ?1");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, id);
  return stmt->run();
}

Result<int64_t> Users::set_password(int64_t id, const std::string& password_hash) {
  auto stmt = db_.prepare(
      "UPDATE users SET password_hash = ?2, session_epoch = session_epoch + 1, "
      "updated_at = datetime('now', 'localtime') WHERE id = ?1 AND closed_at IS NULL "
      "RETURNING session_epoch");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, id).bind(2, password_hash);
  auto row = stmt->step();
  if (!row) return row.take_error();
  if (!*row) return Error{Errno::kUserErr, "", 200, 0};
  int64_t epoch = stmt->int64(0);
  auto rest = stmt->step();  // finish the statement, so the update is complete
  if (!rest) return rest.take_error();
  return epoch;
}

namespace {
Status run(Result<Stmt> stmt, int64_t user_id) {
  if (!stmt) return stmt.take_error();
  stmt->bind(1, user_id);
  return stmt->run();
}
}  // namespace

Result<ClosedAccount> Users::close(int64_t id) {
  // IMMEDIATE: no booking on their houses and no order of theirs can start
  // between the open-order check and the erasure.
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto user = by_id(id);
  if (!user) return user.take_error();
  if (!*user || (*user)->closed) return Error{Errno::kUserErr, "", 200, 0};
  // Open: asked, waiting for its payment, or paid and not ended yet (a
  // stay that ended is over, reviewed or not), as a guest or on their houses;
  // or money still owed back to them.
  static const std::string kOpen =
      "SELECT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = ?1 AND " + holds_nights_sql("o", 2) +
      " AND o.status IN ('WAIT_ACCEPT', 'WAIT_PAYMENT', 'PAID') AND o.end_date > ?3) "
      "OR EXISTS (SELECT 1 FROM orders o JOIN houses h ON h.id = o.house_id WHERE h.user_id = ?1 AND " +
      holds_nights_sql("o", 2) + " AND o.status IN ('WAIT_ACCEPT', 'WAIT_PAYMENT', 'PAID') AND o.end_date > ?3) "
      "OR EXISTS (SELECT 1 FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.user_id = ?1 "
      "AND r.status = 'PENDING')";
  auto open = db_.prepare(kOpen);
  if (!open) return open.take_error();
  open->bind(1, id).bind(2, unix_now()).bind(3, format_date(today()));
  auto row = open->step();
  if (!row) return row.take_error();
  if (open->int64(0) != 0) return Error{Errno::kDataErr, "还有未完成的订单，暂不能注销", 200, 0};

  ClosedAccount closed;
  closed.avatar = (*user)->avatar;

  Status s = run(db_.prepare("DELETE FROM sms_outbox WHERE mobile = (SELECT mobile FROM users WHERE id = ?1)"), id);
  if (!s.ok()) return s.take_error();
  s = run(db_.prepare("DELETE FROM favorites WHERE user_id = ?1"), id);  // personal data, like the rest
  if (!s.ok()) return s.take_error();
  // Their houses' calendar feeds end with the account: nobody could reset a
  // leaked URL any more, and an offline house with no open order has
  // nothing to sync.
  s = run(db_.prepare("DELETE FROM house_ical_tokens WHERE house_id IN (SELECT id FROM houses WHERE user_id = ?1)"),
          id);
  if (!s.ok()) return s.take_error();
  s = run(db_.prepare("UPDATE houses SET status = 'offline', updated_at = datetime('now', 'localtime') "
                      "WHERE user_id = ?1"),
          id);
  if (!s.ok()) return s.take_error();
  // Placeholders: '0' + 10 digits is 11 characters (the column's CHECK) but
  // never a mobile (^1[3-9]...); a name with '#' and the id is unique, and
  // change_name refuses names starting with kClosedUserName.
  s = run(db_.prepare(
              "UPDATE users SET mobile = printf('0%010d', id), name = '" + std::string(kClosedUserName) +
              "#' || id, password_hash = '!', avatar = NULL, real_name = NULL, id_card_sealed = NULL, "
              "id_card_digest = NULL, disabled = 1, session_epoch = session_epoch + 1, "
              "closed_at = datetime('now', 'localtime'), updated_at = datetime('now', 'localtime') "
              "WHERE id = ?1"),
          id);
  if (!s.ok()) return s.take_error();
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return closed;
}

Status Users::set_notify_sms(int64_t id, bool on) {
  auto stmt = db_.prepare("UPDATE users SET notify_sms = ?2 WHERE id = ?1 AND closed_at IS NULL");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, id).bind(2, on ? 1 : 0);
  Status s = stmt->run();
  if (!s.ok()) return s;
  if (db_.changes() == 0) return Error{Errno::kUserErr, "", 200, 0};
  return Status::OK();
}

Result<std::optional<std::string>> Users::notify_mobile(int64_t id) {
  auto stmt = db_.prepare(
      "SELECT mobile FROM users WHERE id = ?1 AND notify_sms = 1 AND disabled = 0 AND closed_at IS NULL");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->text(0));
}

}  // namespace ihome
