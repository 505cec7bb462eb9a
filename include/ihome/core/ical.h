// iCalendar (RFC 5545) text for the houses' calendar feeds (API.md
// "house/ical"): TEXT escaping, line folding at 75 octets without cutting a
// UTF-8 sequence, CRLF line ends, and a VCALENDAR of all-day VEVENTs.
// Pure functions, unit-tested in tests/unit/ical_test.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ihome {

// One all-day event: [start, end) as 'YYYYMMDD' (end = the check-out day).
struct IcalEvent {
  std::string uid;
  std::string start;
  std::string end;
  std::string summary;  // plain text; escaped when written
  std::string status;   // "CONFIRMED" or "TENTATIVE"
};

// A TEXT value: backslash, ';' and ',' escaped, a newline as "\n"; other
// control characters dropped.
std::string ical_escape_text(std::string_view text);

// One content line (no line end) as it goes on the wire: folded so no line
// is longer than 75 octets (a continuation starts with one space), never
// inside a UTF-8 sequence, each line ended by CRLF.
std::string ical_fold(std::string_view line);

// The whole VCALENDAR: `name` (X-WR-CALNAME, escaped), `dtstamp` as
// 'YYYYMMDDTHHMMSSZ' for every event.
std::string ical_calendar(std::string_view name, std::string_view dtstamp,
                          const std::vector<IcalEvent>& events);

// 'YYYY-MM-DD' -> 'YYYYMMDD'.
std::string ical_date(std::string_view iso_date);

}  // namespace ihome
