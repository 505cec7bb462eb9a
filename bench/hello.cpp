// The FastCGI ceiling of `make bench`: the least a libfcgi prefork pool can
// do behind nginx — N processes accepting on one unix socket, each answering
// a fixed JSON of about the size of /api/health's.  Built and run by
// scripts/ihome-bench:  bench-hello SOCKET [WORKERS]   (WORKERS 0 = cores).
// SIGTERM/SIGINT stop the workers and reap them.  Workers die with this
// process (PDEATHSIG), and it dies with the process whose pid is in
// $HELLO_PARENT (the bench script), so nothing outlives a run.
#include <fcgiapp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

static const char kReply[] =
    "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n\r\n"
    "{\"errno\":0,\"errmsg\":\"OK\",\"version\":\"bench\",\"db\":\"ok\",\"cache\":\"ok\"}";

static bool orphaned(pid_t parent) {  // from now on, die with `parent`
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  return getppid() != parent;
}

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: %s SOCKET [WORKERS]\n", argv[0]), 2;
  long workers = argc > 2 ? std::atol(argv[2]) : 0;
  if (workers <= 0) workers = sysconf(_SC_NPROCESSORS_ONLN);
  const char* parent = std::getenv("HELLO_PARENT");
  if (parent && orphaned(static_cast<pid_t>(std::atol(parent)))) return 1;

  FCGX_Init();
  unlink(argv[1]);
  int sock = FCGX_OpenSocket(argv[1], 1024);
  if (sock < 0) return std::perror("FCGX_OpenSocket"), 1;

  sigset_t sigs;  // the master handles these in sigwait(), never in a handler
  sigemptyset(&sigs);
  for (int s : {SIGTERM, SIGINT, SIGCHLD}) sigaddset(&sigs, s);
  sigprocmask(SIG_BLOCK, &sigs, nullptr);
  pid_t master = getpid();
  std::vector<pid_t> pids;
  for (long i = 0; i < workers; ++i) {
    pid_t pid = fork();
    if (pid < 0) return std::perror("fork"), 1;
    if (pid > 0) {
      pids.push_back(pid);
      continue;
    }
    sigprocmask(SIG_UNBLOCK, &sigs, nullptr);
    if (orphaned(master)) _exit(1);
    FCGX_Request req;
    FCGX_InitRequest(&req, sock, 0);
    while (FCGX_Accept_r(&req) == 0) {
      FCGX_PutStr(kReply, sizeof kReply - 1, req.out);
      FCGX_Finish_r(&req);
    }
    _exit(0);
  }

  for (int sig = 0; sigwait(&sigs, &sig) == 0 && sig == SIGCHLD;) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) --workers;
    if (workers == 0) break;  // all died: nothing left to serve
  }
  for (pid_t pid : pids) kill(pid, SIGTERM);
  while (wait(nullptr) > 0) {}
  unlink(argv[1]);
  return 0;
}
