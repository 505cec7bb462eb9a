// Unit tests of the guests' stores: keyword quoting and matching against a
// real SQLite file (houses_fts and its triggers), the calendar's night
// expansion across month, year and leap-day boundaries, and the
// favourites' limit and idempotence.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "ihome/core/date.h"
#include "ihome/store/calendar.h"
#include "ihome/store/db.h"
#include "ihome/store/favorites.h"
#include "ihome/store/houses.h"
#include "ihome/store/keyword.h"
#include "ihome/store/users.h"
#include "temp_db.h"

using namespace ihome;

namespace {
struct GuestDb : test::TempDb {
  int64_t owner = 0;
  GuestDb() : TempDb("guests") {
    auto id = Users(*db).create("13800138000", "owner", "h");
    REQUIRE(id.ok());
    owner = *id;
  }
  int64_t house(const std::string& title, const std::string& address, int64_t area = 1) {
    NewHouse h;
    h.user_id = owner;
    h.area_id = area;
    h.title = title;
    h.address = address;
    h.price = 100;
    auto id = Houses(*db).create(h);
    REQUIRE(id.ok());
    return *id;
  }
  std::vector<int64_t> find(const std::string& text) {
    Keyword k{text, *utf8_length_of(text)};
    auto ids = keyword_house_ids(*db, k);
    REQUIRE(ids.ok());
    return *ids;
  }
  static std::optional<size_t> utf8_length_of(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }
};

int64_t day(const char* text) { return *parse_date(text); }
}  // namespace

TEST_CASE("keyword: a phrase quotes the text and doubles inner quotes") {
  CHECK(fts_phrase("三里屯") == "\"三里屯\"");
  CHECK(fts_phrase("a\"b") == "\"a\"\"b\"");
  CHECK(fts_phrase("NEAR(x y)*") == "\"NEAR(x y)*\"");
  CHECK(ascii_lower("ABC朝阳Xy") == "abc朝阳xy");
}

TEST_CASE("keyword: substrings of title, address and area name, Latin case folded") {
  GuestDb t;
  int64_t a = t.house("三里屯 SOHO 近地铁", "朝阳区工体北路8号", 3);
  int64_t b = t.house("海淀 loft", "中关村大街1号", 4);
  int64_t c = t.house("100% 真实_房源", "东城区\"胡同\"里", 1);
  CHECK(t.find("三里屯") == std::vector<int64_t>{a});
  CHECK(t.find("soho") == std::vector<int64_t>{a});
  CHECK(t.find("LOFT") == std::vector<int64_t>{b});
  CHECK(t.find("朝阳") == std::vector<int64_t>{a});           // 2 characters: the scan
  CHECK(t.find("海淀区") == std::vector<int64_t>{b});         // area name only
  CHECK(t.find("区") == std::vector<int64_t>{a, b, c});
  CHECK(t.find("%") == std::vector<int64_t>{c});
  CHECK(t.find("_").size() == 1);
  CHECK(t.find("\"胡同\"") == std::vector<int64_t>{c});
  CHECK(t.find("NEAR(").empty());
  CHECK(t.find("近地铁*").empty());
  CHECK(t.find("不存在的词").empty());
}

TEST_CASE("keyword: U+E000, which ends each column in the 2-character index, is found like any other") {
  // Found by the fuzz target `keyword` (tests/fuzz/corpus/keyword/finding_*).
  GuestDb t;
  int64_t a = t.house("甲\uE000乙", "某路1号", 1);
  int64_t b = t.house("一二三", "四五六", 1);
  CHECK(t.find("\uE000") == std::vector<int64_t>{a});
  CHECK(t.find("甲\uE000") == std::vector<int64_t>{a});
  CHECK(t.find("三\uE000").empty());      // not "三" at the end of a column
  CHECK(t.find("六\uE000").empty());
  CHECK(t.find("\uE000\uE000").empty());
  CHECK(t.find("三") == std::vector<int64_t>{b});
  CHECK(t.find("甲\uE000乙") == std::vector<int64_t>{a});  // 3 characters: the trigram index
}

