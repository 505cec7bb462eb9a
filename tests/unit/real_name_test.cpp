// Unit tests of src/auth/real_name.cpp: the resident id's format rules
// (length, area, calendar birth date, MOD 11-2 check character), masking,
// the key file's creation and refusals, and the secretbox / keyed-hash
// protection of ids at rest.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "ihome/auth/real_name.h"
#include "test_files.h"

namespace ihome {
namespace {

using test::read_file;

// The check character computed independently of the code under test, so ids
// with a chosen birth date or area can be built that fail for one reason only.
std::string with_check(const std::string& first17) {
  REQUIRE(first17.size() == 17);
  static const int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return first17 + "10X98765432"[sum % 11];
}

// An id from Beijing's Dongcheng district (110101) born on `yyyymmdd`.
std::string id_born(const std::string& yyyymmdd) { return with_check("110101" + yyyymmdd + "123"); }

// The local date `days` from today as YYYYMMDD.
std::string local_date_from_today(int days) {
  time_t now = time(nullptr);
  tm t{};
  localtime_r(&now, &t);
  t.tm_mday += days;
  t.tm_hour = 12;  // clear of DST transitions; mktime normalises the day
  t.tm_isdst = -1;
  mktime(&t);
  char buf[48];
  snprintf(buf, sizeof buf, "%04d%02d%02d", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday);
  return buf;
}

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/ihome_real_name_test.XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    path_ = name;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& bytes, mode_t mode) {
  test::write_file(path, bytes);
  REQUIRE(chmod(path.c_str(), mode) == 0);
}

RealNameKeys fresh_keys(const TempDir& dir, const std::string& name) {
  auto keys = load_or_create_key_file(dir.file(name));
  REQUIRE(keys.ok());
  return *keys;
}

bool same_keys(const RealNameKeys& a, const RealNameKeys& b) {
  return memcmp(a.box_key, b.box_key, sizeof a.box_key) == 0 &&
         memcmp(a.hash_key, b.hash_key, sizeof a.hash_key) == 0;
}

void check_server_error(const Error& e) {
  CHECK(e.code == Errno::kServerErr);
  CHECK(e.http_status == 500);
  CHECK_FALSE(e.message.empty());
}

}  // namespace

TEST_CASE("id card: ids with a correct check character are valid") {
  CHECK(is_valid_id_card("11010519491231002X"));  // check character X
  CHECK(is_valid_id_card("440304199001010011"));
  CHECK(is_valid_id_card("310115198808081237"));
  CHECK(is_valid_id_card("510108199912315556"));
  CHECK(is_valid_id_card("650102197506150040"));
  CHECK(is_valid_id_card("820000202010101234"));  // area 8: Hong Kong, Macao, Taiwan
}

TEST_CASE("id card: Feb 29 is valid in leap years only (400-year rule included)") {
  CHECK(is_valid_id_card("110101200402291239"));
  CHECK(is_valid_id_card("320582199602290015"));
  CHECK(is_valid_id_card("11010120000229123X"));  // 2000: divisible by 400
  CHECK(is_valid_id_card(id_born("20240229")));
  CHECK_FALSE(is_valid_id_card(id_born("19000229")));  // 1900: by 100, not by 400
  CHECK_FALSE(is_valid_id_card(id_born("20010229")));
  CHECK_FALSE(is_valid_id_card(id_born("19990229")));
  CHECK_FALSE(is_valid_id_card(id_born("20040230")));
}

TEST_CASE("id card: a wrong check character is invalid") {
  CHECK(is_valid_id_card("110105194912310011"));
  CHECK_FALSE(is_valid_id_card("110105194912310012"));
  CHECK_FALSE(is_valid_id_card("110105194912310037"));
  CHECK_FALSE(is_valid_id_card("110105194912310020"));  // X expected, 0 given
  CHECK_FALSE(is_valid_id_card("44030419900101001X"));  // 1 expected, X given
  // Every wrong character in the last place of a valid id.
  const std::string good = "440304199001010011";
  for (char c : std::string("023456789Xx")) {
    std::string bad = good;
    bad[17] = c;
    CHECK_MESSAGE(!is_valid_id_card(bad), bad);
  }
}

TEST_CASE("id card: month and day must exist in the calendar") {
  CHECK(is_valid_id_card(id_born("19900131")));
  CHECK(is_valid_id_card(id_born("19901231")));
  CHECK_FALSE(is_valid_id_card(id_born("19901301")));  // month 13
  CHECK_FALSE(is_valid_id_card(id_born("19900001")));  // month 00
  CHECK_FALSE(is_valid_id_card(id_born("19900100")));  // day 00
  CHECK_FALSE(is_valid_id_card(id_born("19900132")));
  CHECK_FALSE(is_valid_id_card(id_born("19900431")));  // April has 30 days
  CHECK_FALSE(is_valid_id_card(id_born("19909999")));
}

