// multipart/form-data bodies (RFC 7578 on top of RFC 2046 section 5.1): see
// include/ihome/http/multipart.h.
//
// The body is scanned once, front to back, with string_view::find; the only
// copies are the header fields kept and each part's bytes in
// MultipartPart::data.  A delimiter is CRLF "--" boundary followed by "--"
// (the close delimiter) or by optional space/tab padding and CRLF; the same
// bytes followed by anything else are part data ("--boundaryX" is not ours).
// Every limit is checked before the bytes it guards are copied, so a hostile
// body costs at most one pass over it.
#include "ihome/http/multipart.h"

#include <algorithm>

#include "ihome/core/text.h"

namespace ihome {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space (not last).
bool is_bchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b)
    if (!is_bchar(c)) return false;
  return true;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_space_or_tab(char c) { return c == ' ' || c == '\t'; }

// A header value of the form `type *( ";" name "=" value )`, as both
// Content-Type and Content-Disposition are written.  Parameter names are
// lower-cased; a value is a quoted-string (backslash escapes any byte) or
// the bytes up to the next ';', trimmed.
struct HeaderParam {
  std::string name;
  std::string value;
};
struct HeaderValue {
  std::string_view type;  // trimmed, case as sent
  std::vector<HeaderParam> params;

  // nullptr when absent.  Duplicates were refused by the parser.
  const std::string* param(std::string_view name) const {
    for (const HeaderParam& p : params)
      if (p.name == name) return &p.value;
    return nullptr;
  }
};

// nullopt on an unterminated quote, a parameter without '=' or a name that
// appears twice (two different name= values must not be resolved silently).
std::optional<HeaderValue> parse_header_value(std::string_view s) {
  HeaderValue out;
  size_t i = s.find(';');
  out.type = trim(s.substr(0, i));
  while (i < s.size()) {
    ++i;  // past ';'
    while (i < s.size() && is_space_or_tab(s[i])) ++i;
    if (i == s.size()) break;  // a trailing ';' is harmless
    if (s[i] == ';') continue;
    size_t eq = s.find_first_of("=;", i);
    if (eq == std::string_view::npos || s[eq] != '=') return std::nullopt;
    std::string name = lower_ascii(trim(s.substr(i, eq - i)));
    if (name.empty()) return std::nullopt;
    i = eq + 1;
    while (i < s.size() && is_space_or_tab(s[i])) ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == s.size()) break;
          c = s[i++];
        }
        value += c;
      }
      if (!closed) return std::nullopt;
      while (i < s.size() && is_space_or_tab(s[i])) ++i;
      if (i < s.size() && s[i] != ';') return std::nullopt;  // `name="a"b`
    } else {
      size_t end = s.find(';', i);
      value = std::string(trim(s.substr(i, end == std::string_view::npos ? s.npos : end - i)));
      i = end == std::string_view::npos ? s.size() : end;
    }
    if (out.param(name)) return std::nullopt;
    out.params.push_back({std::move(name), std::move(value)});
  }
  return out;
}

// What follows "--" boundary at `after`: the close delimiter ("--"), or
// padding then CRLF.  `next` is where the following part (or the epilogue)
// begins.  nullopt when those bytes are data, including when the body ends
// too early to tell (a truncated body must not pass for a complete one).
struct DelimiterEnd {
  size_t next;
  bool close;
};
std::optional<DelimiterEnd> delimiter_end(std::string_view body, size_t after) {
  if (body.substr(after, 2) == "--") return DelimiterEnd{after + 2, true};
  while (after < body.size() && is_space_or_tab(body[after])) ++after;
  if (body.substr(after, 2) == kCrlf) return DelimiterEnd{after + 2, false};
  return std::nullopt;
}

// The next delimiter whose CRLF starts at or after `from`.
struct Delimiter {
  size_t start;  // of its CRLF: the preceding part's data ends here
  DelimiterEnd end;
};
std::optional<Delimiter> find_delimiter(std::string_view body, std::string_view crlf_dash_boundary,
                                        size_t from) {
  while (true) {
    size_t at = body.find(crlf_dash_boundary, from);
    if (at == std::string_view::npos) return std::nullopt;
    if (auto end = delimiter_end(body, at + crlf_dash_boundary.size())) return Delimiter{at, *end};
    from = at + 1;
  }
}

// A header line's bytes: no control characters but tab (a lone CR or LF
// would let a field smuggle a second header line through).
bool clean_header_line(std::string_view line) {
  for (char c : line) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) return false;
  }
  return true;
}

