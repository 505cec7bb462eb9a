// Unit tests of the configuration: include/ihome/core/config.h.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "ihome/core/config.h"
#include "ihome/core/log.h"

namespace ihome {

namespace {
std::string describe_defaults() { return describe_config(Config{}); }

const ConfigKey* key_named(const std::string& name) {
  for (const ConfigKey& k : config_keys())
    if (k.name == name) return &k;
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------- apply_config_text

TEST_CASE("config text sets keys, skipping comments and blank lines") {
  Config c;
  std::string text =
      "# ihomed.conf\n"
      "\n"
      "   \n"
      "  # indented comment\n"
      "workers = 4\n"
      "socket=127.0.0.1:9000\n"
      "\tlog_level\t=\tdebug\t\n"
      "cookie_secure = yes\n"
      "max_body_bytes = 5242880\n";
  Status s = apply_config_text(c, text, "test.conf");
  REQUIRE(s.ok());
  CHECK(c.workers == 4);
  CHECK(c.socket == "127.0.0.1:9000");
  CHECK(c.log_level == "debug");
  CHECK(c.cookie_secure);
  CHECK(c.max_body_bytes == 5242880);
  // Untouched keys keep their defaults.
  CHECK(c.db == "var/ihome.db");
  CHECK(c.session_ttl == 86400);
}

TEST_CASE("config text accepts CRLF line ends and a last line without newline") {
  Config c;
  REQUIRE(apply_config_text(c, "workers = 3\r\nsession_ttl = 120", "crlf.conf").ok());
  CHECK(c.workers == 3);
  CHECK(c.session_ttl == 120);
}

TEST_CASE("config text strips one pair of double quotes around a value") {
  Config c;
  REQUIRE(apply_config_text(c, "captcha_font = \"/fonts/My Font.ttf\"\n", "q.conf").ok());
  CHECK(c.captcha_font == "/fonts/My Font.ttf");
  REQUIRE(apply_config_text(c, "sms_command = \"\"\n", "q.conf").ok());
  CHECK(c.sms_command == "");
  REQUIRE(apply_config_text(c, "cache_prefix = \"ihome2:\"\n", "q.conf").ok());
  CHECK(c.cache_prefix == "ihome2:");
  REQUIRE(apply_config_text(c, "workers = \"8\"\n", "q.conf").ok());
  CHECK(c.workers == 8);
}

TEST_CASE("config text keeps '=' inside a value") {
  Config c;
  REQUIRE(apply_config_text(c, "sms_command = /bin/send --mode=fast\n", "eq.conf").ok());
  CHECK(c.sms_command == "/bin/send --mode=fast");
}

TEST_CASE("config text: an unknown key is an error naming file, line and key") {
  Config c;
  Status s = apply_config_text(c, "# header\nworkers = 2\nwrokers = 3\n", "ihomed.conf");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errno::kParamErr);
  CHECK(s.error().message.find("ihomed.conf:3") != std::string::npos);
  CHECK(s.error().message.find("wrokers") != std::string::npos);
}

TEST_CASE("config text: keys are case-sensitive") {
  Config c;
  CHECK_FALSE(apply_config_text(c, "Workers = 2\n", "c.conf").ok());
}

TEST_CASE("config text: a line without '=' is an error naming the line") {
  Config c;
  Status s = apply_config_text(c, "workers 4\n", "x.conf");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errno::kParamErr);
  CHECK(s.error().message.find("x.conf:1") != std::string::npos);
  CHECK_FALSE(apply_config_text(c, "= 4\n", "x.conf").ok());
}

TEST_CASE("config text: a bad value is an error naming line, key and value") {
  Config c;
  Status s = apply_config_text(c, "\nworkers = many\n", "v.conf");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("v.conf:2") != std::string::npos);
  CHECK(s.error().message.find("workers") != std::string::npos);
  CHECK(s.error().message.find("many") != std::string::npos);
}

