// Ascending ids packed small: each id as its distance from the one before
// (the first from 0), in LEB128 varints.  A keyword's matches at 1M houses
// (up to hundreds of thousands of ids) take a byte or two an id instead of
// eight, so the worker's cache keeps every common keyword's matches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ihome {

// `ids` must be strictly ascending (any int64 values).
std::string pack_ascending_ids(const std::vector<int64_t>& ids);
// The ids again; nullopt for bytes pack_ascending_ids never makes (a
// truncated or overlong varint).
std::optional<std::vector<int64_t>> unpack_ascending_ids(std::string_view packed);

}  // namespace ihome
