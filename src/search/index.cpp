// The availability index: see include/ihome/search/index.h.
//
// Orders mirror src/store/houses.cpp's ORDER BY clauses exactly (every
// sort ends in "id DESC", so the order is total and a house's place is
// found by binary search on the house itself).
#include "ihome/search/index.h"

#include <algorithm>

namespace ihome {

namespace {
int sort_index(HouseSort s) { return static_cast<int>(s); }
}  // namespace

size_t AvailabilityIndex::memory_bytes() const {
  size_t n = houses_.capacity() * sizeof(IndexedHouse) + nights_.capacity() * sizeof(uint64_t) +
             slot_of_.capacity() * sizeof(uint32_t);
  for (const Order& o : all_) n += o.capacity() * sizeof(uint32_t);
  for (const auto& [area, orders] : by_area_)
    for (const Order& o : orders) n += o.capacity() * sizeof(uint32_t);
  return n;
}

bool AvailabilityIndex::before(int sort, uint32_t a, uint32_t b) const {
  const IndexedHouse& x = houses_[a];
  const IndexedHouse& y = houses_[b];
  switch (static_cast<HouseSort>(sort)) {
    case HouseSort::kBooking:
      if (x.order_count != y.order_count) return x.order_count > y.order_count;
      break;
    case HouseSort::kPriceInc:
      if (x.price != y.price) return x.price < y.price;
      break;
    case HouseSort::kPriceDes:
      if (x.price != y.price) return x.price > y.price;
      break;
    case HouseSort::kRating:
      // Unrated last; averages compared exactly (sum/count cross-multiplied,
      // as the SQL's REAL division orders them: counts stay far below 2^26).
      if ((x.rating_count > 0) != (y.rating_count > 0)) return x.rating_count > 0;
      if (x.rating_count > 0) {
        int64_t l = x.rating_sum * y.rating_count, r = y.rating_sum * x.rating_count;
        if (l != r) return l > r;
        if (x.rating_count != y.rating_count) return x.rating_count > y.rating_count;
      }
      break;
    case HouseSort::kNew:
      break;
  }
  return x.id > y.id;
}

void AvailabilityIndex::place(uint32_t slot) {
  Orders& area = by_area_[houses_[slot].area_id];
  if (bulk_) {
    for (size_t s = 0; s < kSorts; ++s) {
      all_[s].push_back(slot);
      area[s].push_back(slot);
    }
    return;
  }
  for (int s = 0; s < kSorts; ++s) {
    auto less = [&](uint32_t a, uint32_t b) { return before(s, a, b); };
    for (Order* o : {&all_[static_cast<size_t>(s)], &area[static_cast<size_t>(s)]})
      o->insert(std::upper_bound(o->begin(), o->end(), slot, less), slot);
  }
}

void AvailabilityIndex::unplace(uint32_t slot) {
  Orders& area = by_area_[houses_[slot].area_id];
  for (int s = 0; s < kSorts; ++s) {
    auto less = [&](uint32_t a, uint32_t b) { return before(s, a, b); };
    for (Order* o : {&all_[static_cast<size_t>(s)], &area[static_cast<size_t>(s)]}) {
      auto it = std::lower_bound(o->begin(), o->end(), slot, less);
      if (it != o->end() && *it == slot) o->erase(it);
    }
  }
}

void AvailabilityIndex::upsert(const IndexedHouse& house, const std::vector<BusyStay>& stays) {
  if (house.id < 0 || house.id > kMaxId) {
    overflow_ = true;
    return;
  }
  uint32_t slot = this->slot(house.id);
  if (slot != kNoSlot) {
    unplace(slot);
  } else {
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<uint32_t>(houses_.size());
      houses_.emplace_back();
      nights_.resize(nights_.size() + kWords);
    }
    if (static_cast<uint64_t>(house.id) >= slot_of_.size()) slot_of_.resize(static_cast<size_t>(house.id) + 1, kNoSlot);
    slot_of_[static_cast<size_t>(house.id)] = slot;
    ++count_;
  }
  houses_[slot] = house;
  uint64_t* bits = &nights_[static_cast<size_t>(slot) * kWords];
  std::fill(bits, bits + kWords, 0);
  for (const BusyStay& stay : stays) {
    int64_t from = std::max<int64_t>(stay.start_day - base_day_, 0);
    int64_t to = std::min<int64_t>(stay.end_day - base_day_, kHorizonDays);
    for (int64_t d = from; d < to; ++d) bits[d / 64] |= uint64_t{1} << (d % 64);
  }
  place(slot);
}

