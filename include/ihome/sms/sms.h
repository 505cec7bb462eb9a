// SMS: the verification message and the providers that deliver it.
//   outbox  — a row in table sms_outbox, for the operator's script to send;
//   command — the message piped to a configured program (argv[1] = mobile),
//             which must exit 0 within 10 seconds.
// A failed delivery is a THIRDERR (4301) Error value.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ihome/core/config.h"
#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

// 【爱家租房】您的验证码是NNNNNN，5分钟内有效。 — the minutes follow the code's TTL.
std::string sms_message(std::string_view code, int ttl_seconds);

class SmsProvider {
 public:
  virtual ~SmsProvider() = default;
  virtual Status send(const std::string& mobile, const std::string& message) = 0;
};

// The provider named by config.sms_provider; `db` for the outbox.
std::unique_ptr<SmsProvider> make_sms_provider(const Config& config, Db& db);

// Runs `command` with argv[1] = mobile and `message` on stdin; OK when it
// exits 0 within `timeout_seconds` (it is killed after that).
Status run_sms_command(const std::string& command, const std::string& mobile,
                       const std::string& message, int timeout_seconds);

}  // namespace ihome
