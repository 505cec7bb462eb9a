// Notifications: short SMS through the configured provider (src/sms/) when
// something happens that a member must act on or know (API.md
// "Notifications").  Never any message text (privacy), never to a user who
// turned them off (users.notify_sms) or whose account is closed or
// disabled.  A notification that fails is logged and dropped: it never
// fails the booking, the answer or the payment that caused it, so call
// notify_user() after that write has committed.
#pragma once

#include <cstdint>
#include <string>

#include "ihome/core/config.h"
#include "ihome/store/db.h"

namespace ihome {

enum class NotifyEvent {
  kBookingRequest,      // to the landlord: a new order waits for an answer
  kAccepted,            // to the guest (with pay_by when there is one)
  kRejected,            // to the guest
  kCanceledByLandlord,  // to the guest
  kRefunded,            // to the guest (with the amount)
  kNewMessage,          // to either member (at most once per conversation per 30 minutes)
};

// What the text may name.  Empty fields are left out.
struct NotifyDetails {
  std::string title;       // the house
  std::string start_date;  // the stay
  std::string end_date;
  std::string pay_by;      // kAccepted, when payment is due
  int64_t amount = 0;      // fen: kRefunded
};

// Seconds between two message notices to one member about one conversation.
inline constexpr int64_t kMessageNotifyGapSeconds = 30 * 60;

// The SMS text of an event (pure: unit-tested).
std::string notify_text(NotifyEvent event, const NotifyDetails& details);

// Sends notify_text() to `user_id`'s mobile unless they opted out (or the
// account is closed or disabled).  Logs a failure; returns nothing to act on.
void notify_user(const Config& config, Db& db, int64_t user_id, NotifyEvent event,
                 const NotifyDetails& details = {});

// notify_user() for an order's event: to the house's landlord for
// kBookingRequest, to the guest otherwise, with the house's title and the
// stay filled in (`extra` gives pay_by / amount).  Unknown order: nothing.
void notify_order(const Config& config, Db& db, int64_t order_id, NotifyEvent event,
                  const NotifyDetails& extra = {});

}  // namespace ihome
