// Fixtures of the unit tests that run against a real SQLite file: TempDb, a
// migrated database in a fresh directory under /tmp that goes away with it
// (store, landlord, guests tests), HouseDb, a TempDb holding a landlord, a
// guest and one house of the landlord's (manage, orders tests), and exec()
// and scalar() for a Db of a test's own (read_path test).  Failures end the
// test case through doctest's REQUIRE.  Header only.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ihome/store/db.h"
#include "ihome/store/houses.h"
#include "ihome/store/users.h"

namespace ihome::test {

// Runs `sql`, which must succeed.
inline void exec(Db& db, const std::string& sql) { REQUIRE(db.exec(sql).ok()); }

// The first column of the first row of `sql`, which must have one.
inline int64_t scalar(Db& db, std::string_view sql) {
  auto s = db.prepare(sql);
  REQUIRE(s.ok());
  auto row = s->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return s->int64(0);
}

struct TempDb {
  std::string dir;
  std::string path;  // dir + "/test.db", for a second connection
  std::unique_ptr<Db> db;

  // `name` tells the directories of the test files apart: /tmp/ihome-<name>-XXXXXX.
  explicit TempDb(const std::string& name) {
    std::string tmpl = "/tmp/ihome-" + name + "-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    path = dir + "/test.db";
    auto opened = Db::open(path, 1000);
    REQUIRE(opened.ok());
    db = std::move(opened.value());
    REQUIRE(migrate(*db).ok());
  }
  ~TempDb() {
    db.reset();
    (void)std::system(("rm -rf '" + dir + "'").c_str());
  }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;

  void exec(const std::string& sql) { test::exec(*db, sql); }
  int64_t scalar(std::string_view sql) { return test::scalar(*db, sql); }
  // The first column of the first row as text, "NULL" for SQL NULL.
  std::string text(std::string_view sql) {
    auto s = db->prepare(sql);
    REQUIRE(s.ok());
    auto row = s->step();
    REQUIRE(row.ok());
    REQUIRE(*row);
    return s->is_null(0) ? "NULL" : s->text(0);
  }
};

// Users 1 (landlord) and 2 (guest); house 1 of the landlord's, 2 to 5
// nights, at `price` fen a night with `facilities`.
struct HouseDb : TempDb {
  int64_t landlord = 0, guest = 0, house = 0;

  HouseDb(const std::string& name, int64_t price, std::vector<int64_t> facilities) : TempDb(name) {
    Users users(*db);
    landlord = *users.create("13800000001", "landlord", "h");
    guest = *users.create("13800000002", "guest", "h");
    NewHouse h;
    h.user_id = landlord;
    h.area_id = 1;
    h.title = "小屋";
    h.price = price;
    h.address = "路1号";
    h.min_days = 2;
    h.max_days = 5;
    h.facilities = std::move(facilities);
    house = *Houses(*db).create(h);
  }
};

}  // namespace ihome::test