TEST_CASE("keyword: migration 009 rebuilds the 2-character index of the houses already there") {
  GuestDb t;
  int64_t a = t.house("甲\uE000乙", "某路1号");
  int64_t b = t.house("一二三", "四五六");
  // Back to version 8: house_bigrams as sql/005 fills it, U+E000 ending each column.
  std::string v5;
  for (size_t i = 0; i < kMigrationCount; ++i)
    if (kMigrations[i].version == 5) v5 = kMigrations[i].sql;
  size_t from = v5.find("INSERT INTO house_bigrams (rowid, grams)");
  size_t to = v5.find("CREATE TRIGGER houses_keywords_insert");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  t.exec("DROP TABLE house_bigrams");
  t.exec("CREATE VIRTUAL TABLE house_bigrams USING fts5 (grams, content = '', detail = none, tokenize = 'ascii')");
  t.exec(v5.substr(from, to - from));
  t.exec("PRAGMA user_version = 8");
  CHECK(t.find("三\uE000") == std::vector<int64_t>{b});  // the old column end, matched
  CHECK(t.find("\uE000").empty());
  // Migration 9 alone: the later ones (ALTER TABLE ... ADD COLUMN) cannot
  // run twice on this database, which has them already.
  std::string v9;
  for (size_t i = 0; i < kMigrationCount; ++i)
    if (kMigrations[i].version == 9) v9 = kMigrations[i].sql;
  REQUIRE_FALSE(v9.empty());
  REQUIRE(t.db->exec("BEGIN; " + v9 + "; COMMIT;").ok());
  CHECK(t.find("三\uE000").empty());
  CHECK(t.find("\uE000") == std::vector<int64_t>{a});
  CHECK(t.find("三") == std::vector<int64_t>{b});
  CHECK(t.find("乙") == std::vector<int64_t>{a});
  // The new triggers keep it current.
  int64_t c = t.house("新\uE000", "某路3号");
  CHECK(t.find("新\uE000") == std::vector<int64_t>{c});
  t.exec("UPDATE houses SET title = '三' WHERE id = " + std::to_string(c));
  CHECK(t.find("新\uE000").empty());
  CHECK(t.find("三") == std::vector<int64_t>{b, c});
  t.exec("DELETE FROM houses WHERE id = " + std::to_string(c));
  CHECK(t.find("三") == std::vector<int64_t>{b});
}

TEST_CASE("keyword: the index follows edits of title, address and area") {
  GuestDb t;
  int64_t a = t.house("旧标题", "旧地址", 1);
  REQUIRE(t.db->exec("UPDATE houses SET title = '新标题三里屯', area_id = 4 WHERE id = " + std::to_string(a)).ok());
  CHECK(t.find("旧标题").empty());
  CHECK(t.find("三里屯") == std::vector<int64_t>{a});
  CHECK(t.find("海淀区") == std::vector<int64_t>{a});
  CHECK(t.find("东城区").empty());
}

TEST_CASE("calendar: nights are clipped to the window across month, year and leap days") {
  std::vector<Stay> stays = {{day("2027-12-30"), day("2028-01-02")}, {day("2028-02-28"), day("2028-03-01")}};
  auto nights = nights_in_window(stays, day("2027-12-31"), 62);
  std::vector<int64_t> want = {day("2027-12-31"), day("2028-01-01"), day("2028-02-28"), day("2028-02-29")};
  CHECK(nights == want);
  // The check-out day is free; a window that starts on it shows nothing of that stay.
  CHECK(nights_in_window(stays, day("2028-01-02"), 30).empty());
  CHECK(nights_in_window(stays, day("2028-02-29"), 1) == std::vector<int64_t>{day("2028-02-29")});
  CHECK(nights_in_window({{day("2028-02-28"), day("2028-03-02")}, {day("2028-02-29"), day("2028-03-01")}},
                         day("2028-02-01"), 60)
            .size() == 3);  // overlapping input is reported once
}

