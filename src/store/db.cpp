// SQLite connection, statement cache, transactions and migrations: see
// include/ihome/store/db.h.
#include "ihome/store/db.h"

#include "ihome/core/log.h"
#include "ihome/metrics/metrics.h"

namespace ihome {

Stmt::~Stmt() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Stmt& Stmt::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Stmt& Stmt::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if ((rc & 0xFF) == SQLITE_CONSTRAINT) {
    log_debug(std::string("sqlite constraint: ") + sqlite3_errmsg(sqlite3_db_handle(stmt_)));
    return Error{Errno::kDataExist, "", 200, 0};
  }
  return db_->error("step");
}

Status Stmt::run() {
  auto r = step();
  if (!r) return r.take_error();
  return Status::OK();
}

std::string Stmt::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string Stmt::blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, int busy_timeout_ms, int64_t max_pages) {
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = handle ? sqlite3_errmsg(handle) : "out of memory";
    sqlite3_close(handle);
    log_error("db open failed path=" + log_quote(path) + " error=" + log_quote(msg));
    return db_error();
  }
  std::unique_ptr<Db> db(new Db(handle));
  sqlite3_busy_timeout(handle, busy_timeout_ms);
  sqlite3_extended_result_codes(handle, 1);
  // cache_size: each connection keeps up to 16 MiB of pages (SQLite's
  // default is 2 MiB).  At 1M houses (a 1.6 GB file) the inner pages of the
  // tables and indexes a house/info or a page's summaries walk no longer fit
  // in 2 MiB, and every miss is a pread() (docs/scaling.md).
  Status s = db->exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;");
  if (!s.ok()) return s.take_error();
  if (max_pages > 0) {
    s = db->exec("PRAGMA max_page_count=" + std::to_string(max_pages));
    if (!s.ok()) return s.take_error();
  }
  return db;
}

std::string Db::startup_problem(const std::string& path) {
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::string problem;
  if (rc != SQLITE_OK) {
    problem = std::string("cannot be opened: ") + (handle ? sqlite3_errmsg(handle) : "out of memory");
  } else if (sqlite3_db_readonly(handle, "main") == 1) {
    // SQLite falls back to read-only when the file cannot be opened for
    // writing (file mode, immutable flag, read-only mount).
    problem = "is read-only (file permissions, immutable flag or a read-only file system): ihomed must write it";
  } else {
    // Reading the schema reads the header and the schema pages: a file that
    // is not a database, or whose first pages are damaged, fails here.
    sqlite3_busy_timeout(handle, 5000);
    rc = sqlite3_exec(handle, "SELECT count(*) FROM sqlite_schema; PRAGMA journal_mode=WAL;", nullptr,
                      nullptr, nullptr);
    if (rc != SQLITE_OK)
      problem = std::string("is unusable: ") + sqlite3_errmsg(handle) +
                ((rc & 0xFF) == SQLITE_NOTADB || (rc & 0xFF) == SQLITE_CORRUPT
                     ? " (corrupt or not a database: restore a backup, see ihome-restore)"
                     : "");
  }
  sqlite3_close_v2(handle);
  return problem;
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Error Db::error(std::string_view what) const {
  if ((sqlite3_extended_errcode(db_) & 0xff) == SQLITE_BUSY) metrics::count_db_busy();
  log_error(std::string("db ") + std::string(what) + " failed code=" +
            std::to_string(sqlite3_extended_errcode(db_)) + " error=" + log_quote(sqlite3_errmsg(db_)));
  return db_error();
}

Result<Stmt> Db::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) return Stmt(this, it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return error("prepare");
  cache_.emplace(std::move(key), stmt);
  return Stmt(this, stmt);
}

Result<ChangeStamp> Db::change_stamp() {
  auto version = prepare("PRAGMA data_version");
  if (!version) return version.take_error();
  auto row = version->step();
  if (!row) return row.take_error();
  return ChangeStamp{*row ? version->int64(0) : 0, sqlite3_total_changes64(db_)};
}

Status Db::exec(const std::string& sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
  sqlite3_free(msg);
  if (rc != SQLITE_OK) return error("exec");
  return Status::OK();
}

Result<Transaction> Transaction::begin(Db& db, Mode mode) {
  Status s = db.exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!s.ok()) return s.take_error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::commit() {
  Db* db = db_;
  db_ = nullptr;
  return db->exec("COMMIT");
}

Status migrate(Db& db) {
  int current = 0;
  {  // reset before the migrations run: DROP fails while a statement is active
    auto version = db.prepare("PRAGMA user_version");
    if (!version) return version.take_error();
    auto row = version->step();
    if (!row) return row.take_error();
    current = static_cast<int>(version->int64(0));
  }
  for (size_t i = 0; i < kMigrationCount; ++i) {
    const Migration& m = kMigrations[i];
    if (m.version <= current) continue;
    auto tx = Transaction::begin(db);
    if (!tx) return tx.take_error();
    Status s = db.exec(m.sql);
    if (s.ok()) s = db.exec("PRAGMA user_version = " + std::to_string(m.version));
    if (!s.ok()) {
      log_error(std::string("migration failed: ") + m.name);
      return s;
    }
    s = tx->commit();
    if (!s.ok()) return s;
    log_info(std::string("migration applied: ") + m.name);
  }
  return Status::OK();
}

}  // namespace ihome
