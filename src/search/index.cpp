// The availability index: see include/ihome/search/index.h.
//
// Orders mirror src/store/houses.cpp's ORDER BY clauses exactly (every
// sort ends in "id DESC", so the order is total and a house's place is
// found by binary search on the house itself).
//
// A query first sets the bits of its matches (but for price bounds) in a
// scratch bitset over its area's runs of slots — or the keyword's slots —
// ANDing the listed / min-max-days bits with the negated bits of each night
// of the stay (busy_, day-major); the total is their popcount.  Then it
// walks the sort's order, one bit a house, until the page is full.  When
// the matches are so few that the walk would pass many houses per match (a
// rare keyword), it sorts the matches instead.
#include "ihome/search/index.h"

#include <algorithm>
#include <bit>
#include <numeric>

namespace ihome {

namespace {
int sort_index(HouseSort s) { return static_cast<int>(s); }

// min/max days as the gate keeps them: a stay is at most kHorizonDays
// nights, so any value past twice that compares the same.
int16_t clamp_days(int64_t days) {
  return static_cast<int16_t>(std::clamp<int64_t>(days, -1, 2 * AvailabilityIndex::kHorizonDays));
}

size_t words_for(size_t slots) { return (slots + 63) / 64; }

void erase_sorted(std::vector<uint32_t>& v, uint32_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it != v.end() && *it == x) v.erase(it);
}
}  // namespace

size_t AvailabilityIndex::memory_bytes() const {
  size_t n = houses_.capacity() * sizeof(Kept) + ids_.capacity() * sizeof(int32_t) + gates_.capacity() * sizeof(Gate) +
             slot_of_.capacity() * sizeof(uint32_t) + free_slots_.capacity() * sizeof(uint32_t);
  n += (listed_bits_.capacity() + fancy_bits_.capacity() + scratch_.capacity()) * sizeof(uint64_t);
  for (const Bits& bits : takes_) n += bits.capacity() * sizeof(uint64_t);
  for (const Bits& bits : busy_) n += bits.capacity() * sizeof(uint64_t);
  n += chunks_.capacity() * sizeof(uint32_t);
  n += bulk_nights_.capacity() * sizeof(bulk_nights_[0]);
  n += terms_.capacity() * sizeof(Terms) + free_terms_.capacity() * sizeof(uint32_t);
  n += date_pool_.capacity() * sizeof(DatePrice);
  for (const Order& o : all_) n += o.capacity() * sizeof(uint32_t);
  for (const auto& [id, area] : by_area_) {
    n += area.members.capacity() * sizeof(uint32_t) + area.runs.capacity() * sizeof(Span);
    for (const Order& o : area.orders) n += o.capacity() * sizeof(uint32_t);
  }
  return n;
}

std::optional<AvailabilityIndex::Kept> AvailabilityIndex::keep(const IndexedHouse& house) {
  auto fits = [](int64_t v, int64_t low, int64_t high) { return v >= low && v <= high; };
  constexpr int64_t kLow = INT32_MIN, kHigh = INT32_MAX;
  if (!fits(house.id, 0, kMaxId) || !fits(house.area_id, kLow, kHigh) || !fits(house.price, kLow, kHigh) ||
      !fits(house.weekend_price, kLow, kHigh) || !fits(house.cleaning_fee, kLow, kHigh) ||
      !fits(house.order_count, kLow, kHigh) || !fits(house.rating_sum, kLow, kHigh) ||
      !fits(house.rating_count, kLow, kHigh) || !fits(house.weekly_discount, INT8_MIN, INT8_MAX) ||
      !fits(house.monthly_discount, INT8_MIN, INT8_MAX))
    return std::nullopt;
  Kept k;
  k.id = static_cast<int32_t>(house.id);
  k.area_id = static_cast<int32_t>(house.area_id);
  k.price = static_cast<int32_t>(house.price);
  k.order_count = static_cast<int32_t>(house.order_count);
  k.rating_sum = static_cast<int32_t>(house.rating_sum);
  k.rating_count = static_cast<int32_t>(house.rating_count);
  return k;
}

void AvailabilityIndex::release_terms(uint32_t terms) {
  date_garbage_ += terms_[terms].date_count;
  terms_[terms] = {};
  free_terms_.push_back(terms);
}

void AvailabilityIndex::set_dates(Terms& t, const std::vector<DatePrice>& dates) {
  if (dates.size() <= t.date_count) {  // in place
    date_garbage_ += t.date_count - dates.size();
  } else {
    date_garbage_ += t.date_count;
    t.dates_at = static_cast<uint32_t>(date_pool_.size());
    date_pool_.resize(date_pool_.size() + dates.size());
  }
  std::copy(dates.begin(), dates.end(), date_pool_.begin() + t.dates_at);
  t.date_count = static_cast<uint32_t>(dates.size());
  auto day32 = [](int64_t day) { return static_cast<int32_t>(std::clamp<int64_t>(day, INT32_MIN, INT32_MAX)); };
  t.dates_from = dates.empty() ? 0 : day32(dates.front().start_day);
  t.dates_to = dates.empty() ? 0 : day32(dates.back().end_day);
  t.night_low = t.night_high = t.price;
  if (t.weekend_price > 0) {
    t.night_low = std::min<int64_t>(t.night_low, t.weekend_price);
    t.night_high = std::max<int64_t>(t.night_high, t.weekend_price);
  }
  for (const DatePrice& d : dates) {
    t.night_low = std::min(t.night_low, d.price);
    t.night_high = std::max(t.night_high, d.price);
  }
}

void AvailabilityIndex::compact_terms() {
  // The terms in slot order, and their date prices in that order too, so
  // that a search pricing them reads on; freed ones dropped.
  std::vector<Terms> terms;
  std::vector<DatePrice> pool;
  for (Gate& g : gates_) {
    if (g.flat()) continue;
    Terms t = terms_[g.terms()];
    std::span<const DatePrice> dates = dates_of(t);
    t.dates_at = static_cast<uint32_t>(pool.size());
    pool.insert(pool.end(), dates.begin(), dates.end());
    terms.push_back(t);
    g.price = ~static_cast<int32_t>(terms.size() - 1);
  }
  terms_ = std::move(terms);
  date_pool_ = std::move(pool);
  free_terms_.clear();
  date_garbage_ = 0;
}

