// SMS message and providers: see include/ihome/sms/sms.h.
#include "ihome/sms/sms.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "ihome/core/log.h"

namespace ihome {

std::string sms_message(std::string_view code, int ttl_seconds) {
  int minutes = (ttl_seconds + 59) / 60;
  return "【爱家租房】您的验证码是" + std::string(code) + "，" + std::to_string(minutes) + "分钟内有效。";
}

namespace {

class OutboxProvider : public SmsProvider {
 public:
  explicit OutboxProvider(Db& db) : db_(db) {}
  Status send(const std::string& mobile, const std::string& message) override {
    auto stmt = db_.prepare("INSERT INTO sms_outbox (mobile, body) VALUES (?1, ?2)");
    if (!stmt) return stmt.take_error();
    stmt->bind(1, mobile).bind(2, message);
    return stmt->run();
  }

 private:
  Db& db_;
};

class CommandProvider : public SmsProvider {
 public:
  explicit CommandProvider(std::string command) : command_(std::move(command)) {}
  Status send(const std::string& mobile, const std::string& message) override {
    return run_sms_command(command_, mobile, message, 10);
  }

 private:
  std::string command_;
};

Error sms_failed(const std::string& why) {
  log_error("sms command failed: " + why);
  return Error{Errno::kThirdErr, "短信发送失败", 200, 0};
}

}  // namespace

Status run_sms_command(const std::string& command, const std::string& mobile,
                       const std::string& message, int timeout_seconds) {
  if (command.empty()) return sms_failed("sms_command is not set");
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return sms_failed("pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(in[0]);
    close(in[1]);
    return sms_failed("fork");
  }
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
    // Reset what the worker changed, so the program starts ordinary.
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execl(command.c_str(), command.c_str(), mobile.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  // The message is far below the pipe buffer, so this write cannot block;
  // EPIPE (the program ignored stdin, or is gone already) is not an error by
  // itself, and must not kill the caller: SIGPIPE is blocked around the
  // write and a pending one taken, whatever the process's disposition.
  sigset_t pipe_only, before;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &before);
  ssize_t wrote = write(in[1], message.data(), message.size());
  if (wrote < 0 && errno == EPIPE) {
    const struct timespec no_wait {};
    while (sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  close(in[1]);

  int status = 0;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return sms_failed("waitpid");
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= timeout_seconds) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return sms_failed("timed out");
    }
    poll(nullptr, 0, 10);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return sms_failed("exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  return Status::OK();
}

std::unique_ptr<SmsProvider> make_sms_provider(const Config& config, Db& db) {
  if (config.sms_provider == "command") return std::make_unique<CommandProvider>(config.sms_command);
  return std::make_unique<OutboxProvider>(db);
}

}  // namespace ihome
