// Db: one SQLite connection (WAL, synchronous=NORMAL, foreign keys, busy
// timeout) with a cache of prepared statements, and Transaction, the RAII
// BEGIN/COMMIT/ROLLBACK.  One Db per process, opened after fork; not
// thread-safe.  Only repositories (src/store/*) use it; handlers never do.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ihome/core/result.h"

namespace ihome {

class Db;

// A prepared statement borrowed from the Db's cache; reset and unbound when
// this handle goes away, so the next user starts clean.
class Stmt {
 public:
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int index, int64_t value);
  Stmt& bind(int index, std::string_view value);
  Stmt& bind_null(int index);
  Stmt& bind_blob(int index, std::string_view bytes);

  // Next row: true when there is one, false when done.  A constraint
  // violation is DATAEXIST (4003); anything else DBERR (4001, HTTP 503).
  Result<bool> step();
  // Runs to completion (INSERT/UPDATE/DELETE).
  Status run();
  // Calls `row` for every remaining row.
  template <typename RowFn>
  Status each(RowFn&& row) {
    for (;;) {
      auto more = step();
      if (!more) return more.take_error();
      if (!*more) return Status::OK();
      row(*this);
    }
  }

  int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const;
  std::string blob(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
};

// Whether the database changed since a moment: PRAGMA data_version moves
// with every commit of another connection, sqlite3_total_changes64 with
// this connection's own writes.  -1: never read.
struct ChangeStamp {
  int64_t data_version = -1;
  int64_t total_changes = -1;
  bool operator==(const ChangeStamp&) const = default;
};

class Db {
 public:
  // Opens (creating when missing) the database at `path` and sets the pragmas;
  // `max_pages` > 0 caps the file at that many pages (PRAGMA max_page_count):
  // a write that needs more fails with errno 4001 and rolls back whole.
  static Result<std::unique_ptr<Db>> open(const std::string& path, int busy_timeout_ms,
                                          int64_t max_pages = 0);
  // Why ihomed cannot use the database at `path` ("is read-only ...", "is not a
  // database ..."), or "" when it opens read-write and its schema reads.
  // Creates the file when missing, as open() does.  Logs nothing.
  static std::string startup_problem(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // A cached prepared statement for `sql` (a string literal: cached by text).
  Result<Stmt> prepare(std::string_view sql);
  // Runs one or more statements without results (migrations, BEGIN).
  Status exec(const std::string& sql);

  // This connection's ChangeStamp now (one PRAGMA, no I/O).
  Result<ChangeStamp> change_stamp();

  int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  sqlite3* handle() const { return db_; }

  // The Error for the connection's last failure (logged once here).
  Error error(std::string_view what) const;

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN (IMMEDIATE when a read decides a write) ... COMMIT; rolls back when
// destroyed uncommitted, so an early `return error` never leaves half a write.
class Transaction {
 public:
  enum class Mode { kDeferred, kImmediate };
  static Result<Transaction> begin(Db& db, Mode mode = Mode::kImmediate);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

// Applies the migrations compiled in from sql/NNN_*.sql whose number is above
// PRAGMA user_version, each in its own transaction.
Status migrate(Db& db);

// The compiled-in migrations (generated from sql/ by scripts/gen-migrations).
struct Migration {
  int version;
  const char* name;
  const char* sql;
};
extern const Migration kMigrations[];
extern const size_t kMigrationCount;

}  // namespace ihome
