// Shared-memory metrics: see include/ihome/metrics/metrics.h.
//
// The segment is a fixed table: route slots (name claimed once with a
// compare-and-swap, then read-only), per-route status-code slots claimed the
// same way, histogram buckets, and plain counters.  Everything is a
// lock-free std::atomic in MAP_SHARED memory, so workers never wait on each
// other and a worker killed mid-request leaves every number consistent.
#include "ihome/metrics/metrics.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <new>
#include <sched.h>

namespace ihome::metrics {

namespace {

static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters need lock-free atomics");
static_assert(std::atomic<int32_t>::is_always_lock_free, "shared slots need lock-free atomics");

constexpr int kRoutes = 128;
constexpr size_t kNameBytes = 64;
constexpr int kCodeSlots = 12;
constexpr int kErrnoSlots = 32;
// Upper bounds (seconds) of the duration histogram; the last bucket is +Inf.
constexpr double kBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
constexpr int kBucketCount = sizeof kBuckets / sizeof kBuckets[0];

enum : uint32_t { kFree = 0, kWriting = 1, kReady = 2 };

// A slot of a small map from a non-zero int key to a counter.
struct KeyedCount {
  std::atomic<int32_t> key;
  std::atomic<uint64_t> count;
};

struct RouteSlot {
  std::atomic<uint32_t> state;
  char name[kNameBytes];
  KeyedCount codes[kCodeSlots];
  std::atomic<uint64_t> buckets[kBucketCount + 1];  // non-cumulative; [kBucketCount] = above the last bound
  std::atomic<uint64_t> sum_micros;
};

struct Segment {
  RouteSlot routes[kRoutes];
  KeyedCount errnos[kErrnoSlots];
  std::atomic<uint64_t> cache_hit, cache_miss, db_busy, worker_restarts, bookings, registrations;
  std::atomic<uint64_t> local_hit, local_miss;
  std::atomic<int64_t> workers;
};

Segment* g_segment = nullptr;

void add(std::atomic<uint64_t>& counter, uint64_t n = 1) { counter.fetch_add(n, std::memory_order_relaxed); }

// Adds one to the slot of `key` (stored as key + 1 so that 0 means free);
// a full table drops the count rather than mislabel it.
void count_keyed(KeyedCount* slots, int n, int key) {
  int32_t stored = key + 1;
  for (int i = 0; i < n; ++i) {
    int32_t k = slots[i].key.load(std::memory_order_acquire);
    if (k == 0) {
      int32_t expected = 0;
      if (slots[i].key.compare_exchange_strong(expected, stored, std::memory_order_acq_rel)) k = stored;
      else k = expected;
    }
    if (k == stored) {
      add(slots[i].count);
      return;
    }
  }
}

uint64_t hash_name(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

bool same_name(const RouteSlot& slot, std::string_view name) {
  return std::strncmp(slot.name, name.data(), name.size()) == 0 && slot.name[name.size()] == '\0';
}

RouteSlot* route_slot(std::string_view name) {
  if (name.empty() || name.size() >= kNameBytes) name = kUnmatched;
  uint64_t start = hash_name(name) % kRoutes;
  for (int probe = 0; probe < kRoutes; ++probe) {
    RouteSlot& slot = g_segment->routes[(start + static_cast<uint64_t>(probe)) % kRoutes];
    uint32_t state = slot.state.load(std::memory_order_acquire);
    if (state == kFree) {
      uint32_t expected = kFree;
      if (slot.state.compare_exchange_strong(expected, kWriting, std::memory_order_acq_rel)) {
        std::memcpy(slot.name, name.data(), name.size());
        slot.name[name.size()] = '\0';
        slot.state.store(kReady, std::memory_order_release);
        return &slot;
      }
      state = expected;
    }
    // Another process is writing this slot's name: it takes nanoseconds,
    // unless that process was killed between the two stores — then the
    // slot is skipped after a bounded wait.
    for (int spins = 0; state == kWriting && spins < 1000; ++spins) {
      sched_yield();
      state = slot.state.load(std::memory_order_acquire);
    }
    if (state == kReady && same_name(slot, name)) return &slot;
  }
  return nullptr;
}

void write_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void simple(std::string& out, const char* name, const char* type, const char* help, long long value) {
  header(out, name, type, help);
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", s);
  return buf;
}

std::string format_bound(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", b);
  return buf;
}

}  // namespace

bool init() {
  if (g_segment) return true;
  void* mem = mmap(nullptr, sizeof(Segment), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return false;
  g_segment = new (mem) Segment();
  return true;
}

bool enabled() { return g_segment != nullptr; }

void count_request(std::string_view route, int status, int errno_value, double seconds) {
  if (!g_segment) return;
  if (RouteSlot* slot = route_slot(route)) {
    count_keyed(slot->codes, kCodeSlots, status);
    int bucket = 0;
    while (bucket < kBucketCount && seconds > kBuckets[bucket]) ++bucket;
    add(slot->buckets[bucket]);
    add(slot->sum_micros, seconds > 0 ? static_cast<uint64_t>(seconds * 1e6 + 0.5) : 0);
  }
  count_keyed(g_segment->errnos, kErrnoSlots, errno_value);
}

void count_cache(bool hit) {
  if (g_segment) add(hit ? g_segment->cache_hit : g_segment->cache_miss);
}
void count_local_cache(bool hit) {
  if (g_segment) add(hit ? g_segment->local_hit : g_segment->local_miss);
}
void count_db_busy() {
  if (g_segment) add(g_segment->db_busy);
}
void count_worker_restart() {
  if (g_segment) add(g_segment->worker_restarts);
}
void set_workers(int n) {
  if (g_segment) g_segment->workers.store(n, std::memory_order_relaxed);
}
void count_booking() {
  if (g_segment) add(g_segment->bookings);
}
void count_registration() {
  if (g_segment) add(g_segment->registrations);
}

std::string render() {
  std::string out;
  out.reserve(16384);
  header(out, "ihome_http_requests_total", "counter", "HTTP requests answered by ihomed, by route pattern and status code.");
  std::string hist;
  header(hist, "ihome_http_request_duration_seconds", "histogram",
         "Time ihomed spent on a request (handler, validation, storage), by route pattern.");
  for (int i = 0; g_segment && i < kRoutes; ++i) {
    const RouteSlot& slot = g_segment->routes[i];
    if (slot.state.load(std::memory_order_acquire) != kReady) continue;
    std::string label = "route=\"";
    write_label_value(label, slot.name);
    label += "\"";
    for (const KeyedCount& c : slot.codes) {
      int32_t key = c.key.load(std::memory_order_acquire);
      if (key == 0) continue;
      out += "ihome_http_requests_total{" + label + ",code=\"" + std::to_string(key - 1) + "\"} " +
             std::to_string(c.count.load(std::memory_order_relaxed)) + "\n";
    }
    // Cumulative buckets; _count is the +Inf bucket, so the two always agree.
    uint64_t cumulative = 0;
    for (int b = 0; b <= kBucketCount; ++b) {
      cumulative += slot.buckets[b].load(std::memory_order_relaxed);
      hist += "ihome_http_request_duration_seconds_bucket{" + label + ",le=\"" +
              (b < kBucketCount ? format_bound(kBuckets[b]) : std::string("+Inf")) + "\"} " +
              std::to_string(cumulative) + "\n";
    }
    hist += "ihome_http_request_duration_seconds_sum{" + label + "} " +
            format_seconds(static_cast<double>(slot.sum_micros.load(std::memory_order_relaxed)) / 1e6) + "\n";
    hist += "ihome_http_request_duration_seconds_count{" + label + "} " + std::to_string(cumulative) + "\n";
  }
  out += hist;
  header(out, "ihome_errno_total", "counter", "API answers by errno (0 = success).");
  for (int i = 0; g_segment && i < kErrnoSlots; ++i) {
    int32_t key = g_segment->errnos[i].key.load(std::memory_order_acquire);
    if (key == 0) continue;
    out += "ihome_errno_total{errno=\"" + std::to_string(key - 1) + "\"} " +
           std::to_string(g_segment->errnos[i].count.load(std::memory_order_relaxed)) + "\n";
  }
  auto load = [](const std::atomic<uint64_t>* c) {
    return c ? static_cast<long long>(c->load(std::memory_order_relaxed)) : 0LL;
  };
  Segment* s = g_segment;
  header(out, "ihome_cache_requests_total", "counter", "memcached lookups, by result.");
  out += "ihome_cache_requests_total{result=\"hit\"} " + std::to_string(load(s ? &s->cache_hit : nullptr)) + "\n";
  out += "ihome_cache_requests_total{result=\"miss\"} " + std::to_string(load(s ? &s->cache_miss : nullptr)) + "\n";
  header(out, "ihome_local_cache_requests_total", "counter",
         "lookups in the workers' own caches of public answers, by result (a miss goes on to memcached or SQLite).");
  out += "ihome_local_cache_requests_total{result=\"hit\"} " + std::to_string(load(s ? &s->local_hit : nullptr)) + "\n";
  out += "ihome_local_cache_requests_total{result=\"miss\"} " + std::to_string(load(s ? &s->local_miss : nullptr)) + "\n";
  simple(out, "ihome_db_busy_total", "counter", "SQLite statements that gave up on a locked database.",
         load(s ? &s->db_busy : nullptr));
  simple(out, "ihome_worker_restarts_total", "counter", "Workers that died unexpectedly and were replaced.",
         load(s ? &s->worker_restarts : nullptr));
  simple(out, "ihome_workers", "gauge", "Live worker processes.",
         s ? static_cast<long long>(s->workers.load(std::memory_order_relaxed)) : 0LL);
  simple(out, "ihome_bookings_total", "counter", "Orders placed (POST /api/order succeeded).",
         load(s ? &s->bookings : nullptr));
  simple(out, "ihome_registrations_total", "counter", "Accounts registered.",
         load(s ? &s->registrations : nullptr));
  return out;
}

}  // namespace ihome::metrics
