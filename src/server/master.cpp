// The prefork master: see include/ihome/server/master.h.
//
// The master sleeps in sigtimedwait() with SIGCHLD/SIGTERM/SIGINT/SIGHUP
// blocked, so every event is handled in ordinary code, never in a signal
// handler.  A worker that dies is respawned; one that dies young (a crash
// loop: bad config, database gone) is respawned after a growing delay so
// the log is not flooded and the machine not spun.
#include "ihome/server/master.h"

#include "ihome/search/live_index.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "ihome/auth/key_rotation.h"
#include "ihome/auth/real_name.h"
#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/media/image.h"
#include "ihome/metrics/metrics.h"
#include "ihome/pay/provider.h"
#include "ihome/server/jobs.h"
#include "ihome/server/worker.h"
#include "ihome/store/cache.h"
#include "ihome/store/db.h"

namespace ihome {

namespace {

constexpr int kBacklog = 1024;
constexpr int kMaxBackoff = 30;     // seconds
constexpr int kYoungWorker = 5;     // a worker dying sooner counts as a crash loop

bool is_tcp(const std::string& socket) {
  return !socket.empty() && socket[0] != '/' && socket[0] != '.' && socket.find(':') != std::string::npos;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit=" + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal=") + strsignal(WTERMSIG(status));
  return "status=" + std::to_string(status);
}

// 0: two per core.  Measured (bench/results.md): a worker waiting on
// memcached (the session of a logged-in read) or on SQLite's write lock
// leaves its core idle, and with two per core logged-in reads gained ~25%
// and uncached searches ~50% over one per core on 2 cores.
int worker_count(const Config& config) {
  if (config.workers > 0) return config.workers;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? 2 * static_cast<int>(n) : 2;
}

struct Worker {
  pid_t pid;
  double started;
  bool retiring;  // told to stop (reload/shutdown): not respawned
  bool jobs;      // the job process (src/server/jobs.cpp), not a FastCGI worker
  double retired = 0;  // when told to stop
  bool killed = false;
};

class Master {
 public:
  Master(std::string config_path, Config config, int fd)
      : config_path_(std::move(config_path)), config_(std::move(config)), fd_(fd) {}

  int run();

 private:
  void spawn(bool jobs);
  void reap();
  void reload();
  void shutdown();
  void kill_overdue();
  int live_workers() const;
  bool jobs_running() const;

  std::string config_path_;
  Config config_;
  int fd_;
  std::vector<Worker> workers_;
  int backoff_ = 0;
  double next_spawn_ = 0;
};

int Master::live_workers() const {
  return static_cast<int>(std::count_if(workers_.begin(), workers_.end(),
                                        [](const Worker& w) { return !w.retiring && !w.jobs; }));
}

// Retiring included: after a reload the next job process starts only once
// the old one is gone (it may still be saving the search index, and two
// job processes would run the same payment work side by side).
bool Master::jobs_running() const {
  return std::any_of(workers_.begin(), workers_.end(), [](const Worker& w) { return w.jobs; });
}

void Master::spawn(bool jobs) {
  pid_t master = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    log_error(std::string("fork failed: ") + strerror(errno));
    return;
  }
  if (pid == 0) {
    if (jobs) {
      close(fd_);  // the job process answers no request
      _exit(run_jobs(config_, master));
    }
    _exit(run_worker(fd_, config_, master));
  }
  workers_.push_back({pid, monotonic_seconds(), false, jobs});
}

void Master::reap() {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    auto it = std::find_if(workers_.begin(), workers_.end(), [pid](const Worker& w) { return w.pid == pid; });
    if (it == workers_.end()) continue;
    bool expected = it->retiring;
    const char* what = it->jobs ? "jobs" : "worker";
    double lived = monotonic_seconds() - it->started;
    workers_.erase(it);
    if (expected) {
      log_info(std::string(what) + " exited pid=" + std::to_string(pid) + " " + describe_status(status));
      continue;
    }
    metrics::count_worker_restart();
    if (lived < kYoungWorker) backoff_ = backoff_ == 0 ? 1 : std::min(backoff_ * 2, kMaxBackoff);
    else backoff_ = 0;
    next_spawn_ = monotonic_seconds() + backoff_;
    log_warn(std::string(what) + " died pid=" + std::to_string(pid) + " " + describe_status(status) +
             " respawn_in=" + std::to_string(backoff_) + "s");
  }
}

void Master::reload() {
  auto fresh = load_config(config_path_);
  if (!fresh) {
    log_error("reload failed, keeping the running config: " + std::string(fresh.error().text()));
    return;
  }
  if (fresh->socket != config_.socket)
    log_warn("reload: the socket setting changes only on restart; keeping " + config_.socket);
  fresh->socket = config_.socket;
  config_ = std::move(*fresh);
  set_log_level(config_.log_level);
  // Another memcached list starts the pool's shared health afresh (the
  // workers still on the old list keep their own until they leave).
  if (!PoolHealth::share(config_.memcached)) log_warn("memcached pool health not shared");
  // Old workers finish their request and leave; new ones start at once on
  // the same socket, so no request is refused during the swap.
  for (Worker& w : workers_) {
    if (w.retiring) continue;
    w.retiring = true;
    w.retired = monotonic_seconds();
    kill(w.pid, SIGTERM);
  }
  backoff_ = 0;
  next_spawn_ = 0;
  log_info("config reloaded: " + describe_config(config_));
}

// A process told to stop (a reload, a shutdown) that is still there
// shutdown_timeout later is killed: the next job process waits for the old
// one, and a stuck worker would hold its memory for good.
void Master::kill_overdue() {
  double now = monotonic_seconds();
  for (Worker& w : workers_) {
    if (!w.retiring || w.killed || now < w.retired + config_.shutdown_timeout) continue;
    log_warn(std::string(w.jobs ? "jobs" : "worker") + " did not stop in time, killing pid=" + std::to_string(w.pid));
    kill(w.pid, SIGKILL);
    w.killed = true;
  }
}

