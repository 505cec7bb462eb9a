// CSRF token check: see include/ihome/auth/csrf.h.
#include "ihome/auth/csrf.h"

#include "ihome/core/random.h"
#include "ihome/core/text.h"

namespace ihome {

bool is_xsrf_token(std::string_view value) {
  if (value.size() < 16 || value.size() > 128) return false;
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool csrf_ok(std::string_view cookie, std::string_view header) {
  return is_xsrf_token(cookie) && constant_time_equals(cookie, header);
}

std::string new_xsrf_token() { return random_token(24); }

}  // namespace ihome
