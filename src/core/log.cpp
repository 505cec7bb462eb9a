// stderr logging: see include/ihome/core/log.h.
#include "ihome/core/log.h"
#include "ihome/core/date.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace ihome {

namespace {
LogLevel g_level = LogLevel::kInfo;
constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
}  // namespace

void set_log_level(std::string_view level) {
  for (int i = 0; i < 4; ++i)
    if (level == kNames[i]) g_level = static_cast<LogLevel>(i);
}

bool log_enabled(LogLevel level) { return level >= g_level; }

void log_line(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  char stamp[32];
  time_t now = unix_now();
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line;
  line.reserve(message.size() + 64);
  line += stamp;
  line += ' ';
  line += kNames[static_cast<int>(level)];
  line += " ihomed[";
  line += std::to_string(getpid());
  line += "] ";
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

std::string log_quote(std::string_view value) {
  bool plain = !value.empty();
  for (unsigned char c : value)
    if (c <= ' ' || c == '"' || c == '\\' || c == 0x7F) plain = false;
  if (plain) return std::string(value);
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

}  // namespace ihome
