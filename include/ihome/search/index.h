// AvailabilityIndex: a worker's in-memory copy of what house/list filters
// and sorts on (ARCHITECTURE.md "The read path"), so a search costs no SQL
// but the page's ten summaries.
//
// Per house: area, price (and the rest of its pricing, API.md "Pricing":
// a dated search filters and sorts on the stay's quote, core/pricing.h,
// the one booking uses), order count, rating, min/max days and a bitmap of the
// nights taken (orders in WAIT_ACCEPT, WAIT_COMMENT or COMPLETE) over a
// horizon of kHorizonDays from the day it was built; per sort, the houses
// in the sort's order, all of them and per area.  query() answers what
// Houses::search (the SQL reference) answers — the same ids in the same
// order and the same total — or nullopt when the stay leaves the horizon
// (the caller asks SQL then).
//
// Layout (docs/scaling.md "The search index at 1M houses"): the nights are
// kept day-major — per night of the horizon, a bit per slot of the houses
// taken that night — beside bits per slot for what a stay's length needs
// (listed, and whether min/max days take n nights), and a build numbers the
// slots area by area.  A search ANDs those words over its area's runs of
// slots (a few thousand words at 1M houses, not a pass over every house)
// into the bits of its matches; the total is their popcount, and the page
// is found by walking the sort's order, testing one bit a house, until it
// is full.
//
// It is pure data: src/search/live_index.cpp fills it from SQLite and keeps
// it current from the change log.  One per worker; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "ihome/core/pricing.h"
#include "ihome/search/index_file.h"
#include "ihome/store/houses.h"
#include "ihome/store/search_source.h"

namespace ihome {

struct IndexPage {
  std::vector<int64_t> ids;  // the page, in order
  int64_t total = 0;         // matches over all pages
  std::vector<int64_t> stay_totals;  // with dates: each page house's quote total (fen), as ids
};

class AvailabilityIndex {
 public:
  static constexpr int64_t kHorizonDays = 512;
  // House ids are SQLite rowids, dense from 1: the slot of an id is a plain
  // array lookup (4 bytes an id).  An id past kMaxId (someone wrote one by
  // hand), or a price, count or rating past 32 bits (the same), is not
  // indexed; query() then answers nullopt (SQL) until rebuilt.
  static constexpr int64_t kMaxId = int64_t{1} << 24;

  explicit AvailabilityIndex(int64_t base_day = 0) : base_day_(base_day) {}

  int64_t base_day() const { return base_day_; }
  size_t size() const { return count_; }
  // A house could not be indexed (kMaxId): every query() answers nullopt.
  bool overflowed() const { return overflow_; }
  // Bytes held (approximately), for the logs.
  size_t memory_bytes() const;

  // Adds or replaces a house with the stays that hold its nights.
  void upsert(const IndexedHouse& house, const std::vector<BusyStay>& stays);
  // Between these two, upsert() of new houses only appends; end_bulk()
  // sorts once (a build of 100k houses, not 100k sorted inserts) and
  // renumbers the slots area by area.
  void begin_bulk();
  void end_bulk();
  void erase(int64_t house_id);
  bool contains(int64_t house_id) const { return slot(house_id) != kNoSlot; }

  // One page of `q`; `candidates` (ascending ids), when given, restricts
  // the matches to them (a keyword's matches).  nullopt: the stay is not
  // inside [base_day, base_day + kHorizonDays], or a house could not be
  // indexed (see kMaxId).
  std::optional<IndexPage> query(const HouseSearch& q, const std::vector<int64_t>* candidates = nullptr) const;

  // Its whole state as the columns it is kept in (index_file.h), for
  // LiveIndex::save; read() of what write() wrote answers every query as
  // this index does.  read() checks every slot, offset and count it reads
  // against the sizes read before it (and the layout against this build's):
  // nullopt when one is off.  Not between begin_bulk() and end_bulk().
  void write(IndexFileWriter& out) const;
  static std::optional<AvailabilityIndex> read(IndexFileReader& in);

 private:
  static constexpr int kWords = static_cast<int>(kHorizonDays / 64);
  static constexpr int kSorts = 5;  // HouseSort's values
  using Order = std::vector<uint32_t>;  // slots in a sort's order
  using Orders = std::array<Order, kSorts>;

