// Ascending ids packed small: see include/ihome/core/id_list.h.
#include "ihome/core/id_list.h"

namespace ihome {

std::string pack_ascending_ids(const std::vector<int64_t>& ids) {
  std::string out;
  out.reserve(ids.size() * 2);
  uint64_t prev = 0;
  for (int64_t id : ids) {
    uint64_t gap = static_cast<uint64_t>(id) - prev;  // modulo 2^64: exact for any two int64
    prev = static_cast<uint64_t>(id);
    while (gap >= 0x80) {
      out.push_back(static_cast<char>((gap & 0x7f) | 0x80));
      gap >>= 7;
    }
    out.push_back(static_cast<char>(gap));
  }
  return out;
}

std::optional<std::vector<int64_t>> unpack_ascending_ids(std::string_view packed) {
  std::vector<int64_t> ids;
  ids.reserve(packed.size());
  uint64_t prev = 0;
  size_t i = 0;
  while (i < packed.size()) {
    uint64_t gap = 0;
    for (int shift = 0;; shift += 7) {
      if (i == packed.size() || shift > 63) return std::nullopt;
      auto byte = static_cast<uint8_t>(packed[i++]);
      if (shift == 63 && byte > 1) return std::nullopt;  // past 64 bits
      gap |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    prev += gap;
    ids.push_back(static_cast<int64_t>(prev));
  }
  return ids;
}

}  // namespace ihome
