// Fuzz target: the config file and IHOME_* environment overrides
// (apply_config_text, apply_config_env; src/core/config.cpp).  Lines after
// a line "--env--" are NAME=value environment variables.
#include <map>
#include <string>

#include "fuzz.h"
#include "ihome/core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::bytes(data, size);
  size_t cut = in.find("--env--\n");
  std::string_view file = in.substr(0, cut);
  ihome::Config c;
  ihome::Status s = ihome::apply_config_text(c, std::string(file), "fuzz.conf");
  if (s.ok() && cut != std::string_view::npos) {
    std::map<std::string, std::string> env;
    for (std::string_view line : fuzz::lines(in.substr(cut + 8))) {
      auto [k, v] = fuzz::split_once(line, '=');
      env[std::string(k)] = std::string(v);
    }
    s = ihome::apply_config_env(c, env);
  }
  if (s.ok()) {
    (void)ihome::describe_config(c);
    FUZZ_CHECK(c.workers >= 0);
  }
  return 0;
}