TEST_CASE("config text rejects values outside each key's range or vocabulary") {
  const char* bad[] = {
      "workers = -1",          "workers = 257",          "workers = 4.5",
      "workers = 4x",          "workers =",              "workers = 4 # four",
      "workers = 99999999999999999999",
      "shutdown_timeout = 0",  "db_busy_timeout_ms = -5", "cache_timeout_ms = 9",
      "max_body_bytes = 1023", "max_body_bytes = 1073741825",
      "session_ttl = 59",      "captcha_ttl = 3601",      "sms_max_attempts = 0",
      "password_opslimit = 11", "password_memlimit_kib = 7",
      "log_level = verbose",   "log_level = INFO",        "log_level =",
      "sms_provider = twilio", "socket =",                "db =",
      "memcached =",           "cookie_secure = maybe",   "cookie_secure = TRUE",
      "cache_prefix = a b",    "cache_prefix = 012345678901234567890123456789012",
      "media_dir =",           "secret_key_file =",       "upload_max_bytes = 1023",
      "upload_max_bytes = 1073741825",
  };
  for (const char* line : bad) {
    CAPTURE(line);
    Config c;
    CHECK_FALSE(apply_config_text(c, line, "bad.conf").ok());
  }
}

TEST_CASE("config text accepts each key's range boundaries") {
  Config c;
  REQUIRE(apply_config_text(c,
                            "workers = 0\nshutdown_timeout = 3600\nmax_body_bytes = 1024\n"
                            "session_ttl = 2592000\nsms_mobile_interval = 0\n"
                            "password_memlimit_kib = 1048576\n"
                            "cache_prefix = 01234567890123456789012345678901\n",
                            "edge.conf")
              .ok());
  CHECK(c.workers == 0);
  CHECK(c.shutdown_timeout == 3600);
  CHECK(c.max_body_bytes == 1024);
  CHECK(c.session_ttl == 2592000);
  CHECK(c.sms_mobile_interval == 0);
  CHECK(c.password_memlimit_kib == 1048576);
  CHECK(c.cache_prefix.size() == 32);
}

TEST_CASE("config text: cookie_secure takes true/yes/on/1 and false/no/off/0") {
  for (const char* v : {"true", "yes", "on", "1"}) {
    Config c;
    CAPTURE(v);
    REQUIRE(apply_config_text(c, std::string("cookie_secure = ") + v, "b.conf").ok());
    CHECK(c.cookie_secure);
  }
  for (const char* v : {"false", "no", "off", "0"}) {
    Config c;
    c.cookie_secure = true;
    CAPTURE(v);
    REQUIRE(apply_config_text(c, std::string("cookie_secure = ") + v, "b.conf").ok());
    CHECK_FALSE(c.cookie_secure);
  }
}

TEST_CASE("config text: sms_provider is outbox or command") {
  Config c;
  REQUIRE(apply_config_text(c, "sms_provider = command\nsms_command = /usr/local/bin/sms",
                            "s.conf")
              .ok());
  CHECK(c.sms_provider == "command");
  CHECK(c.sms_command == "/usr/local/bin/sms");
}

TEST_CASE("config text: socket_mode is read as octal") {
  Config c;
  REQUIRE(apply_config_text(c, "socket_mode = 0660", "m.conf").ok());
  CHECK(c.socket_mode == 0660);
  REQUIRE(apply_config_text(c, "socket_mode = 0600", "m.conf").ok());
  CHECK(c.socket_mode == 0600);
  REQUIRE(apply_config_text(c, "socket_mode = 777", "m.conf").ok());
  CHECK(c.socket_mode == 0777);
  REQUIRE(apply_config_text(c, "socket_mode = 0", "m.conf").ok());
  CHECK(c.socket_mode == 0);
}

TEST_CASE("config text: socket_mode rejects non-octal digits and modes above 0777") {
  for (const char* v : {"0680", "0998", "01000", "1000", "0x1b6", "rw-rw----", "", "-1"}) {
    Config c;
    CAPTURE(v);
    CHECK_FALSE(apply_config_text(c, std::string("socket_mode = ") + v, "m.conf").ok());
    CHECK(c.socket_mode == 0660);
  }
}

