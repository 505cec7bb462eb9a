// Pricing repository (API.md "Pricing"): a house's terms and date prices as
// core/pricing.h computes with them, the landlord's date price edits (kept
// as ranges), the quote of a stay with its availability, and the record of
// a quote an order keeps.  SQL only; src/api/pricing.cpp shapes the JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ihome/core/pricing.h"
#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

struct HousePricing {
  int64_t user_id = 0;  // the owner
  std::string status;   // "online" or "offline"
  int64_t min_days = 1;
  int64_t max_days = 0;
  PriceTerms terms;
  std::vector<DatePrice> dates;  // ascending, disjoint
};

// Why a stay cannot be booked, as house/quote names it.
enum class Unavailable { kNone, kBooked, kMinDays, kMaxDays, kOffline, kPast };
const char* unavailable_name(Unavailable u);  // "booked", …; nullptr for kNone

struct StayQuote {
  Unavailable reason = Unavailable::kNone;
  Quote quote;
};

// The house's pricing (nullopt: no such house).  Read inside the caller's
// transaction when it books, so the quote is the one the booking stores.
Result<std::optional<HousePricing>> load_house_pricing(Db& db, int64_t house_id);

// Whether an order holding its nights overlaps [start_day, end_day).
Result<bool> nights_taken(Db& db, int64_t house_id, int64_t start_day, int64_t end_day);

// The quote of the stay and whether it can be booked today (`today`, a day
// number): the reasons in the order a guest can do something about them.
StayQuote check_stay(const HousePricing& house, bool taken, int64_t today, int64_t start_day, int64_t end_day);

// `price` (fen) for the nights [from, to), or (nullopt) no date price
// there, on a house `user_id` owns: one IMMEDIATE transaction; NODATA (no
// house), ROLEERR (not the owner).
Status set_house_prices(Db& db, int64_t house_id, int64_t user_id, int64_t from, int64_t to,
                        std::optional<int64_t> price);

// The date prices of a house overlapping [from, to).
Result<std::vector<DatePrice>> house_date_prices(Db& db, int64_t house_id, int64_t from, int64_t to);

// An order's record of its quote (JSON, fen): {"nights":[["YYYY-MM-DD",fen],…],
// "nights_total","cleaning_fee","discount_percent","discount","total"}.
std::string quote_record(const Quote& q);

}  // namespace ihome
