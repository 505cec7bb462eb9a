// memcached client wrapper: see include/ihome/store/cache.h.
// The text protocol is used (touch and add/incr are all it needs), with
// short timeouts so a stopped memcached costs a request milliseconds, and a
// one-second retry so a restarted one is used again at once.  A pool's
// failed server is taken out of the ring here (eject), not by libmemcached's
// auto-eject: a hung server (accepting, never answering) never fails a
// connect, so libmemcached would keep sending every request its way.
#include "ihome/store/cache.h"

#include <time.h>

#include <cstdlib>

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

Result<std::unique_ptr<Cache>> Cache::connect(const std::string& servers, std::string prefix,
                                              int timeout_ms, int dead_retry_s) {
  std::vector<std::string> list = split_server_list(servers);
  if (list.empty()) return cache_error("no memcached server configured");
  std::unique_ptr<Cache> cache(new Cache(nullptr, std::move(prefix)));
  cache->servers_ = std::move(list);
  cache->dead_until_.assign(cache->servers_.size(), 0);
  cache->pool_ = cache->servers_.size() > 1;
  cache->timeout_ms_ = timeout_ms;
  cache->dead_retry_s_ = dead_retry_s;
  Status built = cache->build();
  if (!built.ok()) return built.take_error();
  return cache;
}

namespace {
double now_seconds() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
}  // namespace

Status Cache::build() {
  memcached_st* mc = memcached_create(nullptr);
  if (!mc) return cache_error("memcached_create failed");
  if (mc_) memcached_free(mc_);
  mc_ = mc;
  if (pool_) {
    // Set before the servers are added, so the ring is built ketama-style:
    // a server leaving moves only its own keys.
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
  }
  double now = now_seconds();
  size_t live = 0;
  for (size_t i = 0; i < servers_.size(); ++i) live += dead_until_[i] <= now;
  for (size_t i = 0; i < servers_.size(); ++i) {
    // With every server out there is nowhere else to go: keep them all.
    if (live > 0 && dead_until_[i] > now) continue;
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
  next_revival_ = 0;
  for (size_t i = 0; i < servers_.size(); ++i)
    if (dead_until_[i] > now && (next_revival_ == 0 || dead_until_[i] < next_revival_)) next_revival_ = dead_until_[i];
  return Status::OK();
}

bool Cache::eject(std::string_view full_key) {
  memcached_return_t rc;
  const memcached_instance_st* server = memcached_server_by_key(mc_, full_key.data(), full_key.size(), &rc);
  if (!server) return false;
  std::string name = memcached_server_name(server);
  in_port_t port = memcached_server_port(server);
  double now = now_seconds();
  size_t live = 0;
  for (size_t i = 0; i < servers_.size(); ++i) live += dead_until_[i] <= now;
  if (live <= 1) return false;  // the last live server stays in
  for (size_t i = 0; i < servers_.size(); ++i) {
    const std::string& s = servers_[i];
    bool unix_socket = s[0] == '/' || s[0] == '.';
    size_t colon = s.rfind(':');
    bool same = unix_socket ? s == name
                            : s.substr(0, colon) == name &&
                                  (colon == std::string::npos ? in_port_t{11211}
                                                              : static_cast<in_port_t>(std::atoi(s.c_str() + colon + 1))) == port;
    if (!same || dead_until_[i] > now) continue;
    dead_until_[i] = now + dead_retry_s_;
    log_warn("memcached server out of the pool for " + std::to_string(dead_retry_s_) + "s server=" + log_quote(s));
    return build().ok();
  }
  return false;
}

template <typename Op>
memcached_return_t Cache::attempt(std::string_view full_key, Op op) {
  if (pool_ && next_revival_ != 0 && now_seconds() >= next_revival_) {
    log_info("memcached pool: trying the servers that were out again");
    (void)build();
  }
  memcached_return_t rc = op();
  // In a pool, the server this key maps to failed: it leaves the ring for
  // cache_dead_retry_s (its keys move to the others; the rest stay put),
  // and the operation is tried once on the ring without it.  So a dead or
  // hung server costs each worker one failure or timeout per period.
  if (pool_ && memcached_fatal(rc) && eject(full_key)) rc = op();
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
