// Messages repository: see include/ihome/store/messages.h.
//
// Every write is one IMMEDIATE transaction: the membership check, the
// conversation's creation on first use, the message, the unread count and
// read mark of both members and the SMS gap move together.  A message names
// its side (from_guest), so a conversation's two user ids are the only
// place people are named (closing an account keeps them, as orders do).
#include "ihome/store/messages.h"

#include <algorithm>
#include <functional>

namespace ihome {

namespace {

Error not_member() { return Error{Errno::kRoleErr, "无权查看此会话", 200, 0}; }

// A closed account is "disabled" too (src/store/users.cpp close).
Result<bool> account_closed(Db& db, int64_t user_id) {
  auto s = db.prepare("SELECT closed_at IS NOT NULL FROM users WHERE id = ?1");
  if (!s) return s.take_error();
  s->bind(1, user_id);
  auto row = s->step();
  if (!row) return row.take_error();
  return !*row || s->int64(0) != 0;
}

}  // namespace

Result<std::optional<OrderParties>> Messages::order_parties(int64_t order_id) {
  auto s = db_.prepare(
      "SELECT o.id, o.house_id, o.user_id, h.user_id, h.title, o.start_date, o.end_date "
      "FROM orders o JOIN houses h ON h.id = o.house_id WHERE o.id = ?1");
  if (!s) return s.take_error();
  s->bind(1, order_id);
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<OrderParties>();
  return std::optional<OrderParties>(OrderParties{s->int64(0), s->int64(1), s->int64(2), s->int64(3), s->text(4),
                                                  s->text(5), s->text(6)});
}

Result<std::optional<Messages::Members>> Messages::find_members(int64_t conversation_id) {
  auto s = db_.prepare("SELECT id, guest_id, landlord_id FROM conversations WHERE id = ?1");
  if (!s) return s.take_error();
  s->bind(1, conversation_id);
  auto row = s->step();
  if (!row) return row.take_error();
  if (!*row) return std::optional<Members>();
  return std::optional<Members>(Members{s->int64(0), s->int64(1), s->int64(2)});
}

Result<SentMessage> Messages::append(const Members& c, int64_t sender, const std::string& text, int64_t now,
                                     int64_t notify_gap) {
  bool from_guest = sender == c.guest_id;
  int64_t recipient = from_guest ? c.landlord_id : c.guest_id;
  auto closed = account_closed(db_, recipient);
  if (!closed) return closed.take_error();
  if (*closed) return Error{Errno::kDataErr, "对方账号已注销", 200, 0};

  auto insert = db_.prepare("INSERT INTO messages (conversation_id, from_guest, text) VALUES (?1, ?2, ?3)");
  if (!insert) return insert.take_error();
  insert->bind(1, c.id).bind(2, from_guest ? 1 : 0).bind(3, text);
  Status s = insert->run();
  if (!s.ok()) return s.take_error();
  SentMessage sent{c.id, db_.last_insert_id(), recipient, false};

  // The writer has read the conversation up to their own message; the
  // other member has one more unread, and is told by SMS when the last
  // notice about this conversation is older than the gap (or none yet).
  auto last_notice = db_.prepare(from_guest ? "SELECT landlord_notified_at FROM conversations WHERE id = ?1"
                                            : "SELECT guest_notified_at FROM conversations WHERE id = ?1");
  if (!last_notice) return last_notice.take_error();
  last_notice->bind(1, c.id);
  auto row = last_notice->step();
  if (!row) return row.take_error();
  sent.notify = *row && (last_notice->is_null(0) || now - last_notice->int64(0) >= notify_gap);
  int64_t notified_at = sent.notify || !*row || last_notice->is_null(0) ? now : last_notice->int64(0);
  auto update = db_.prepare(
      from_guest
          ? "UPDATE conversations SET last_message_id = ?2, guest_read_id = ?2, guest_unread = 0, "
            "landlord_unread = landlord_unread + 1, landlord_notified_at = ?3 WHERE id = ?1"
          : "UPDATE conversations SET last_message_id = ?2, landlord_read_id = ?2, landlord_unread = 0, "
            "guest_unread = guest_unread + 1, guest_notified_at = ?3 WHERE id = ?1");
  if (!update) return update.take_error();
  update->bind(1, c.id).bind(2, sent.message_id).bind(3, notified_at);
  s = update->run();
  if (!s.ok()) return s.take_error();
  return sent;
}

Result<SentMessage> Messages::send(const std::function<Result<Members>()>& conversation, int64_t sender,
                                   const std::string& text, int64_t now, int64_t notify_gap) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto c = conversation();
  if (!c) return c.take_error();
  auto sent = append(*c, sender, text, now, notify_gap);
  if (!sent) return sent;
  Status s = tx->commit();
  if (!s.ok()) return s.take_error();
  return sent;
}

