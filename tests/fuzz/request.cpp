// Fuzz target: a whole request as nginx hands it over (make_request and
// parse_body, src/http/request.cpp): the FastCGI parameters — method, URI,
// QUERY_STRING, HTTP_* headers, HTTP_COOKIE, CONTENT_TYPE, CONTENT_LENGTH —
// one `NAME=value` per line until an empty line, then the body.
#include <map>
#include <string>

#include "fuzz.h"
#include "ihome/http/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::bytes(data, size);
  std::map<std::string, std::string, std::less<>> params;
  std::string_view body;
  for (;;) {
    auto [line, rest] = fuzz::split_once(in, '\n');
    bool last = line.size() == in.size();
    if (line.empty()) {
      body = rest;
      break;
    }
    auto [name, value] = fuzz::split_once(line, '=');
    params.emplace(std::string(name), std::string(value));
    if (last) break;
    in = rest;
  }
  auto req = ihome::make_request(params);
  if (!req) {
    FUZZ_CHECK(req.error().code == ihome::Errno::kParamErr);
    return 0;
  }
  for (const auto& [name, value] : req->headers)
    for (char c : name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
  (void)req->query_value("id");
  (void)req->cookie("session_id");
  req->raw_body = std::string(body);
  ihome::Status s = ihome::parse_body(*req, 4096);
  if (!s.ok()) {
    FUZZ_CHECK(s.error().code == ihome::Errno::kParamErr);
    return 0;
  }
  for (const auto& f : req->files) FUZZ_CHECK(f.filename.has_value() && f.data.size() <= 4096);
  (void)req->file("avatar");
  return 0;
}
