// AvailabilityIndex: a worker's in-memory copy of what house/list filters
// and sorts on (ARCHITECTURE.md "The read path"), so a search costs no SQL
// but the page's ten summaries.
//
// Per house: area, price, order count, rating, min/max days and a bitmap of the
// nights taken (orders in WAIT_ACCEPT, WAIT_COMMENT or COMPLETE) over a
// horizon of kHorizonDays from the day it was built; per sort, the houses
// in the sort's order, all of them and per area.  query() answers what
// Houses::search (the SQL reference) answers — the same ids in the same
// order and the same total — or nullopt when the stay leaves the horizon
// (the caller asks SQL then).
//
// It is pure data: src/search/sync.cpp fills it from SQLite and keeps it
// current from the change log.  One per worker; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "ihome/store/houses.h"
#include "ihome/store/search_source.h"

namespace ihome {

struct IndexPage {
  std::vector<int64_t> ids;  // the page, in order
  int64_t total = 0;         // matches over all pages
};

class AvailabilityIndex {
 public:
  static constexpr int64_t kHorizonDays = 512;
  // House ids are SQLite rowids, dense from 1: the slot of an id is a plain
  // array lookup (4 bytes an id).  An id past kMaxId (someone wrote one by
  // hand) is not indexed; query() then answers nullopt (SQL) until rebuilt.
  static constexpr int64_t kMaxId = int64_t{1} << 24;

  explicit AvailabilityIndex(int64_t base_day = 0) : base_day_(base_day) {}

  int64_t base_day() const { return base_day_; }
  size_t size() const { return count_; }
  // Bytes held (approximately), for the logs.
  size_t memory_bytes() const;

  // Adds or replaces a house with the stays that hold its nights.
  void upsert(const IndexedHouse& house, const std::vector<BusyStay>& stays);
  // Between these two, upsert() of new houses only appends; end_bulk()
  // sorts once (a build of 100k houses, not 100k sorted inserts).
  void begin_bulk() { bulk_ = true; }
  void end_bulk();
  void erase(int64_t house_id);
  bool contains(int64_t house_id) const { return slot(house_id) != kNoSlot; }

  // One page of `q`; `candidates` (ascending ids), when given, restricts
  // the matches to them (a keyword's matches).  nullopt: the stay is not
  // inside [base_day, base_day + kHorizonDays], or a house could not be
  // indexed (see kMaxId).
  std::optional<IndexPage> query(const HouseSearch& q, const std::vector<int64_t>* candidates = nullptr) const;

 private:
  static constexpr int kWords = static_cast<int>(kHorizonDays / 64);
  static constexpr int kSorts = 5;  // HouseSort's values
  using Order = std::vector<uint32_t>;  // slots in a sort's order
  using Orders = std::array<Order, kSorts>;

  static constexpr uint32_t kNoSlot = UINT32_MAX;
  uint32_t slot(int64_t house_id) const {
    return house_id >= 0 && static_cast<uint64_t>(house_id) < slot_of_.size() ? slot_of_[static_cast<size_t>(house_id)]
                                                                                : kNoSlot;
  }
  bool before(int sort, uint32_t a, uint32_t b) const;
  void place(uint32_t slot);
  void unplace(uint32_t slot);
  bool free_nights(uint32_t slot, int64_t from, int64_t to) const;

  int64_t base_day_;
  bool bulk_ = false;
  bool overflow_ = false;  // a house id past kMaxId was left out
  std::vector<IndexedHouse> houses_;    // by slot
  std::vector<uint64_t> nights_;        // kWords per slot
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> slot_of_;  // by house id
  size_t count_ = 0;
  Orders all_;
  std::map<int64_t, Orders> by_area_;
};

}  // namespace ihome
