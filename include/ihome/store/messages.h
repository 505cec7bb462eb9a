// Messages repository: conversations between a guest and a landlord about
// one house (a pre-booking question, or one order's thread) and their
// messages (API.md "Messages", sql/011_trust.sql).  Membership is checked
// here, inside the transaction that reads or writes: NODATA (no such
// conversation, order or house), ROLEERR (not one of its two members).
// SQL only; src/api/message.cpp shapes the JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

// Who an order concerns: for a message thread and for notifications.
struct OrderParties {
  int64_t order_id = 0;
  int64_t house_id = 0;
  int64_t guest_id = 0;
  int64_t landlord_id = 0;
  std::string title;
  std::string start_date;
  std::string end_date;
};

// What a new message did.
struct SentMessage {
  int64_t conversation_id = 0;
  int64_t message_id = 0;
  int64_t recipient_id = 0;
  // The recipient was not told of a new message here within the notify gap:
  // the caller sends the SMS (the gap is taken already, in the same write).
  bool notify = false;
};

struct ConversationRow {
  int64_t id = 0;
  int64_t house_id = 0;
  std::string title;
  std::optional<std::string> image;  // the house's index image file
  std::optional<int64_t> order_id;
  int64_t other_id = 0;
  std::string other_name;            // 已注销用户 once closed
  std::optional<std::string> other_avatar;
  std::string last_text;
  std::string last_time;
  bool last_from_me = false;
  int64_t unread = 0;
};

struct ConversationPage {
  std::vector<ConversationRow> conversations;
  int64_t total = 0;
};

struct ThreadMessage {
  int64_t id = 0;
  bool from_me = false;
  std::string text;
  std::string created_at;
};

struct Thread {
  std::vector<ThreadMessage> messages;  // oldest first
  bool has_more = false;                // older ones exist
};

class Messages {
 public:
  static constexpr int64_t kPageSize = 20;
  static constexpr int64_t kThreadSize = 50;

  explicit Messages(Db& db) : db_(db) {}

  // nullopt when there is no such order.
  Result<std::optional<OrderParties>> order_parties(int64_t order_id);

  // A member writes in a conversation.  `now` is unix seconds;
  // `notify_gap` the seconds between two SMS to one member about one
  // conversation.  DATAERR when the other member closed the account.
  Result<SentMessage> send_in(int64_t conversation_id, int64_t sender, const std::string& text, int64_t now,
                              int64_t notify_gap);
  // The order's guest or the house's landlord writes in the order's
  // conversation (created on first use).
  Result<SentMessage> send_on_order(int64_t order_id, int64_t sender, const std::string& text, int64_t now,
                                    int64_t notify_gap);
  // A guest asks a house's landlord before booking: one conversation per
  // house and guest.  NODATA also for an offline house; ROLEERR for one's own.
  Result<SentMessage> send_on_house(int64_t house_id, int64_t sender, const std::string& text, int64_t now,
                                    int64_t notify_gap);

  // The user's conversations, latest activity first.
  Result<ConversationPage> list(int64_t user_id, int64_t page);
  // Up to kThreadSize messages older than `before` (0: the newest), oldest
  // first; marks them read for `user_id`.
  Result<Thread> thread(int64_t conversation_id, int64_t user_id, int64_t before);
  // Messages the other members wrote to the user that the user has not read.
  Result<int64_t> unread(int64_t user_id);

 private:
  struct Members {
    int64_t id, guest_id, landlord_id;
  };
  Result<SentMessage> append(const Members& c, int64_t sender, const std::string& text, int64_t now,
                             int64_t notify_gap);
  Result<std::optional<Members>> find_members(int64_t conversation_id);
  // In one transaction: the conversation `conversation` finds or makes
  // (or its error), then the message in it.
  Result<SentMessage> send(const std::function<Result<Members>()>& conversation, int64_t sender,
                           const std::string& text, int64_t now, int64_t notify_gap);
  Result<int64_t> create_conversation(int64_t house_id, int64_t guest_id, int64_t landlord_id,
                                      std::optional<int64_t> order_id);
  Db& db_;
};

}  // namespace ihome