  // Whether a house can be shown for a stay, and at what price, packed for
  // the count's scan.  Nine houses in ten have a flat price: no weekend or
  // date price, no cleaning fee, no discount; a stay there costs nights x
  // price (core/pricing.h), no need to read the rest of the house.
  struct Gate {
    int16_t min_days = kUnlisted;  // kUnlisted: not shown at all (offline, or a free slot)
    int16_t max_days = 0;          // 0: no maximum
    int32_t price = 0;             // >= 0: the flat price; < 0: ~price is its Terms in terms_
    bool flat() const { return price >= 0; }
    // 1 when a stay of `nights` nights is within min/max days (never for an
    // unlisted house: kUnlisted is more than any stay), else 0; no branch.
    int takes(int64_t nights) const { return (min_days <= nights) & ((max_days == 0) | (max_days >= nights)); }
    uint32_t terms() const { return static_cast<uint32_t>(~price); }
  };
  static constexpr int16_t kUnlisted = INT16_MAX;

  // A run of consecutive slots.
  struct Span {
    uint32_t first = 0, n = 0;
  };
  // The listed houses whose price is not flat, for a dated price sort: by
  // their cheapest night ascending and by their dearest night descending
  // (Terms::night_low/high, kept beside the slot), with what bounds a stay
  // total from a night price.  Built when first asked after any such house's
  // terms, listing or area changed (fancy_gen_): a booking does not.
  struct FancyOrder {
    uint64_t gen = UINT64_MAX;
    std::vector<std::pair<int64_t, uint32_t>> by_low, by_high;
    // Over its houses (none: the loops over them do not run).
    int64_t fee_min = INT64_MAX, fee_max = INT64_MIN, discount_min = INT64_MAX, discount_max = INT64_MIN;
    int64_t night_min = INT64_MAX;
  };
  struct Area {
    std::vector<uint32_t> members;  // its slots, ascending
    std::vector<Span> runs;         // the same, as runs (one when a build numbered them)
    Orders orders;
    int64_t listed = 0;             // members shown in searches
    mutable FancyOrder fancy;
  };
  using Bits = std::vector<uint64_t>;  // a bit per slot
  // Stays up to this many nights find the houses whose min/max days take
  // them in a bitset (takes_); a longer stay tests each house's gate.
  static constexpr int kTakesNights = 32;

  // What the sorts read of a house: IndexedHouse's sort keys, in 32 bits
  // (see kMaxId).
  struct Kept {
    int32_t id = 0;
    int32_t area_id = 0;
    int32_t price = 0;
    int32_t order_count = 0;
    int32_t rating_sum = 0;
    int32_t rating_count = 0;
  };
  // The price terms of a house whose price is not flat (Gate): one house in
  // ten, kept densely in slot order so that a search pricing them reads on.
  struct Terms {
    int32_t price = 0;
    int32_t weekend_price = 0;
    int32_t cleaning_fee = 0;
    int8_t weekly_discount = 0;
    int8_t monthly_discount = 0;
    uint32_t dates_at = 0, date_count = 0;  // its date prices in date_pool_
    // The nights they span, [first start, last end) (clamped to 32 bits):
    // a stay outside costs what the terms alone say, without reading them.
    int32_t dates_from = 0, dates_to = 0;
    // The least and the most any night costs (base, weekend, date prices):
    // a stay's total lies between these times its nights, discounted, plus
    // the fee (stay_total() grows with the nights' sum), so a price sort
    // skips a house that cannot reach its page without pricing it.
    int64_t night_low = 0, night_high = 0;
    PriceTerms terms() const { return {price, weekend_price, cleaning_fee, weekly_discount, monthly_discount}; }
  };
  static std::optional<Kept> keep(const IndexedHouse& house);
  bool consistent() const;  // read()'s checks

  // What query() tests a slot against.
  struct Filter {
    bool dated = false;
    int64_t nights = 0;
    const uint64_t* ok = nullptr;  // bit per slot: listed, free for the stay, its min/max days, the keyword
    // Prices (API.md "Pricing"): without dates the base price, with dates
    // the stay's quote total, compared with the bounds times the nights.
    bool priced = false;
    int64_t low = INT64_MIN, high = INT64_MAX;
    int64_t start_day = 0, end_day = 0;
    int64_t weekend = 0;  // the stay's weekend nights
  };
  // The words of scratch_ a query set: ranges [first, end) of word
  // indexes, ascending and disjoint.
  struct Words {
    uint32_t first = 0, end = 0;
  };
  using Domain = std::vector<Words>;

