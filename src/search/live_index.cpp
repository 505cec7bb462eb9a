// The availability index kept current: see include/ihome/search/live_index.h.
#include "ihome/search/live_index.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <time.h>

#include <chrono>
#include <string>
#include <utility>
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

Status LiveIndex::prebuild(Db& db, const std::string& file) {
  std::unique_ptr<LiveIndex> index;
  if (!file.empty()) {
    auto start = std::chrono::steady_clock::now();
    std::string why;
    index = restore(db, file, why);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    if (index)
      log_info("search index read file=" + log_quote(file) + " houses=" + std::to_string(index->index_->size()) +
               " seq=" + std::to_string(index->seq_) + " ms=" + std::to_string(ms));
    else if (!why.empty())
      log_warn("search index file not used, building from the database: " + why);
  }
  if (!index) index = std::make_unique<LiveIndex>();
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

namespace {
// The file (index_file.h): this header, the expiries, the index's columns.
constexpr uint64_t kFileMagic = 0x32584449656d6f68;  // "homeIDX2"
struct FileHeader {
  uint64_t magic = kFileMagic;
  unsigned char token[16] = {};
  int64_t seq = 0;
  unsigned char log[16] = {};  // log_digest() at seq
  int64_t base_day = 0;
  int64_t saved_at = 0;
};
static_assert(sizeof(FileHeader) == 64);  // no padding

// The change log's last kLogEntries entries up to `seq`, hashed: the file
// fits this database's history only if they are still there as they were.
// One entry is not enough: a backup restored by hand reuses the seq numbers
// of the history it replaced, and the same house may well sit at `seq` in
// both; the houses of 64 entries in a row rarely agree.  nullopt when entry
// `seq` itself is gone.
constexpr int64_t kLogEntries = 64;
Result<std::optional<std::array<unsigned char, 16>>> log_digest(Db& db, int64_t seq) {
  SearchSource source(db);
  auto entries = source.changes_up_to(seq, kLogEntries);
  if (!entries) return entries.take_error();
  if (entries->empty() || entries->front().first != seq) return std::optional<std::array<unsigned char, 16>>();
  std::array<unsigned char, 16> digest{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, digest.size());
  for (const auto& [at, house] : *entries) {
    int64_t pair[2] = {at, house};
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(pair), sizeof pair);
  }
  crypto_generichash_final(&state, digest.data(), digest.size());
  return std::optional<std::array<unsigned char, 16>>(digest);
}
struct FileExpiry {
  int64_t at;
  int64_t house;
};
}  // namespace

std::string LiveIndex::save(Db& db, const std::string& path) const {
  if (!index_) return "no index";
  // An index holding a house it could not index answers nothing (SQL does):
  // not kept, so that the start after the row is fixed builds a good one.
  if (index_->overflowed()) return "the index holds a house it cannot index (an id or value too large)";
  SearchSource source(db);
  auto token = source.identity();
  if (!token) return std::string(token.error().text());
  auto log = log_digest(db, seq_);
  if (!log) return std::string(log.error().text());
  if (!*log) return "the change log no longer holds entry " + std::to_string(seq_);
  FileHeader h;
  if (token->size() != sizeof h.token) return "the database's token is not 16 bytes";
  std::copy(token->begin(), token->end(), h.token);
  h.seq = seq_;
  std::copy((*log)->begin(), (*log)->end(), h.log);
  h.base_day = index_->base_day();
  h.saved_at = unix_now();
  std::vector<FileExpiry> expiries;
  expiries.reserve(expiries_.size());
  for (const auto& [at, id] : expiries_) expiries.push_back({at, id});
  IndexFileWriter out(path);
  out.value(h);
  out.vector(expiries);
  index_->write(out);
  return out.commit();
}

std::optional<LiveIndex::FileStamp> LiveIndex::peek(const std::string& path) {
  IndexFileReader in(path);
  FileHeader h;
  if (!in.value(h) || h.magic != kFileMagic) return std::nullopt;
  return FileStamp{std::string(reinterpret_cast<const char*>(h.token), sizeof h.token), h.seq, h.base_day, h.saved_at};
}

std::unique_ptr<LiveIndex> LiveIndex::restore(Db& db, const std::string& path, std::string& why) {
  why.clear();
  IndexFileReader in(path);
  if (in.missing()) return nullptr;
  FileHeader h;
  if (!in.value(h) || h.magic != kFileMagic) {
    why = log_quote(path) + " is not a search index file of this version";
    return nullptr;
  }
  // Which database, and where in its log: checked before reading the rest.
  {
    auto tx = Transaction::begin(db, Transaction::Mode::kDeferred);
    if (!tx) {
      why = std::string(tx.error().text());
      return nullptr;
    }
    SearchSource source(db);
    auto token = source.identity();
    auto log = log_digest(db, h.seq);
    if (!token || !log) {
      why = std::string(!token ? token.error().text() : log.error().text());
      return nullptr;
    }
    if (*token != std::string(reinterpret_cast<const char*>(h.token), sizeof h.token)) {
      why = log_quote(path) + " was made from another database";
      return nullptr;
    }
    if (!*log || sodium_memcmp((*log)->data(), h.log, sizeof h.log) != 0) {
      why = log_quote(path) + " is at change " + std::to_string(h.seq) +
            ", which the change log no longer holds as it was (pruned, or a restore)";
      return nullptr;
    }
  }
  std::vector<FileExpiry> expiries;
  bool read = in.vector(expiries, AvailabilityIndex::kMaxId * 64);
  std::optional<AvailabilityIndex> index;
  if (read) index = AvailabilityIndex::read(in);
  if (!index || !in.finish() || index->base_day() != h.base_day || index->overflowed()) {
    why = log_quote(path) + " is damaged or of another layout";
    return nullptr;
  }
  auto live = std::make_unique<LiveIndex>();
  live->from_file_ = true;
  live->max_changes_ = kLogKept;
  live->index_ = std::make_unique<AvailabilityIndex>(std::move(*index));
  live->seq_ = h.seq;
  for (const FileExpiry& e : expiries) live->expiries_.emplace(e.at, e.house);
  return live;
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
  const int64_t most = std::exchange(max_changes_, kMaxChanges);
  auto changes = source.changes_after(seq_, most + 1);
  if (!changes) return changes.take_error();
  if (changes->empty() || changes->front().first != seq_ + 1 || static_cast<int64_t>(changes->size()) > most)
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
