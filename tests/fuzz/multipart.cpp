// Fuzz target: multipart/form-data (src/http/multipart.cpp).  The first
// line is a Content-Type header value (its boundary parameter is parsed);
// the rest is the body, split with that boundary, or with "XyZ" when the
// header has none.  Checks the parts stay within the limits.
#include "ihome/http/multipart.h"

#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [header, body] = fuzz::split_once(fuzz::bytes(data, size), '\n');
  auto boundary = ihome::multipart_boundary(header);
  if (boundary) FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70);
  ihome::MultipartLimits limits;
  limits.max_parts = 8;
  limits.max_header_bytes = 512;
  limits.max_text_bytes = 1024;
  limits.max_file_bytes = 4096;
  auto parts = ihome::parse_multipart(body, boundary ? *boundary : "XyZ", limits);
  if (!parts) {
    FUZZ_CHECK(parts.error().code == ihome::Errno::kParamErr);
    return 0;
  }
  FUZZ_CHECK(parts->size() <= limits.max_parts);
  for (const auto& p : *parts) {
    FUZZ_CHECK(p.data.size() <= (p.filename ? limits.max_file_bytes : limits.max_text_bytes));
    FUZZ_CHECK(p.data.size() <= body.size());
  }
  return 0;
}
