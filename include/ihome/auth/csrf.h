// CSRF check of API.md (Tornado's convention): a state-changing request must
// carry header X-XSRFToken equal to its `_xsrf` cookie.  The cookie is
// random, readable by the page's script (not HttpOnly) and SameSite=Lax, so
// another site can neither read nor set it.
#pragma once

#include <string>
#include <string_view>

namespace ihome {

// A well-formed _xsrf value: 16-128 of [A-Za-z0-9_-].
bool is_xsrf_token(std::string_view value);

// True when `cookie` is well-formed and `header` equals it (constant time).
bool csrf_ok(std::string_view cookie, std::string_view header);

// A fresh _xsrf value.
std::string new_xsrf_token();

}  // namespace ihome
