// The worker's accept loop: see include/ihome/server/worker.h.
#include "ihome/server/worker.h"

#include <fcgiapp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <string>

#include "ihome/api/app.h"
#include "ihome/captcha/captcha.h"
#include "ihome/core/log.h"
#include "ihome/media/image.h"
#include "ihome/metrics/metrics.h"

namespace ihome {

namespace {

volatile sig_atomic_t g_stop = 0;
bool g_uploads_swept = false;  // see set_uploads_swept

void on_term(int) {
  g_stop = 1;
  // Makes a blocked FCGX_Accept_r give up (with FCGI_FAIL_ACCEPT_ON_INTR).
  FCGX_ShutdownPending();
}

void install_worker_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: accept() must return EINTR
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGHUP, SIG_IGN);  // the master reloads; workers are replaced
  signal(SIGPIPE, SIG_IGN);
  signal(SIGCHLD, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Reads the request body; false when it is larger than `limit`, in which
// case the rest is read and dropped so nginx sees a clean answer.
bool read_body(FCGX_Request& fcgi, int64_t length, int64_t limit, std::string& out) {
  bool fits = length <= limit;
  char buf[16384];
  int64_t total = 0;
  if (fits && length > 0) out.reserve(static_cast<size_t>(length));
  for (;;) {
    int n = FCGX_GetStr(buf, sizeof buf, fcgi.in);
    if (n <= 0) break;
    total += n;
    if (total > limit) fits = false;
    if (fits) out.append(buf, static_cast<size_t>(n));
  }
  if (!fits) out.clear();
  return fits;
}

void serve(FCGX_Request& fcgi, Router& router, Context& ctx) {
  std::map<std::string, std::string, std::less<>> params;
  for (char** p = fcgi.envp; p && *p; ++p) {
    std::string_view kv(*p);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    params.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  Reply reply;
  auto req = make_request(params);
  if (!req) {
    std::string ignored;
    read_body(fcgi, 0, 0, ignored);
    reply = error_reply(req.error());
    metrics::count_request(metrics::kUnmatched, reply.status, reply.errno_value, 0);
  } else {
    int64_t limit = body_limit(req->content_type, ctx.config().max_body_bytes, ctx.config().upload_max_bytes);
    bool fits = read_body(fcgi, req->content_length, limit, req->raw_body);
    reply = handle_request(router, ctx, *req, !fits);
  }
  std::string head = reply.head();
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), fcgi.out);
  FCGX_PutStr(reply.body.data(), static_cast<int>(reply.body.size()), fcgi.out);
}

}  // namespace

void set_uploads_swept(bool swept) { g_uploads_swept = swept; }

int run_worker(int listen_fd, const Config& config, pid_t master_pid) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != master_pid) return 1;  // the master died before prctl
  install_worker_signals();
  set_log_level(config.log_level);

  init_imaging();
  auto ctx = Context::create(config);
  if (!ctx) {
    log_error("worker cannot start: " + std::string(ctx.error().text()));
    return 1;
  }
  Router router = make_router(**ctx);
  // A worker killed while writing an upload leaves its temp file behind.
  if (!g_uploads_swept) {
    if (int swept = sweep_stale_uploads(config.media_dir, 60); swept > 0)
      log_info("removed stale upload temp files count=" + std::to_string(swept));
  }
  // The search index is built before the first request, not during it.
  if (auto index = (*ctx)->search_index(); !index)
    log_warn("search index not built yet: " + std::string(index.error().text()));

  if (FCGX_Init() != 0) {
    log_error("FCGX_Init failed");
    return 1;
  }
  FCGX_Request fcgi;
  FCGX_InitRequest(&fcgi, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
  // SIGTERM is blocked while a request is in hand, so a drain never cuts a
  // read or write short; it is delivered when the request is done.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigaddset(&term, SIGINT);
  log_info("worker started");
  while (!g_stop) {
    if (FCGX_Accept_r(&fcgi) < 0) {
      if (g_stop) break;
      usleep(10000);  // a connection that failed before its request: next one
      continue;
    }
    sigprocmask(SIG_BLOCK, &term, nullptr);
    serve(fcgi, router, **ctx);
    FCGX_Finish_r(&fcgi);
    sigprocmask(SIG_UNBLOCK, &term, nullptr);
  }
  FCGX_Free(&fcgi, 0);
  log_info("worker stopped");
  return 0;
}

}  // namespace ihome
