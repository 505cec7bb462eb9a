// Unit tests of issue 20's store and text logic against a real SQLite file:
// ratings kept with the comment (Orders::act kComment), the landlord's reply
// (Reviews), house comments paged (Houses::comments), conversations and
// their membership, paging, read marks and the SMS gap (Messages), the
// rating's one decimal and the notification texts.
#include <doctest/doctest.h>

#include <string>

#include "ihome/api/app.h"
#include "ihome/core/text.h"
#include "ihome/notify/notify.h"
#include "ihome/store/houses.h"
#include "ihome/store/messages.h"
#include "ihome/store/orders.h"
#include "ihome/store/reviews.h"
#include "ihome/store/users.h"
#include "temp_db.h"

using namespace ihome;

namespace {
struct Fixture : test::HouseDb {
  int64_t other = 0;
  Fixture() : HouseDb("trust", 10000, {}) { other = *Users(*db).create("13800000003", "other", "h"); }
  // A finished stay of `user`'s on the house, ready for a comment (however
  // the order reached WAIT_COMMENT).
  int64_t stayed(int64_t user, int n) {
    std::string start = "2020-01-" + std::string(n < 10 ? "0" : "") + std::to_string(n);
    exec("INSERT INTO orders (user_id, house_id, start_date, end_date, days, price, amount, status) VALUES (" +
         std::to_string(user) + ", " + std::to_string(house) + ", '" + start + "', date('" + start +
         "', '+1 day'), 1, 10000, 10000, 'WAIT_COMMENT')");
    return scalar("SELECT max(id) FROM orders");
  }
  std::string h(const std::string& col) { return text("SELECT " + col + " FROM houses WHERE id = " + std::to_string(house)); }
};
}  // namespace

TEST_CASE("public_name: a name that is a mobile number is masked; others are kept") {
  CHECK(public_name("13800000001") == "138****0001");
  CHECK(public_name("李房东") == "李房东");
  CHECK(public_name("1380000000") == "1380000000");    // 10 digits: not a mobile
  CHECK(public_name("已注销用户") == "已注销用户");
  CHECK(public_name("12800000001") == "12800000001");  // not ^1[3-9]
}

TEST_CASE("rating: one decimal, half up, from the exact sum and count") {
  CHECK(format_rating(4, 1) == "4.0");
  CHECK(format_rating(9, 2) == "4.5");
  CHECK(format_rating(14, 3) == "4.7");   // 4.666…
  CHECK(format_rating(13, 3) == "4.3");   // 4.333…
  CHECK(format_rating(5, 1) == "5.0");
  CHECK(format_rating(1, 1) == "1.0");
  CHECK(format_rating(81, 20) == "4.1");  // 4.05 rounds up
  CHECK(format_rating(3, 2) == "1.5");
}

TEST_CASE("rating: a rated comment adds to the house's sum and count; an unrated one only completes") {
  Fixture f;
  Orders orders(*f.db);
  REQUIRE(orders.act(f.stayed(f.guest, 1), f.guest, OrderAction::kComment, "好", ActContext{}, 5).ok());
  REQUIRE(orders.act(f.stayed(f.guest, 3), f.guest, OrderAction::kComment, "还行", ActContext{}, 2).ok());
  REQUIRE(orders.act(f.stayed(f.other, 5), f.other, OrderAction::kComment, "经典前端", ActContext{}, std::nullopt).ok());
  CHECK(f.h("rating_sum") == "7");
  CHECK(f.h("rating_count") == "2");
  CHECK(f.h("order_count") == "3");
  CHECK(f.scalar("SELECT count(*) FROM orders WHERE rating IS NULL AND status = 'COMPLETE'") == 1);
  // A refused comment (not the guest) changes nothing.
  int64_t id = f.stayed(f.guest, 7);
  CHECK_FALSE(orders.act(id, f.other, OrderAction::kComment, "x", ActContext{}, 1).ok());
  CHECK(f.h("rating_sum") == "7");
  HouseSearch by_rating;
  by_rating.sort = HouseSort::kRating;
  auto page = Houses(*f.db).search(by_rating);
  REQUIRE(page.ok());
  REQUIRE(page->houses.size() == 1);
  CHECK(page->houses[0].rating_sum == 7);
  CHECK(page->houses[0].rating_count == 2);
}

