// Multipart: a parser for multipart/form-data request bodies (RFC 7578),
// used by the upload handlers (avatar, house images).  Pure: bytes in,
// parts out, no I/O.  Any malformed body is a PARAMERR (4103) Error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ihome/core/result.h"

namespace ihome {

struct MultipartPart {
  std::string name;                     // form field name (Content-Disposition name=)
  std::optional<std::string> filename;  // present for file parts; as sent (may be
                                        // empty or hold a path: never a file name to use)
  std::string content_type;             // as sent, "" when absent
  std::string data;                     // the part's bytes
};

struct MultipartLimits {
  size_t max_parts = 16;
  size_t max_header_bytes = 4096;   // all header lines of one part together
  size_t max_text_bytes = 65536;    // a part without filename
  size_t max_file_bytes = 5 << 20;  // a part with filename
};

// The boundary parameter of a Content-Type header value such as
// `multipart/form-data; boundary="abc"`; nullopt when absent or invalid
// (RFC 2046: 1-70 characters).
std::optional<std::string> multipart_boundary(std::string_view content_type);

// Splits `body` into parts, in body order (repeated names kept).  A part
// beyond a limit, a missing boundary or closing delimiter, a part without a
// Content-Disposition form-data name, a malformed header line: PARAMERR.
// The preamble and the epilogue are ignored; a body that is only the close
// delimiter is zero parts.  `boundary` must itself be valid (1-70 bchars).
Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                   const MultipartLimits& limits);

}  // namespace ihome