void Master::shutdown() {
  double now = monotonic_seconds();
  for (Worker& w : workers_) {
    w.retiring = true;
    w.retired = now;  // each gets shutdown_timeout from here
    kill(w.pid, SIGTERM);
  }
  while (!workers_.empty()) {
    reap();
    kill_overdue();
    if (!workers_.empty()) usleep(20000);
  }
}

int Master::run() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, nullptr);

  log_info("ihomed started worker_processes=" + std::to_string(worker_count(config_)) + " " + describe_config(config_));
  // Upload temp files a killed worker left: the job process sweeps them at
  // its start, not each of the first workers, nor this process before the
  // first answer (a read of the whole media dir: ~0.7 s per million
  // images); a worker started later (a respawn, a reload) sweeps itself.
  set_uploads_swept(true);
  while (live_workers() < worker_count(config_)) spawn(false);
  set_uploads_swept(false);
  for (;;) {
    while (live_workers() < worker_count(config_) && monotonic_seconds() >= next_spawn_) spawn(false);
    if (!jobs_running() && monotonic_seconds() >= next_spawn_) spawn(true);
    metrics::set_workers(live_workers());
    struct timespec wait = {0, 200 * 1000 * 1000};
    siginfo_t info;
    int sig = sigtimedwait(&set, &info, &wait);
    if (sig == SIGTERM || sig == SIGINT) {
      log_info(std::string("stopping on ") + strsignal(sig));
      shutdown();
      break;
    }
    if (sig == SIGHUP) reload();
    reap();
    kill_overdue();
  }
  if (!is_tcp(config_.socket)) unlink(config_.socket.c_str());
  log_info("ihomed stopped");
  return 0;
}

}  // namespace

int open_listen_socket(const Config& config) {
  const std::string& path = config.socket;
  if (is_tcp(path)) {
    size_t colon = path.rfind(':');
    std::string host = path.substr(0, colon), port = path.substr(colon + 1);
    struct addrinfo hints {}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
      log_error("cannot resolve socket address " + path);
      return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, kBacklog) != 0) {
      log_error("cannot listen on " + path + ": " + strerror(errno));
      freeaddrinfo(res);
      if (fd >= 0) close(fd);
      return -1;
    }
    freeaddrinfo(res);
    return fd;
  }
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    log_error("socket path too long: " + path);
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      log_error("socket path exists and is not a socket: " + path);
      return -1;
    }
    // Refuse to steal the socket of a running ihomed.
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool alive = connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(probe);
    if (alive) {
      log_error("another process is listening on " + path);
      return -1;
    }
    unlink(path.c_str());
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      chmod(path.c_str(), static_cast<mode_t>(config.socket_mode)) != 0 || listen(fd, kBacklog) != 0) {
    log_error("cannot listen on " + path + ": " + strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

int check_startup(const Config& config, bool prebuild_index) {
  // One clear line for a database ihomed cannot use, before anything else.
  std::string problem = Db::startup_problem(config.db);
  if (!problem.empty()) {
    log_error("cannot start: database " + log_quote(config.db) + " " + problem);
    return 1;
  }
  {
    auto db = Db::open(config.db, config.db_busy_timeout_ms);
    if (!db) {
      log_error("cannot open the database " + config.db);
      return 1;
    }
    Status migrated = migrate(**db);
    if (!migrated.ok()) return 1;
    // The search index, once for every worker (shared copy-on-write); not
    // for `ihomed --check`, which only checks (at 1M houses a build is seconds).
    if (prebuild_index) {
      std::string file = config.search_index_save_s > 0 ? LiveIndex::file_for(config.db) : std::string();
      if (Status built = LiveIndex::prebuild(**db, file); !built.ok())
        log_warn("search index not prebuilt; each worker builds its own");
    }
  }  // closed before fork: workers open their own connections
  if (std::string unfinished = unfinished_key_rotation(config.secret_key_file); !unfinished.empty()) {
    log_error("cannot start: " + unfinished);
    return 1;
  }
  // Created here, once, so workers never race to create the key file.
  auto keys = load_or_create_key_file(config.secret_key_file);
  if (!keys) {
    log_error("secret key file: " + std::string(keys.error().text()));
    return 1;
  }
  // A payment provider that cannot work (alipay without its keys) stops the
  // start here, in one line, not at the first payment.
  if (auto provider = make_payment_provider(config); !provider) {
    log_error("cannot start: payment provider " + config.payment_provider + ": " + std::string(provider.error().text()));
    return 1;
  }
  if (config.payment_provider == "sandbox")
    log_warn("payment_provider = sandbox: payments are confirmed on this site's own /pay.html and move no money "
             "(development only; never in production)");
  if (mkdir(config.media_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    log_error("cannot create media dir " + config.media_dir + ": " + strerror(errno));
    return 1;
  }
  return 0;
}

int run_master(const std::string& config_path, Config config) {
  if (int status = check_startup(config, true); status != 0) return status;
  int fd = open_listen_socket(config);
  if (fd < 0) return 1;
  // Before the first fork, so every worker shares the same counters.
  if (!metrics::init()) log_warn(std::string("metrics off: cannot map shared memory: ") + strerror(errno));
  // Likewise which memcached servers are in the pool's ring: every worker the same.
  if (!PoolHealth::share(config.memcached))
    log_warn(std::string("memcached pool health not shared: cannot map shared memory: ") + strerror(errno));
  Master master(config_path, std::move(config), fd);
  return master.run();
}

}  // namespace ihome
