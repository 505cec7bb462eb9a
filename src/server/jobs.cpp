// The job process: see include/ihome/server/jobs.h.
#include "ihome/server/jobs.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/media/image.h"
#include "ihome/pay/settle.h"
#include "ihome/search/live_index.h"
#include "ihome/store/search_source.h"
#include "ihome/store/orders.h"

namespace ihome {

namespace {

volatile sig_atomic_t g_stop = 0;
volatile double g_stop_at = 0;  // monotonic_seconds() at the first SIGTERM/SIGINT

void on_term(int) {
  if (!g_stop) g_stop_at = monotonic_seconds();  // clock_gettime: async-signal-safe
  g_stop = 1;
}

// waitpid, again when a signal interrupts it.
pid_t wait_child(pid_t pid, int* status, int options) {
  pid_t r;
  do r = waitpid(pid, status, options);
  while (r < 0 && errno == EINTR);
  return r;
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGCHLD, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Keeps the saved search index (LiveIndex::save) close to the change log,
// so that the next start reads it and catches up little: saved once the log
// moved and the file is search_index_save_s old, at once kSaveBehind changes
// behind (half of what a catch-up replays) or when its horizon aged out.
// Each save runs in a child process at nice 10 ("ihomed-index"), so that
// writing the file (156 MB at 1M houses, about a second) yields to the
// workers and never delays this process's payment work; it opens its own
// connection.  At the job process's start the master's prebuilt index (this
// process's copy, shared with the child) is saved when newer than the file;
// after that each save reads the file, syncs it and writes it back, holding
// the index only meanwhile.  A failure is logged once until a save works.
// At a stop the file is brought up to date once more (finish), so that a
// restart reads it and replays next to nothing.
class IndexSaver {
 public:
  static constexpr int64_t kSaveBehind = LiveIndex::kMaxChanges / 2;
  // A stop saves the file when it is this far behind the log: replaying
  // fewer at the next start costs less than 0.1 s at 1M houses.
  static constexpr int64_t kStopBehind = 1000;

  IndexSaver(const Config& config) : config_(config), every_s_(config.search_index_save_s) {
    if (every_s_ > 0) path_ = LiveIndex::file_for(config.db);
  }

  void start(Db& db) {
    auto prebuilt = LiveIndex::take_prebuilt();
    if (path_.empty() || !prebuilt) return;
    SearchSource source(db);
    auto token = source.identity();
    auto stamp = LiveIndex::peek(path_);
    if (!token) return;
    // The master's index replaces the file when the master did not use the
    // file (missing, refused: damaged, another database or history, another
    // layout) or when it is newer.
    if (!prebuilt->from_file() || !stamp || stamp->token != *token || stamp->seq < prebuilt->seq() ||
        stamp->base_day < prebuilt->index().base_day())
      in_child([&](Db& own) { return prebuilt->save(own, path_); }, prebuilt->seq());
  }

  void tick(Db& db, int64_t now) {
    if (path_.empty() || saving() || now < next_check_) return;
    next_check_ = now + std::min<int64_t>(every_s_, 30);
    SearchSource source(db);
    auto token = source.identity();
    auto last = source.last_change();
    if (!token || !last) return;
    auto stamp = LiveIndex::peek(path_);
    bool due = !stamp || stamp->token != *token || *last - stamp->seq >= kSaveBehind ||
               (*last != stamp->seq && now - stamp->saved_at >= every_s_) ||
               today() - stamp->base_day > LiveIndex::kMaxAgeDays + LiveIndex::kLookBackDays;
    if (!due) return;
    save_synced();
  }

  // At a stop (SIGTERM): waits for a save still running, then saves once
  // more when the file (this database's) is kStopBehind or more changes
  // behind the log, until `deadline` (monotonic seconds): the master kills
  // this process at shutdown_timeout.  A save cut short is killed and
  // leaves the file as it was (a save writes a .tmp and renames it); the
  // start then replays more.  The master starts the next job process (a
  // reload) only once this one is gone, so two saves never overlap.
  void finish(Db& db, double deadline) {
    if (path_.empty()) return;
    if (!wait_saved(deadline)) return;
    SearchSource source(db);
    auto token = source.identity();
    auto last = source.last_change();
    auto stamp = LiveIndex::peek(path_);
    if (!token || !last || !stamp || stamp->token != *token || *last - stamp->seq < kStopBehind) return;
    log_info("search index saving at stop behind=" + std::to_string(*last - stamp->seq));
    save_synced();
    wait_saved(deadline);
  }

 private:
  // The file read back, caught up with the log and written again, in a child.
  void save_synced() {
    in_child([&](Db& own) -> std::string {
      std::string why;
      std::unique_ptr<LiveIndex> live = LiveIndex::restore(own, path_, why);
      if (!live) live = std::make_unique<LiveIndex>();
      if (Status s = live->sync(own); !s.ok()) return std::string(s.error().text());
      seq_ = live->seq();
      return live->save(own, path_);
    }, 0);
  }

  // Whether no save runs by `deadline` (one still running then is killed).
  bool wait_saved(double deadline) {
    while (saving()) {
      if (monotonic_seconds() >= deadline) {
        kill(child_, SIGKILL);
        wait_child(child_, nullptr, 0);
        child_ = 0;
        log_warn("search index not saved at stop: the save outlasted shutdown_timeout");
        return false;
      }
      usleep(20000);
    }
    return true;
  }

  // Whether a save still runs (and, once it ended, what it said).
  bool saving() {
    if (child_ <= 0) return false;
    int status = 0;
    pid_t r = wait_child(child_, &status, WNOHANG);
    if (r == 0) return true;
    child_ = 0;
    failing_ = !(r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    // A failed save (disk full, a read-only dir) is tried again after
    // search_index_save_s, not at the next check: it may have rebuilt the
    // whole index from SQL to get there.
    if (failing_) next_check_ = std::max<int64_t>(next_check_, unix_now() + every_s_);
    return false;
  }

  template <typename Save>
  void in_child(Save&& save, int64_t seq) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      log_warn(std::string("search index not saved: fork failed: ") + strerror(errno));
      return;
    }
    if (pid > 0) {
      child_ = pid;
      return;
    }
    // SQLite keeps one set of POSIX locks per file and process, and this
    // child inherited the parent's: its own connection's file locks are
    // only bookkeeping.  That is safe while the parent keeps its connection
    // open, which it does for the child's whole life (the child dies with
    // it); the parent must not close or reopen `db` while a save runs.
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a half-written .tmp is truncated by the next save
    prctl(PR_SET_NAME, "ihomed-index");
    if (getppid() != parent) _exit(1);
    setpriority(PRIO_PROCESS, 0, 10);
    std::string error = "cannot open the database";
    if (auto own = Db::open(config_.db, config_.db_busy_timeout_ms, config_.db_max_pages)) {
      seq_ = seq;
      error = save(**own);
    }
    if (error.empty())
      log_info("search index saved file=" + log_quote(path_) + " seq=" + std::to_string(seq_));
    else if (!failing_)
      log_warn("search index not saved: " + error);
    _exit(error.empty() ? 0 : 1);
  }

  const Config& config_;
  int64_t every_s_;
  std::string path_;
  int64_t next_check_ = 0;
  pid_t child_ = 0;
  int64_t seq_ = 0;  // in the child: the entry it saved at
  bool failing_ = false;
};

// The memory the kernel could give without swapping (MemAvailable), or -1.
int64_t memory_available() {
  FILE* f = fopen("/proc/meminfo", "re");
  if (!f) return -1;
  char line[256];
  int64_t kib = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %" SCNd64 " kB", &kib) == 1) break;
  fclose(f);
  return kib < 0 ? -1 : kib * 1024;
}

// Reads the database file once, so that its pages are in the OS page cache
// before requests ask for them: after a reboot, a million houses' random
// reads would otherwise wait for the disk page by page for hours (at 1M,
// house/info at random: 3,500 req/s with p99 68 ms cold, 4,600 with p99
// 19 ms warm).  In a child ("ihomed-warm") at nice 19 and idle I/O
// priority, so it yields to everything; skipped when the file is larger
// than half of the memory available (it would push out what is in use).
// Returns the child, or 0.
pid_t prewarm_database(const Config& config) {
  if (!config.db_prewarm) return 0;
  struct stat st {};
  if (stat(config.db.c_str(), &st) != 0) return 0;
  int64_t available = memory_available();
  if (available >= 0 && st.st_size > available / 2) {
    log_info("database not prewarmed: mb=" + std::to_string(st.st_size >> 20) + " is more than half of available_mb=" +
             std::to_string(available >> 20));
    return 0;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid < 0 ? 0 : pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, "ihomed-warm");
  if (getppid() != parent) _exit(1);
  signal(SIGTERM, SIG_DFL);  // not the job process's handler: a kill ends it
  signal(SIGINT, SIG_DFL);
  setpriority(PRIO_PROCESS, 0, 19);
  constexpr int kIoprioWhoProcess = 1, kIoprioClassIdle = 3, kIoprioClassShift = 13;
  syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, kIoprioClassIdle << kIoprioClassShift);
  auto start = std::chrono::steady_clock::now();
  int fd = open(config.db.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) _exit(1);
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // Only the chunks with a page not in the cache yet are read (mincore on a
  // mapping of the file): a restart or a reload on a warm machine reads none.
  constexpr size_t kChunk = 1 << 20;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = size > 0 ? mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  const size_t pages = (size + page - 1) / page;
  std::vector<unsigned char> resident(map != MAP_FAILED ? pages : 0);
  bool known = map != MAP_FAILED && mincore(map, size, resident.data()) == 0;
  int64_t cold = known ? std::count_if(resident.begin(), resident.end(), [](unsigned char r) { return !(r & 1); })
                       : static_cast<int64_t>(pages);
  std::vector<char> buffer(kChunk);
  int64_t read_bytes = 0;  // by this process; the kernel reads ahead of it
  for (size_t at = 0; at < size; at += kChunk) {
    size_t len = std::min(kChunk, size - at);
    // Read ahead by the kernel since the look above, or cached before.
    unsigned char* chunk = known ? resident.data() + at / page : nullptr;
    if (known && mincore(static_cast<char*>(map) + at, len, chunk) == 0 &&
        std::all_of(chunk, chunk + (len + page - 1) / page, [](unsigned char r) { return (r & 1) != 0; }))
      continue;
    ssize_t n;
    do n = pread(fd, buffer.data(), len, static_cast<off_t>(at));
    while (n < 0 && errno == EINTR);
    if (n <= 0) break;
    read_bytes += n;
  }
  if (map != MAP_FAILED) munmap(map, size);
  close(fd);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  log_info("database prewarmed mb=" + std::to_string(size >> 20) + " cold_mb=" +
           std::to_string((cold * static_cast<int64_t>(page)) >> 20) + " read_mb=" + std::to_string(read_bytes >> 20) +
           " ms=" + std::to_string(ms));
  _exit(0);
}

}  // namespace