bool AvailabilityIndex::before(int sort, uint32_t a, uint32_t b) const {
  const Kept& x = houses_[a];
  const Kept& y = houses_[b];
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
        int64_t l = int64_t{x.rating_sum} * y.rating_count, r = int64_t{y.rating_sum} * x.rating_count;
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
  if (bulk_) {  // end_bulk() sorts these and builds the areas
    for (Order& o : all_) o.push_back(slot);
    return;
  }
  Area& area = by_area_[houses_[slot].area_id];
  area.members.insert(std::upper_bound(area.members.begin(), area.members.end(), slot), slot);
  area.runs = runs_of(area.members);
  for (int s = 0; s < kSorts; ++s) {
    auto less = [&](uint32_t a, uint32_t b) { return before(s, a, b); };
    for (Order* o : {&all_[static_cast<size_t>(s)], &area.orders[static_cast<size_t>(s)]})
      o->insert(std::upper_bound(o->begin(), o->end(), slot, less), slot);
  }
}

void AvailabilityIndex::unplace(uint32_t slot) {
  if (bulk_) {
    for (Order& o : all_) o.erase(std::remove(o.begin(), o.end(), slot), o.end());
    return;
  }
  Area& area = by_area_[houses_[slot].area_id];
  erase_sorted(area.members, slot);
  area.runs = runs_of(area.members);
  for (int s = 0; s < kSorts; ++s) {
    auto less = [&](uint32_t a, uint32_t b) { return before(s, a, b); };
    for (Order* o : {&all_[static_cast<size_t>(s)], &area.orders[static_cast<size_t>(s)]}) {
      auto it = std::lower_bound(o->begin(), o->end(), slot, less);
      if (it != o->end() && *it == slot) o->erase(it);
    }
  }
}

void AvailabilityIndex::set_gate(uint32_t slot, const IndexedHouse& house, const std::vector<BusyStay>& stays) {
  // (upsert() checked that the values fit.)
  bool flat = house.weekend_price <= 0 && house.cleaning_fee == 0 && house.weekly_discount == 0 &&
              house.monthly_discount <= 0 && house.dates.empty() && house.price >= 0;
  constexpr uint32_t kNoTerms = UINT32_MAX;
  uint32_t terms = gates_[slot].flat() ? kNoTerms : gates_[slot].terms();  // a new or freed slot has none
  if (flat || !house.listed) {
    if (terms != kNoTerms) release_terms(terms);
    terms = kNoTerms;
  } else {
    if (terms == kNoTerms) {
      if (free_terms_.empty()) {
        terms = static_cast<uint32_t>(terms_.size());
        terms_.emplace_back();
      } else {
        terms = free_terms_.back();
        free_terms_.pop_back();
      }
    }
    Terms& t = terms_[terms];
    t.price = static_cast<int32_t>(house.price);
    t.weekend_price = static_cast<int32_t>(house.weekend_price);
    t.cleaning_fee = static_cast<int32_t>(house.cleaning_fee);
    t.weekly_discount = static_cast<int8_t>(house.weekly_discount);
    t.monthly_discount = static_cast<int8_t>(house.monthly_discount);
    set_dates(t, house.dates);
  }
  gates_[slot] = house.listed ? Gate{clamp_days(house.min_days), clamp_days(house.max_days),
                                     flat ? static_cast<int32_t>(house.price) : ~static_cast<int32_t>(terms)}
                              : Gate{};
  if (date_garbage_ > 4096 && date_garbage_ > date_pool_.size() / 2) compact_terms();
  if (!bulk_) refresh_bits(slot / 64);  // (end_bulk() refreshes every word)
  auto each_night = [&](auto&& fn) {
    for (const BusyStay& stay : stays) {
      int64_t from = std::max<int64_t>(stay.start_day - base_day_, 0);
      int64_t to = std::min<int64_t>(stay.end_day - base_day_, kHorizonDays);
      for (int64_t d = from; d < to; ++d) fn(static_cast<size_t>(d));
    }
  };
  if (bulk_) {
    std::array<uint64_t, kWords>& words = bulk_nights_[slot];
    words = {};
    each_night([&](size_t d) { words[d / 64] |= uint64_t{1} << (d % 64); });
    return;
  }
  const uint64_t bit = uint64_t{1} << (slot % 64);
  uint32_t& chunks = chunks_[slot];
  for (uint32_t c = chunks; c != 0; c &= c - 1) {
    auto first = static_cast<size_t>(std::countr_zero(c) * kChunkNights);
    for (size_t d = first; d < first + kChunkNights; ++d) busy_[d][slot / 64] &= ~bit;
  }
  chunks = 0;
  each_night([&](size_t d) {
    busy_[d][slot / 64] |= bit;
    chunks |= uint32_t{1} << (d / kChunkNights);
  });
}

void AvailabilityIndex::refresh_bits(size_t w) {
  uint64_t listed = 0, fancy = 0;
  std::array<uint64_t, kTakesNights> takes{};
  for (size_t b = 0; b < 64 && w * 64 + b < houses_.size(); ++b) {
    const Gate& g = gates_[w * 64 + b];
    if (g.min_days == kUnlisted) continue;
    listed |= uint64_t{1} << b;
    fancy |= uint64_t{!g.flat()} << b;
    for (int n = 1; n <= kTakesNights; ++n) takes[static_cast<size_t>(n - 1)] |= uint64_t(g.takes(n)) << b;
  }
  listed_bits_[w] = listed;
  fancy_bits_[w] = fancy;
  for (size_t k = 0; k < takes.size(); ++k) takes_[k][w] = takes[k];
}