TEST_CASE("config text: a later line overrides an earlier one") {
  Config c;
  REQUIRE(apply_config_text(c, "workers = 2\nworkers = 6\n", "o.conf").ok());
  CHECK(c.workers == 6);
}

TEST_CASE("config text: an empty text changes nothing") {
  Config c;
  REQUIRE(apply_config_text(c, "", "empty.conf").ok());
  CHECK(describe_config(c) == describe_defaults());
}

// ---------------------------------------------------------------- apply_config_env

TEST_CASE("config env applies IHOME_<KEY> in upper case") {
  Config c;
  std::map<std::string, std::string> env = {
      {"IHOME_WORKERS", "5"},
      {"IHOME_SOCKET_MODE", "0600"},
      {"IHOME_CACHE_PREFIX", "test:"},
      {"IHOME_COOKIE_SECURE", "on"},
      {"IHOME_SMS_MOBILE_PER_DAY", "3"},
      {"IHOME_PASSWORD_MEMLIMIT_KIB", "8"},
  };
  REQUIRE(apply_config_env(c, env).ok());
  CHECK(c.workers == 5);
  CHECK(c.socket_mode == 0600);
  CHECK(c.cache_prefix == "test:");
  CHECK(c.cookie_secure);
  CHECK(c.sms_mobile_per_day == 3);
  CHECK(c.password_memlimit_kib == 8);
}

TEST_CASE("config env ignores lower-case names, other prefixes and unrelated IHOME_ variables") {
  Config c;
  std::map<std::string, std::string> env = {
      {"ihome_workers", "5"},
      {"WORKERS", "5"},
      {"IHOME_workers", "5"},
      {"IHOME_URL", "http://127.0.0.1:8080"},  // written by `make run` into stack.env
      {"PATH", "/usr/bin"},
  };
  REQUIRE(apply_config_env(c, env).ok());
  CHECK(c.workers == 0);
}

TEST_CASE("config env: a bad value is an error naming the variable") {
  Config c;
  Status s = apply_config_env(c, {{"IHOME_WORKERS", "lots"}});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errno::kParamErr);
  CHECK(s.error().message.find("IHOME_WORKERS") != std::string::npos);
  CHECK(s.error().message.find("lots") != std::string::npos);
}

TEST_CASE("config env values are taken literally (no quote stripping)") {
  Config c;
  REQUIRE(apply_config_env(c, {{"IHOME_SMS_COMMAND", "\"/bin/x\""}}).ok());
  CHECK(c.sms_command == "\"/bin/x\"");
}

TEST_CASE("config env overrides what the file set") {
  Config c;
  REQUIRE(apply_config_text(c, "workers = 2\nlog_level = warn\n", "f.conf").ok());
  REQUIRE(apply_config_env(c, {{"IHOME_WORKERS", "7"}}).ok());
  CHECK(c.workers == 7);
  CHECK(c.log_level == "warn");
}

TEST_CASE("config env: every key has its IHOME_ variable") {
  const std::string defaults = describe_defaults();
  for (const ConfigKey& k : config_keys()) {
    std::string var = "IHOME_";
    for (char ch : k.name) var += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    CAPTURE(var);
    // The default value is always valid, so applying it must succeed.
    Config c;
    CHECK(apply_config_env(c, {{var, k.default_value}}).ok());
    CHECK(describe_config(c) == defaults);
    // Something absurd must be refused (naming the variable) or taken, never
    // ignored: the variable is read.
    Config d;
    Status s = apply_config_env(d, {{var, "\x01" "absurd"}});
    if (s.ok())
      CHECK(describe_config(d) != defaults);
    else
      CHECK(s.error().message.find(var) != std::string::npos);
  }
}

// ---------------------------------------------------------------- config_keys

