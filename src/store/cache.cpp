// memcached client wrapper: see include/ihome/store/cache.h.
// The text protocol is used (touch and add/incr are all it needs), with
// short timeouts so a stopped memcached costs a request milliseconds, and a
// one-second retry so a restarted one is used again at once.  A pool's
// failed server is taken out of the ring here (PoolHealth), not by
// libmemcached's auto-eject: a hung server (accepting, never answering)
// never fails a connect, so libmemcached would keep sending every request
// its way, and its decision would be each worker's own.
#include "ihome/store/cache.h"

#include <sys/mman.h>
#include <time.h>

#include <bit>
#include <cstdlib>
#include <new>

#include "ihome/core/log.h"
#include "ihome/metrics/metrics.h"

namespace ihome {

namespace {

memcached_return_t add_server(memcached_st* mc, const std::string& server) {
  if (server[0] == '/' || server[0] == '.') return memcached_server_add_unix_socket(mc, server.c_str());
  size_t colon = server.rfind(':');
  std::string host = server.substr(0, colon);
  in_port_t port = 11211;
  if (colon != std::string::npos) port = static_cast<in_port_t>(std::atoi(server.c_str() + colon + 1));
  return memcached_server_add(mc, host.c_str(), port);
}

}  // namespace

std::vector<std::string> split_server_list(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

int64_t monotonic_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// ----- PoolHealth ------------------------------------------------------------

namespace {

struct SharedPool {
  std::atomic<uint64_t> fingerprint{0};  // of the server list the slots are for
  PoolHealth::Slot slots[PoolHealth::kMaxServers];
};
SharedPool* g_pool = nullptr;

uint64_t fingerprint_of(const std::vector<std::string>& servers) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a over the list, ',' between
  for (const std::string& s : servers) {
    for (char c : s + ",") h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return h == 0 ? 1 : h;
}

}  // namespace

bool PoolHealth::share(const std::string& servers) {
  if (!g_pool) {
    void* mem = mmap(nullptr, sizeof(SharedPool), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return false;
    g_pool = new (mem) SharedPool();
  }
  uint64_t fp = fingerprint_of(split_server_list(servers));
  if (g_pool->fingerprint.load() != fp) {
    for (Slot& s : g_pool->slots) {
      s.out_until_ms.store(0);
      s.failures.store(0);
    }
    g_pool->fingerprint.store(fp);
  }
  return true;
}

PoolHealth::PoolHealth(const std::vector<std::string>& servers)
    : n_(servers.size()), fingerprint_(fingerprint_of(servers)) {
  if (g_pool && n_ <= kMaxServers && g_pool->fingerprint.load() == fingerprint_) {
    slots_ = g_pool->slots;
    shared_ = true;
  } else {
    own_.reset(new Slot[n_]);
    slots_ = own_.get();
  }
}

uint64_t PoolHealth::live(int64_t now_ms) const {
  uint64_t mask = 0;
  for (size_t i = 0; i < n_; ++i)
    if (slots_[i].out_until_ms.load(std::memory_order_relaxed) <= now_ms) mask |= uint64_t{1} << i;
  return mask;
}

uint64_t PoolHealth::ring(int64_t now_ms) {
  if (shared_ && g_pool->fingerprint.load(std::memory_order_relaxed) != fingerprint_) {
    // A reload gave the pool another list: this (retiring) worker keeps its own.
    own_.reset(new Slot[n_]);
    slots_ = own_.get();
    shared_ = false;
  }
  uint64_t mask = live(now_ms);
  return mask != 0 ? mask : (n_ >= 64 ? ~uint64_t{0} : (uint64_t{1} << n_) - 1);
}

PoolHealth::Failed PoolHealth::failed(size_t i, int64_t now_ms, int64_t out_ms) {
  Slot& slot = slots_[i];
  int32_t in_a_row = slot.failures.fetch_add(1) + 1;
  int64_t until = slot.out_until_ms.load();
  if (until > now_ms) return Failed::kOut;
  if (in_a_row < kEjectAfter) return Failed::kStays;
  if (std::popcount(live(now_ms)) <= 1) return Failed::kStays;  // the last server in stays
  if (!slot.out_until_ms.compare_exchange_strong(until, now_ms + out_ms)) return Failed::kOut;
  slot.failures.store(kEjectAfter - 1);  // on probation when it comes back
  return Failed::kTakenOut;
}

void PoolHealth::succeeded(size_t i) {
  if (slots_[i].failures.load(std::memory_order_relaxed) != 0) slots_[i].failures.store(0);
}

bool PoolHealth::any_failures() const {
  for (size_t i = 0; i < n_; ++i)
    if (slots_[i].failures.load(std::memory_order_relaxed) != 0) return true;
  return false;
}

// ----- Cache -----------------------------------------------------------------

Result<std::unique_ptr<Cache>> Cache::connect(const std::string& servers, std::string prefix,
                                              int timeout_ms, int dead_retry_s) {
  std::vector<std::string> list = split_server_list(servers);
  if (list.empty()) return cache_error("no memcached server configured");
  if (list.size() > PoolHealth::kMaxServers) return cache_error("more than 64 memcached servers");
  std::unique_ptr<Cache> cache(new Cache(nullptr, std::move(prefix)));
  cache->servers_ = std::move(list);
  cache->pool_ = cache->servers_.size() > 1;
  cache->timeout_ms_ = timeout_ms;
  cache->dead_retry_s_ = dead_retry_s;
  uint64_t ring = 1;
  if (cache->pool_) {
    cache->health_ = std::make_unique<PoolHealth>(cache->servers_);
    ring = cache->health_->ring(monotonic_ms());
  }
  Status built = cache->build(ring);
  if (!built.ok()) return built.take_error();
  return cache;
}

Status Cache::build(uint64_t ring) {
  memcached_st* mc = memcached_create(nullptr);
  if (!mc) return cache_error("memcached_create failed");
  if (mc_) memcached_free(mc_);
  mc_ = mc;
  ring_ = ring;
  if (pool_) {
    // Set before the servers are added, so the ring is built ketama-style:
    // a server leaving moves only its own keys.
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
  }
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (!(ring & (uint64_t{1} << i))) continue;
    memcached_return_t rc = add_server(mc, servers_[i]);
    if (rc != MEMCACHED_SUCCESS) return fail("server_add", rc);
  }
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, static_cast<uint64_t>(timeout_ms_));
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, static_cast<uint64_t>(timeout_ms_));
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, static_cast<uint64_t>(timeout_ms_) * 1000);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, static_cast<uint64_t>(timeout_ms_) * 1000);
  // A single server (or a pool's last one) is retried a second after a
  // failure, so a restarted memcached is used again at once.
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  return Status::OK();
}