void AvailabilityIndex::size_bits() {
  const size_t words = words_for(houses_.size());
  for (Bits* bits : {&listed_bits_, &fancy_bits_, &scratch_}) bits->resize(words);
  for (Bits& bits : takes_) bits.resize(words);
  if (bulk_) return;
  for (Bits& bits : busy_) bits.resize(words);
  chunks_.resize(houses_.size());
}

void AvailabilityIndex::rebuild_bits() {
  const size_t words = words_for(houses_.size());
  for (Bits* bits : {&listed_bits_, &fancy_bits_, &scratch_}) bits->assign(words, 0);
  for (Bits& bits : takes_) bits.assign(words, 0);
  for (size_t w = 0; w < words; ++w) refresh_bits(w);
  for (auto& [id, area] : by_area_) area.runs = runs_of(area.members);
}

std::span<const AvailabilityIndex::Span> AvailabilityIndex::runs_or(const Area* area, const Span& every) {
  return area ? std::span<const Span>(area->runs) : std::span<const Span>(&every, 1);
}

void AvailabilityIndex::rebuild_chunks() {
  chunks_.assign(houses_.size(), 0);
  for (size_t d = 0; d < busy_.size(); ++d)
    for (size_t w = 0; w < busy_[d].size(); ++w)
      for (uint64_t b = busy_[d][w]; b != 0; b &= b - 1)
        chunks_[w * 64 + static_cast<size_t>(std::countr_zero(b))] |= uint32_t{1} << (d / kChunkNights);
}

std::array<uint64_t, AvailabilityIndex::kWords> AvailabilityIndex::nights_of(uint32_t slot) const {
  std::array<uint64_t, kWords> words{};
  for (uint32_t c = chunks_[slot]; c != 0; c &= c - 1) {
    auto first = static_cast<size_t>(std::countr_zero(c) * kChunkNights);
    for (size_t d = first; d < first + kChunkNights; ++d)
      if ((busy_[d][slot / 64] >> (slot % 64)) & 1) words[d / 64] |= uint64_t{1} << (d % 64);
  }
  return words;
}

std::vector<AvailabilityIndex::Span> AvailabilityIndex::runs_of(const std::vector<uint32_t>& members) {
  std::vector<Span> runs;
  for (uint32_t sl : members) {
    if (!runs.empty() && runs.back().first + runs.back().n == sl) ++runs.back().n;
    else runs.push_back({sl, 1});
  }
  return runs;
}

void AvailabilityIndex::begin_bulk() {
  if (bulk_) return;
  // The nights of the houses already here, by slot (end_bulk() renumbers them).
  bulk_nights_.resize(houses_.size());
  for (uint32_t sl = 0; sl < houses_.size(); ++sl) bulk_nights_[sl] = nights_of(sl);
  bulk_ = true;
}

AvailabilityIndex::FancyKey AvailabilityIndex::fancy_key(uint32_t slot) const {
  const Gate& g = gates_[slot];
  if (g.flat() || g.min_days == kUnlisted) return {};
  const Terms& t = terms_[g.terms()];
  return {true, houses_[slot].area_id, t.cleaning_fee, t.weekly_discount, t.monthly_discount, t.night_low, t.night_high};
}

void AvailabilityIndex::watch_fancy(int64_t house_id, const FancyKey& before) {
  uint32_t sl = slot(house_id);
  if (!(before == (sl == kNoSlot ? FancyKey{} : fancy_key(sl)))) ++fancy_gen_;
}

const AvailabilityIndex::FancyOrder& AvailabilityIndex::fancy_of(const Area* area) const {
  FancyOrder& o = area ? area->fancy : all_fancy_;
  if (o.gen == fancy_gen_) return o;
  o = FancyOrder{};
  const Span every{0, static_cast<uint32_t>(houses_.size())};
  for (const Span& r : runs_or(area, every))
    for (uint32_t sl = r.first; sl < r.first + r.n; ++sl) {
      if (!((fancy_bits_[sl / 64] >> (sl % 64)) & 1)) continue;
      const Terms& t = terms_[gates_[sl].terms()];
      o.by_low.emplace_back(t.night_low, sl);
      o.by_high.emplace_back(t.night_high, sl);
      o.discount_min = std::min<int64_t>({o.discount_min, t.weekly_discount, t.monthly_discount});
      o.discount_max = std::max<int64_t>({o.discount_max, t.weekly_discount, t.monthly_discount});
      o.fee_min = std::min<int64_t>(o.fee_min, t.cleaning_fee);
      o.fee_max = std::max<int64_t>(o.fee_max, t.cleaning_fee);
      o.night_min = std::min(o.night_min, t.night_low);
    }
  std::sort(o.by_low.begin(), o.by_low.end());
  std::sort(o.by_high.begin(), o.by_high.end(), std::greater<>());
  o.gen = fancy_gen_;
  return o;
}

