// The job process: see include/ihome/server/jobs.h.
#include "ihome/server/jobs.h"

#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/pay/settle.h"
#include "ihome/store/orders.h"

namespace ihome {

namespace {

volatile sig_atomic_t g_stop = 0;

void on_term(int) { g_stop = 1; }

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
  bool failing = false;
  while (!g_stop) {
    if (!db) {
      auto opened = Db::open(config.db, config.db_busy_timeout_ms, config.db_max_pages);
      if (opened) db = std::move(opened.value());
    }
    if (db) {
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
    nanosleep(&wait, nullptr);  // a signal ends it early
  }
  log_info("jobs stopped");
  return 0;
}

}  // namespace ihome