void Cache::sync_ring() {
  uint64_t ring = health_->ring(monotonic_ms());
  if (ring == ring_) return;
  std::string in, out;
  for (size_t i = 0; i < servers_.size(); ++i)
    ((ring & (uint64_t{1} << i)) ? in : out) += (in.empty() && out.empty() ? "" : ",") + servers_[i];
  log_info("memcached pool ring in=" + log_quote(in) + " out=" + log_quote(out));
  (void)build(ring);
}

int Cache::server_of(std::string_view full_key) {
  memcached_return_t rc;
  const memcached_instance_st* server = memcached_server_by_key(mc_, full_key.data(), full_key.size(), &rc);
  if (!server) return -1;
  std::string name = memcached_server_name(server);
  in_port_t port = memcached_server_port(server);
  for (size_t i = 0; i < servers_.size(); ++i) {
    const std::string& s = servers_[i];
    bool unix_socket = s[0] == '/' || s[0] == '.';
    size_t colon = s.rfind(':');
    bool same = unix_socket ? s == name
                            : s.substr(0, colon) == name &&
                                  (colon == std::string::npos ? in_port_t{11211}
                                                              : static_cast<in_port_t>(std::atoi(s.c_str() + colon + 1))) == port;
    if (same) return static_cast<int>(i);
  }
  return -1;
}

template <typename Op>
memcached_return_t Cache::attempt(std::string_view full_key, Op op) {
  if (!pool_) return op();
  sync_ring();
  memcached_return_t rc = op();
  // The key's server failed: counted (in the pool's shared health), then
  // tried again at once on a fresh connection (libmemcached would hold the
  // server back for a second), so a hiccup costs nothing.  Its
  // kEjectAfter-th failure in a row takes it out of every worker's ring for
  // cache_dead_retry_s (its keys move to the others; the rest stay put), and
  // the operation is tried once on the ring without it.  A dead or hung
  // server costs the pool kEjectAfter failures or timeouts per period.
  for (int tries = 1; memcached_fatal(rc); ++tries) {
    int i = server_of(full_key);
    if (i < 0) return rc;
    auto failed = health_->failed(static_cast<size_t>(i), monotonic_ms(), int64_t{dead_retry_s_} * 1000);
    if (failed == PoolHealth::Failed::kTakenOut)
      log_warn("memcached server out of the pool for " + std::to_string(dead_retry_s_) + "s after " +
               std::to_string(PoolHealth::kEjectAfter) + " failures in a row server=" + log_quote(servers_[i]));
    (void)build(ring_);  // fresh connections
    if (failed != PoolHealth::Failed::kStays) {
      sync_ring();
      return op();
    }
    if (tries >= PoolHealth::kEjectAfter) return rc;  // the last server in: nowhere else to go
    rc = op();
  }
  if (health_->any_failures()) {
    int i = server_of(full_key);
    if (i >= 0) health_->succeeded(static_cast<size_t>(i));
  }
  return rc;
}

Cache::~Cache() { memcached_free(mc_); }

std::string Cache::full_key(std::string_view key) const {
  std::string k;
  k.reserve(prefix_.size() + key.size());
  k.append(prefix_).append(key);
  return k;
}

Error Cache::fail(const char* what, memcached_return_t rc) {
  log_error(std::string("memcached ") + what + " failed error=" +
            log_quote(memcached_strerror(mc_, rc)));
  return cache_error("缓存服务不可用");
}

