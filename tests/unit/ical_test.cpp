// Unit tests of src/core/ical.cpp: TEXT escaping, folding at 75 octets on
// UTF-8 boundaries, CRLF, and the VCALENDAR skeleton.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ihome/core/ical.h"

using namespace ihome;

namespace {
std::vector<std::string> physical_lines(const std::string& wire) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = wire.find("\r\n", start);
    if (end == std::string::npos) break;
    out.push_back(wire.substr(start, end - start));
    start = end + 2;
  }
  CHECK(start == wire.size());  // ends with CRLF, nothing after it
  return out;
}

// RFC 5545 3.1: unfolding removes every CRLF followed by one blank.
std::string unfold(const std::string& wire) {
  std::string out;
  for (size_t i = 0; i < wire.size(); ++i) {
    if (wire.compare(i, 3, "\r\n ") == 0) {
      i += 2;
      continue;
    }
    out += wire[i];
  }
  return out;
}

bool valid_utf8_start(const std::string& s) {
  return s.empty() || (static_cast<unsigned char>(s[0]) & 0xC0) != 0x80;
}
}  // namespace

TEST_CASE("ical: TEXT escapes backslash, semicolon, comma and newlines") {
  CHECK(ical_escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne");
  CHECK(ical_escape_text("x\r\ny") == "x\\ny");
  CHECK(ical_escape_text("x\ry") == "x\\ny");
  CHECK(ical_escape_text("tab\there\x01") == "tabhere");
  CHECK(ical_escape_text("已预订：好") == "已预订：好");
  CHECK(ical_escape_text("") == "");
}

TEST_CASE("ical: a line of 75 octets is not folded, 76 is") {
  std::string l75(75, 'a');
  CHECK(ical_fold(l75) == l75 + "\r\n");
  std::string l76(76, 'b');
  CHECK(ical_fold(l76) == std::string(75, 'b') + "\r\n b\r\n");
  // Continuations carry 74 octets after their blank.
  std::string l200(200, 'c');
  auto lines = physical_lines(ical_fold(l200));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].size() == 75);
  CHECK(lines[1].size() == 75);
  CHECK(lines[2] == " " + std::string(200 - 75 - 74, 'c'));
  CHECK(unfold(ical_fold(l200)) == l200 + "\r\n");
}

TEST_CASE("ical: folding never cuts a UTF-8 sequence") {
  for (size_t prefix = 0; prefix < 6; ++prefix) {
    std::string line = "X-WR-CALNAME:" + std::string(prefix, 'p');
    for (int i = 0; i < 60; ++i) line += "好";  // 3 octets each
    line += "🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠";  // 4 octets each
    std::string wire = ical_fold(line);
    auto lines = physical_lines(wire);
    CHECK(lines.size() > 3);
    for (size_t i = 0; i < lines.size(); ++i) {
      CHECK(lines[i].size() <= 75);
      std::string content = i == 0 ? lines[i] : lines[i].substr(1);
      if (i > 0) CHECK(lines[i][0] == ' ');
      CHECK_MESSAGE(valid_utf8_start(content), "line " << i << " starts inside a character");
    }
    CHECK(unfold(wire) == line + "\r\n");
  }
}

TEST_CASE("ical: dates lose their dashes") {
  CHECK(ical_date("2024-02-29") == "20240229");
}

TEST_CASE("ical: a calendar is CRLF lines from BEGIN to END with one VEVENT per stay") {
  std::vector<IcalEvent> events = {{"order-1@ihome", "20240130", "20240202", "爱家租房：已预订", "CONFIRMED"},
                                   {"order-2@ihome", "20240301", "20240302", "a,b", "TENTATIVE"}};
  std::string wire = ical_calendar("房子;一", "20240101T000000Z", events);
  auto lines = physical_lines(wire);
  REQUIRE(lines.size() > 4);
  CHECK(lines.front() == "BEGIN:VCALENDAR");
  CHECK(lines[1] == "VERSION:2.0");
  CHECK(lines[2].rfind("PRODID:", 0) == 0);
  CHECK(lines.back() == "END:VCALENDAR");
  std::string text = unfold(wire);
  CHECK(text.find("X-WR-CALNAME:房子\\;一\r\n") != std::string::npos);
  CHECK(text.find("BEGIN:VEVENT\r\nUID:order-1@ihome\r\nDTSTAMP:20240101T000000Z\r\n"
                  "DTSTART;VALUE=DATE:20240130\r\nDTEND;VALUE=DATE:20240202\r\n") != std::string::npos);
  CHECK(text.find("SUMMARY:a\\,b\r\nSTATUS:TENTATIVE\r\n") != std::string::npos);
  size_t events_found = 0;
  for (size_t at = text.find("BEGIN:VEVENT"); at != std::string::npos; at = text.find("BEGIN:VEVENT", at + 1))
    ++events_found;
  CHECK(events_found == 2);
  CHECK(wire.find('\n') == wire.find("\r\n") + 1);
}