int run_jobs(const Config& config, pid_t master_pid) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  prctl(PR_SET_NAME, "ihomed-jobs");
  if (getppid() != master_pid) return 1;
  install_signals();
  set_log_level(config.log_level);

  auto provider = make_payment_provider(config);
  if (!provider) {
    log_error("jobs cannot start: payment provider: " + std::string(provider.error().text()));
    return 1;
  }
  std::unique_ptr<Db> db;
  log_info("jobs started provider=" + config.payment_provider);
  pid_t warm = prewarm_database(config);  // before any connection: the child shares none
  // For the master's first workers (src/server/master.cpp): off the path to the first answer.
  if (int swept = sweep_stale_uploads(config.media_dir, 60); swept > 0)
    log_info("removed stale upload temp files count=" + std::to_string(swept));
  bool failing = false;
  IndexSaver index_saver(config);
  while (!g_stop) {
    if (!db) {
      auto opened = Db::open(config.db, config.db_busy_timeout_ms, config.db_max_pages);
      if (opened) {
        db = std::move(opened.value());
        index_saver.start(*db);
      }
    }
    if (warm > 0 && wait_child(warm, nullptr, WNOHANG) != 0) warm = 0;
    if (db) {
      index_saver.tick(*db, unix_now());
      auto tick = run_jobs_once(*db, provider->get(), config, unix_now(), today());
      if (!tick) {
        if (!failing) log_warn("jobs: " + std::string(tick.error().text()));
        failing = true;
      } else {
        failing = false;
        if (tick->moved || tick->queried || tick->refunds || tick->closed)
          log_debug("jobs tick moved=" + std::to_string(tick->moved) + " queried=" + std::to_string(tick->queried) +
                    " refunds=" + std::to_string(tick->refunds) + " closed=" + std::to_string(tick->closed));
      }
    }
    struct timespec wait = {config.jobs_interval_ms / 1000, (config.jobs_interval_ms % 1000) * 1000000L};
    if (!g_stop) nanosleep(&wait, nullptr);  // a signal ends it early
  }
  if (warm > 0) {
    kill(warm, SIGKILL);
    wait_child(warm, nullptr, 0);
  }
  // Until a second short of the master's shutdown_timeout after the signal, when it kills this process.
  if (db && config.shutdown_timeout > 1) index_saver.finish(*db, g_stop_at + config.shutdown_timeout - 1);
  log_info("jobs stopped");
  return 0;
}

}  // namespace ihome
