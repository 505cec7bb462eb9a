// Fuzz target: the router (src/http/router.cpp) with the real route table
// shape: input is `METHOD path` (split at the first space).  A match must be
// a route with that exact method and path; a miss is 404/4002 or 405/4201.
#include "fuzz.h"
#include "ihome/http/router.h"

namespace {
const ihome::Router& table() {
  static const ihome::Router r = [] {
    ihome::Router t;
    auto h = [](ihome::Request&) { return ihome::Reply{}; };
    for (const char* path : {"/api/login", "/api/logout", "/api/house/info", "/api/house/", "/api/",
                             "/api/orders", "/api/profile/avatar"}) {
      t.add("GET", path, h);
      t.add("POST", path, h);
    }
    t.add("PUT", "/api/orders/comment", h);
    t.add("DELETE", "/api/session", h);
    return t;
  }();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [method, path] = fuzz::split_once(fuzz::bytes(data, size), ' ');
  auto m = table().match(method, path);
  std::string allowed = table().allowed(path);
  if (m) {
    FUZZ_CHECK(*m != nullptr);
    FUZZ_CHECK(allowed.find(std::string(method)) != std::string::npos);
  } else {
    int st = m.error().http_status;
    FUZZ_CHECK(st == 404 || st == 405);
    FUZZ_CHECK((st == 404) == allowed.empty());
  }
  return 0;
}
