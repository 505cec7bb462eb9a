// Config loading: one table of keys binds each name to its field, its parser
// and its help text, so the file, the environment, --help and the startup
// log can never disagree.
#include "ihome/core/config.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "ihome/core/log.h"
#include "ihome/core/text.h"
#include "ihome/store/cache.h"

extern char** environ;

namespace ihome {

namespace {

using Setter = std::function<bool(Config&, const std::string&)>;
using Getter = std::function<std::string(const Config&)>;

struct Binding {
  const char* name;
  const char* help;
  Setter set;
  Getter get;
};

// Strict: decimal like everywhere else (parse_int64), or octal digits
// after a leading 0 for permission modes; no signs, no spaces.
bool parse_int(const std::string& s, int64_t min, int64_t max, int64_t& out, int base = 10) {
  std::optional<int64_t> v;
  if (base == 8) {
    if (s.empty() || s.size() > 12 || s.find_first_not_of("01234567") != std::string::npos) return false;
    v = std::strtoll(s.c_str(), nullptr, 8);
  } else {
    v = parse_int64(s);
  }
  if (!v || *v < min || *v > max) return false;
  out = *v;
  return true;
}

Binding int_key(const char* name, int Config::*field, int64_t min, int64_t max, const char* help,
                int base = 10) {
  return {name, help,
          [=](Config& c, const std::string& v) {
            int64_t n;
            if (!parse_int(v, min, max, n, base)) return false;
            c.*field = static_cast<int>(n);
            return true;
          },
          [=](const Config& c) {
            if (base == 8) {
              char buf[16];
              snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(c.*field));
              return std::string(buf);
            }
            return std::to_string(c.*field);
          }};
}

Binding int64_key(const char* name, int64_t Config::*field, int64_t min, int64_t max,
                  const char* help) {
  return {name, help,
          [=](Config& c, const std::string& v) {
            int64_t n;
            if (!parse_int(v, min, max, n)) return false;
            c.*field = n;
            return true;
          },
          [=](const Config& c) { return std::to_string(c.*field); }};
}

Binding string_key(const char* name, std::string Config::*field, const char* help,
                   std::function<bool(const std::string&)> valid = nullptr) {
  return {name, help,
          [=](Config& c, const std::string& v) {
            if (valid && !valid(v)) return false;
            c.*field = v;
            return true;
          },
          [=](const Config& c) { return c.*field; }};
}

Binding bool_key(const char* name, bool Config::*field, const char* help) {
  return {name, help,
          [=](Config& c, const std::string& v) {
            if (v == "true" || v == "yes" || v == "on" || v == "1") c.*field = true;
            else if (v == "false" || v == "no" || v == "off" || v == "0") c.*field = false;
            else return false;
            return true;
          },
          [=](const Config& c) { return std::string(c.*field ? "true" : "false"); }};
}

const std::vector<Binding>& bindings() {
  static const std::vector<Binding> table = {
      string_key("socket", &Config::socket,
                 "FastCGI socket: a unix socket path, or host:port",
                 [](const std::string& v) { return !v.empty(); }),
      int_key("socket_mode", &Config::socket_mode, 0, 0777,
              "permissions of the unix socket (octal)", 8),
      int_key("workers", &Config::workers, 0, 256, "worker processes; 0 = two per CPU core"),
      int_key("shutdown_timeout", &Config::shutdown_timeout, 1, 3600,
              "seconds workers get to finish their request on SIGTERM (a stop or a reload) before SIGKILL"),
      string_key("log_level", &Config::log_level, "debug, info, warn or error",
                 [](const std::string& v) {
                   return v == "debug" || v == "info" || v == "warn" || v == "error";
                 }),
      string_key("db", &Config::db, "SQLite database file (WAL mode)",
                 [](const std::string& v) { return !v.empty(); }),
      string_key("media_dir", &Config::media_dir,
                 "uploaded images (avatars, house photos), served by nginx as /media/",
                 [](const std::string& v) { return !v.empty(); }),
      string_key("secret_key_file", &Config::secret_key_file,
                 "32-byte key encrypting id card numbers; created (mode 0600) when missing",
                 [](const std::string& v) { return !v.empty(); }),
      int_key("db_busy_timeout_ms", &Config::db_busy_timeout_ms, 0, 600000,
              "how long a query waits for a lock before failing with errno 4001"),
      int64_key("db_max_pages", &Config::db_max_pages, 0, 1LL << 31,
                "cap on the database size in pages (PRAGMA max_page_count; writes beyond fail "
                "with errno 4001); 0 = no cap"),
      bool_key("db_prewarm", &Config::db_prewarm,
               "at start the job process reads the database file once, in the background at idle I/O "
               "priority, so that its pages are in the OS page cache before requests ask for them; "
               "skipped when the file is larger than half of the memory available"),
      string_key("memcached", &Config::memcached,
                 "memcached server, or a comma-separated pool (consistent hashing): host:port or unix socket paths",
                 [](const std::string& v) { return !split_server_list(v).empty(); }),
      string_key("cache_prefix", &Config::cache_prefix, "prefix of every memcached key",
                 [](const std::string& v) {
                   return v.size() <= 32 && v.find_first_of(" \t\r\n") == std::string::npos;
                 }),
      int_key("cache_timeout_ms", &Config::cache_timeout_ms, 10, 60000,
              "memcached connect and I/O timeout"),
      int_key("cache_dead_retry_s", &Config::cache_dead_retry_s, 1, 3600,
              "a pool's failed memcached server is left out this long before one request tries it again"),
      int_key("local_cache_kib", &Config::local_cache_kib, 0, 1 << 20,
              "each worker's in-process cache of public answers (KiB; LRU; 0 = off)"),
      int64_key("max_body_bytes", &Config::max_body_bytes, 1024, 1LL << 30,
                "largest JSON or form request body (413 beyond)"),
      int64_key("upload_max_bytes", &Config::upload_max_bytes, 1024, 1LL << 30,
                "largest uploaded image file (4004 beyond); multipart bodies may be 64 KiB more"),
      bool_key("cookie_secure", &Config::cookie_secure, "mark cookies Secure (behind TLS)"),
      int_key("session_ttl", &Config::session_ttl, 60, 30 * 86400,
              "session lifetime in seconds, renewed on use"),
      int_key("captcha_ttl", &Config::captcha_ttl, 10, 3600, "image code lifetime in seconds"),
      string_key("captcha_font", &Config::captcha_font, "TrueType font the captcha is drawn with"),
      int_key("imagecode_per_minute", &Config::imagecode_per_minute, 1, 100000,
              "image codes per client IP per minute"),
      int_key("sms_code_ttl", &Config::sms_code_ttl, 10, 3600, "SMS code lifetime in seconds"),
      int_key("sms_max_attempts", &Config::sms_max_attempts, 1, 100,
              "wrong tries after which an SMS code is void"),
      int_key("sms_mobile_interval", &Config::sms_mobile_interval, 0, 86400,
              "seconds between two SMS to one mobile"),
      int_key("sms_mobile_per_day", &Config::sms_mobile_per_day, 1, 100000,
              "SMS per mobile per day"),
      int_key("sms_ip_per_hour", &Config::sms_ip_per_hour, 1, 1000000,
              "SMS requests per client IP per hour"),
      string_key("sms_provider", &Config::sms_provider,
                 "outbox (row in table sms_outbox) or command (pipe to sms_command)",
                 [](const std::string& v) { return v == "outbox" || v == "command"; }),
      string_key("sms_command", &Config::sms_command,
                 "program run by the command provider: argv[1] = mobile, message on stdin"),
      int_key("login_max_failures", &Config::login_max_failures, 1, 1000,
              "failed logins for one mobile within login_window that lock it"),
      int_key("login_window", &Config::login_window, 1, 86400,
              "seconds over which failed logins are counted"),
      int_key("login_lock", &Config::login_lock, 1, 86400, "seconds a locked mobile waits"),
      int_key("password_opslimit", &Config::password_opslimit, 1, 10,
              "argon2id passes (libsodium opslimit)"),
      int_key("password_memlimit_kib", &Config::password_memlimit_kib, 8, 1 << 20,
              "argon2id memory in KiB"),
      string_key("payment_provider", &Config::payment_provider,
                 "none (the guest pays at the door: accept -> PAID), sandbox (development: our own "
                 "/pay.html, moves no money) or alipay",
                 [](const std::string& v) { return v == "none" || v == "sandbox" || v == "alipay"; }),
      int_key("payment_window_minutes", &Config::payment_window_minutes, 5, 1440,
              "minutes a guest has to pay an accepted order (pay_by) before its nights are free again"),
      int_key("refund_full_days", &Config::refund_full_days, 1, 365,
              "a guest cancelling a paid stay at least this many days before check-in gets all of it "
              "back, half from 1 day before"),
      string_key("public_url", &Config::public_url,
                 "the site's origin as payers reach it (https://example.com), for the provider's notify and "
                 "return URLs",
                 [](const std::string& v) {
                   return v.empty() || ((v.rfind("https://", 0) == 0 || v.rfind("http://", 0) == 0) && v.back() != '/' &&
                                        v.find_first_of(" \t\r\n?#") == std::string::npos);
                 }),
      string_key("alipay_app_id", &Config::alipay_app_id, "the app's id on Alipay's open platform"),
      string_key("alipay_private_key_file", &Config::alipay_private_key_file,
                 "the app's RSA private key (PEM) that signs requests to Alipay"),
      string_key("alipay_public_key_file", &Config::alipay_public_key_file,
                 "Alipay's RSA public key (PEM) that verifies its notifications and answers"),
      string_key("alipay_gateway", &Config::alipay_gateway,
                 "Alipay's gateway; http:// only on loopback (a test gateway)",
                 [](const std::string& v) { return v.rfind("https://", 0) == 0 || v.rfind("http://", 0) == 0; }),
      string_key("alipay_ca_file", &Config::alipay_ca_file,
                 "CA certificates to trust for the gateway instead of the system's (empty: the system's)"),
      int_key("payment_query_after_s", &Config::payment_query_after_s, 1, 86400,
              "seconds after which a payment still open is asked about (alipay.trade.query)"),
      int_key("payment_query_every_s", &Config::payment_query_every_s, 1, 86400,
              "seconds between two queries of one open payment"),
      int_key("payment_query_grace_s", &Config::payment_query_grace_s, 0, 86400,
              "seconds after pay_by during which an open payment is still asked about, then closed"),
      int_key("refund_retry_first_s", &Config::refund_retry_first_s, 1, 3600,
              "seconds before a failed refund is asked again the first time"),
      int_key("refund_retry_max_s", &Config::refund_retry_max_s, 1, 86400,
              "longest wait between two tries of a failed refund (the wait doubles up to it)"),
      int_key("jobs_interval_ms", &Config::jobs_interval_ms, 50, 600000,
              "how often the job process stores expiries and check-outs, queries silent payments and "
              "retries refunds"),
      int_key("search_index_save_s", &Config::search_index_save_s, 0, 86400,
              "the job process saves the search index beside the database (<db>.index) when the change "
              "log moved and the file is this many seconds old, or 10000 changes behind; a start reads it "
              "instead of building from SQL. 0: no file"),
  };
  return table;
}

const Binding* find(const std::string& name) {
  for (const Binding& b : bindings())
    if (name == b.name) return &b;
  return nullptr;
}

Status set_value(Config& config, const std::string& key, const std::string& value,
                 const std::string& where) {
  const Binding* b = find(key);
  if (!b) return Error{Errno::kParamErr, where + ": unknown setting '" + key + "'"};
  if (!b->set(config, value))
    return Error{Errno::kParamErr, where + ": bad value for '" + key + "': '" + value + "'"};
  return Status::OK();
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = [] {
    std::vector<ConfigKey> out;
    Config defaults;
    for (const Binding& b : bindings()) out.push_back({b.name, b.get(defaults), b.help});
    return out;
  }();
  return keys;
}

Status apply_config_text(Config& config, const std::string& text, const std::string& origin) {
  // A UTF-8 byte-order mark (some editors write one) is not part of a key.
  std::istringstream in(text.rfind("\xEF\xBB\xBF", 0) == 0 ? text.substr(3) : text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view l = trim(line);
    if (l.empty() || l[0] == '#') continue;
    size_t eq = l.find('=');
    std::string where = origin + ":" + std::to_string(number);
    if (eq == std::string_view::npos)
      return Error{Errno::kParamErr, where + ": expected 'key = value'"};
    std::string key(trim(l.substr(0, eq)));
    std::string value(trim(l.substr(eq + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    Status s = set_value(config, key, value, where);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status apply_config_env(Config& config, const std::map<std::string, std::string>& env) {
  for (const Binding& b : bindings()) {
    std::string var = "IHOME_";
    for (const char* p = b.name; *p; ++p) var += static_cast<char>(std::toupper(*p));
    auto it = env.find(var);
    if (it == env.end()) continue;
    Status s = set_value(config, b.name, it->second, "environment " + var);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Result<Config> load_config(const std::string& path) {
  Config config;
  if (!path.empty()) {
    std::ifstream f(path);
    if (!f) return Error{Errno::kIoErr, "cannot read config file " + path};
    std::stringstream ss;
    ss << f.rdbuf();
    Status s = apply_config_text(config, ss.str(), path);
    if (!s.ok()) return s.take_error();
  }
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("IHOME_", 0) != 0) continue;
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  Status s = apply_config_env(config, env);
  if (!s.ok()) return s.take_error();
  return config;
}

std::string describe_config(const Config& config) {
  std::string out;
  for (const Binding& b : bindings()) {
    if (!out.empty()) out += ' ';
    out += b.name;
    out += '=';
    out += log_quote(b.get(config));
  }
  return out;
}

}  // namespace ihome
