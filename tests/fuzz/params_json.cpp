// Fuzz target: JSON request bodies (Params::from_json, src/http/params.cpp)
// and every field accessor the handlers read them with.
#include "params_probe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = ihome::Params::from_json(fuzz::bytes(data, size));
  if (!p) {
    FUZZ_CHECK(p.error().code == ihome::Errno::kParamErr);
    return 0;
  }
  fuzz::probe_params(*p);
  return 0;
}
