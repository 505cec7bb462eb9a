// Calendar dates as API.md writes them ('YYYY-MM-DD'), as day numbers so
// that nights are a subtraction.  Local time is the server's time zone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ihome {

// Days since 1970-01-01 of a strict 'YYYY-MM-DD' (zero-padded, a real
// calendar date, years 1900-9999); nullopt otherwise.
std::optional<int64_t> parse_date(std::string_view text);

// Day number -> 'YYYY-MM-DD'.
std::string format_date(int64_t days);

// The current unix time in seconds, from CLOCK_REALTIME.  Not time(2): that
// reads the coarse clock, a kernel tick behind, so just after a second turns
// it still names the old one (a pay_by a client saw pass was not yet due).
int64_t unix_now();
// Seconds on CLOCK_MONOTONIC, for deadlines and ages (never jumps with the wall clock).
double monotonic_seconds();
// Today's day number in local time.
int64_t today();
// Unix seconds -> 'YYYY-MM-DD HH:MM:SS' in local time (API.md timestamps).
std::string format_timestamp(int64_t unix_seconds);

}  // namespace ihome
