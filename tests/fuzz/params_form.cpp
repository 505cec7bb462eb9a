// Fuzz target: urlencoded form bodies and query strings (Params::from_form,
// from_query; src/http/params.cpp, url_decode in src/core/text.cpp) and
// every field accessor the handlers read them with.
#include "params_probe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = ihome::Params::from_form(fuzz::bytes(data, size));
  if (!p) {
    FUZZ_CHECK(p.error().code == ihome::Errno::kParamErr);
    return 0;
  }
  fuzz::probe_params(*p);
  return 0;
}