TEST_CASE("id card: birth date between 1900-01-01 and today (local time)") {
  CHECK(is_valid_id_card(id_born("19000101")));
  CHECK(is_valid_id_card("11010519000101001X"));
  CHECK_FALSE(is_valid_id_card(id_born("18991231")));
  CHECK_FALSE(is_valid_id_card(id_born("18000101")));
  CHECK_FALSE(is_valid_id_card(id_born("00010101")));
  CHECK(is_valid_id_card(id_born(local_date_from_today(0))));
  CHECK(is_valid_id_card(id_born(local_date_from_today(-1))));
  // Two days ahead, not one: the test and the code read the clock at
  // slightly different times, and midnight may fall between them.
  CHECK_FALSE(is_valid_id_card(id_born(local_date_from_today(2))));
  CHECK_FALSE(is_valid_id_card(id_born(local_date_from_today(400))));
  CHECK_FALSE(is_valid_id_card(id_born("29990101")));
}

TEST_CASE("id card: exactly 18 characters") {
  CHECK_FALSE(is_valid_id_card(""));
  CHECK_FALSE(is_valid_id_card("11010519491231002"));    // 17
  CHECK_FALSE(is_valid_id_card("11010519491231002X0"));  // 19
  CHECK_FALSE(is_valid_id_card("11010519491231002XX"));
  CHECK_FALSE(is_valid_id_card("110105491231002"));  // old 15-digit form
  CHECK_FALSE(is_valid_id_card(" 11010519491231002X"));
  CHECK_FALSE(is_valid_id_card("11010519491231002X "));
}

TEST_CASE("id card: the first 17 characters are digits") {
  const std::string good = "440304199001010011";
  for (size_t i = 0; i < 17; ++i) {
    for (char c : std::string("AXx -+\0\xef", 8)) {
      std::string bad = good;
      bad[i] = c;
      CHECK_MESSAGE(!is_valid_id_card(bad), "position ", i);
    }
  }
  // A letter whose value would make the sum come out right is still a letter.
  CHECK_FALSE(is_valid_id_card("1101051949123100XX"));
}

TEST_CASE("id card: a lower-case x is accepted and normalised to X") {
  CHECK(is_valid_id_card("11010519491231002x"));
  CHECK(normalize_id_card("11010519491231002x") == "11010519491231002X");
  CHECK(normalize_id_card("11010519491231002X") == "11010519491231002X");
  CHECK(normalize_id_card("440304199001010011") == "440304199001010011");
  CHECK(normalize_id_card("") == "");
}

TEST_CASE("id card: the area code starts with 1 to 8") {
  for (char first = '1'; first <= '8'; ++first)
    CHECK_MESSAGE(is_valid_id_card(with_check(std::string(1, first) + "1010119900101123")),
                  std::string(1, first));
  CHECK_FALSE(is_valid_id_card(with_check("01010119900101123")));
  CHECK_FALSE(is_valid_id_card(with_check("91010119900101123")));
  CHECK_FALSE(is_valid_id_card(with_check("00000019900101123")));
}

TEST_CASE("mask: first 3 and last 4 characters shown, the rest '*'") {
  CHECK(mask_id_card("11010519491231002X") == "110***********002X");
  CHECK(mask_id_card("440304199001010011") == "440***********0011");
  CHECK(mask_id_card("12345678") == "123*5678");
  CHECK(mask_id_card("123456789") == "123**6789");
}

TEST_CASE("mask: inputs too short to hide anything are all '*'") {
  CHECK(mask_id_card("") == "");
  CHECK(mask_id_card("1") == "*");
  CHECK(mask_id_card("1234567") == "*******");
}

TEST_CASE("key file: created with mode 0600 and 32 bytes when missing, then reused") {
  TempDir dir;
  const std::string path = dir.file("secret.key");
  auto first = load_or_create_key_file(path);
  REQUIRE(first.ok());

  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_size == 32);
  // The temporary file is gone: the key file is the only entry.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);

  const std::string bytes = read_file(path);
  auto second = load_or_create_key_file(path);
  REQUIRE(second.ok());
  CHECK(read_file(path) == bytes);  // loading never rewrites the key
  CHECK(same_keys(*first, *second));
  CHECK(id_card_digest(*first, "11010519491231002X") ==
        id_card_digest(*second, "11010519491231002X"));
  auto opened = open_id_card(*second, seal_id_card(*first, "11010519491231002X"));
  REQUIRE(opened.ok());
  CHECK(*opened == "11010519491231002X");
}

TEST_CASE("key file: box and hash keys are different subkeys of the master key") {
  TempDir dir;
  RealNameKeys keys = fresh_keys(dir, "secret.key");
  CHECK(memcmp(keys.box_key, keys.hash_key, sizeof keys.box_key) != 0);
  // Neither subkey is the master key itself.
  const std::string master = read_file(dir.file("secret.key"));
  REQUIRE(master.size() == 32);
  CHECK(memcmp(keys.box_key, master.data(), 32) != 0);
  CHECK(memcmp(keys.hash_key, master.data(), 32) != 0);
}

