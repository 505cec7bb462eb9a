// Unit tests of the hardening pieces (issue 15) against real files in a temp
// dir: the start-up check of the database, the db_max_pages cap, the sweep
// of stale upload temp files, the key file steps and the key rotation itself (killed steps
// are covered by tests/ops/rotate_key_test.py).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ihome/auth/key_rotation.h"
#include "ihome/auth/real_name.h"
#include "ihome/media/image.h"
#include "ihome/store/db.h"
#include "ihome/store/sealed_ids.h"
#include "ihome/store/users.h"

using namespace ihome;

namespace {

struct Dir {
  std::string path;
  Dir() {
    char tmpl[] = "/tmp/ihome-hardening-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~Dir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

void write_file(const std::string& path, const std::string& data, time_t age_seconds = 0) {
  std::ofstream(path, std::ios::binary) << data;
  if (age_seconds) {
    struct utimbuf t;
    t.actime = t.modtime = time(nullptr) - age_seconds;
    REQUIRE(utime(path.c_str(), &t) == 0);
  }
}

std::unique_ptr<Db> open_migrated(const std::string& path, int64_t max_pages = 0) {
  auto db = Db::open(path, 1000, max_pages);
  REQUIRE(db.ok());
  REQUIRE(migrate(**db).ok());
  return std::move(db.value());
}

}  // namespace

TEST_CASE("startup_problem: fine for a new or a good database") {
  Dir d;
  CHECK(Db::startup_problem(d / "new.db") == "");
  CHECK(std::filesystem::exists(d / "new.db"));
  open_migrated(d / "good.db");
  CHECK(Db::startup_problem(d / "good.db") == "");
}

TEST_CASE("startup_problem: a file that is not a database") {
  Dir d;
  write_file(d / "bad.db", std::string(8192, 'x'));
  std::string why = Db::startup_problem(d / "bad.db");
  CHECK(why.find("not a database") != std::string::npos);
  CHECK(why.find("ihome-restore") != std::string::npos);
}

TEST_CASE("startup_problem: a directory where the file should be") {
  Dir d;
  std::filesystem::create_directory(d / "dir.db");
  CHECK_FALSE(Db::startup_problem(d / "dir.db").empty());
}

TEST_CASE("db_max_pages: a write beyond the cap is 4001 and rolls back whole") {
  Dir d;
  auto db = open_migrated(d / "full.db", 0);
  int64_t pages = 0;
  {
    auto s = db->prepare("PRAGMA page_count");
    REQUIRE(s.ok());
    REQUIRE(*s->step());
    pages = s->int64(0);
  }
  db.reset();
  auto capped = open_migrated(d / "full.db", pages + 2);
  REQUIRE(capped->exec("CREATE TABLE blobs (b BLOB)").ok());
  auto tx = Transaction::begin(*capped);
  REQUIRE(tx.ok());
  auto ins = capped->prepare("INSERT INTO blobs VALUES (zeroblob(100000))");
  REQUIRE(ins.ok());
  Status s = ins->run();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errno::kDbErr);
  CHECK(s.error().http_status == 503);
}

TEST_CASE("sweep_stale_uploads: only .upload-*.tmp files older than the limit") {
  Dir d;
  write_file(d / ".upload-old1.tmp", "x", 120);
  write_file(d / ".upload-young.tmp", "x", 10);
  write_file(d / ".upload-old.tmpx", "x", 120);
  write_file(d / "abc.jpg", "x", 120);
  write_file(d / ".upload-.tmp", "x", 120);  // no random part: not a name we make
  std::filesystem::create_directory(d / ".upload-dir1.tmp");
  CHECK(sweep_stale_uploads(d.path, 60) == 1);
  CHECK_FALSE(std::filesystem::exists(d / ".upload-old1.tmp"));
  CHECK(std::filesystem::exists(d / ".upload-young.tmp"));
  CHECK(std::filesystem::exists(d / ".upload-old.tmpx"));
  CHECK(std::filesystem::exists(d / "abc.jpg"));
  CHECK(std::filesystem::exists(d / ".upload-.tmp"));
  CHECK(std::filesystem::exists(d / ".upload-dir1.tmp"));
  CHECK(sweep_stale_uploads(d / "missing", 60) == 0);
}

TEST_CASE("key files: load, copy (kept when present), replace, remove") {
  Dir d;
  auto none = load_key_file(d / "k");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  REQUIRE(create_fresh_key_file(d / "k").ok());
  struct stat st;
  REQUIRE(stat((d / "k").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto k = load_key_file(d / "k");
  REQUIRE(k.ok());
  REQUIRE(k->has_value());
  REQUIRE(copy_key_file(d / "k", d / "k.old").ok());
  auto copy = load_key_file(d / "k.old");
  REQUIRE(copy.ok());
  std::string sealed = seal_id_card(**k, "11010519491231002X");
  CHECK(*open_id_card(**copy, sealed) == "11010519491231002X");
  // A second copy keeps the first (it may be the only copy of a key in use).
  REQUIRE(create_fresh_key_file(d / "other").ok());
  REQUIRE(copy_key_file(d / "other", d / "k.old").ok());
  CHECK(open_id_card(**load_key_file(d / "k.old"), sealed).ok());
  REQUIRE(replace_key_file(d / "other", d / "k").ok());
  CHECK_FALSE(std::filesystem::exists(d / "other"));
  CHECK_FALSE(open_id_card(**load_key_file(d / "k"), sealed).ok());
  REQUIRE(remove_key_file(d / "k.old").ok());
  REQUIRE(remove_key_file(d / "k.old").ok());  // gone already: fine
}

TEST_CASE("rotate_real_name_key: every sealed id re-encrypted, digests recomputed") {
  Dir d;
  auto db = open_migrated(d / "r.db");
  const std::string key = d / "secret.key";
  auto keys = load_or_create_key_file(key);
  REQUIRE(keys.ok());
  Users users(*db);
  const std::string ids[] = {"11010519491231002X", "110105194912310029"};
  for (int i = 0; i < 2; ++i) {
    auto id = users.create("1380013800" + std::to_string(i), "u" + std::to_string(i), "h");
    REQUIRE(id.ok());
    REQUIRE(users.set_real_name(*id, "张三", seal_id_card(*keys, ids[i]), id_card_digest(*keys, ids[i])).ok());
  }
  REQUIRE(users.create("13800138009", "plain", "h").ok());
  CHECK(unfinished_key_rotation(key) == "");

  auto done = rotate_real_name_key(*db, key);
  REQUIRE(done.ok());
  CHECK(done->rows == 2);
  CHECK_FALSE(done->resumed);
  CHECK_FALSE(std::filesystem::exists(key + ".old"));
  CHECK_FALSE(std::filesystem::exists(key + ".new"));
  auto fresh = load_key_file(key);
  REQUIRE(fresh.ok());
  auto rows = SealedIdCards(*db).all();
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(*open_id_card(**fresh, (*rows)[i].sealed) == ids[i]);
    CHECK_FALSE(open_id_card(*keys, (*rows)[i].sealed).ok());
    auto digest = db->prepare("SELECT id_card_digest FROM users WHERE id = ?1");
    REQUIRE(digest.ok());
    digest->bind(1, (*rows)[i].user_id);
    REQUIRE(*digest->step());
    CHECK(digest->text(0) == id_card_digest(**fresh, ids[i]));
  }
}

TEST_CASE("rotate_real_name_key: a row no key opens changes nothing") {
  Dir d;
  auto db = open_migrated(d / "r.db");
  const std::string key = d / "secret.key";
  auto keys = load_or_create_key_file(key);
  REQUIRE(keys.ok());
  Users users(*db);
  auto id = users.create("13800138000", "a", "h");
  REQUIRE(id.ok());
  REQUIRE(users.set_real_name(*id, "张三", std::string(60, '\x01'), "digest").ok());
  std::ifstream before_in(key, std::ios::binary);
  std::string before((std::istreambuf_iterator<char>(before_in)), std::istreambuf_iterator<char>());
  auto done = rotate_real_name_key(*db, key);
  REQUIRE_FALSE(done.ok());
  CHECK(done.error().message.find("opens with no key") != std::string::npos);
  std::ifstream after_in(key, std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(after_in)), std::istreambuf_iterator<char>());
  CHECK(before == after);
  auto rows = SealedIdCards(*db).all();
  REQUIRE(rows.ok());
  CHECK((*rows)[0].sealed == std::string(60, '\x01'));
  // A fresh run that failed leaves no .old/.new behind: ihomed starts as before.
  CHECK_FALSE(std::filesystem::exists(key + ".old"));
  CHECK_FALSE(std::filesystem::exists(key + ".new"));
  CHECK(unfinished_key_rotation(key) == "");
  // An interrupted rotation (a .new left behind) is what ihomed refuses.
  REQUIRE(create_fresh_key_file(key + ".new").ok());
  CHECK(unfinished_key_rotation(key).find("rotate-key") != std::string::npos);
}
