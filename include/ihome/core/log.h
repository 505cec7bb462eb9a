// Logging to stderr, one line per event, for journald:
//   2026-11-25T10:11:12Z info ihomed[1234] worker started pid=1240
// Never pass secrets (passwords, codes, session ids, keys) to these.
// Fork-safe: a line is written with one write(2).
#pragma once

#include <string>
#include <string_view>

namespace ihome {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_log_level(std::string_view level);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view message);

inline void log_debug(std::string_view m) { if (log_enabled(LogLevel::kDebug)) log_line(LogLevel::kDebug, m); }
inline void log_info(std::string_view m) { log_line(LogLevel::kInfo, m); }
inline void log_warn(std::string_view m) { log_line(LogLevel::kWarn, m); }
inline void log_error(std::string_view m) { log_line(LogLevel::kError, m); }

// Quotes a value for a key=value log field when it holds spaces, quotes or
// control characters (which are escaped), so one event stays one line.
std::string log_quote(std::string_view value);

}  // namespace ihome