void AvailabilityIndex::upsert(const IndexedHouse& house, const std::vector<BusyStay>& stays) {
  std::optional<Kept> kept = keep(house);
  if (!kept) {
    overflow_ = true;
    return;
  }
  uint32_t slot = this->slot(house.id);
  bool fresh = slot == kNoSlot;
  struct Watch {
    AvailabilityIndex& x;
    int64_t id;
    FancyKey before;
    ~Watch() { x.watch_fancy(id, before); }
  } watch{*this, house.id, fresh ? FancyKey{} : fancy_key(slot)};
  // A house that keeps its area keeps its place in each order where its
  // sort key did not move (a booking changes only its nights): found here,
  // checked against its neighbours after the update.
  bool replace = !fresh && !bulk_ && houses_[slot].area_id == house.area_id;
  std::array<std::array<size_t, 2>, kSorts> at{};
  if (!fresh) {
    if (gates_[slot].min_days != kUnlisted && !bulk_) {
      --listed_;
      --by_area_[houses_[slot].area_id].listed;
    }
    if (replace) {
      Area& area = by_area_[house.area_id];
      for (int s = 0; s < kSorts; ++s) {
        auto less = [&](uint32_t a, uint32_t b) { return before(s, a, b); };
        const Order* orders[2] = {&all_[static_cast<size_t>(s)], &area.orders[static_cast<size_t>(s)]};
        for (size_t k = 0; k < 2; ++k) {
          const Order& o = *orders[k];
          auto it = std::lower_bound(o.begin(), o.end(), slot, less);
          if (it == o.end() || *it != slot) it = std::find(o.begin(), o.end(), slot);
          at[static_cast<size_t>(s)][k] = static_cast<size_t>(it - o.begin());
        }
      }
    } else if (!bulk_) {
      unplace(slot);
    }
  } else {
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<uint32_t>(houses_.size());
      houses_.emplace_back();
      ids_.emplace_back();
      gates_.emplace_back();
      if (bulk_) bulk_nights_.emplace_back();
      size_bits();
    }
    if (static_cast<uint64_t>(house.id) >= slot_of_.size()) slot_of_.resize(static_cast<size_t>(house.id) + 1, kNoSlot);
    slot_of_[static_cast<size_t>(house.id)] = slot;
    ++count_;
  }
  houses_[slot] = *kept;
  ids_[slot] = kept->id;
  set_gate(slot, house, stays);
  if (gates_[slot].min_days != kUnlisted && !bulk_) {
    ++listed_;
    ++by_area_[house.area_id].listed;
  }
  if (!replace) {
    if (fresh || !bulk_) place(slot);
    return;
  }
  Area& area = by_area_[house.area_id];
  for (int s = 0; s < kSorts; ++s) {
    auto less = [&](uint32_t a, uint32_t b) { return before(s, a, b); };
    Order* orders[2] = {&all_[static_cast<size_t>(s)], &area.orders[static_cast<size_t>(s)]};
    for (size_t k = 0; k < 2; ++k) {
      Order& o = *orders[k];
      size_t i = at[static_cast<size_t>(s)][k];
      if (i >= o.size()) continue;  // not found: cannot happen while the orders hold every house
      // Moved: shifted to its new place over the houses between (a booking
      // moves a house past one booking count's houses, not the order's
      // whole tail twice as erase + insert did).
      auto at_i = o.begin() + static_cast<std::ptrdiff_t>(i);
      if (i > 0 && less(slot, o[i - 1])) {
        std::rotate(std::upper_bound(o.begin(), at_i, slot, less), at_i, at_i + 1);
      } else if (i + 1 < o.size() && less(o[i + 1], slot)) {
        std::rotate(at_i, at_i + 1, std::upper_bound(at_i + 1, o.end(), slot, less));
      }
    }
  }
}

void AvailabilityIndex::end_bulk() {
  begin_bulk();  // (when not begun: the nights by slot, from busy_)
  bulk_ = false;
  // Renumber the slots area by area (by id within one), so an area's
  // columns are contiguous; free slots go last.  Counted into place: a
  // build reads the houses by id, so each area's run is sorted already.
  std::vector<bool> is_free(houses_.size(), false);
  for (uint32_t f : free_slots_) is_free[f] = true;
  std::map<int64_t, size_t> first;  // area -> its first new slot
  for (uint32_t n = 0; n < houses_.size(); ++n)
    if (!is_free[n]) ++first[houses_[n].area_id];
  size_t live = 0;
  for (auto& [area, at] : first) {
    size_t count = at;
    at = live;
    live += count;
  }
  std::vector<uint32_t> by_place(houses_.size());
  {
    size_t spare = live;
    for (uint32_t n = 0; n < houses_.size(); ++n) by_place[is_free[n] ? spare++ : first[houses_[n].area_id]++] = n;
  }
  auto by_id = [&](uint32_t a, uint32_t b) { return houses_[a].id < houses_[b].id; };
  for (size_t from = 0; from < live;) {
    size_t to = from;
    while (to < live && houses_[by_place[to]].area_id == houses_[by_place[from]].area_id) ++to;
    if (!std::is_sorted(by_place.begin() + static_cast<std::ptrdiff_t>(from),
                        by_place.begin() + static_cast<std::ptrdiff_t>(to), by_id))
      std::sort(by_place.begin() + static_cast<std::ptrdiff_t>(from), by_place.begin() + static_cast<std::ptrdiff_t>(to),
                by_id);
    from = to;
  }
  {
    std::vector<Kept> houses(houses_.size());
    std::vector<Gate> gates(gates_.size());
    for (size_t n = 0; n < by_place.size(); ++n) {
      houses[n] = houses_[by_place[n]];
      gates[n] = gates_[by_place[n]];
    }
    houses_ = std::move(houses);
    for (size_t n = 0; n < houses_.size(); ++n) ids_[n] = houses_[n].id;
    gates_ = std::move(gates);
    // The nights day-major, in the new numbering: a bit per busy night.
    for (Bits& night : busy_) night.assign(words_for(houses_.size()), 0);
    chunks_.assign(houses_.size(), 0);
    for (size_t n = 0; n < by_place.size(); ++n) {
      const std::array<uint64_t, kWords>& words = bulk_nights_[by_place[n]];
      for (size_t k = 0; k < words.size(); ++k)
        for (uint64_t b = words[k]; b != 0; b &= b - 1) {
          size_t d = k * 64 + static_cast<size_t>(std::countr_zero(b));
          busy_[d][n / 64] |= uint64_t{1} << (n % 64);
          chunks_[n] |= uint32_t{1} << (d / kChunkNights);
        }
    }
    bulk_nights_.clear();
    bulk_nights_.shrink_to_fit();
  }
  compact_terms();
  free_slots_.clear();
  for (size_t n = houses_.size(); n > live; --n) free_slots_.push_back(static_cast<uint32_t>(n - 1));
  std::fill(slot_of_.begin(), slot_of_.end(), kNoSlot);
  by_area_.clear();
  listed_ = 0;
  for (uint32_t n = 0; n < live; ++n) {
    slot_of_[static_cast<size_t>(houses_[n].id)] = n;
    Area& area = by_area_[houses_[n].area_id];
    area.members.push_back(n);
    if (gates_[n].min_days != kUnlisted) {
      ++area.listed;
      ++listed_;
    }
  }
  // Each area's orders sorted within its own (contiguous) slots, then the
  // orders of all houses merged from them.
  for (size_t s = 0; s < kSorts; ++s) {
    auto less = [&](uint32_t a, uint32_t b) { return before(static_cast<int>(s), a, b); };
    std::vector<std::pair<const uint32_t*, const uint32_t*>> runs;
    for (auto& [id, area] : by_area_) {
      area.orders[s] = area.members;
      std::sort(area.orders[s].begin(), area.orders[s].end(), less);
      runs.emplace_back(area.orders[s].data(), area.orders[s].data() + area.orders[s].size());
    }
    auto later = [&](const std::pair<const uint32_t*, const uint32_t*>& a,
                     const std::pair<const uint32_t*, const uint32_t*>& b) { return less(*b.first, *a.first); };
    std::make_heap(runs.begin(), runs.end(), later);
    all_[s].clear();
    all_[s].reserve(live);
    while (!runs.empty()) {
      std::pop_heap(runs.begin(), runs.end(), later);
      auto& run = runs.back();
      all_[s].push_back(*run.first++);
      if (run.first == run.second) runs.pop_back();
      else std::push_heap(runs.begin(), runs.end(), later);
    }
  }
  rebuild_bits();
  ++fancy_gen_;
  // A build grows its arrays by doubling: give the slack back.
  houses_.shrink_to_fit();
  ids_.shrink_to_fit();
  gates_.shrink_to_fit();
  for (Bits& bits : busy_) bits.shrink_to_fit();
  slot_of_.shrink_to_fit();
  for (Order& o : all_) o.shrink_to_fit();
  for (auto& [id, area] : by_area_) area.members.shrink_to_fit();
}

