// The availability index kept current: see include/ihome/search/live_index.h.
#include "ihome/search/live_index.h"

#include <algorithm>
#include <time.h>

#include <chrono>
#include <vector>

#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/store/orders.h"
#include "ihome/store/search_source.h"

namespace ihome {

namespace {
std::unique_ptr<LiveIndex>& prebuilt() {
  static std::unique_ptr<LiveIndex> index;
  return index;
}
}  // namespace

Status LiveIndex::prebuild(Db& db) {
  auto index = std::make_unique<LiveIndex>();
  Status s = index->sync(db);
  if (!s.ok()) return s;
  prebuilt() = std::move(index);
  return Status::OK();
}

std::unique_ptr<LiveIndex> LiveIndex::take_prebuilt() {
  // After fork this process's copy of the master's memory: moved, not
  // copied, so its pages stay shared until written.
  std::unique_ptr<LiveIndex> taken = std::move(prebuilt());
  if (!taken) return nullptr;
  taken->seen_ = ChangeStamp{};  // another connection's counters: check the log on first use
  return taken;
}

Status LiveIndex::sync(Db& db) {
  auto now = db.change_stamp();
  if (!now) return now.take_error();
  bool stale = !index_ || today() - index_->base_day() > kMaxAgeDays + kLookBackDays;
  int64_t clock = unix_now();
  bool expiring = !expiries_.empty() && expiries_.begin()->first <= clock;
  if (!stale && !expiring && *now == seen_) return Status::OK();

  // One read transaction: the log position and the rows read agree.
  Status s;
  {
    auto tx = Transaction::begin(db, Transaction::Mode::kDeferred);
    if (!tx) return tx.take_error();
    s = stale ? rebuild(db, clock) : catch_up(db, clock);
    if (s.ok()) s = expire(db, clock);
    if (s.ok()) s = tx->commit();
  }
  if (!s.ok()) {
    index_.reset();
    return s;
  }
  seen_ = *now;
  return Status::OK();
}

void LiveIndex::load(const IndexedHouse& house, const std::vector<BusyStay>& stays) {
  index_->upsert(house, stays);
  for (const BusyStay& stay : stays)
    if (stay.until != INT64_MAX) expiries_.emplace(stay.until, house.id);
}

Status LiveIndex::expire(Db& db, int64_t now) {
  if (expiries_.empty() || expiries_.begin()->first > now) return Status::OK();
  std::vector<int64_t> ids;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    ids.push_back(expiries_.begin()->second);
    expiries_.erase(expiries_.begin());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  SearchSource source(db);
  std::vector<BusyStay> stays;
  for (int64_t id : ids) {
    auto house = source.house(id, index_->base_day(), now, stays);
    if (!house) return house.take_error();
    if (*house) load(**house, stays);
    else index_->erase(id);
  }
  return Status::OK();
}

namespace {
// This process's CPU time: the build's own cost, apart from a busy machine's wait.
int64_t cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

Status LiveIndex::rebuild(Db& db, int64_t now) {
  auto start = std::chrono::steady_clock::now();
  int64_t cpu_start = cpu_ms();
  SearchSource source(db);
  auto seq = source.last_change();
  if (!seq) return seq.take_error();
  auto fresh = std::make_unique<AvailabilityIndex>(today() - kLookBackDays);
  std::multimap<int64_t, int64_t> expiries;
  fresh->begin_bulk();
  Status s = source.each_house(fresh->base_day(), now,
                               [&](const IndexedHouse& h, const std::vector<BusyStay>& stays) {
                                 fresh->upsert(h, stays);
                                 for (const BusyStay& stay : stays)
                                   if (stay.until != INT64_MAX) expiries.emplace(stay.until, h.id);
                               });
  if (!s.ok()) return s;
  expiries_ = std::move(expiries);
  auto loaded = std::chrono::steady_clock::now();
  fresh->end_bulk();
  index_ = std::move(fresh);
  seq_ = *seq;
  ++rebuilds_;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  auto load_ms = std::chrono::duration_cast<std::chrono::milliseconds>(loaded - start).count();
  log_info("search index built houses=" + std::to_string(index_->size()) + " ms=" + std::to_string(ms) +
           " load_ms=" + std::to_string(load_ms) + " cpu_ms=" + std::to_string(cpu_ms() - cpu_start) +
           " kib=" + std::to_string(index_->memory_bytes() / 1024) + " seq=" + std::to_string(seq_));
  return Status::OK();
}

Status LiveIndex::catch_up(Db& db, int64_t now) {
  SearchSource source(db);
  auto last = source.last_change();
  if (!last) return last.take_error();
  if (*last == seq_) return Status::OK();
  if (*last < seq_) return rebuild(db, now);  // the log went back: a restored database
  auto changes = source.changes_after(seq_, kMaxChanges + 1);
  if (!changes) return changes.take_error();
  if (changes->empty() || changes->front().first != seq_ + 1 ||
      static_cast<int64_t>(changes->size()) > kMaxChanges)
    return rebuild(db, now);  // entries we need were pruned, or too many to replay
  std::vector<int64_t> ids;
  ids.reserve(changes->size());
  for (const auto& [seq, id] : *changes) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<BusyStay> stays;
  for (int64_t id : ids) {
    auto house = source.house(id, index_->base_day(), now, stays);
    if (!house) return house.take_error();
    if (*house) load(**house, stays);
    else index_->erase(id);
  }
  seq_ = changes->back().first;
  applied_ += changes->size();
  return Status::OK();
}

}  // namespace ihome