TEST_CASE("config_keys lists every Config field once, with its default and help") {
  const std::set<std::string> expected = {
      "socket",           "socket_mode",          "workers",
      "shutdown_timeout", "log_level",            "db",
      "db_busy_timeout_ms", "db_max_pages",       "db_prewarm",         "memcached",          "cache_prefix",
      "cache_timeout_ms", "cache_dead_retry_s",   "local_cache_kib",
      "media_dir",  "secret_key_file",
      "max_body_bytes",   "upload_max_bytes",     "cookie_secure",
      "session_ttl",      "captcha_ttl",          "captcha_font",
      "imagecode_per_minute", "sms_code_ttl",     "sms_max_attempts",
      "sms_mobile_interval", "sms_mobile_per_day", "sms_ip_per_hour",
      "sms_provider",     "sms_command",          "login_max_failures",
      "login_window",     "login_lock",           "password_opslimit",
      "password_memlimit_kib",
      "payment_provider", "payment_window_minutes", "refund_full_days", "public_url",
      "alipay_app_id", "alipay_private_key_file", "alipay_public_key_file", "alipay_gateway",
      "alipay_ca_file", "payment_query_after_s", "payment_query_every_s", "payment_query_grace_s",
      "refund_retry_first_s", "refund_retry_max_s", "jobs_interval_ms", "search_index_save_s",
  };
  std::set<std::string> seen;
  for (const ConfigKey& k : config_keys()) {
    CAPTURE(k.name);
    CHECK(seen.insert(k.name).second);  // no duplicates
    CHECK_FALSE(k.help.empty());
  }
  CHECK(seen == expected);
}

