// In-process fragment cache and SQLite generations: see
// include/ihome/store/local_cache.h.
#include "ihome/store/local_cache.h"

#include "ihome/core/date.h"
#include "ihome/store/orders.h"

namespace ihome {

namespace {
constexpr size_t kEntryOverhead = 96;  // list node, map slot, bookkeeping
constexpr int64_t kMaxDeadlines = 4096;  // pay_by values kept ahead; more are read again when these ran out

size_t entry_bytes(size_t key, size_t value) { return key + value + kEntryOverhead; }
}  // namespace

Status Generations::read_pay_deadlines(Db& db, int64_t now) {
  auto passed = db.prepare("SELECT ifnull(max(pay_by), 0) FROM orders WHERE status = 'WAIT_PAYMENT' AND pay_by <= ?1");
  if (!passed) return passed.take_error();
  passed->bind(1, now);
  auto row = passed->step();
  if (!row) return row.take_error();
  values_[kHoldSlot] = passed->int64(0);
  auto ahead = db.prepare(
      "SELECT pay_by FROM orders WHERE status = 'WAIT_PAYMENT' AND pay_by > ?1 ORDER BY pay_by LIMIT ?2");
  if (!ahead) return ahead.take_error();
  ahead->bind(1, now).bind(2, kMaxDeadlines);
  deadlines_.clear();
  next_deadline_ = 0;
  Status s = ahead->each([&](const Stmt& r) { deadlines_.push_back(r.int64(0)); });
  if (!s.ok()) return s;
  deadlines_cut_ = static_cast<int64_t>(deadlines_.size()) == kMaxDeadlines;
  return Status::OK();
}

Status Generations::refresh(Db& db) { return refresh(db, unix_now()); }

Status Generations::refresh(Db& db, int64_t clock) {
  auto now = db.change_stamp();
  if (!now) return now.take_error();
  if (*now == seen_) {
    // Nothing written; but a pay_by may have passed since.
    while (next_deadline_ < deadlines_.size() && deadlines_[next_deadline_] <= clock)
      values_[kHoldSlot] = deadlines_[next_deadline_++];
    if (next_deadline_ < deadlines_.size() || !deadlines_cut_) return Status::OK();
    return read_pay_deadlines(db, clock);  // ran out of the ones read: read on
  }
  ++change_count_;

  auto read = db.prepare("SELECT kind, gen FROM generations");
  if (!read) return read.take_error();
  Values next = values_;
  Status s = read->each([&](const Stmt& r) {
    std::string kind = r.text(0);
    int k = kind == "catalog" ? 0 : kind == "house" ? 1 : kind == "order" ? 2 : kind == "favorite" ? 3
            : kind == "message" ? 4 : -1;
    if (k >= 0) next[static_cast<size_t>(k)] = r.int64(1);
  });
  if (!s.ok()) return s;
  for (int k = 0; k < kGenKinds; ++k)
    if (next[static_cast<size_t>(k)] < values_[static_cast<size_t>(k)]) ++epoch_;
  values_ = next;
  // The hold slot may go down here (an order stored EXPIRED leaves the
  // WAIT_PAYMENT rows); the order generation moved with that write, so the
  // pair never names an older state.
  Status held = read_pay_deadlines(db, clock);
  if (!held.ok()) return held;
  seen_ = *now;
  return Status::OK();
}

std::string Generations::stamp(GenMask mask) const {
  std::string out;
  for (int k = 0; k < kGenKinds; ++k) {
    if (!(mask & (1u << k))) continue;
    if (!out.empty()) out += '.';
    out += std::to_string(values_[static_cast<size_t>(k)]);
  }
  if (mask & gen_bit(GenKind::kOrder)) out += "~" + std::to_string(values_[kHoldSlot]);
  return out;
}

const std::string* LocalCache::get(std::string_view key, const Generations& gens) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  auto entry = it->second;
  for (int k = 0; k <= kHoldSlot; ++k) {
    if (depends(entry->mask, k) && entry->gens[static_cast<size_t>(k)] != gens.values()[static_cast<size_t>(k)]) {
      drop(entry);
      ++misses_;
      return nullptr;
    }
  }
  lru_.splice(lru_.begin(), lru_, entry);
  ++hits_;
  return &entry->value;
}

void LocalCache::put(std::string_view key, std::string value, GenMask mask, const Generations& gens) {
  auto it = map_.find(key);
  if (it != map_.end()) drop(it->second);
  size_t need = entry_bytes(key.size(), value.size());
  if (need > max_bytes_) return;
  while (bytes_ + need > max_bytes_ && !lru_.empty()) drop(std::prev(lru_.end()));
  lru_.push_front(Entry{std::string(key), std::move(value), mask, gens.values()});
  map_.emplace(std::string_view(lru_.front().key), lru_.begin());
  bytes_ += need;
}

void LocalCache::drop(std::list<Entry>::iterator it) {
  bytes_ -= entry_bytes(it->key.size(), it->value.size());
  map_.erase(std::string_view(it->key));
  lru_.erase(it);
}

void LocalCache::clear() {
  map_.clear();
  lru_.clear();
  bytes_ = 0;
}

}  // namespace ihome