TEST_CASE("reply: the owner once, under a comment; comments paged newest first with every field") {
  Fixture f;
  Orders orders(*f.db);
  Reviews reviews(*f.db);
  int64_t waiting = f.stayed(f.guest, 1);
  auto early = reviews.reply(waiting, f.landlord, "谢谢");
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().code == Errno::kDataErr);
  REQUIRE(orders.act(waiting, f.guest, OrderAction::kComment, "很好", ActContext{}, 4).ok());
  auto by_guest = reviews.reply(waiting, f.guest, "我自己回");
  REQUIRE_FALSE(by_guest.ok());
  CHECK(by_guest.error().code == Errno::kRoleErr);
  auto unknown = reviews.reply(waiting + 100, f.landlord, "?");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == Errno::kNoData);
  std::string commented_at = f.text("SELECT updated_at FROM orders WHERE id = " + std::to_string(waiting));
  REQUIRE(reviews.reply(waiting, f.landlord, "欢迎再来").ok());
  auto again = reviews.reply(waiting, f.landlord, "再回一次");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errno::kDataErr);
  CHECK(f.text("SELECT updated_at FROM orders WHERE id = " + std::to_string(waiting)) == commented_at);

  for (int n = 2; n <= 12; ++n) REQUIRE(orders.act(f.stayed(f.other, n + 10), f.other, OrderAction::kComment,
                                                   "第" + std::to_string(n) + "条", ActContext{}, std::nullopt).ok());
  f.exec("UPDATE orders SET updated_at = '2021-01-01 00:00:00' WHERE id = " + std::to_string(waiting));  // the oldest
  Houses houses(*f.db);
  auto first = houses.comments(f.house, 1);
  REQUIRE(first.ok());
  CHECK(first->total == 12);
  CHECK(first->comments.size() == 10);
  CHECK(first->comments[0].comment == "第12条");
  auto second = houses.comments(f.house, 2);
  REQUIRE(second.ok());
  REQUIRE(second->comments.size() == 2);
  const HouseComment& c = second->comments[1];
  CHECK(c.comment == "很好");
  CHECK(c.rating == 4);
  CHECK(c.reply == "欢迎再来");
  CHECK(c.reply_time.has_value());
  CHECK(c.stay == "2020-01");
  CHECK(c.user_name == "guest");
  CHECK_FALSE(second->comments[0].rating.has_value());
  auto none = houses.comments(f.house + 1, 1);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == Errno::kNoData);
  auto detail = houses.detail(f.house);
  REQUIRE(detail.ok());
  CHECK((*detail)->comments.size() == 10);  // house/info: the 10 newest
}

TEST_CASE("messages: a question per house and guest, an order's thread, and nobody else") {
  Fixture f;
  Messages m(*f.db);
  auto own = m.send_on_house(f.house, f.landlord, "自问自答", 1000, 1800);
  REQUIRE_FALSE(own.ok());
  CHECK(own.error().code == Errno::kRoleErr);
  auto nohouse = m.send_on_house(f.house + 9, f.guest, "在吗", 1000, 1800);
  REQUIRE_FALSE(nohouse.ok());
  CHECK(nohouse.error().code == Errno::kNoData);
  auto q1 = m.send_on_house(f.house, f.guest, "有车位吗？", 1000, 1800);
  REQUIRE(q1.ok());
  CHECK(q1->recipient_id == f.landlord);
  CHECK(q1->notify);
  auto q2 = m.send_on_house(f.house, f.guest, "还有一个问题", 1010, 1800);
  REQUIRE(q2.ok());
  CHECK(q2->conversation_id == q1->conversation_id);
  CHECK_FALSE(q2->notify);  // within 30 minutes of the last notice
  auto answer = m.send_in(q1->conversation_id, f.landlord, "有", 1020, 1800);
  REQUIRE(answer.ok());
  CHECK(answer->recipient_id == f.guest);
  CHECK(answer->notify);  // the guest's first notice here
  auto intruder = m.send_in(q1->conversation_id, f.other, "我也想问", 1030, 1800);
  REQUIRE_FALSE(intruder.ok());
  CHECK(intruder.error().code == Errno::kRoleErr);
  auto peek = m.thread(q1->conversation_id, f.other, 0);
  REQUIRE_FALSE(peek.ok());
  CHECK(peek.error().code == Errno::kRoleErr);
  auto other_q = m.send_on_house(f.house, f.other, "我问我的", 1040, 1800);
  REQUIRE(other_q.ok());
  CHECK(other_q->conversation_id != q1->conversation_id);
  auto later = m.send_on_house(f.house, f.guest, "又来了", 1000 + 1800, 1800);
  REQUIRE(later.ok());
  CHECK(later->notify);  // 30 minutes after the last notice

  int64_t order = f.stayed(f.guest, 1);
  auto o1 = m.send_on_order(order, f.landlord, "欢迎入住", 2000, 1800);
  REQUIRE(o1.ok());
  CHECK(o1->conversation_id != q1->conversation_id);
  auto o2 = m.send_on_order(order, f.guest, "谢谢", 2001, 1800);
  REQUIRE(o2.ok());
  CHECK(o2->conversation_id == o1->conversation_id);
  auto o3 = m.send_on_order(order, f.other, "路过", 2002, 1800);
  REQUIRE_FALSE(o3.ok());
  CHECK(o3.error().code == Errno::kRoleErr);
  CHECK(f.scalar("SELECT count(*) FROM messages") == 7);

  auto guest_list = m.list(f.guest, 1);
  REQUIRE(guest_list.ok());
  REQUIRE(guest_list->conversations.size() == 2);
  CHECK(guest_list->conversations[0].order_id == order);  // latest activity first
  CHECK(guest_list->conversations[0].last_text == "谢谢");
  CHECK(guest_list->conversations[0].last_from_me);
  CHECK(guest_list->conversations[0].other_name == "landlord");
  CHECK(guest_list->conversations[1].unread == 0);  // the guest wrote after the answer
  auto landlord_list = m.list(f.landlord, 1);
  REQUIRE(landlord_list.ok());
  CHECK(landlord_list->total == 3);
  auto other_list = m.list(f.other, 1);
  REQUIRE(other_list.ok());
  CHECK(other_list->total == 1);
}