void AvailabilityIndex::erase(int64_t house_id) {
  uint32_t slot = this->slot(house_id);
  if (slot == kNoSlot) return;
  if (fancy_key(slot).fancy) ++fancy_gen_;
  unplace(slot);
  if (gates_[slot].min_days != kUnlisted && !bulk_) {
    --listed_;
    --by_area_[houses_[slot].area_id].listed;
  }
  slot_of_[static_cast<size_t>(house_id)] = kNoSlot;
  --count_;
  houses_[slot] = Kept{};
  ids_[slot] = 0;
  IndexedHouse unlisted;
  unlisted.listed = false;
  set_gate(slot, unlisted, {});
  free_slots_.push_back(slot);
}

namespace {
// What a file's columns are, as this build lays them out: a file of
// another layout (a newer or older ihomed) is not read.  The sizes catch a
// changed struct; `version` must be raised by hand whenever what a field
// means changes without its size (the Gate's encoding, clamp_days, what
// counts as a flat price, an order's tie-break): a restart no longer
// rebuilds, so an old file would carry the old meaning on.
struct FileLayout {
  uint32_t version = 2;  // 2: the nights day-major
  uint32_t kept = 0, gate = 0, terms = 0, date_price = 0;
  uint32_t reserved = 0;  // no padding: every byte written is set
  int64_t horizon = 0;
  bool operator==(const FileLayout&) const = default;
};
}  // namespace

void AvailabilityIndex::write(IndexFileWriter& out) const {
  out.value(FileLayout{2, sizeof(Kept), sizeof(Gate), sizeof(Terms), sizeof(DatePrice), 0, kHorizonDays});
  out.value(base_day_);
  out.value(static_cast<uint8_t>(overflow_));
  out.value(static_cast<uint64_t>(count_));
  out.value(listed_);
  out.vector(houses_);
  out.vector(gates_);
  for (const Bits& night : busy_) out.vector(night);
  out.vector(terms_);
  out.vector(free_terms_);
  out.vector(date_pool_);
  out.value(static_cast<uint64_t>(date_garbage_));
  out.vector(free_slots_);
  out.vector(slot_of_);
  for (const Order& o : all_) out.vector(o);
  out.value(static_cast<uint64_t>(by_area_.size()));
  for (const auto& [id, area] : by_area_) {
    out.value(id);
    out.value(area.listed);
    out.vector(area.members);
    for (const Order& o : area.orders) out.vector(o);
  }
}

std::optional<AvailabilityIndex> AvailabilityIndex::read(IndexFileReader& in) {
  FileLayout layout{}, ours{2, sizeof(Kept), sizeof(Gate), sizeof(Terms), sizeof(DatePrice), 0, kHorizonDays};
  if (!in.value(layout) || !(layout == ours)) return std::nullopt;
  AvailabilityIndex x;
  uint8_t overflow = 0;
  uint64_t count = 0, garbage = 0, areas = 0;
  constexpr uint64_t kMaxSlots = kMaxId + 1;
  bool ok = in.value(x.base_day_) && in.value(overflow) && in.value(count) && in.value(x.listed_) &&
            in.vector(x.houses_, kMaxSlots) && in.vector(x.gates_, kMaxSlots);
  for (Bits& night : x.busy_) ok = ok && in.vector(night, words_for(kMaxSlots));
  ok = ok && in.vector(x.terms_, kMaxSlots) && in.vector(x.free_terms_, kMaxSlots) && in.vector(x.date_pool_) &&
       in.value(garbage) && in.vector(x.free_slots_, kMaxSlots) && in.vector(x.slot_of_, kMaxSlots);
  for (Order& o : x.all_) ok = ok && in.vector(o, kMaxSlots);
  ok = ok && in.value(areas) && areas <= kMaxSlots;
  for (uint64_t n = 0; ok && n < areas; ++n) {
    int64_t id = 0;
    Area area;
    ok = in.value(id) && in.value(area.listed) && in.vector(area.members, kMaxSlots);
    for (Order& o : area.orders) ok = ok && in.vector(o, kMaxSlots);
    ok = ok && x.by_area_.emplace(id, std::move(area)).second;  // each area once
  }
  if (!ok || overflow > 1) return std::nullopt;
  x.overflow_ = overflow;
  x.count_ = static_cast<size_t>(count);
  x.date_garbage_ = static_cast<size_t>(garbage);
  x.ids_.resize(x.houses_.size());
  for (size_t n = 0; n < x.houses_.size(); ++n) x.ids_[n] = x.houses_[n].id;
  if (!x.consistent()) return std::nullopt;
  x.rebuild_bits();
  x.rebuild_chunks();
  return x;
}

