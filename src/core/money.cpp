// Yuan <-> fen: see include/ihome/core/money.h.
#include "ihome/core/money.h"

namespace ihome {

std::optional<int64_t> parse_yuan(std::string_view text) {
  size_t point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view decimals = point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() || whole.size() > 12) return std::nullopt;
  if (point != std::string_view::npos && (decimals.empty() || decimals.size() > 2)) return std::nullopt;
  int64_t fen = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    fen = fen * 10 + (c - '0');
  }
  int64_t cents = 0;
  for (size_t i = 0; i < 2; ++i) {
    char c = i < decimals.size() ? decimals[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    cents = cents * 10 + (c - '0');
  }
  return fen * 100 + cents;
}

std::string format_yuan(int64_t fen) {
  std::string sign = fen < 0 ? "-" : "";
  uint64_t v = fen < 0 ? static_cast<uint64_t>(0) - static_cast<uint64_t>(fen) : static_cast<uint64_t>(fen);
  std::string cents = std::to_string(v % 100);
  if (cents.size() < 2) cents = "0" + cents;
  return sign + std::to_string(v / 100) + "." + cents;
}

}  // namespace ihome
