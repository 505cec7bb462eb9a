// iCalendar text: see include/ihome/core/ical.h.
#include "ihome/core/ical.h"

namespace ihome {

namespace {
constexpr size_t kMaxOctets = 75;

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }
}  // namespace

std::string ical_escape_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '\\': out += "\\\\"; break;
      case ';': out += "\\;"; break;
      case ',': out += "\\,"; break;
      case '\n': out += "\\n"; break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;  // CRLF: one newline
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) break;
        out += c;
    }
  }
  return out;
}

std::string ical_fold(std::string_view line) {
  std::string out;
  out.reserve(line.size() + line.size() / 70 * 3 + 2);
  size_t pos = 0;
  size_t room = kMaxOctets;  // the first line has 75 octets; continuations 74 after their space
  while (line.size() - pos > room) {
    size_t cut = pos + room;
    while (cut > pos && is_continuation(static_cast<unsigned char>(line[cut]))) --cut;
    if (cut == pos) cut = pos + room;  // not UTF-8 at all: cut anyway rather than loop
    out.append(line.substr(pos, cut - pos));
    out += "\r\n ";
    pos = cut;
    room = kMaxOctets - 1;
  }
  out.append(line.substr(pos));
  out += "\r\n";
  return out;
}

std::string ical_date(std::string_view iso_date) {
  std::string out;
  for (char c : iso_date)
    if (c != '-') out += c;
  return out;
}

std::string ical_calendar(std::string_view name, std::string_view dtstamp,
                          const std::vector<IcalEvent>& events) {
  std::string out;
  out.reserve(256 + events.size() * 256);
  auto line = [&](std::string_view l) { out += ical_fold(l); };
  line("BEGIN:VCALENDAR");
  line("VERSION:2.0");
  line("PRODID:-//ihome//ihome calendar 1.0//ZH");
  line("CALSCALE:GREGORIAN");
  line("METHOD:PUBLISH");
  line("X-WR-CALNAME:" + ical_escape_text(name));
  for (const IcalEvent& e : events) {
    line("BEGIN:VEVENT");
    line("UID:" + e.uid);
    line("DTSTAMP:" + std::string(dtstamp));
    line("DTSTART;VALUE=DATE:" + e.start);
    line("DTEND;VALUE=DATE:" + e.end);
    line("SUMMARY:" + ical_escape_text(e.summary));
    line("STATUS:" + e.status);
    line("TRANSP:OPAQUE");
    line("END:VEVENT");
  }
  line("END:VCALENDAR");
  return out;
}

}  // namespace ihome
