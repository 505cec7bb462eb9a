// Request building and body parsing: see include/ihome/http/request.h.
#include "ihome/http/request.h"

#include <algorithm>

#include "ihome/core/text.h"

namespace ihome {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view get(const std::map<std::string, std::string, std::less<>>& m, std::string_view k) {
  auto it = m.find(k);
  return it == m.end() ? std::string_view() : std::string_view(it->second);
}
}  // namespace

std::string_view Request::cookie(std::string_view name) const { return get(cookies, name); }
std::string_view Request::header(std::string_view name) const { return get(headers, name); }

std::string Request::query_value(std::string_view name) const {
  const Params::Value* v = query.find(name);
  if (!v) return {};
  if (v->kind == Params::Kind::kArray) return v->items.empty() ? std::string() : v->items[0].text;
  return v->text;
}

const MultipartPart* Request::file(std::string_view name) const {
  for (const MultipartPart& part : files)
    if (part.filename && part.name == name) return &part;
  return nullptr;
}

int64_t body_limit(std::string_view content_type, int64_t max_body, int64_t upload_max) {
  constexpr int64_t kFormRoom = 64 * 1024;
  return content_type == "multipart/form-data" ? std::max(max_body, upload_max + kFormRoom) : max_body;
}

std::map<std::string, std::string, std::less<>> parse_cookies(std::string_view header) {
  std::map<std::string, std::string, std::less<>> out;
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view name = trim(pair.substr(0, eq));
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    out.emplace(std::string(name), std::string(value));
  }
  return out;
}

Result<Request> make_request(const std::map<std::string, std::string, std::less<>>& params) {
  Request req;
  req.method = get(params, "REQUEST_METHOD");
  req.path = get(params, "DOCUMENT_URI");
  if (req.path.empty()) {
    std::string_view uri = get(params, "REQUEST_URI");
    req.path = uri.substr(0, uri.find('?'));
  }
  req.client_ip = get(params, "REMOTE_ADDR");
  req.status_listener = get(params, "IHOME_STATUS") == "1";
  req.content_type_raw = get(params, "CONTENT_TYPE");
  req.content_type = lower(trim(std::string_view(req.content_type_raw).substr(
      0, std::string_view(req.content_type_raw).find(';'))));
  std::string_view length = get(params, "CONTENT_LENGTH");
  if (!length.empty()) {
    std::string_view digits = trim(length);
    while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);  // "007" is valid HTTP
    auto n = parse_int64(digits);
    if (!n || *n < 0) return param_error("参数错误：Content-Length");
    req.content_length = *n;
  }
  for (const auto& [key, value] : params) {
    if (key.rfind("HTTP_", 0) != 0) continue;
    std::string name = lower(std::string_view(key).substr(5));
    std::replace(name.begin(), name.end(), '_', '-');
    req.headers.emplace(std::move(name), value);
  }
  req.cookies = parse_cookies(get(params, "HTTP_COOKIE"));
  auto query = Params::from_query(get(params, "QUERY_STRING"));
  if (!query) return query.take_error();
  req.query = std::move(query.value());
  return req;
}

Status parse_body(Request& req, size_t max_file_bytes) {
  if (trim(req.raw_body).empty()) {
    req.body = Params();
    return Status::OK();
  }
  if (req.content_type == "multipart/form-data") {
    auto boundary = multipart_boundary(req.content_type_raw);
    if (!boundary) return param_error("参数错误：multipart boundary");
    MultipartLimits limits;
    limits.max_file_bytes = max_file_bytes;
    auto parts = parse_multipart(req.raw_body, *boundary, limits);
    if (!parts) return parts.take_error();
    req.body = Params();
    for (MultipartPart& part : *parts) {
      if (part.filename) {
        req.files.push_back(std::move(part));
      } else if (!req.body.has(part.name)) {
        req.body.set(part.name, Params::Value{Params::Kind::kString, std::move(part.data), {}});
      }
    }
    return Status::OK();
  }
  Result<Params> p = req.content_type == "application/json"
                         ? Params::from_json(req.raw_body)
                     : req.content_type == "application/x-www-form-urlencoded"
                         ? Params::from_form(req.raw_body)
                         : Result<Params>(param_error("参数错误：不支持的Content-Type"));
  if (!p) return p.take_error();
  req.body = std::move(p.value());
  return Status::OK();
}

}  // namespace ihome
