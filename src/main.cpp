// ihomed: the ihome FastCGI application server (prefork master + workers).
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ihome/api/app.h"
#include "ihome/auth/password.h"
#include "ihome/core/config.h"
#include "ihome/core/log.h"
#include "ihome/server/master.h"
#include "ihome/server/rotate_key.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: ihomed [--config FILE]\n"
               "       ihomed --hash-password [--config FILE] < password\n"
               "       ihomed --check [--config FILE]\n"
               "       ihomed --rotate-key [--config FILE]   (with ihomed stopped)\n"
               "       ihomed --help | --version\n"
               "\n"
               "The ihome FastCGI server: a master that owns the socket and N workers.\n"
               "Settings come from compiled-in defaults, then FILE (lines 'key = value',\n"
               "'#' comments), then environment variables IHOME_<KEY> (e.g. IHOME_WORKERS=4).\n"
               "IHOME_CONFIG names FILE when --config is not given.\n"
               "Signals: SIGTERM/SIGINT drain and stop, SIGHUP reloads FILE and replaces workers.\n"
               "--hash-password prints the argon2id hash of the first line of stdin, at the\n"
               "configured cost (for admin scripts: reset a password, seed data).\n"
               "--check runs the start-up checks (database read-write and readable, migrations,\n"
               "key file, media dir), prints why ihomed cannot start, exits 0 when it can.\n"
               "--rotate-key writes a new secret_key_file and re-encrypts every id card under\n"
               "it in one transaction (ihome-admin rotate-key; safe to run again after a crash).\n"
               "\n"
               "settings (default):\n");
  for (const auto& key : ihome::config_keys())
    std::fprintf(out, "  %-22s %s (%s)\n", key.name.c_str(), key.help.c_str(),
                 key.default_value.empty() ? "empty" : key.default_value.c_str());
}

int hash_password_from_stdin(const ihome::Config& config) {
  std::string password;
  int c;
  while ((c = std::getchar()) != EOF && c != '\n') password += static_cast<char>(c);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    std::fprintf(stderr, "ihomed: no password on stdin\n");
    return 2;
  }
  auto hash = ihome::hash_password(password, {config.password_opslimit, config.password_memlimit_kib});
  sodium_memzero(password.data(), password.size());
  if (!hash) return 1;
  std::printf("%s\n", hash->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool hash_mode = false;
  bool check_mode = false;
  bool rotate_mode = false;
  if (const char* env = std::getenv("IHOME_CONFIG")) config_path = env;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    }
    if (arg == "-V" || arg == "--version") {
      std::printf("ihomed %.*s\n", static_cast<int>(ihome::kVersion.size()), ihome::kVersion.data());
      return 0;
    }
    if (arg == "--hash-password") {
      hash_mode = true;
    } else if (arg == "--check") {
      check_mode = true;
    } else if (arg == "--rotate-key") {
      rotate_mode = true;
    } else if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
    } else {
      std::fprintf(stderr, "ihomed: unknown argument '%s'\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (sodium_init() < 0) {
    ihome::log_error("sodium_init failed");
    return 1;
  }
  auto config = ihome::load_config(config_path);
  if (!config) {
    ihome::log_error("config: " + std::string(config.error().text()));
    return 2;
  }
  ihome::set_log_level(config->log_level);
  if (hash_mode) return hash_password_from_stdin(*config);
  if (check_mode) return ihome::check_startup(*config);
  if (rotate_mode) return ihome::rotate_key_command(*config);
  return ihome::run_master(config_path, std::move(*config));
}