// Fills name, filename and content_type from the part's header block: the
// header lines with their CRLFs, the blank line excluded.
Status parse_part_headers(std::string_view block, MultipartPart& part) {
  bool have_disposition = false;
  bool have_type = false;
  while (!block.empty()) {
    size_t eol = block.find(kCrlf);
    std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + kCrlf.size());  // the block always ends with CRLF
    // RFC 7230 retired line folding and no browser sends it.
    if (line.empty() || is_space_or_tab(line.front()) || !clean_header_line(line))
      return param_error("参数错误：multipart分段头格式错误");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return param_error("参数错误：multipart分段头缺少冒号");
    std::string_view name = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (name.empty()) return param_error("参数错误：multipart分段头格式错误");
    if (iequals_ascii(name, "Content-Disposition")) {
      if (have_disposition) return param_error("参数错误：multipart分段头重复");
      have_disposition = true;
      auto disposition = parse_header_value(value);
      if (!disposition || !iequals_ascii(disposition->type, "form-data"))
        return param_error("参数错误：multipart分段的Content-Disposition不是form-data");
      const std::string* field = disposition->param("name");
      if (!field || field->empty()) return param_error("参数错误：multipart分段缺少name");
      part.name = *field;
      // filename* (RFC 5987) is ignored, as RFC 7578 section 4.2 allows.
      if (const std::string* filename = disposition->param("filename")) part.filename = *filename;
    } else if (iequals_ascii(name, "Content-Type")) {
      if (have_type) return param_error("参数错误：multipart分段头重复");
      have_type = true;
      part.content_type = std::string(value);
    }
    // Other fields (Content-Transfer-Encoding, which RFC 7578 deprecates) are ignored.
  }
  if (!have_disposition) return param_error("参数错误：multipart分段缺少Content-Disposition");
  return Status::OK();
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  auto header = parse_header_value(content_type);
  if (!header || !iequals_ascii(header->type, "multipart/form-data")) return std::nullopt;
  const std::string* boundary = header->param("boundary");
  if (!boundary || !valid_boundary(*boundary)) return std::nullopt;
  return *boundary;
}

Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                   const MultipartLimits& limits) {
  if (!valid_boundary(boundary)) return param_error("参数错误：multipart boundary无效");
  const std::string crlf_dash_boundary = "\r\n--" + std::string(boundary);
  const std::string_view dash_boundary = std::string_view(crlf_dash_boundary).substr(2);

  // The first delimiter opens the body or follows the preamble's last CRLF.
  std::optional<DelimiterEnd> first;
  if (body.starts_with(dash_boundary)) first = delimiter_end(body, dash_boundary.size());
  if (!first) {
    auto found = find_delimiter(body, crlf_dash_boundary, 0);
    if (!found) return param_error("参数错误：请求体中没有multipart boundary");
    first = found->end;
  }

  std::vector<MultipartPart> parts;
  size_t cursor = first->next;
  bool closed = first->close;
  while (!closed) {
    if (parts.size() == limits.max_parts) return param_error("参数错误：multipart分段过多");
    MultipartPart part;

    // Header block: up to the blank line, searched for only within the
    // limit so that an endless header never makes us scan the whole body.
    size_t data_start;
    if (body.substr(cursor, 2) == kCrlf) {
      data_start = cursor + 2;  // no header lines; refused below for lack of a name
    } else {
      // +2: the last header line's CRLF is counted, the blank line's is not.
      const size_t window_size = std::min(limits.max_header_bytes, body.size()) + 2;
      std::string_view window = body.substr(cursor, window_size);
      size_t blank = window.find("\r\n\r\n");
      if (blank == std::string_view::npos) {
        if (window.size() < window_size)
          return param_error("参数错误：multipart分段头不完整");
        return param_error("参数错误：multipart分段头过大");
      }
      data_start = cursor + blank + 4;
      Status headers = parse_part_headers(window.substr(0, blank + 2), part);
      if (!headers) return headers.take_error();
    }
    if (part.name.empty()) return param_error("参数错误：multipart分段缺少Content-Disposition");

    auto delimiter = find_delimiter(body, crlf_dash_boundary, data_start);
    if (!delimiter) return param_error("参数错误：multipart缺少结束边界");
    size_t size = delimiter->start - data_start;
    if (part.filename && size > limits.max_file_bytes)
      return param_error("参数错误：multipart文件过大");
    if (!part.filename && size > limits.max_text_bytes)
      return param_error("参数错误：multipart文本字段过大");
    part.data.assign(body.substr(data_start, size));
    parts.push_back(std::move(part));
    cursor = delimiter->end.next;
    closed = delimiter->end.close;
  }
  // Whatever follows the close delimiter is the epilogue, which RFC 2046 says to ignore.
  return parts;
}

}  // namespace ihome