  static constexpr uint32_t kNoSlot = UINT32_MAX;
  uint32_t slot(int64_t house_id) const {
    return house_id >= 0 && static_cast<uint64_t>(house_id) < slot_of_.size() ? slot_of_[static_cast<size_t>(house_id)]
                                                                                : kNoSlot;
  }
  bool before(int sort, uint32_t a, uint32_t b) const;
  void place(uint32_t slot);
  void unplace(uint32_t slot);
  void set_gate(uint32_t slot, const IndexedHouse& house, const std::vector<BusyStay>& stays);
  // Whether the slot matches (its bit of f.ok, then the price bounds);
  // with dates and `total` given, *total is its stay's quote total (priced
  // once, for the filter and the answer).
  bool matches(uint32_t slot, const Filter& f, int64_t* total = nullptr) const;
  int64_t quote_of(uint32_t slot, const Filter& f) const;
  static std::vector<Span> runs_of(const std::vector<uint32_t>& members);
  // Sets in scratch_ the bits of q's matches but for the price bounds:
  // the slots of `area` (all when null) or of the keyword's `candidates`
  // there, listed, taking a stay of q's nights, free on each of them.  The
  // words it set, in `domain`.
  void fill(const HouseSearch& q, const Area* area, const std::vector<int64_t>* candidates, Domain& domain) const;
  int64_t count(const Domain& domain) const;
  // fn(slot) for each bit of scratch_ over `domain` (and of `also`, when
  // given), last to first.
  template <typename Fn>
  void each_match(const Domain& domain, const Bits* also, Fn&& fn) const;
  void refresh_bits(size_t word);  // word `word` of listed_bits_, fancy_bits_ and takes_, from gates_
  void size_bits();              // every Bits to houses_.size() slots (and busy_ unless bulk)
  void rebuild_bits();           // every word of those; the areas' runs from their members
  // An area's runs of slots, or (no area) `every`: all slots.
  static std::span<const Span> runs_or(const Area* area, const Span& every);
  void rebuild_chunks();         // chunks_ from busy_
  std::array<uint64_t, kWords> nights_of(uint32_t slot) const;
  // What a FancyOrder holds of a slot: equal before and after an upsert
  // unless the orders must be rebuilt.
  struct FancyKey {
    bool fancy = false;
    int32_t area = 0, fee = 0;
    int8_t weekly = 0, monthly = 0;
    int64_t low = 0, high = 0;
    bool operator==(const FancyKey&) const = default;
  };
  FancyKey fancy_key(uint32_t slot) const;
  void watch_fancy(int64_t house_id, const FancyKey& before);  // ++fancy_gen_ when the key moved
  const FancyOrder& fancy_of(const Area* area) const;          // built if stale
  void release_terms(uint32_t terms);
  std::span<const DatePrice> dates_of(const Terms& t) const { return {date_pool_.data() + t.dates_at, t.date_count}; }
  void set_dates(Terms& t, const std::vector<DatePrice>& dates);
  void compact_terms();

  int64_t base_day_;
  bool bulk_ = false;
  bool overflow_ = false;  // a house id past kMaxId was left out
  std::vector<Kept> houses_;            // by slot
  std::vector<int32_t> ids_;            // houses_[slot].id, by slot: a dated price sort's tie-break reads on
  std::vector<Terms> terms_;            // of the houses whose price is not flat
  std::vector<uint32_t> free_terms_;
  std::vector<DatePrice> date_pool_;    // the terms' date prices, each house's together
  size_t date_garbage_ = 0;             // entries of date_pool_ no Terms points to
  std::vector<Gate> gates_;             // by slot
  Bits listed_bits_;                    // gates_[slot] listed
  Bits fancy_bits_;                     // listed, and its price not flat
  std::array<Bits, kTakesNights> takes_;  // [n - 1]: listed, and its min/max days take n nights
  std::array<Bits, kHorizonDays> busy_;   // [night - base_day_]: the slots taken that night
  // By slot, bit c: some night of [16c, 16c + 16) is taken (in busy_), so
  // that an upsert clears only those nights' bits of the house, not 512.
  static constexpr int kChunkNights = 16;
  static_assert(kHorizonDays / kChunkNights <= 32);
  std::vector<uint32_t> chunks_;
  // Between begin_bulk() and end_bulk(), the nights by slot instead (an
  // upsert writes one slot's words; end_bulk() renumbers, then fills busy_).
  std::vector<std::array<uint64_t, kWords>> bulk_nights_;
  mutable Bits scratch_;                // a query's matches (fill()); zero between queries
  uint64_t fancy_gen_ = 0;
  mutable FancyOrder all_fancy_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> slot_of_;  // by house id
  size_t count_ = 0;
  int64_t listed_ = 0;
  Orders all_;
  std::map<int64_t, Area> by_area_;
};

}  // namespace ihome
