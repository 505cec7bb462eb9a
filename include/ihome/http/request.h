// Request: one HTTP request as ihomed sees it, built from the FastCGI
// parameters nginx sends (REQUEST_METHOD, DOCUMENT_URI, QUERY_STRING,
// HTTP_COOKIE, HTTP_*, CONTENT_TYPE, REMOTE_ADDR) and the body.
// Building it is pure (no I/O), so it is unit-tested without a server.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "ihome/core/result.h"
#include "ihome/http/multipart.h"
#include "ihome/http/params.h"

namespace ihome {

struct Request {
  std::string method;        // "GET", "POST", ...
  std::string path;          // "/api/login" (no query)
  std::string content_type;  // lower-cased media type without parameters
  std::string content_type_raw;
  std::string client_ip;     // REMOTE_ADDR (nginx's realip module sets it)
  // IHOME_STATUS=1: the request came through the loopback status listener
  // (a FastCGI parameter only that nginx server block sets; never a header).
  bool status_listener = false;
  int64_t content_length = 0;
  std::map<std::string, std::string, std::less<>> cookies;
  std::map<std::string, std::string, std::less<>> headers;  // lower-case names: "x-xsrftoken"
  Params query;
  Params body;               // parsed by parse_body(); text parts of a multipart body too
  std::vector<MultipartPart> files;  // file parts of a multipart body
  std::string raw_body;

  std::string_view cookie(std::string_view name) const;
  std::string_view header(std::string_view name) const;
  // A query parameter as sent ("" when absent).
  std::string query_value(std::string_view name) const;
  // The uploaded file of form field `name`, or nullptr.
  const MultipartPart* file(std::string_view name) const;
};

// Builds a Request from FastCGI parameters.  A broken query string or
// Content-Length gives a PARAMERR (4103).
Result<Request> make_request(const std::map<std::string, std::string, std::less<>>& params);

// Parses "a=1; b=2" (RFC 6265 Cookie header); the first of a repeated name wins.
std::map<std::string, std::string, std::less<>> parse_cookies(std::string_view header);

// The largest body accepted for `content_type` (a lower-cased media type):
// multipart uploads get `upload_max` plus room for the other parts.
int64_t body_limit(std::string_view content_type, int64_t max_body, int64_t upload_max);

// Fills req.body (and req.files) from req.raw_body by Content-Type: JSON,
// urlencoded, multipart/form-data (file parts up to `max_file_bytes`), or an
// empty body.  Anything else, or a malformed body: 4103.
Status parse_body(Request& req, size_t max_file_bytes);

}  // namespace ihome
