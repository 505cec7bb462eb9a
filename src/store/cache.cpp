// memcached client wrapper: see include/ihome/store/cache.h.
// The text protocol is used (touch and add/incr are all it needs), with
// short timeouts so a stopped memcached costs a request milliseconds, and a
// one-second retry so a restarted one is used again at once.
#include "ihome/store/cache.h"

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
  memcached_st* mc = memcached_create(nullptr);
  if (!mc) return cache_error("memcached_create failed");
  std::unique_ptr<Cache> cache(new Cache(mc, std::move(prefix)));
  cache->pool_ = list.size() > 1;
  if (cache->pool_) {
    // Set before the servers are added, so the ring is built ketama-style.
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
  }
  for (const std::string& server : list) {
    memcached_return_t rc = add_server(mc, server);
    if (rc != MEMCACHED_SUCCESS) return cache->fail("server_add", rc);
  }
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, static_cast<uint64_t>(timeout_ms));
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, static_cast<uint64_t>(timeout_ms));
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, static_cast<uint64_t>(timeout_ms) * 1000);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, static_cast<uint64_t>(timeout_ms) * 1000);
  memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  if (cache->pool_) {
    // The first failure takes the server out of the ring (its keys go to
    // the others) for dead_retry_s; then one request of this worker tries
    // it again.
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, 1);
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SERVER_TIMEOUT_LIMIT, 1);
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, 1);
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, static_cast<uint64_t>(dead_retry_s));
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DEAD_TIMEOUT, static_cast<uint64_t>(dead_retry_s));
  } else {
    // One server: nowhere else to go, so a restarted one is used again at once.
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1);
  }
  return cache;
}

template <typename Op>
memcached_return_t Cache::attempt(Op op) {
  memcached_return_t rc = op();
  // libmemcached (1.1) walks a dead server through three answers: the
  // connection it had dies (SYSTEM ERROR), the reconnect fails and marks
  // it (CONNECTION FAILURE), the next call finds it marked (SERVER IS
  // MARKED DEAD) and drops it from the ring; the try after that lands on
  // its successor.  Against a dead unix socket or a refused port each try
  // is immediate; this happens once per worker per cache_dead_retry_s.
  for (int retry = 0; pool_ && memcached_fatal(rc) && retry < 3; ++retry) {
    log_warn(std::string("memcached server failed, retrying on the rest of the pool error=") +
             log_quote(memcached_strerror(mc_, rc)));
    rc = op();
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
  memcached_return_t rc = attempt([&] {
    free(value);
    memcached_return_t r;
    value = memcached_get(mc_, k.data(), k.size(), &length, &flags, &r);
    return r;
  });
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
  memcached_return_t rc = attempt([&] {
    return memcached_set(mc_, k.data(), k.size(), value.data(), value.size(),
                         static_cast<time_t>(ttl_seconds), 0);
  });
  if (rc != MEMCACHED_SUCCESS) return fail("set", rc);
  return Status::OK();
}

Result<bool> Cache::add(std::string_view key, std::string_view value, int ttl_seconds) {
  std::string k = full_key(key);
  memcached_return_t rc = attempt([&] {
    return memcached_add(mc_, k.data(), k.size(), value.data(), value.size(),
                         static_cast<time_t>(ttl_seconds), 0);
  });
  if (rc == MEMCACHED_SUCCESS) return true;
  if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS) return false;
  return fail("add", rc);
}

Result<bool> Cache::remove(std::string_view key) {
  std::string k = full_key(key);
  memcached_return_t rc = attempt([&] { return memcached_delete(mc_, k.data(), k.size(), 0); });
  if (rc == MEMCACHED_SUCCESS) return true;
  if (rc == MEMCACHED_NOTFOUND) return false;
  return fail("delete", rc);
}

Result<bool> Cache::touch(std::string_view key, int ttl_seconds) {
  std::string k = full_key(key);
  memcached_return_t rc =
      attempt([&] { return memcached_touch(mc_, k.data(), k.size(), static_cast<time_t>(ttl_seconds)); });
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
        [&] { return memcached_add(mc_, k.data(), k.size(), "0", 1, static_cast<time_t>(ttl_seconds), 0); });
    if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTSTORED && rc != MEMCACHED_DATA_EXISTS)
      return fail("add", rc);
    uint64_t value = 0;
    rc = attempt([&] { return memcached_increment(mc_, k.data(), k.size(), 1, &value); });
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
