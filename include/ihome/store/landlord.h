// Landlord repository: a landlord's year in numbers (API.md "GET
// /api/landlord/summary") and the secret tokens of the houses' iCal
// calendars with the stays a calendar shows (API.md "house/ical").
//
// The summary is computed by SQLite: a calendar of the year's twelve months
// (a recursive CTE) is joined with the accepted stays (WAIT_COMMENT,
// COMPLETE) that touch the year, and each stay's nights in each month are
// the overlap of [start_date, end_date) with [month start, next month
// start), by julianday arithmetic — so a stay from 30 January to 2 February
// gives January two nights and February one, and leap years need no rule.
// The stays are found through the index orders_house_stays (sql/006).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

struct StayTotals {
  int64_t orders = 0;  // orders with at least one night in the period
  int64_t nights = 0;
  int64_t amount = 0;  // fen: the nights times the order's nightly price
};

struct HouseYear {
  int64_t house_id = 0;
  std::string title;
  StayTotals totals;
};

struct LandlordYear {
  int year = 0;
  int days = 0;                         // 365 or 366
  StayTotals total;
  std::array<StayTotals, 12> months{};  // January first
  std::vector<HouseYear> houses;        // every house of the landlord, by id
};

// A stay a house's calendar shows.
struct CalendarStay {
  int64_t order_id = 0;
  std::string start_date;  // 'YYYY-MM-DD'
  std::string end_date;    // the check-out day
  std::string status;      // WAIT_ACCEPT, WAIT_COMMENT or COMPLETE
};

class Landlords {
 public:
  explicit Landlords(Db& db) : db_(db) {}

  // The year (1900-9998) of `user_id`'s houses.
  Result<LandlordYear> year_summary(int64_t user_id, int year);

  // The house's calendar token; nullopt while it has none (reading never
  // makes one: reset_ical_token does).
  Result<std::optional<std::string>> ical_token(int64_t house_id);
  // A new token (random, base64url) for the house, the first one too; the
  // old one is gone.
  Result<std::string> reset_ical_token(int64_t house_id);
  // Whether `token` is the house's token (constant-time comparison); false
  // for an unknown house or one without a token.
  Result<bool> ical_token_matches(int64_t house_id, std::string_view token);
  // Stays holding the house's nights (WAIT_ACCEPT, WAIT_COMMENT, COMPLETE)
  // that end on `from_date` or later, by start date.
  Result<std::vector<CalendarStay>> calendar_stays(int64_t house_id, const std::string& from_date);
  // The house's title (the calendar's name); nullopt for an unknown house.
  Result<std::optional<std::string>> house_title(int64_t house_id);

 private:
  Db& db_;
};

// Random bytes of a calendar token (base64url: 32 characters).
inline constexpr size_t kIcalTokenBytes = 24;

}  // namespace ihome