TEST_CASE("messages: threads page by `before`, oldest first; reading marks read; unread sums") {
  Fixture f;
  Messages m(*f.db);
  int64_t conv = 0, last = 0;
  for (int i = 1; i <= 120; ++i) {
    auto sent = m.send_on_house(f.house, f.guest, "第" + std::to_string(i) + "条", 1000 + i, 1800);
    REQUIRE(sent.ok());
    conv = sent->conversation_id;
    last = sent->message_id;
  }
  CHECK(*m.unread(f.landlord) == 120);
  CHECK(*m.unread(f.guest) == 0);
  // An older page read first marks only up to what it showed.
  auto old = m.thread(conv, f.landlord, last - 100);
  REQUIRE(old.ok());
  CHECK(old->messages.size() == 19);
  CHECK_FALSE(old->has_more);
  CHECK(old->messages.front().text == "第1条");
  CHECK(*m.unread(f.landlord) == 101);
  auto newest = m.thread(conv, f.landlord, 0);
  REQUIRE(newest.ok());
  CHECK(newest->messages.size() == 50);
  CHECK(newest->has_more);
  CHECK(newest->messages.back().id == last);
  CHECK(newest->messages.back().text == "第120条");
  CHECK_FALSE(newest->messages.back().from_me);
  CHECK(*m.unread(f.landlord) == 0);
  auto next = m.thread(conv, f.landlord, newest->messages.front().id);
  REQUIRE(next.ok());
  CHECK(next->messages.size() == 50);
  CHECK(next->has_more);
  CHECK(next->messages.back().id == newest->messages.front().id - 1);
  // Re-reading writes nothing: the message generation stays.
  int64_t gen = f.scalar("SELECT gen FROM generations WHERE kind = 'message'");
  REQUIRE(m.thread(conv, f.landlord, 0).ok());
  CHECK(f.scalar("SELECT gen FROM generations WHERE kind = 'message'") == gen);
  REQUIRE(m.send_in(conv, f.landlord, "回复", 5000, 1800).ok());
  CHECK(f.scalar("SELECT gen FROM generations WHERE kind = 'message'") > gen);
  CHECK(*m.unread(f.guest) == 1);
  auto gone = m.thread(conv + 5, f.guest, 0);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == Errno::kNoData);
}

TEST_CASE("notifications: each event's text; a message's never holds its text") {
  NotifyDetails d{"朝阳小屋", "2030-05-01", "2030-05-03", "", 0};
  CHECK(notify_text(NotifyEvent::kBookingRequest, d).find("新的预订申请") != std::string::npos);
  CHECK(notify_text(NotifyEvent::kBookingRequest, d).find("朝阳小屋") != std::string::npos);
  CHECK(notify_text(NotifyEvent::kAccepted, d).find("已接受") != std::string::npos);
  d.pay_by = "2030-04-01 12:00:00";
  CHECK(notify_text(NotifyEvent::kAccepted, d).find("2030-04-01 12:00:00前完成支付") != std::string::npos);
  CHECK(notify_text(NotifyEvent::kRejected, d).find("未能接受") != std::string::npos);
  CHECK(notify_text(NotifyEvent::kCanceledByLandlord, d).find("已被房东取消") != std::string::npos);
  d.amount = 29850;
  CHECK(notify_text(NotifyEvent::kRefunded, d).find("退款298.50元") != std::string::npos);
  CHECK(notify_text(NotifyEvent::kNewMessage, d) == "【爱家租房】您有新消息，请登录爱家租房查看。");
}

TEST_CASE("notifications: to the outbox unless opted out, closed or disabled") {
  Fixture f;
  Config config;
  config.sms_provider = "outbox";
  notify_user(config, *f.db, f.landlord, NotifyEvent::kNewMessage);
  CHECK(f.scalar("SELECT count(*) FROM sms_outbox WHERE mobile = '13800000001'") == 1);
  REQUIRE(Users(*f.db).set_notify_sms(f.landlord, false).ok());
  notify_user(config, *f.db, f.landlord, NotifyEvent::kNewMessage);
  CHECK(f.scalar("SELECT count(*) FROM sms_outbox WHERE mobile = '13800000001'") == 1);
  int64_t order = f.stayed(f.guest, 1);
  notify_order(config, *f.db, order, NotifyEvent::kRejected);
  CHECK(f.text("SELECT body FROM sms_outbox WHERE mobile = '13800000002'").find("小屋") != std::string::npos);
  f.exec("UPDATE users SET disabled = 1 WHERE id = " + std::to_string(f.guest));
  notify_order(config, *f.db, order, NotifyEvent::kRejected);
  CHECK(f.scalar("SELECT count(*) FROM sms_outbox WHERE mobile = '13800000002'") == 1);
}
