// Route matching: see include/ihome/http/router.h.
#include "ihome/http/router.h"

namespace ihome {

void Router::add(std::string method, std::string path, Handler handler) {
  routes_[std::move(path)][std::move(method)] = std::move(handler);
}

Result<const Handler*> Router::match(std::string_view method, std::string_view path) const {
  auto p = routes_.find(path);
  if (p == routes_.end()) return Error{Errno::kNoData, "接口不存在", 404, 0};
  auto m = p->second.find(std::string(method));
  if (m == p->second.end()) {
    // HEAD is answered like GET (nginx drops the body).
    if (method == "HEAD") m = p->second.find("GET");
    if (m == p->second.end()) return Error{Errno::kReqErr, "请求方法不允许", 405, 0};
  }
  return &m->second;
}

std::string Router::allowed(std::string_view path) const {
  std::string out;
  auto p = routes_.find(path);
  if (p == routes_.end()) return out;
  for (const auto& [method, handler] : p->second) {
    if (!out.empty()) out += ", ";
    out += method;
  }
  // match() answers HEAD wherever GET is routed, so Allow says so too (a
  // finding of the router fuzz target: 405 answers left HEAD out).
  if (p->second.count("GET") && !p->second.count("HEAD")) out += ", HEAD";
  return out;
}

}  // namespace ihome
