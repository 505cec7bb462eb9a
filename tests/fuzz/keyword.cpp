// Fuzz target: the keyword of a search (house/list `q`) on its way into
// FTS5 (src/store/keyword.cpp): validated as the handler does
// (Params::text("q", 0, 32) of the query string), then matched against a
// real database built by the migrations, whose triggers index three houses
// (deleted again after each input):
//   - "前<q>后" and "<q>" (title), which must be found: a keyword is a
//     substring of both, whichever index (trigram or 2-character) answers;
//   - "一二三" in 东城区, which must not be found when the keyword holds a
//     character none of its columns has (no case folding reaches CJK).
// A keyword that FTS5 reads as query syntax fails the MATCH, or finds too
// much or too little; each is a finding.  Input: the raw value of q.
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>

#include "fuzz.h"
#include "ihome/core/log.h"
#include "ihome/core/text.h"
#include "ihome/http/params.h"
#include "ihome/store/db.h"
#include "ihome/store/houses.h"
#include "ihome/store/keyword.h"
#include "ihome/store/users.h"

namespace {

struct Fixture {
  std::string dir;
  std::unique_ptr<ihome::Db> db;
  int64_t owner = 0;

  Fixture() {
    ihome::set_log_level("warn");  // not a line per migration
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/ihome-fuzz-keyword-XXXXXX";
    FUZZ_CHECK(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    auto opened = ihome::Db::open(dir + "/fuzz.db", 1000);
    FUZZ_CHECK(opened.ok());
    db = std::move(opened.value());
    FUZZ_CHECK(ihome::migrate(*db).ok());
    auto id = ihome::Users(*db).create("13800138000", "owner", "hash");
    FUZZ_CHECK(id.ok());
    owner = *id;
  }
  // At exit (libFuzzer and the replay driver both end with exit()); not
  // unlinked earlier: SQLite refuses to write a database file that was.
  ~Fixture() {
    db.reset();
    for (const char* f : {"/fuzz.db", "/fuzz.db-wal", "/fuzz.db-shm"}) unlink((dir + f).c_str());
    rmdir(dir.c_str());
  }

  int64_t house(const std::string& title, const std::string& address, int64_t area) {
    ihome::NewHouse h;
    h.user_id = owner;
    h.area_id = area;
    h.title = title;
    h.address = address;
    h.price = 100;
    auto id = ihome::Houses(*db).create(h);
    FUZZ_CHECK(id.ok());
    return *id;
  }
};

std::string percent_encoded(std::string_view raw) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : raw) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The code points of `s` (valid UTF-8).
std::set<std::string> code_points(std::string_view s) {
  std::set<std::string> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.emplace(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fx;
  auto params = ihome::Params::from_query("q=" + percent_encoded(fuzz::bytes(data, size)));
  FUZZ_CHECK(params.ok());
  auto text = params->text("q", 0, 32);
  if (!text) {
    FUZZ_CHECK(text.error().code == ihome::Errno::kParamErr);
    return 0;
  }
  if (text->empty()) return 0;  // a blank q filters nothing
  ihome::Keyword keyword{*text, *ihome::utf8_length(*text)};

  int64_t around = fx.house("前" + keyword.text + "后", "某路1号", 2);
  int64_t exact = fx.house(keyword.text, "某路2号", 2);
  const std::string other_title = "一二三", other_address = "四五六", other_area = "东城区";
  int64_t other = fx.house(other_title, other_address, 1);

  auto ids = ihome::keyword_house_ids(*fx.db, keyword);
  FUZZ_CHECK(ids.ok());
  std::set<int64_t> found(ids->begin(), ids->end());
  FUZZ_CHECK(found.count(around) == 1);
  FUZZ_CHECK(found.count(exact) == 1);
  std::set<std::string> known = code_points(other_title + other_address + other_area);
  bool foreign = false;
  for (const std::string& cp : code_points(keyword.text)) foreign = foreign || known.count(cp) == 0;
  if (foreign) FUZZ_CHECK(found.count(other) == 0);
  // Gone again (the triggers forget their index rows), so every input starts
  // from the same empty table.
  auto gone = fx.db->prepare("DELETE FROM houses");
  FUZZ_CHECK(gone.ok() && gone->run().ok());
  return 0;
}
