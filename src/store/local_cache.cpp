// In-process fragment cache and SQLite generations: see
// include/ihome/store/local_cache.h.
#include "ihome/store/local_cache.h"

namespace ihome {

namespace {
constexpr size_t kEntryOverhead = 96;  // list node, map slot, bookkeeping

size_t entry_bytes(size_t key, size_t value) { return key + value + kEntryOverhead; }
}  // namespace

Status Generations::refresh(Db& db) {
  auto now = db.change_stamp();
  if (!now) return now.take_error();
  if (*now == seen_) return Status::OK();
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
  return out;
}

const std::string* LocalCache::get(std::string_view key, const Generations& gens) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  auto entry = it->second;
  for (int k = 0; k < kGenKinds; ++k) {
    if ((entry->mask & (1u << k)) && entry->gens[static_cast<size_t>(k)] != gens.values()[static_cast<size_t>(k)]) {
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
