// Reply serialization and the Errno -> JSON mapping: see reply.h.
#include "ihome/http/reply.h"

#include "ihome/core/log.h"

namespace ihome {

void Reply::set_cookie(std::string_view name, std::string_view value, std::string_view attributes) {
  std::string v;
  v.reserve(name.size() + value.size() + attributes.size() + 4);
  v.append(name).append("=").append(value);
  if (!attributes.empty()) v.append("; ").append(attributes);
  add_header("Set-Cookie", std::move(v));
}

std::string_view status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string Reply::head() const {
  std::string out;
  out.reserve(160);
  out += "Status: ";
  out += std::to_string(status);
  out += ' ';
  out += status_text(status);
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string Reply::serialize() const { return head() + body; }

Reply json_reply(Errno code, std::string_view message,
                 const std::function<void(JsonWriter&)>& extra, int status) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("errno");
  w.Int(errno_number(code));
  w.Key("errmsg");
  write_string(w, message.empty() ? errno_message(code) : message);
  if (extra) extra(w);
  w.EndObject();
  Reply reply;
  reply.status = status;
  reply.errno_value = errno_number(code);
  reply.body.assign(buf.GetString(), buf.GetSize());
  reply.add_header("Cache-Control", "no-store");
  return reply;
}

Reply ok_spliced_reply(std::string_view before, std::string_view fragment, std::string_view after) {
  static const Reply empty = ok_reply();  // {"errno":0,"errmsg":"OK"}
  Reply reply;
  reply.headers = empty.headers;
  std::string_view open(empty.body.data(), empty.body.size() - 1);  // without its '}'
  reply.body.reserve(open.size() + before.size() + fragment.size() + after.size() + 1);
  reply.body.append(open).append(before).append(fragment).append(after).push_back('}');
  return reply;
}

Reply error_reply(const Error& error) {
  // Internal errors may name files, keys' paths or library internals: the
  // log gets the detail, the client only the errno's own message.
  bool internal = error.http_status >= 500 && error.code == Errno::kServerErr;
  if (internal && !error.message.empty()) log_error("internal error: " + error.message);
  Reply r = json_reply(error.code, internal ? errno_message(error.code) : error.text(), nullptr,
                       error.http_status);
  if (error.retry_after > 0) r.add_header("Retry-After", std::to_string(error.retry_after));
  return r;
}

}  // namespace ihome
