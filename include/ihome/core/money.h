// Money: yuan as people type it ("298.5", "298.50", 298) <-> integer fen,
// the unit everything is stored and computed in.  Never through a double.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ihome {

// "298.50" -> 29850.  Digits, optionally a point and 1-2 decimals; no sign,
// no exponent, no spaces; at most 12 integer digits.  nullopt otherwise.
std::optional<int64_t> parse_yuan(std::string_view text);

// 29850 -> "298.50"; 5 -> "0.05".
std::string format_yuan(int64_t fen);

}  // namespace ihome