TEST_CASE("key file: readable by group or others is refused, never replaced") {
  TempDir dir;
  const std::string path = dir.file("secret.key");
  const std::string key(32, '\x5a');
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602, 0610}) {
    write_file(path, key, mode);
    auto keys = load_or_create_key_file(path);
    REQUIRE_FALSE(keys.ok());
    check_server_error(keys.error());
    CHECK(keys.error().message.find("group or others") != std::string::npos);
    CHECK(keys.error().message.find(key) == std::string::npos);  // never the key
    CHECK(read_file(path) == key);
  }
  write_file(path, key, 0600);
  CHECK(load_or_create_key_file(path).ok());
  write_file(path, key, 0400);
  CHECK(load_or_create_key_file(path).ok());
}

TEST_CASE("key file: any size but 32 bytes is refused, never replaced") {
  TempDir dir;
  const std::string path = dir.file("secret.key");
  for (size_t size : {size_t{0}, size_t{31}, size_t{33}, size_t{64}}) {
    const std::string key(size, '\x33');
    write_file(path, key, 0600);
    auto keys = load_or_create_key_file(path);
    REQUIRE_FALSE(keys.ok());
    check_server_error(keys.error());
    CHECK(keys.error().message.find("32 bytes") != std::string::npos);
    CHECK(read_file(path) == key);
  }
}

TEST_CASE("key file: a directory or an unwritable location is an error, not a crash") {
  TempDir dir;
  auto is_dir = load_or_create_key_file(dir.path());
  REQUIRE_FALSE(is_dir.ok());
  check_server_error(is_dir.error());
  auto no_parent = load_or_create_key_file(dir.file("missing/secret.key"));
  REQUIRE_FALSE(no_parent.ok());
  check_server_error(no_parent.error());
}

TEST_CASE("key file: a stale temporary file of this pid does not block creation") {
  TempDir dir;
  const std::string path = dir.file("secret.key");
  write_file(path + ".tmp." + std::to_string(getpid()), "half", 0600);
  auto keys = load_or_create_key_file(path);
  REQUIRE(keys.ok());
  CHECK(read_file(path).size() == 32);
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("seal: open returns what was sealed") {
  TempDir dir;
  RealNameKeys keys = fresh_keys(dir, "secret.key");
  for (std::string plain : {std::string("11010519491231002X"), std::string(),
                            std::string("a\0b", 3)}) {
    const std::string sealed = seal_id_card(keys, plain);
    CHECK(sealed.size() == 24 + 16 + plain.size());  // nonce || MAC || cipher
    CHECK(sealed.find(plain.empty() ? std::string("\x01\x02\x03") : plain) == std::string::npos);
    auto opened = open_id_card(keys, sealed);
    REQUIRE(opened.ok());
    CHECK(*opened == plain);
  }
}

TEST_CASE("seal: changing any byte, truncating or extending makes open fail") {
  TempDir dir;
  RealNameKeys keys = fresh_keys(dir, "secret.key");
  const std::string sealed = seal_id_card(keys, "11010519491231002X");
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      std::string tampered = sealed;
      tampered[i] = static_cast<char>(tampered[i] ^ flip);
      auto opened = open_id_card(keys, tampered);
      REQUIRE_FALSE(opened.ok());
      check_server_error(opened.error());
    }
  }
  for (size_t n = 0; n < sealed.size(); ++n) {
    auto opened = open_id_card(keys, sealed.substr(0, n));
    REQUIRE_FALSE(opened.ok());
    check_server_error(opened.error());
  }
  CHECK_FALSE(open_id_card(keys, sealed + '\0').ok());
}

TEST_CASE("seal: the same id seals differently each time, but digests are equal") {
  TempDir dir;
  RealNameKeys keys = fresh_keys(dir, "secret.key");
  const std::string a = seal_id_card(keys, "11010519491231002X");
  const std::string b = seal_id_card(keys, "11010519491231002X");
  CHECK(a != b);
  CHECK(a.substr(0, 24) != b.substr(0, 24));  // random nonce
  CHECK(id_card_digest(keys, "11010519491231002X") == id_card_digest(keys, "11010519491231002X"));
}

TEST_CASE("digest: 64 lower-case hex characters of the normalised id") {
  TempDir dir;
  RealNameKeys keys = fresh_keys(dir, "secret.key");
  const std::string d = id_card_digest(keys, "11010519491231002X");
  CHECK(d.size() == 64);
  CHECK(d.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(id_card_digest(keys, "11010519491231002x") == d);  // one id, one account
  CHECK(id_card_digest(keys, "440304199001010011") != d);
}

TEST_CASE("keys: different key files give different digests and cannot open each other") {
  TempDir dir;
  RealNameKeys one = fresh_keys(dir, "one.key");
  RealNameKeys two = fresh_keys(dir, "two.key");
  CHECK_FALSE(same_keys(one, two));
  CHECK(id_card_digest(one, "11010519491231002X") != id_card_digest(two, "11010519491231002X"));
  auto opened = open_id_card(two, seal_id_card(one, "11010519491231002X"));
  REQUIRE_FALSE(opened.ok());
  check_server_error(opened.error());
}

}  // namespace ihome