bool AvailabilityIndex::consistent() const {
  // Everything query(), upsert() and erase() index with, in range; the
  // counts agree with what they count.
  const size_t n = houses_.size();
  auto in_slots = [n](const std::vector<uint32_t>& v) {
    return std::all_of(v.begin(), v.end(), [n](uint32_t s) { return s < n; });
  };
  if (gates_.size() != n || listed_ < 0 || count_ > n) return false;
  for (const Bits& night : busy_)
    if (night.size() != words_for(n)) return false;
  for (const Gate& g : gates_)
    if (!g.flat() && g.terms() >= terms_.size()) return false;
  for (const Terms& t : terms_)
    if (uint64_t{t.dates_at} + t.date_count > date_pool_.size()) return false;
  if (!std::all_of(free_terms_.begin(), free_terms_.end(), [&](uint32_t t) { return t < terms_.size(); }) ||
      !in_slots(free_slots_) || date_garbage_ > date_pool_.size())
    return false;
  size_t indexed = 0;
  for (size_t id = 0; id < slot_of_.size(); ++id) {
    uint32_t s = slot_of_[id];
    if (s == kNoSlot) continue;
    if (s >= n || houses_[s].id != static_cast<int64_t>(id)) return false;
    ++indexed;
  }
  if (indexed != count_ || free_slots_.size() + count_ != n) return false;
  for (const Order& o : all_)
    if (o.size() != count_ || !in_slots(o)) return false;
  size_t members = 0;
  int64_t listed = 0;
  for (const auto& [id, area] : by_area_) {
    if (!in_slots(area.members) || !std::is_sorted(area.members.begin(), area.members.end()) || area.listed < 0 ||
        area.listed > static_cast<int64_t>(area.members.size()))
      return false;
    for (uint32_t s : area.members)
      if (houses_[s].area_id != id) return false;
    for (const Order& o : area.orders)
      if (o.size() != area.members.size() || !in_slots(o)) return false;
    members += area.members.size();
    listed += area.listed;
  }
  return members == count_ && listed == listed_;
}

[[gnu::always_inline]] inline bool AvailabilityIndex::matches(uint32_t slot, const Filter& f, int64_t* total) const {
  if (!((f.ok[slot / 64] >> (slot % 64)) & 1)) return false;
  if (!f.priced && !total) return true;
  if (!f.dated) return houses_[slot].price >= f.low && houses_[slot].price <= f.high;
  int64_t value = quote_of(slot, f);
  if (value < f.low || value > f.high) return false;
  if (total) *total = value;
  return true;
}
[[gnu::always_inline]] inline int64_t AvailabilityIndex::quote_of(uint32_t slot, const Filter& f) const {
  const Gate& g = gates_[slot];
  if (g.flat()) return f.nights * g.price;
  const Terms& t = terms_[g.terms()];
  if (t.date_count == 0 || t.dates_from >= f.end_day || t.dates_to <= f.start_day)  // quote_total's first case
    return stay_total(t.terms(), f.nights, plain_nights_total(t.terms(), f.nights, f.weekend));
  return quote_total(t.terms(), dates_of(t), f.start_day, f.end_day, f.weekend);
}

void AvailabilityIndex::fill(const HouseSearch& q, const Area* area, const std::vector<int64_t>* candidates,
                             Domain& domain) const {
  uint64_t* out = scratch_.data();
  const int64_t nights = q.start_day ? *q.end_day - *q.start_day : 0;
  const bool by_gate = q.start_day && (nights < 1 || nights > kTakesNights);  // min/max days tested house by house
  const Bits& base = q.start_day && !by_gate ? takes_[static_cast<size_t>(nights - 1)] : listed_bits_;
  auto add = [&](uint32_t first, uint32_t end) {
    if (!domain.empty() && domain.back().end >= first) domain.back().end = std::max(domain.back().end, end);
    else domain.push_back({first, end});
  };
  if (candidates) {
    // The keyword's slots (those of the area): set, then masked by the
    // base word by word.
    auto in_area = [&](uint32_t sl) {
      auto it = std::upper_bound(area->runs.begin(), area->runs.end(), sl,
                                 [](uint32_t x, const Span& r) { return x < r.first; });
      return it != area->runs.begin() && sl - (it - 1)->first < (it - 1)->n;
    };
    std::vector<uint32_t> words;
    for (int64_t id : *candidates) {
      uint32_t sl = slot(id);
      if (sl == kNoSlot || (area && !in_area(sl))) continue;
      uint64_t& word = out[sl / 64];
      if (word == 0) words.push_back(sl / 64);
      word |= uint64_t{1} << (sl % 64);
    }
    std::sort(words.begin(), words.end());
    for (uint32_t w : words) {
      out[w] &= base[w];
      add(w, w + 1);
    }
  } else {
    // The area's runs of slots (a build leaves one), or every slot.
    const Span every{0, static_cast<uint32_t>(houses_.size())};
    for (const Span& r : runs_or(area, every)) {
      if (r.n == 0) continue;
      const uint32_t last = r.first + r.n - 1, w0 = r.first / 64, w1 = last / 64;
      for (uint32_t w = w0; w <= w1; ++w) {
        uint64_t m = ~uint64_t{0};
        if (w == w0) m &= ~uint64_t{0} << (r.first % 64);
        if (w == w1) m &= ~uint64_t{0} >> (63 - last % 64);
        out[w] |= m & base[w];
      }
      add(w0, w1 + 1);
    }
  }
  if (!q.start_day) return;
  // Free on every night of the stay: one pass over the words a night.
  const auto from = static_cast<size_t>(*q.start_day - base_day_), to = static_cast<size_t>(*q.end_day - base_day_);
  for (const Words& r : domain)
    for (size_t d = from; d < to; ++d) {
      const uint64_t* busy = busy_[d].data();
      for (uint32_t w = r.first; w < r.end; ++w) out[w] &= ~busy[w];
    }
  if (!by_gate) return;
  for (const Words& r : domain)
    for (uint32_t w = r.first; w < r.end; ++w)
      for (uint64_t b = out[w]; b != 0; b &= b - 1) {
        auto bit = static_cast<uint32_t>(std::countr_zero(b));
        if (!gates_[w * 64 + bit].takes(nights)) out[w] &= ~(uint64_t{1} << bit);
      }
}

