// Router: the table of (method, path) -> handler of one worker.  An unknown
// path answers 404/4002 and a known path with the wrong method 405/4201
// (with an Allow header), both as JSON.  Paths are exact: ihome's URLs carry
// ids in the query string, as the classic API does.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "ihome/core/result.h"
#include "ihome/http/reply.h"
#include "ihome/http/request.h"

namespace ihome {

using Handler = std::function<Reply(Request&)>;

class Router {
 public:
  void add(std::string method, std::string path, Handler handler);
  // The handler for req, or the 404/405 Error.
  Result<const Handler*> match(std::string_view method, std::string_view path) const;
  // "GET, POST" for a known path (the Allow header); "" when unknown.
  std::string allowed(std::string_view path) const;
  // Whether `path` is a route (the metrics label it under its own name).
  bool knows(std::string_view path) const { return routes_.find(path) != routes_.end(); }
  // A route a third party's server calls (a payment provider's notify): it
  // carries no _xsrf cookie and is authenticated by its own signature, so
  // the CSRF check does not apply to it.
  void exempt_from_csrf(std::string path) { csrf_exempt_.insert(std::move(path)); }
  bool csrf_exempt(std::string_view path) const { return csrf_exempt_.find(path) != csrf_exempt_.end(); }

 private:
  std::set<std::string, std::less<>> csrf_exempt_;
  std::map<std::string, std::map<std::string, Handler>, std::less<>> routes_;  // path -> method -> handler
};

}  // namespace ihome
