// ihomed: the ihome FastCGI application server (prefork master + workers).
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ihome/api/app.h"
#include "ihome/core/config.h"
#include "ihome/core/log.h"
#include "ihome/server/master.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: ihomed [--config FILE]\n"
               "       ihomed --help | --version\n"
               "\n"
               "The ihome FastCGI server: a master that owns the socket and N workers.\n"
               "Settings come from compiled-in defaults, then FILE (lines 'key = value',\n"
               "'#' comments), then environment variables IHOME_<KEY> (e.g. IHOME_WORKERS=4).\n"
               "IHOME_CONFIG names FILE when --config is not given.\n"
               "Signals: SIGTERM/SIGINT drain and stop, SIGHUP reloads FILE and replaces workers.\n"
               "\n"
               "settings (default):\n");
  for (const auto& key : ihome::config_keys())
    std::fprintf(out, "  %-22s %s (%s)\n", key.name.c_str(), key.help.c_str(),
                 key.default_value.empty() ? "empty" : key.default_value.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
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
    if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
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
  return ihome::run_master(config_path, std::move(*config));
}
