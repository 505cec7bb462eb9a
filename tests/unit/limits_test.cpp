// Unit tests of the pure parts of rate limiting and SMS (src/limits, src/sms).
#include <doctest/doctest.h>

#include <csignal>

#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "ihome/limits/rate_limit.h"
#include "ihome/sms/sms.h"

using namespace ihome;

TEST_CASE("rate limit: fixed windows split time and say how long until the next") {
  Window a = window_of(120, 60);
  CHECK(a.index == 2);
  CHECK(a.retry_after == 60);
  Window b = window_of(179, 60);
  CHECK(b.index == 2);
  CHECK(b.retry_after == 1);
  Window c = window_of(180, 60);
  CHECK(c.index == 3);
  Window day = window_of(86400 * 3 + 5, 86400);
  CHECK(day.index == 3);
  CHECK(day.retry_after == 86395);
}

TEST_CASE("sms: the message is exactly API.md's text with the code and minutes") {
  CHECK(sms_message("123456", 300) == "【爱家租房】您的验证码是123456，5分钟内有效。");
  CHECK(sms_message("000001", 60) == "【爱家租房】您的验证码是000001，1分钟内有效。");
  CHECK(sms_message("999999", 90) == "【爱家租房】您的验证码是999999，2分钟内有效。");
}

TEST_CASE("sms command: exit 0 is sent, the mobile is argv[1] and the message is stdin") {
  char dir[] = "/tmp/ihome-sms-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string script = std::string(dir) + "/send";
  std::string out = std::string(dir) + "/out";
  {
    std::ofstream f(script);
    f << "#!/bin/sh\necho \"$1\" > " << out << "\ncat >> " << out << "\n";
  }
  chmod(script.c_str(), 0755);
  Status s = run_sms_command(script, "13800138000", "hello 你好", 5);
  CHECK(s.ok());
  std::ifstream in(out);
  std::stringstream got;
  got << in.rdbuf();
  CHECK(got.str() == "13800138000\nhello 你好");
  unlink(script.c_str());
  unlink(out.c_str());
  rmdir(dir);
}

TEST_CASE("sms command: non-zero exit, a missing program or no command is THIRDERR") {
  Status failed = run_sms_command("/bin/false", "13800138000", "x", 5);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == Errno::kThirdErr);
  Status missing = run_sms_command("/nonexistent/program", "13800138000", "x", 5);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errno::kThirdErr);
  Status none = run_sms_command("", "13800138000", "x", 5);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == Errno::kThirdErr);
}

TEST_CASE("sms command: a program gone before the message is written does not kill the caller") {
  // The workers ignore SIGPIPE, but run_sms_command must not depend on it:
  // this binary keeps the default, under which a program that exits before
  // the write (here: one that cannot even start) killed the caller with
  // SIGPIPE now and then (seen once in make test: status 141).
  struct sigaction dfl {}, old {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, &old);
  for (int i = 0; i < 400; ++i) {
    Status missing = run_sms_command("/nonexistent/program", "13800138000", std::string(100, 'x'), 5);
    REQUIRE_FALSE(missing.ok());
  }
  sigaction(SIGPIPE, &old, nullptr);
}

TEST_CASE("sms command: a program that hangs is killed after the timeout") {
  char dir[] = "/tmp/ihome-sms-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string script = std::string(dir) + "/hang";
  {
    std::ofstream f(script);
    f << "#!/bin/sh\nexec sleep 30\n";
  }
  chmod(script.c_str(), 0755);
  time_t start = time(nullptr);
  Status s = run_sms_command(script, "13800138000", "x", 1);
  CHECK_FALSE(s.ok());
  CHECK(time(nullptr) - start < 5);
  unlink(script.c_str());
  rmdir(dir);
}