// The count is a popcount a word: the CPU's own instruction where it has
// one (Debian builds for the x86-64 baseline, which lacks it; chosen once at
// load time).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
[[gnu::target_clones("popcnt", "default")]]
#endif
int64_t AvailabilityIndex::count(const Domain& domain) const {
  int64_t n = 0;
  for (const Words& r : domain)
    for (uint32_t w = r.first; w < r.end; ++w) n += std::popcount(scratch_[w]);
  return n;
}

template <typename Fn>
[[gnu::always_inline]] inline void AvailabilityIndex::each_match(const Domain& domain, const Bits* also, Fn&& fn) const {
  for (size_t r = domain.size(); r-- > 0;)
    for (uint32_t w = domain[r].end; w-- > domain[r].first;) {
      uint64_t b = scratch_[w] & (also ? (*also)[w] : ~uint64_t{0});
      while (b != 0) {
        int top = 63 - std::countl_zero(b);
        fn(w * 64 + static_cast<uint32_t>(top));
        b &= ~(uint64_t{1} << top);
      }
    }
}

std::optional<IndexPage> AvailabilityIndex::query(const HouseSearch& q,
                                                  const std::vector<int64_t>* candidates) const {
  if (overflow_) return std::nullopt;
  Filter f;
  f.dated = q.start_day.has_value();
  if (f.dated) {
    int64_t from = *q.start_day - base_day_, to = *q.end_day - base_day_;
    if (from < 0 || to > kHorizonDays || from > to) return std::nullopt;
    f.nights = *q.end_day - *q.start_day;
    f.start_day = *q.start_day;
    f.end_day = *q.end_day;
    f.weekend = weekend_nights(f.start_day, f.end_day);
  }
  if (q.min_price || q.max_price) {
    int64_t per = f.dated ? f.nights : 1;
    f.priced = true;
    if (q.min_price) f.low = *q.min_price * per;
    if (q.max_price) f.high = *q.max_price * per;
  }
  IndexPage page;
  // A dated price sort orders the matches by their quote total, which no
  // prebuilt order holds: any walk gives the candidates ("new").
  bool price_sort = f.dated && (q.sort == HouseSort::kPriceInc || q.sort == HouseSort::kPriceDes);
  size_t s = static_cast<size_t>(sort_index(price_sort ? HouseSort::kNew : q.sort));
  const size_t s_price = static_cast<size_t>(sort_index(q.sort));  // a price sort's own order (by base price)
  const Area* area = nullptr;
  if (q.area_id) {
    auto it = by_area_.find(*q.area_id);
    if (it == by_area_.end()) return page;
    area = &it->second;
  }
  const Order& order = area ? area->orders[s] : all_[s];

  // The matches but for the price bounds, a bit each in scratch_ (zeroed
  // again on the way out).
  Domain domain;
  struct Zero {
    Bits& bits;
    const Domain& domain;
    ~Zero() {
      for (const Words& r : domain) std::fill(bits.begin() + r.first, bits.begin() + r.end, 0);
    }
  } zero{scratch_, domain};
  fill(q, area, candidates, domain);
  f.ok = scratch_.data();

  int64_t skip = (q.page - 1) * Houses::kPageSize;
  auto add = [&](uint32_t sl, std::optional<int64_t> total) {
    page.ids.push_back(houses_[sl].id);
    if (f.dated) page.stay_totals.push_back(total ? *total : quote_of(sl, f));
  };

  if (price_sort) {
    // The matches counted, and the first skip + a page of them by quote
    // total (then id DESC, as every sort) kept in a heap whose top is the
    // last kept.
    using Priced = std::pair<int64_t, uint32_t>;
    bool inc = q.sort == HouseSort::kPriceInc;
    auto less = [&](const Priced& a, const Priced& b) {
      if (a.first != b.first) return inc ? a.first < b.first : a.first > b.first;
      return houses_[a.second].id > houses_[b.second].id;
    };
    std::vector<Priced> best;
    const size_t keep = static_cast<size_t>(skip + Houses::kPageSize);
    // The last kept's total, once the heap is full: a match of another
    // total goes in only when before it; one of the same total (many
    // houses share a price) only when newer, which offer() decides.
    int64_t cut = inc ? INT64_MAX : INT64_MIN;
    auto offer = [&](int64_t total, uint32_t sl) __attribute__((noinline)) {
      if (best.size() < keep) {
        best.emplace_back(total, sl);
        std::push_heap(best.begin(), best.end(), less);
      } else if (less({total, sl}, best.front())) {
        std::pop_heap(best.begin(), best.end(), less);
        best.back() = {total, sl};
        std::push_heap(best.begin(), best.end(), less);
      }
      if (best.size() == keep) cut = best.front().first;
    };
    int32_t cut_id = 0;  // the last kept's id, when its total is `cut`
    auto consider = [&](uint32_t sl, int64_t total) __attribute__((always_inline)) {
      if (inc ? total < cut : total > cut) {
        offer(total, sl);
        cut_id = ids_[best.front().second];
      } else if (total == cut && ids_[sl] > cut_id) {
        offer(total, sl);
        cut_id = ids_[best.front().second];
      }
    };
    // A flat house (nine in ten) costs nights x price, so among them the
    // order by stay total is the price order (then id DESC, as here): their
    // first `keep` matches are found by walking that order, from the lower
    // bound on.  The matches are then counted, and only the other houses
    // priced into the heap; the page is the two merged.  A walk that meets
    // too many houses that do not match (a rare keyword, a busy cheap end)
    // gives way to pricing every match.
    const Order& by_price = area ? area->orders[s_price] : all_[s_price];
    auto out_front = [&](uint32_t sl) {
      int64_t base = f.nights * houses_[sl].price;
      return inc ? base < f.low : base > f.high;
    };
    size_t i = static_cast<size_t>(std::partition_point(by_price.begin(), by_price.end(), out_front) - by_price.begin());
    std::vector<Priced> flat;
    constexpr size_t kMaxWalk = 2048;
    size_t walked = 0;
    for (; i < by_price.size() && flat.size() < keep && walked < kMaxWalk; ++i, ++walked) {
      uint32_t sl = by_price[i];
      const Gate& g = gates_[sl];
      if (!g.flat() || g.min_days == kUnlisted) continue;  // (an unlisted house's gate has no price)
      int64_t total = f.nights * g.price;
      if (inc ? total > f.high : total < f.low) {  // every later one too
        i = by_price.size();
        break;
      }
      if (matches(sl, f)) flat.emplace_back(total, sl);
    }
    if (flat.size() == keep || i == by_price.size()) {
      if (!f.priced) {
        page.total = count(domain);
        // A house whose total cannot come before the last kept, nor before
        // the walk's last flat match, is skipped unpriced (Terms::night_low).
        const bool full = flat.size() == keep;
        const int64_t flat_cut = full ? flat.back().first : 0;
        // The other houses from the cheapest night up (price-inc) or the
        // dearest down (price-des), until no later one can come before the
        // page's last: the least (most) a stay of theirs can cost grows
        // (falls) with that night's price, when no price is below zero and
        // no discount outside 0-100 % (else each is tried).
        const FancyOrder& fo = fancy_of(area);
        const int64_t n = f.nights;
        const int64_t pmax = n < kWeeklyNights ? 0 : fo.discount_max;
        const bool bounded = fo.night_min >= 0 && fo.discount_min >= 0 && fo.discount_max <= 100;
        // Whether a stay total at this bound (the least for price-inc, the
        // most for price-des) comes after the last kept and the walk's last.
        auto past = [&](int64_t bound) {
          return inc ? bound > cut || (full && bound > flat_cut) : bound < cut || (full && bound < flat_cut);
        };
        auto try_one = [&](uint32_t sl) __attribute__((always_inline)) {
          if (!(((f.ok[sl / 64] & fancy_bits_[sl / 64]) >> (sl % 64)) & 1)) return;  // (still not flat)
          const Terms& t = terms_[gates_[sl].terms()];
          if (past(stay_total(t.terms(), n, n * (inc ? t.night_low : t.night_high)))) return;
          consider(sl, quote_of(sl, f));
        };
        if (inc) {
          for (const auto& [low, sl] : fo.by_low) {
            int64_t nights_total = n * low;  // the least of any later house: less its largest discount, plus the least fee
            if (bounded && past(nights_total - percent_of(nights_total, pmax) + fo.fee_min)) break;
            try_one(sl);
          }
        } else {
          for (const auto& [high, sl] : fo.by_high) {
            if (bounded && past(n * high + fo.fee_max)) break;  // no discount, the largest fee
            try_one(sl);
          }
        }
      } else {
        const int64_t low = f.low, high = f.high, nights = f.nights;
        int64_t n = 0;
        each_match(domain, nullptr, [&](uint32_t sl) __attribute__((always_inline)) {
          const Gate& g = gates_[sl];
          if (g.flat()) {
            int64_t total = nights * g.price;
            n += (total >= low) & (total <= high);
            return;
          }
          int64_t total = quote_of(sl, f);
          if (total < low || total > high) return;
          ++n;
          consider(sl, total);
        });
        page.total = n;
      }
      std::sort_heap(best.begin(), best.end(), less);
      std::vector<Priced> merged(flat.size() + best.size());
      std::merge(flat.begin(), flat.end(), best.begin(), best.end(), merged.begin(), less);
      merged.resize(std::min(merged.size(), keep));
      for (size_t n = static_cast<size_t>(std::min<int64_t>(skip, page.total)); n < merged.size(); ++n)
        add(merged[n].second, merged[n].first);
      return page;
    }
    // Every match priced.  Last to first: a build numbers an area's slots by
    // id, and of equal totals the newest is first, so a tie met later rarely
    // displaces a kept one.
    each_match(domain, nullptr, [&](uint32_t sl) __attribute__((always_inline)) {
      int64_t total = quote_of(sl, f);
      if (total < f.low || total > f.high) return;
      ++page.total;
      consider(sl, total);
    });
    std::sort_heap(best.begin(), best.end(), less);
    for (size_t n = static_cast<size_t>(std::min<int64_t>(skip, page.total)); n < best.size(); ++n)
      add(best[n].second, best[n].first);
    return page;
  }

  if (!f.priced) page.total = count(domain);
  else each_match(domain, nullptr, [&](uint32_t sl) __attribute__((always_inline)) { page.total += matches(sl, f); });
  if (page.total <= skip) return page;
  int64_t need = skip + std::min<int64_t>(page.total - skip, Houses::kPageSize);  // matches up to the page's end

  // Walking the order passes about order.size() / total houses per match.
  double walk = static_cast<double>(need) * static_cast<double>(order.size()) / static_cast<double>(page.total);
  if (walk <= 4.0 * static_cast<double>(page.total) + 64) {
    int64_t seen = 0;
    for (uint32_t sl : order) {
      if (!matches(sl, f)) continue;
      if (seen >= skip) add(sl, std::nullopt);
      if (++seen == need) break;
    }
    return page;
  }
  std::vector<uint32_t> found;
  found.reserve(static_cast<size_t>(page.total));
  each_match(domain, nullptr, [&](uint32_t sl) {
    if (matches(sl, f)) found.push_back(sl);
  });
  auto less = [&](uint32_t a, uint32_t b) { return before(static_cast<int>(s), a, b); };
  std::partial_sort(found.begin(), found.begin() + need, found.end(), less);
  for (int64_t n = skip; n < need; ++n) add(found[static_cast<size_t>(n)], std::nullopt);
  return page;
}

}  // namespace ihome
