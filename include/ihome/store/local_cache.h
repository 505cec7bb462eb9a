// LocalCache and Generations: the worker's in-process first level of the
// read path (ARCHITECTURE.md "The read path").  A fragment (a JSON answer
// part) is kept with the SQLite generations of the kinds of data it was
// built from, and served while they hold; the generations come from the
// table sql/008_read_path.sql's triggers bump inside every writing
// transaction, so a write by any worker, ihome-admin or a restore
// invalidates at once, and a hit costs no network round trip.
//
// Generations::refresh() runs once per request: `PRAGMA data_version`
// (changes when another connection committed) and this connection's
// sqlite3_total_changes() (changes when it wrote itself) are compared with
// what was seen last; only when one moved is the generations table read.
// Read the generations BEFORE the data a fragment is built from: then a
// fragment is never older than the generations it is stored under.
//
// One per worker process; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

enum class GenKind : int { kCatalog = 0, kHouse = 1, kOrder = 2, kFavorite = 3, kMessage = 4 };
constexpr int kGenKinds = 5;

// A set of kinds a fragment depends on.
using GenMask = unsigned;
constexpr GenMask gen_bit(GenKind k) { return 1u << static_cast<int>(k); }

// Time moves the order kind too, with no write to say so: a WAIT_PAYMENT
// order stops holding its nights at its pay_by (include/ihome/store/orders.h).
// So the values carry one slot more, kHoldSlot: the latest pay_by that has
// passed, as of now; a fragment depending on kOrder depends on it too.
constexpr int kHoldSlot = kGenKinds;

class Generations {
 public:
  using Values = std::array<int64_t, kGenKinds + 1>;

  // Brings the values up to date with the database and the clock (unix
  // time `now`); DBERR when it cannot be read.
  Status refresh(Db& db, int64_t now);
  Status refresh(Db& db);  // at the current time
  const Values& values() const { return values_; }
  int64_t get(GenKind k) const { return values_[static_cast<int>(k)]; }
  // How many times the values went back since the start (a restore of an
  // older copy); the owner of caches drops them when it moves.
  uint64_t epoch() const { return epoch_; }
  // A short text of the kinds in `mask`, for second-level (memcached) keys.
  std::string stamp(GenMask mask) const;
  // Moves whenever refresh() saw the database change at all (a commit by
  // any connection, or one of this connection's own writes): what is kept
  // under an unchanged value was read from the database as it still is.
  // For data without a generation kind of its own (the account check of
  // Context::session_of).
  uint64_t change_count() const { return change_count_; }
  // Whether this connection wrote since the last refresh() (no syscall).
  bool wrote_since(Db& db) const { return sqlite3_total_changes64(db.handle()) != seen_.total_changes; }

 private:
  Status read_pay_deadlines(Db& db, int64_t now);

  Values values_{};
  ChangeStamp seen_;
  std::vector<int64_t> deadlines_;  // pay_by of WAIT_PAYMENT orders still ahead at the last read, ascending
  size_t next_deadline_ = 0;
  bool deadlines_cut_ = false;  // more were ahead than deadlines_ holds
  uint64_t epoch_ = 0;
  uint64_t change_count_ = 0;
};

class LocalCache {
 public:
  // At most `max_bytes` of keys and values (0: caches nothing).
  explicit LocalCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The fragment under `key` when every kind of its mask still has the
  // generation it was stored with; nullptr otherwise (a stale one is dropped).
  const std::string* get(std::string_view key, const Generations& gens);
  void put(std::string_view key, std::string value, GenMask mask, const Generations& gens);
  void clear();

  size_t bytes() const { return bytes_; }
  size_t size() const { return map_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    std::string key;
    std::string value;
    GenMask mask;
    Generations::Values gens;
  };
  static bool depends(GenMask mask, int slot) {
    return slot == kHoldSlot ? (mask & gen_bit(GenKind::kOrder)) != 0 : (mask & (1u << slot)) != 0;
  }
  void drop(std::list<Entry>::iterator it);

  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> map_;  // views into lru_ keys
};

}  // namespace ihome