void AvailabilityIndex::end_bulk() {
  bulk_ = false;
  // Sort the orders of all houses; each area's are the same orders
  // filtered, so they are read off those in one pass instead of sorted.
  for (auto& [area, orders] : by_area_)
    for (Order& o : orders) o.clear();
  for (size_t s = 0; s < kSorts; ++s) {
    auto less = [&](uint32_t a, uint32_t b) { return before(static_cast<int>(s), a, b); };
    std::sort(all_[s].begin(), all_[s].end(), less);
    for (uint32_t slot : all_[s]) by_area_[houses_[slot].area_id][s].push_back(slot);
  }
  // A build grows its arrays by doubling: give the slack back.
  houses_.shrink_to_fit();
  nights_.shrink_to_fit();
  slot_of_.shrink_to_fit();
  for (Order& o : all_) o.shrink_to_fit();
  for (auto& [area, orders] : by_area_)
    for (Order& o : orders) o.shrink_to_fit();
}

void AvailabilityIndex::erase(int64_t house_id) {
  uint32_t slot = this->slot(house_id);
  if (slot == kNoSlot) return;
  unplace(slot);
  slot_of_[static_cast<size_t>(house_id)] = kNoSlot;
  --count_;
  houses_[slot] = IndexedHouse{};
  free_slots_.push_back(slot);
}

bool AvailabilityIndex::free_nights(uint32_t slot, int64_t from, int64_t to) const {
  const uint64_t* bits = &nights_[static_cast<size_t>(slot) * kWords];
  while (from < to) {
    int64_t word = from / 64, bit = from % 64;
    int64_t n = std::min<int64_t>(64 - bit, to - from);
    uint64_t mask = (n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1)) << bit;
    if (bits[word] & mask) return false;
    from += n;
  }
  return true;
}

std::optional<IndexPage> AvailabilityIndex::query(const HouseSearch& q,
                                                  const std::vector<int64_t>* candidates) const {
  if (overflow_) return std::nullopt;
  int64_t from = 0, to = 0, nights = 0;
  bool dated = q.start_day.has_value();
  if (dated) {
    from = *q.start_day - base_day_;
    to = *q.end_day - base_day_;
    if (from < 0 || to > kHorizonDays) return std::nullopt;
    nights = *q.end_day - *q.start_day;
  }
  IndexPage page;
  const Order* order;
  size_t s = static_cast<size_t>(sort_index(q.sort));
  if (q.area_id) {
    auto area = by_area_.find(*q.area_id);
    if (area == by_area_.end()) return page;
    order = &area->second[s];
  } else {
    order = &all_[s];
  }
  int64_t skip = (q.page - 1) * Houses::kPageSize;
  for (uint32_t slot : *order) {
    const IndexedHouse& h = houses_[slot];
    if (!h.listed) continue;
    if (candidates && !std::binary_search(candidates->begin(), candidates->end(), h.id)) continue;
    if (dated) {
      if (h.min_days > nights) continue;
      if (h.max_days != 0 && h.max_days < nights) continue;
      if (!free_nights(slot, from, to)) continue;
    }
    if (page.total >= skip && page.total < skip + Houses::kPageSize) page.ids.push_back(h.id);
    ++page.total;
  }
  return page;
}

}  // namespace ihome
