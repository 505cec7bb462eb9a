// Passport helpers shared by the resource files that log people in or check
// their codes and passwords (src/api/passport.cpp, src/api/account.cpp):
// SMS codes by purpose, the login-failure lock, issuing a session.
#pragma once

#include <string>
#include <string_view>

#include "ihome/api/context.h"
#include "ihome/auth/password.h"
#include "ihome/core/result.h"
#include "ihome/http/reply.h"
#include "ihome/http/request.h"
#include "ihome/store/users.h"

namespace ihome {

// What an SMS code is for (API.md "purpose"): a code serves only its own.
enum class SmsPurpose { kRegister, kReset };

inline constexpr size_t kSmsCodeDigits = 6;

// Checks `phonecode` against the stored code of `purpose` for `mobile` and
// consumes it when right: NODATA (missing/expired), DATAERR (wrong; void
// after sms_max_attempts wrong tries).
Status take_sms_code(Context& ctx, SmsPurpose purpose, const std::string& mobile,
                     const std::string& phonecode);

// The login lock of `mobile`: REQERR (429) while locked.
Status check_login_lock(Context& ctx, const std::string& mobile);
// Counts a failed password for `mobile`, locking it at the limit.
Status count_login_failure(Context& ctx, const Request& req, const std::string& mobile);
// Forgets the failures and the lock of `mobile`.
Status clear_login_failures(Context& ctx, const std::string& mobile, bool lock_too);

// Issues a fresh session for `user` (no fixation: any session the request
// came with is ended) and sets the cookie on `reply`.
Status log_in(Context& ctx, const Request& req, const User& user, Reply& reply);

PasswordCost password_cost(const Config& c);

}  // namespace ihome