TEST_CASE("favourites: idempotent add and remove, a limit, newest first") {
  GuestDb t;
  int64_t a = t.house("A", "a"), b = t.house("B", "b"), c = t.house("C", "c");
  Favorites f(*t.db);
  CHECK(*f.add(t.owner, a, 2));
  CHECK_FALSE(*f.add(t.owner, a, 2));
  CHECK(*f.add(t.owner, b, 2));
  auto full = f.add(t.owner, c, 2);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == Errno::kDataErr);
  auto missing = f.add(t.owner, 999999, 2);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errno::kNoData);
  CHECK(*f.ids(t.owner) == std::vector<int64_t>{b, a});
  CHECK((*Houses(*t.db).detail(a))->favorite_count == 1);
  CHECK(*f.remove(t.owner, a));
  CHECK_FALSE(*f.remove(t.owner, a));
  CHECK((*Houses(*t.db).detail(a))->favorite_count == 0);
  auto page = f.list(t.owner, 1);
  REQUIRE(page.ok());
  CHECK(page->total == 1);
  CHECK(page->houses.at(0).id == b);
}

TEST_CASE("keyword: a short keyword is its hex bigram token, one character a prefix") {
  CHECK(bigram_query("朝阳") == "\"E69C9DE998B3\"");
  CHECK(bigram_query("So") == "\"736F\"");
  CHECK(bigram_query("%") == "\"25\"*");
  CHECK(bigram_query("\"") == "\"22\"*");
}

TEST_CASE("keyword: deleting a house drops it from both indexes") {
  GuestDb t;
  int64_t a = t.house("临时房源", "某地", 1);
  REQUIRE(t.db->exec("DELETE FROM house_facilities WHERE house_id = " + std::to_string(a)).ok());
  REQUIRE(t.db->exec("DELETE FROM houses WHERE id = " + std::to_string(a)).ok());
  CHECK(t.find("临时房源").empty());
  CHECK(t.find("临时").empty());
  CHECK(t.find("临").empty());
}

TEST_CASE("keyword: many matches walk the sort's index and give the same pages as few") {
  // Above Houses::kKeywordWalkMin matches the page query changes its plan;
  // every sort and page must still be the matches in the sort's order.  The
  // matches hold U+E000 too, so the column scan of such keywords walks as well.
  GuestDb t;
  struct Row { int64_t id, price, area; bool hit; };
  std::vector<Row> rows;
  for (int i = 0; i < 1300; ++i) {
    NewHouse h;
    h.user_id = t.owner;
    h.area_id = 1 + i % 2;
    bool hit = i % 13 != 0;
    h.title = hit ? "近地铁房\uE000" + std::to_string(i) : "普通房" + std::to_string(i);
    h.address = "某路";
    h.price = 100 + (i * 37) % 500;
    auto id = Houses(*t.db).create(h);
    REQUIRE(id.ok());
    rows.push_back({*id, h.price, h.area_id, hit});
  }
  for (const char* word : {"近地铁", "地铁", "\uE000", "房\uE000"}) {
    for (HouseSort sort : {HouseSort::kNew, HouseSort::kBooking, HouseSort::kPriceInc, HouseSort::kPriceDes}) {
      for (std::optional<int64_t> area : {std::optional<int64_t>(), std::optional<int64_t>(2)}) {
        std::vector<Row> want;
        for (const Row& r : rows)
          if (r.hit && (!area || r.area == *area)) want.push_back(r);
        std::sort(want.begin(), want.end(), [&](const Row& a, const Row& b) {
          if (sort == HouseSort::kPriceInc && a.price != b.price) return a.price < b.price;
          if (sort == HouseSort::kPriceDes && a.price != b.price) return a.price > b.price;
          return a.id > b.id;
        });
        REQUIRE(static_cast<int64_t>(want.size()) >= Houses::kKeywordWalkMin / 2);
        for (int64_t p : {1, 2, 37}) {
          HouseSearch q;
          q.keyword = Keyword{word, *GuestDb::utf8_length_of(word)};
          q.area_id = area;
          q.sort = sort;
          q.page = p;
          auto page = Houses(*t.db).search(q);
          REQUIRE(page.ok());
          CHECK(page->total == static_cast<int64_t>(want.size()));
          std::vector<int64_t> got, expected;
          for (const HouseSummary& h : page->houses) got.push_back(h.id);
          for (size_t i = (p - 1) * 10; i < want.size() && i < static_cast<size_t>(p * 10); ++i)
            expected.push_back(want[i].id);
          CHECK(got == expected);
        }
      }
    }
  }
}