Result<int64_t> Messages::create_conversation(int64_t house_id, int64_t guest_id, int64_t landlord_id,
                                              std::optional<int64_t> order_id) {
  auto insert = db_.prepare(
      "INSERT INTO conversations (house_id, guest_id, landlord_id, order_id) VALUES (?1, ?2, ?3, ?4)");
  if (!insert) return insert.take_error();
  insert->bind(1, house_id).bind(2, guest_id).bind(3, landlord_id);
  if (order_id) insert->bind(4, *order_id);
  else insert->bind_null(4);
  Status s = insert->run();
  if (!s.ok()) return s.take_error();
  return db_.last_insert_id();
}

Result<SentMessage> Messages::send_in(int64_t conversation_id, int64_t sender, const std::string& text, int64_t now,
                                      int64_t notify_gap) {
  return send([&]() -> Result<Members> {
    auto members = find_members(conversation_id);
    if (!members) return members.take_error();
    if (!*members) return Error{Errno::kNoData, "会话不存在", 200, 0};
    if (sender != (*members)->guest_id && sender != (*members)->landlord_id) return not_member();
    return **members;
  }, sender, text, now, notify_gap);
}

Result<SentMessage> Messages::send_on_order(int64_t order_id, int64_t sender, const std::string& text, int64_t now,
                                            int64_t notify_gap) {
  return send([&]() -> Result<Members> {
    auto order = order_parties(order_id);
    if (!order) return order.take_error();
    if (!*order) return Error{Errno::kNoData, "订单不存在", 200, 0};
    const OrderParties& o = **order;
    if (sender != o.guest_id && sender != o.landlord_id) return not_member();
    auto find = db_.prepare("SELECT id, guest_id, landlord_id FROM conversations WHERE order_id = ?1");
    if (!find) return find.take_error();
    find->bind(1, order_id);
    auto row = find->step();
    if (!row) return row.take_error();
    if (*row) return Members{find->int64(0), find->int64(1), find->int64(2)};
    auto id = create_conversation(o.house_id, o.guest_id, o.landlord_id, order_id);
    if (!id) return id.take_error();
    return Members{*id, o.guest_id, o.landlord_id};
  }, sender, text, now, notify_gap);
}

Result<SentMessage> Messages::send_on_house(int64_t house_id, int64_t sender, const std::string& text, int64_t now,
                                            int64_t notify_gap) {
  return send([&]() -> Result<Members> {
    auto house = db_.prepare("SELECT user_id, status FROM houses WHERE id = ?1");
    if (!house) return house.take_error();
    house->bind(1, house_id);
    auto row = house->step();
    if (!row) return row.take_error();
    if (!*row || house->text(1) != "online") return Error{Errno::kNoData, "房屋不存在或已下架", 200, 0};
    int64_t landlord = house->int64(0);
    if (landlord == sender) return Error{Errno::kRoleErr, "不能给自己的房屋留言", 200, 0};
    auto find = db_.prepare(
        "SELECT id FROM conversations WHERE house_id = ?1 AND guest_id = ?2 AND order_id IS NULL");
    if (!find) return find.take_error();
    find->bind(1, house_id).bind(2, sender);
    auto found = find->step();
    if (!found) return found.take_error();
    if (*found) return Members{find->int64(0), sender, landlord};
    auto id = create_conversation(house_id, sender, landlord, std::nullopt);
    if (!id) return id.take_error();
    return Members{*id, sender, landlord};
  }, sender, text, now, notify_gap);
}

