// Unit tests of src/store against a real SQLite file in a temp dir:
// pragmas, migrations, transactions and the users repository.
#include <doctest/doctest.h>

#include <string>

#include "ihome/store/db.h"
#include "ihome/store/users.h"
#include "temp_db.h"

using namespace ihome;
using test::scalar;

TEST_CASE("db: WAL mode, foreign keys on, every migration applied") {
  test::TempDb t("db");
  auto mode = t.db->prepare("PRAGMA journal_mode");
  REQUIRE(mode.ok());
  REQUIRE(*mode->step());
  CHECK(mode->text(0) == "wal");
  CHECK(scalar(*t.db, "PRAGMA foreign_keys") == 1);
  CHECK(scalar(*t.db, "PRAGMA user_version") == kMigrations[kMigrationCount - 1].version);
}

TEST_CASE("db: migrating twice changes nothing") {
  test::TempDb t("db");
  CHECK(migrate(*t.db).ok());
  CHECK(scalar(*t.db, "SELECT count(*) FROM sqlite_schema WHERE name = 'users'") == 1);
}

TEST_CASE("db: migrations are numbered in strictly increasing order") {
  for (size_t i = 1; i < kMigrationCount; ++i) CHECK(kMigrations[i].version > kMigrations[i - 1].version);
}

TEST_CASE("db: a transaction not committed is rolled back") {
  test::TempDb t("db");
  {
    auto tx = Transaction::begin(*t.db);
    REQUIRE(tx.ok());
    Users users(*t.db);
    REQUIRE(users.create("13800138000", "13800138000", "h").ok());
  }
  CHECK(scalar(*t.db, "SELECT count(*) FROM users") == 0);
  {
    auto tx = Transaction::begin(*t.db);
    REQUIRE(tx.ok());
    Users users(*t.db);
    REQUIRE(users.create("13800138000", "13800138000", "h").ok());
    REQUIRE(tx->commit().ok());
  }
  CHECK(scalar(*t.db, "SELECT count(*) FROM users") == 1);
}

TEST_CASE("users: create and find by mobile and id; a taken mobile is DATAEXIST") {
  test::TempDb t("db");
  Users users(*t.db);
  auto id = users.create("13800138000", "13800138000", "hash");
  REQUIRE(id.ok());
  auto by_mobile = users.by_mobile("13800138000");
  REQUIRE(by_mobile.ok());
  REQUIRE(by_mobile->has_value());
  CHECK((*by_mobile)->id == *id);
  CHECK((*by_mobile)->password_hash == "hash");
  CHECK_FALSE((*by_mobile)->avatar.has_value());
  CHECK_FALSE((*by_mobile)->disabled);
  auto by_id = users.by_id(*id);
  REQUIRE(by_id.ok());
  CHECK((*by_id)->mobile == "13800138000");
  auto again = users.create("13800138000", "other", "hash");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errno::kDataExist);
  auto none = users.by_mobile("13900000000");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("db: a statement reused after an early exit starts clean (reset on release)") {
  test::TempDb t("db");
  Users users(*t.db);
  REQUIRE(users.create("13800138000", "a", "h").ok());
  REQUIRE(users.create("13800138001", "b", "h").ok());
  for (int i = 0; i < 3; ++i) {
    auto s = t.db->prepare("SELECT mobile FROM users ORDER BY id");
    REQUIRE(s.ok());
    REQUIRE(*s->step());
    CHECK(s->text(0) == "13800138000");  // abandoned after the first row
  }
}

TEST_CASE("db: a writer blocked past the busy timeout gets DBERR with HTTP 503") {
  test::TempDb t("db");
  auto other = Db::open(t.path, 50);
  REQUIRE(other.ok());
  auto tx = Transaction::begin(*t.db);  // holds the write lock
  REQUIRE(tx.ok());
  Users users(**other);
  auto r = users.create("13800138000", "a", "h");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errno::kDbErr);
  CHECK(r.error().http_status == 503);
}
