// Calendar repository: a house's booked nights in a window of days (API.md
// house/calendar), read with the same rule the booking check uses (an order
// in WAIT_ACCEPT, WAIT_COMMENT or COMPLETE holds [start_date, end_date)).
// SQL only; src/api/calendar.cpp shapes and caches the JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

struct HouseCalendar {
  int64_t min_days = 1;
  int64_t max_days = 0;
  std::vector<int64_t> booked;  // day numbers (core/date.h), ascending
  std::vector<int64_t> prices;  // fen, each night of the window in turn (core/pricing.h)
};

// A stay as day numbers: the nights [start, end).
using Stay = std::pair<int64_t, int64_t>;

// The nights of `stays` inside [from, from + days), ascending, each once.
std::vector<int64_t> nights_in_window(const std::vector<Stay>& stays, int64_t from, int64_t days);

// The calendar of `house_id` over [from, from + days); nullopt when there is
// no such house.
Result<std::optional<HouseCalendar>> house_calendar(Db& db, int64_t house_id, int64_t from, int64_t days);

}  // namespace ihome
