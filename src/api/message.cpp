// Messages between a guest and a landlord (API.md "Messages"): questions
// before booking, one thread per order, read marks and the header's unread
// badge.  All routes require login; only a conversation's two members can
// read or write it (src/store/messages.cpp checks, in its transaction).
// Mobile numbers are never part of any answer here.
//
// Routes:
//   POST /api/messages           {conversation_id | order_id | house_id, text}
//   GET  /api/messages?p=                                 my conversations
//   GET  /api/messages/thread?conversation_id=&before=    50 older messages, marks read
//   GET  /api/messages/unread                             {unread} (worker-cached)
#include <ctime>
#include <string>

#include "ihome/api/app.h"
#include "ihome/api/handler.h"
#include "ihome/core/date.h"
#include "ihome/core/log.h"
#include "ihome/core/text.h"
#include "ihome/notify/notify.h"
#include "ihome/store/messages.h"

namespace ihome {

namespace {

// API.md: at most 30 messages per user per 10 minutes.
constexpr int kMessagesPerWindow = 30;
constexpr int kMessageWindowSeconds = 600;
constexpr size_t kMaxText = 1000;

// Which of the three targets was named: exactly one.
Result<int> target_of(const Params& body) {
  int named = body.has("conversation_id") + body.has("order_id") + body.has("house_id");
  if (named != 1) return field_error("conversation_id", "须且只能指定会话、订单或房屋之一");
  return body.has("conversation_id") ? 0 : body.has("order_id") ? 1 : 2;
}

Reply send(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(target, target_of(req.body));
  const char* field = target == 0 ? "conversation_id" : target == 1 ? "order_id" : "house_id";
  TRY_ASSIGN(id, req.body.integer(field, 1, INT64_MAX));
  TRY_ASSIGN(text, req.body.text("text", 1, kMaxText));
  TRY(ctx.limiter().hit("message", std::to_string(session.user_id), kMessagesPerWindow, kMessageWindowSeconds));
  TRY_ASSIGN(db, ctx.db());
  Messages messages(*db);
  int64_t now = unix_now();
  int64_t gap = kMessageNotifyGapSeconds;
  auto sent = target == 0   ? messages.send_in(id, session.user_id, text, now, gap)
              : target == 1 ? messages.send_on_order(id, session.user_id, text, now, gap)
                            : messages.send_on_house(id, session.user_id, text, now, gap);
  if (!sent) return error_reply(sent.error());
  if (sent->notify) notify_user(ctx.config(), *db, sent->recipient_id, NotifyEvent::kNewMessage);
  log_info("message sent conversation_id=" + std::to_string(sent->conversation_id) +
           " message_id=" + std::to_string(sent->message_id) + " user_id=" + std::to_string(session.user_id));
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    write_field(w, "conversation_id", sent->conversation_id);
    write_field(w, "message_id", sent->message_id);
    w.EndObject();
  });
}

Reply conversations(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  int64_t page = 1;
  if (!req.query_value("p").empty()) {
    TRY_ASSIGN(p, req.query.integer("p", 1, INT64_MAX / Messages::kPageSize));
    page = p;
  }
  TRY_ASSIGN(db, ctx.db());
  TRY_ASSIGN(result, Messages(*db).list(session.user_id, page));
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("conversations");
    w.StartArray();
    for (const ConversationRow& c : result.conversations) {
      w.StartObject();
      write_field(w, "conversation_id", c.id);
      write_field(w, "house_id", c.house_id);
      write_field(w, "title", c.title);
      w.Key("img_url");
      write_media_url(w, c.image);
      write_field(w, "order_id", c.order_id);
      w.Key("other");
      w.StartObject();
      write_field(w, "user_id", c.other_id);
      write_field(w, "name", public_name(c.other_name));  // never a mobile number
      w.Key("avatar");
      write_media_url(w, c.other_avatar);
      w.EndObject();
      w.Key("last");
      w.StartObject();
      write_field(w, "text", c.last_text);
      write_field(w, "ctime", c.last_time);
      write_flag(w, "from_me", c.last_from_me);
      w.EndObject();
      write_field(w, "unread", c.unread);
      w.EndObject();
    }
    w.EndArray();
    write_field(w, "total_page", (result.total + Messages::kPageSize - 1) / Messages::kPageSize);
    write_field(w, "current_page", page);
    w.EndObject();
  });
}

Reply thread(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  TRY_ASSIGN(conversation_id, req.query.integer("conversation_id", 1, INT64_MAX));
  int64_t before = 0;
  if (!req.query_value("before").empty()) {
    TRY_ASSIGN(b, req.query.integer("before", 1, INT64_MAX));
    before = b;
  }
  TRY_ASSIGN(db, ctx.db());
  TRY_ASSIGN(result, Messages(*db).thread(conversation_id, session.user_id, before));
  return ok_reply([&](JsonWriter& w) {
    w.Key("data");
    w.StartObject();
    w.Key("messages");
    w.StartArray();
    for (const ThreadMessage& m : result.messages) {
      w.StartObject();
      write_field(w, "message_id", m.id);
      write_flag(w, "from_me", m.from_me);
      write_field(w, "text", m.text);  // as sent: the site shows it as text
      write_field(w, "ctime", m.created_at);
      w.EndObject();
    }
    w.EndArray();
    write_flag(w, "has_more", result.has_more);
    w.EndObject();
  });
}

// Every page asks this for its header badge, so it costs about what
// check_login costs: the session read (which check_login does too) and a
// number kept in the worker while SQLite's 'message' generation holds
// (sql/011_trust.sql: every message and read mark moves it).
Reply unread(Context& ctx, Request& req) {
  TRY_ASSIGN(session, ctx.require_login(req));
  auto json = ctx.read_through("unread:" + std::to_string(session.user_id), gen_bit(GenKind::kMessage), 0,
                               [&]() -> Result<std::optional<std::string>> {
    auto db = ctx.db();
    if (!db) return db.take_error();
    auto n = Messages(**db).unread(session.user_id);
    if (!n) return n.take_error();
    return std::optional<std::string>("{\"unread\":" + std::to_string(*n) + "}");
  });
  if (!json) return error_reply(json.error());
  return ok_spliced_reply(",\"data\":", **json);
}

}  // namespace

void add_message_routes(Router& router, Context& ctx) {
  router.add("POST", "/api/messages", bind_handler(ctx, send));
  router.add("GET", "/api/messages", bind_handler(ctx, conversations));
  router.add("GET", "/api/messages/thread", bind_handler(ctx, thread));
  router.add("GET", "/api/messages/unread", bind_handler(ctx, unread));
}

}  // namespace ihome