Result<std::optional<std::string>> Cache::get(std::string_view key) {
  std::string k = full_key(key);
  size_t length = 0;
  uint32_t flags = 0;
  char* value = nullptr;
  memcached_return_t rc = attempt(k, [&] {
    free(value);
    memcached_return_t r;
    value = memcached_get(mc_, k.data(), k.size(), &length, &flags, &r);
    // A timed-out read reported as a miss (see below) is a failure here too.
    if (r == MEMCACHED_NOTFOUND && memcached_fatal(memcached_last_error(mc_))) return memcached_last_error(mc_);
    return r;
  });
  // libmemcached can report a read that timed out as NOTFOUND (its fetch
  // turns "no result" into a miss; awesomized/libmemcached#67): a miss is
  // only a miss when the handle recorded no failure on the way.
  if (rc == MEMCACHED_NOTFOUND && memcached_fatal(memcached_last_error(mc_))) {
    free(value);
    return fail("get", memcached_last_error(mc_));
  }
  if (rc == MEMCACHED_NOTFOUND) {
    metrics::count_cache(false);
    return std::optional<std::string>();
  }
  if (rc != MEMCACHED_SUCCESS) {
    free(value);
    return fail("get", rc);
  }
  metrics::count_cache(true);
  std::string out(value ? value : "", length);
  free(value);
  return std::optional<std::string>(std::move(out));
}

Status Cache::set(std::string_view key, std::string_view value, int ttl_seconds) {
  std::string k = full_key(key);
  memcached_return_t rc = attempt(k, [&] {
    return memcached_set(mc_, k.data(), k.size(), value.data(), value.size(),
                         static_cast<time_t>(ttl_seconds), 0);
  });
  if (rc != MEMCACHED_SUCCESS) return fail("set", rc);
  return Status::OK();
}

Result<bool> Cache::add(std::string_view key, std::string_view value, int ttl_seconds) {
  std::string k = full_key(key);
  memcached_return_t rc = attempt(k, [&] {
    return memcached_add(mc_, k.data(), k.size(), value.data(), value.size(),
                         static_cast<time_t>(ttl_seconds), 0);
  });
  if (rc == MEMCACHED_SUCCESS) return true;
  if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS) return false;
  return fail("add", rc);
}

Result<bool> Cache::append(std::string_view key, std::string_view value) {
  std::string k = full_key(key);
  memcached_return_t rc =
      attempt(k, [&] { return memcached_append(mc_, k.data(), k.size(), value.data(), value.size(), 0, 0); });
  if (rc == MEMCACHED_SUCCESS) return true;
  if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_NOTFOUND) return false;
  return fail("append", rc);
}

Result<bool> Cache::remove(std::string_view key) {
  std::string k = full_key(key);
  memcached_return_t rc = attempt(k, [&] { return memcached_delete(mc_, k.data(), k.size(), 0); });
  if (rc == MEMCACHED_SUCCESS) return true;
  if (rc == MEMCACHED_NOTFOUND) return false;
  return fail("delete", rc);
}

Result<bool> Cache::touch(std::string_view key, int ttl_seconds) {
  std::string k = full_key(key);
  memcached_return_t rc =
      attempt(k, [&] { return memcached_touch(mc_, k.data(), k.size(), static_cast<time_t>(ttl_seconds)); });
  if (rc == MEMCACHED_SUCCESS) return true;
  if (rc == MEMCACHED_NOTFOUND) return false;
  return fail("touch", rc);
}

Result<uint64_t> Cache::increment(std::string_view key, int ttl_seconds) {
  std::string k = full_key(key);
  // add-then-incr: the add fixes the window's expiry once; incr never
  // changes it.  Retried once in case the key expired between the two.
  for (int round = 0; round < 2; ++round) {
    memcached_return_t rc = attempt(
        k, [&] { return memcached_add(mc_, k.data(), k.size(), "0", 1, static_cast<time_t>(ttl_seconds), 0); });
    if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTSTORED && rc != MEMCACHED_DATA_EXISTS)
      return fail("add", rc);
    uint64_t value = 0;
    rc = attempt(k, [&] { return memcached_increment(mc_, k.data(), k.size(), 1, &value); });
    if (rc == MEMCACHED_SUCCESS) return value;
    if (rc != MEMCACHED_NOTFOUND) return fail("incr", rc);
  }
  return fail("incr", MEMCACHED_NOTFOUND);
}

Result<std::optional<std::string>> Cache::take(std::string_view key) {
  auto value = get(key);
  if (!value || !value->has_value()) return value;
  auto removed = remove(key);
  if (!removed) return removed.take_error();
  if (!*removed) return std::optional<std::string>();  // someone else took it first
  return value;
}

Status Cache::ping() {
  // A set/get round trip: memcached_version() does not fail on a dead server.
  Status s = set("health", "1", 10);
  if (!s.ok()) return s;
  auto v = get("health");
  if (!v) return v.take_error();
  return Status::OK();
}

}  // namespace ihome
