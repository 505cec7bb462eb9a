// ihomed's settings: compiled-in defaults, then a `key = value` file, then
// environment overrides (IHOME_<KEY>, e.g. IHOME_WORKERS=4).  The table of
// keys in config.cpp is the single source for --help and README.
// A Config is a plain value: load it, copy it into workers, reload on SIGHUP.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ihome/core/result.h"

namespace ihome {

struct Config {
  // process
  std::string socket = "var/run/ihomed.sock";
  int socket_mode = 0660;
  int workers = 0;  // 0: two per core
  int shutdown_timeout = 10;
  std::string log_level = "info";
  // storage
  std::string db = "var/ihome.db";
  int db_busy_timeout_ms = 5000;
  int64_t db_max_pages = 0;  // 0: no cap (PRAGMA max_page_count)
  bool db_prewarm = true;     // read the file into the OS page cache at start
  std::string memcached = "127.0.0.1:11211";
  std::string cache_prefix = "ihome:";
  int cache_timeout_ms = 500;
  int cache_dead_retry_s = 30;
  int local_cache_kib = 8192;  // each worker's in-process fragment cache
  std::string media_dir = "var/media";
  std::string secret_key_file = "var/secret.key";
  // HTTP
  int64_t max_body_bytes = 1 << 20;
  int64_t upload_max_bytes = 5 << 20;
  bool cookie_secure = false;
  int session_ttl = 86400;
  // captcha
  int captcha_ttl = 180;
  std::string captcha_font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
  int imagecode_per_minute = 60;
  // SMS
  int sms_code_ttl = 300;
  int sms_max_attempts = 5;
  int sms_mobile_interval = 60;
  int sms_mobile_per_day = 10;
  int sms_ip_per_hour = 30;
  std::string sms_provider = "outbox";
  std::string sms_command;
  // login
  int login_max_failures = 5;
  int login_window = 900;
  int login_lock = 900;
  int password_opslimit = 2;
  int password_memlimit_kib = 65536;
  // payments (API.md "Payments")
  std::string payment_provider = "none";  // none, sandbox or alipay
  int payment_window_minutes = 120;
  int refund_full_days = 7;
  std::string public_url;  // the site's origin, for the provider's notify and return URLs
  std::string alipay_app_id;
  std::string alipay_private_key_file;
  std::string alipay_public_key_file;
  std::string alipay_gateway = "https://openapi.alipay.com/gateway.do";
  std::string alipay_ca_file;
  int payment_query_after_s = 300;   // a payment still open this long is asked about
  int payment_query_every_s = 60;    // at most this often
  int payment_query_grace_s = 900;   // until pay_by + this
  int refund_retry_first_s = 60;     // a failed refund's first retry
  int refund_retry_max_s = 1800;     // its retries' longest wait
  int jobs_interval_ms = 1000;       // how often the job process looks for work
  int search_index_save_s = 600;     // the saved search index (<db>.index): its age at most; 0: no file
};

// One documented setting, for --help and README.
struct ConfigKey {
  std::string name;
  std::string default_value;
  std::string help;
};
const std::vector<ConfigKey>& config_keys();

// Applies `text` (the contents of a config file) onto `config`.
// Blank lines and lines starting with '#' are skipped; unknown keys and bad
// values are errors naming the line.
Status apply_config_text(Config& config, const std::string& text, const std::string& origin);

// Applies IHOME_<KEY> variables from `env` (name -> value).
Status apply_config_env(Config& config, const std::map<std::string, std::string>& env);

// Defaults, then `path` (when not empty; it must exist), then the process
// environment.
Result<Config> load_config(const std::string& path);

// "key=value key=value ..." of the effective settings, for the startup log
// line (nothing secret lives in Config: keys live in files).
std::string describe_config(const Config& config);

}  // namespace ihome