TEST_CASE("config_keys defaults match Config's compiled-in defaults") {
  const std::map<std::string, std::string> defaults = {
      {"socket", "var/run/ihomed.sock"},
      {"socket_mode", "0660"},
      {"workers", "0"},
      {"shutdown_timeout", "10"},
      {"log_level", "info"},
      {"db", "var/ihome.db"},
      {"db_busy_timeout_ms", "5000"},
      {"db_prewarm", "true"},
      {"memcached", "127.0.0.1:11211"},
      {"cache_prefix", "ihome:"},
      {"cache_timeout_ms", "500"},
      {"local_cache_kib", "8192"},
      {"media_dir", "var/media"},
      {"secret_key_file", "var/secret.key"},
      {"max_body_bytes", "1048576"},
      {"upload_max_bytes", "5242880"},
      {"cookie_secure", "false"},
      {"session_ttl", "86400"},
      {"captcha_ttl", "180"},
      {"captcha_font", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"},
      {"imagecode_per_minute", "60"},
      {"sms_code_ttl", "300"},
      {"sms_max_attempts", "5"},
      {"sms_mobile_interval", "60"},
      {"sms_mobile_per_day", "10"},
      {"sms_ip_per_hour", "30"},
      {"sms_provider", "outbox"},
      {"sms_command", ""},
      {"login_max_failures", "5"},
      {"login_window", "900"},
      {"login_lock", "900"},
      {"password_opslimit", "2"},
      {"password_memlimit_kib", "65536"},
      {"search_index_save_s", "600"},
  };
  for (const auto& [name, value] : defaults) {
    CAPTURE(name);
    const ConfigKey* k = key_named(name);
    REQUIRE(k != nullptr);
    CHECK(k->default_value == value);
  }
}

TEST_CASE("config_keys defaults agree with API.md's limits") {
  // API.md: image code 180 s, SMS code 300 s, 5 wrong tries, 60 s / 10 a day per mobile,
  // 30 per IP per hour, 60 image codes a minute, session 24 h, login 5 failures in 15 min,
  // avatars at most 5 MiB.
  CHECK(key_named("captcha_ttl")->default_value == "180");
  CHECK(key_named("sms_code_ttl")->default_value == "300");
  CHECK(key_named("sms_max_attempts")->default_value == "5");
  CHECK(key_named("sms_mobile_interval")->default_value == "60");
  CHECK(key_named("sms_mobile_per_day")->default_value == "10");
  CHECK(key_named("sms_ip_per_hour")->default_value == "30");
  CHECK(key_named("imagecode_per_minute")->default_value == "60");
  CHECK(key_named("session_ttl")->default_value == "86400");
  CHECK(key_named("login_max_failures")->default_value == "5");
  CHECK(key_named("login_window")->default_value == "900");
  CHECK(key_named("login_lock")->default_value == "900");
  CHECK(key_named("cache_prefix")->default_value == "ihome:");
  CHECK(key_named("upload_max_bytes")->default_value == "5242880");
}

TEST_CASE("config_keys defaults are accepted back by the file parser") {
  for (const ConfigKey& k : config_keys()) {
    CAPTURE(k.name);
    Config c;
    CHECK(apply_config_text(c, k.name + " = \"" + k.default_value + "\"\n", "rt.conf").ok());
  }
}

// ---------------------------------------------------------------- describe_config

TEST_CASE("describe_config lists every key as key=value in table order") {
  std::string d = describe_defaults();
  std::string expected;
  for (const ConfigKey& k : config_keys()) {
    if (!expected.empty()) expected += ' ';
    expected += k.name + "=" + log_quote(k.default_value);
  }
  CHECK(d == expected);
  CHECK(d.rfind("socket=var/run/ihomed.sock socket_mode=0660 workers=0 ", 0) == 0);
}

TEST_CASE("describe_config shows the effective values") {
  Config c;
  REQUIRE(apply_config_text(c, "workers = 3\nsocket_mode = 0600\ncookie_secure = 1\n", "d.conf")
              .ok());
  std::string d = describe_config(c);
  CHECK(d.find("workers=3") != std::string::npos);
  CHECK(d.find("socket_mode=0600") != std::string::npos);
  CHECK(d.find("cookie_secure=true") != std::string::npos);
}

TEST_CASE("describe_config quotes values with spaces so the log line stays key=value") {
  // The startup log line must stay machine-readable; log.h's log_quote is the
  // project's way of quoting a key=value log field.
  Config c;
  c.captcha_font = "/fonts/My Font.ttf";
  std::string d = describe_config(c);
  CHECK(d.find("captcha_font=" + log_quote(c.captcha_font)) != std::string::npos);
  CHECK(d.find("captcha_font=/fonts/My Font.ttf") == std::string::npos);
  // An empty value stays visible as "" rather than vanishing.
  CHECK(describe_defaults().find(" sms_command=\"\" ") != std::string::npos);
}

// ---------------------------------------------------------------- load_config

TEST_CASE("load_config: a missing file is an IOERR") {
  Result<Config> r = load_config("/nonexistent/ihomed-test.conf");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errno::kIoErr);
}

TEST_CASE("load_config reads the file, then the environment wins") {
  char path[] = "/tmp/ihome_config_test_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  {
    std::ofstream f(path);
    f << "# test\nworkers = 2\nsession_ttl = 600\n";
  }
  unsetenv("IHOME_WORKERS");  // the test's own environment must not interfere
  setenv("IHOME_SESSION_TTL", "900", 1);
  Result<Config> r = load_config(path);
  unsetenv("IHOME_SESSION_TTL");
  std::remove(path);
  REQUIRE(r.ok());
  CHECK(r->workers == 2);
  CHECK(r->session_ttl == 900);
}

TEST_CASE("load_config: an empty path means defaults plus environment") {
  unsetenv("IHOME_WORKERS");  // the test's own environment must not interfere
  setenv("IHOME_LOGIN_LOCK", "60", 1);
  Result<Config> r = load_config("");
  unsetenv("IHOME_LOGIN_LOCK");
  REQUIRE(r.ok());
  CHECK(r->login_lock == 60);
  CHECK(r->workers == 0);
}

TEST_CASE("load_config: a bad environment value is an error") {
  setenv("IHOME_WORKERS", "-3", 1);
  Result<Config> r = load_config("");
  unsetenv("IHOME_WORKERS");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errno::kParamErr);
}

}  // namespace ihome