Result<ConversationPage> Messages::list(int64_t user_id, int64_t page) {
  ConversationPage out;
  auto count = db_.prepare(
      "SELECT (SELECT count(*) FROM conversations WHERE guest_id = ?1) + "
      "(SELECT count(*) FROM conversations WHERE landlord_id = ?1)");
  if (!count) return count.take_error();
  count->bind(1, user_id);
  auto row = count->step();
  if (!row) return row.take_error();
  out.total = count->int64(0);
  if (out.total <= (page - 1) * kPageSize) return out;
  auto list = db_.prepare(
      "SELECT c.id, c.house_id, h.title, h.index_image, c.order_id, u.id, "
      "CASE WHEN u.closed_at IS NULL THEN u.name ELSE '已注销用户' END, u.avatar, "
      "m.text, m.created_at, m.from_guest = (c.guest_id = ?1), "
      "CASE WHEN c.guest_id = ?1 THEN c.guest_unread ELSE c.landlord_unread END "
      "FROM conversations c JOIN houses h ON h.id = c.house_id "
      "JOIN users u ON u.id = CASE WHEN c.guest_id = ?1 THEN c.landlord_id ELSE c.guest_id END "
      "JOIN messages m ON m.id = c.last_message_id "
      "WHERE c.guest_id = ?1 OR c.landlord_id = ?1 "
      "ORDER BY c.last_message_id DESC LIMIT ?2 OFFSET ?3");
  if (!list) return list.take_error();
  list->bind(1, user_id).bind(2, kPageSize).bind(3, (page - 1) * kPageSize);
  Status done = list->each([&](const Stmt& r) {
    ConversationRow c;
    c.id = r.int64(0);
    c.house_id = r.int64(1);
    c.title = r.text(2);
    if (!r.is_null(3)) c.image = r.text(3);
    if (!r.is_null(4)) c.order_id = r.int64(4);
    c.other_id = r.int64(5);
    c.other_name = r.text(6);
    if (!r.is_null(7)) c.other_avatar = r.text(7);
    c.last_text = r.text(8);
    c.last_time = r.text(9);
    c.last_from_me = r.int64(10) != 0;
    c.unread = r.int64(11);
    out.conversations.push_back(std::move(c));
  });
  if (!done.ok()) return done.take_error();
  return out;
}

Result<Thread> Messages::thread(int64_t conversation_id, int64_t user_id, int64_t before) {
  auto members = find_members(conversation_id);
  if (!members) return members.take_error();
  if (!*members) return Error{Errno::kNoData, "会话不存在", 200, 0};
  bool guest = user_id == (*members)->guest_id;
  if (!guest && user_id != (*members)->landlord_id) return not_member();

  Thread out;
  auto page = db_.prepare(
      "SELECT id, from_guest, text, created_at FROM messages WHERE conversation_id = ?1 AND id < ?2 "
      "ORDER BY id DESC LIMIT ?3");
  if (!page) return page.take_error();
  page->bind(1, conversation_id).bind(2, before > 0 ? before : INT64_MAX).bind(3, kThreadSize + 1);
  Status done = page->each([&](const Stmt& r) {
    out.messages.push_back({r.int64(0), (r.int64(1) != 0) == guest, r.text(2), r.text(3)});
  });
  if (!done.ok()) return done.take_error();
  if (static_cast<int64_t>(out.messages.size()) > kThreadSize) {
    out.has_more = true;
    out.messages.pop_back();
  }
  std::reverse(out.messages.begin(), out.messages.end());
  if (out.messages.empty()) return out;

  // Read up to the newest message shown.  Only a mark that moves writes
  // (one statement, atomic by itself): re-reading a thread costs no write
  // and leaves every worker's unread counts cached.
  auto mark = db_.prepare(
      guest ? "UPDATE conversations SET guest_read_id = ?2, guest_unread = (SELECT count(*) FROM messages m "
              "WHERE m.conversation_id = ?1 AND m.id > ?2 AND m.from_guest = 0) WHERE id = ?1 AND guest_read_id < ?2"
            : "UPDATE conversations SET landlord_read_id = ?2, landlord_unread = (SELECT count(*) FROM messages m "
              "WHERE m.conversation_id = ?1 AND m.id > ?2 AND m.from_guest = 1) "
              "WHERE id = ?1 AND landlord_read_id < ?2");
  if (!mark) return mark.take_error();
  mark->bind(1, conversation_id).bind(2, out.messages.back().id);
  Status s = mark->run();
  if (!s.ok()) return s.take_error();
  return out;
}

Result<int64_t> Messages::unread(int64_t user_id) {
  // Two partial indexes hold only the conversations with unread messages.
  auto s = db_.prepare(
      "SELECT ifnull((SELECT sum(guest_unread) FROM conversations WHERE guest_id = ?1 AND guest_unread > 0), 0) + "
      "ifnull((SELECT sum(landlord_unread) FROM conversations WHERE landlord_id = ?1 AND landlord_unread > 0), 0)");
  if (!s) return s.take_error();
  s->bind(1, user_id);
  auto row = s->step();
  if (!row) return row.take_error();
  return s->int64(0);
}

}  // namespace ihome
