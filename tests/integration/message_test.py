"""Messages and notifications (API.md "Messages", "Notifications", profile `notify_sms`):
conversations of exactly two members — a third user is refused on every URL — started from a
house (before booking) or an order, paging by `before`, read marks and the header's unread
count, the 30-per-10-minutes limit, hostile text refused or returned as text, mobile numbers
never shown; SMS rows in `sms_outbox` for a booking request, an acceptance, a rejection and a
new message (at most one per conversation per 30 minutes, never the message's text), and the
opt-out."""

import json
import unittest

import harness
from guests import book, day, make_house, make_user
from harness import ApiTestCase

STACK = None
NOTICE = "您有新消息，请登录爱家租房查看"


def setUpModule():
    global STACK
    STACK = harness.Stack(name="message").start()


def tearDownModule():
    if STACK is not None:
        STACK.stop()


class MessageCase(ApiTestCase):
    offset = 0

    def setUp(self):
        self.st = STACK

    def outbox(self, user):
        return [r[0] for r in self.st.db_query("SELECT body FROM sms_outbox WHERE mobile = ? ORDER BY id",
                                               (user.mobile,))]

    def notices(self, user):
        return [b for b in self.outbox(user) if "验证码" not in b]

    def booked(self, guest, landlord, hid):
        MessageCase.offset += 3
        r = book(guest, hid, day(20 + MessageCase.offset), day(21 + MessageCase.offset))
        self.assertOk(r)
        return r.json["order_id"]

    def send(self, c, text, **target):
        body = dict(target)
        body["text"] = text
        return c.post("/api/messages", body)

    def test_a_question_before_booking_and_the_answer_nobody_else_sees(self):
        landlord, guest, third = make_user(self.st, verified=True), make_user(self.st), make_user(self.st)
        hid = make_house(landlord, title="问答房")
        r = self.send(guest, "有停车位吗？", house_id=hid)
        self.assertOk(r)
        conv = r.json["data"]["conversation_id"]
        self.assertIsInstance(r.json["data"]["message_id"], int)
        # The same guest asking again writes in the same conversation.
        self.assertEqual(self.send(guest, "还有一个问题", house_id=hid).json["data"]["conversation_id"], conv)
        self.assertEqual(landlord.get("/api/messages/unread").json["data"]["unread"], 2)
        lst = landlord.get("/api/messages").json["data"]
        self.assertEqual(lst["total_page"], 1)
        c = lst["conversations"][0]
        self.assertEqual((c["conversation_id"], c["house_id"], c["title"], c["order_id"], c["unread"]),
                         (conv, hid, "问答房", None, 2))
        # The guest never chose a name: they go by their mobile, shown masked.
        self.assertEqual((c["other"]["user_id"], c["other"]["name"]),
                         (guest.user_id, guest.mobile[:3] + "****" + guest.mobile[7:]))
        self.assertEqual((c["last"]["text"], c["last"]["from_me"]), ("还有一个问题", False))
        self.assertOk(self.send(landlord, "有，免费", conversation_id=conv))
        t = guest.get("/api/messages/thread", {"conversation_id": conv}).json["data"]
        self.assertEqual([(m["text"], m["from_me"]) for m in t["messages"]],
                         [("有停车位吗？", True), ("还有一个问题", True), ("有，免费", False)])
        self.assertFalse(t["has_more"])

        # A third user: refused on every URL, and sees nothing.
        self.assertJsonAnswer(self.send(third, "我也来", conversation_id=conv), 200, 4105)
        self.assertJsonAnswer(third.get("/api/messages/thread", {"conversation_id": conv}), 200, 4105)
        self.assertEqual(third.get("/api/messages").json["data"]["conversations"], [])
        self.assertEqual(third.get("/api/messages/unread").json["data"]["unread"], 0)
        # Their own question to the same house is a conversation of their own.
        mine = self.send(third, "我的问题", house_id=hid).json["data"]["conversation_id"]
        self.assertNotEqual(mine, conv)
        self.assertJsonAnswer(guest.get("/api/messages/thread", {"conversation_id": mine}), 200, 4105)
        # No mobile number of the other member anywhere in what they read.
        for viewer, other in ((guest, landlord), (landlord, guest), (third, landlord)):
            for path, params in (("/api/messages", {}), ("/api/messages/thread", {"conversation_id": conv})):
                r = viewer.get(path, params)
                self.assertNotIn(other.mobile, r.body.decode(), (path, viewer.mobile))

    def test_an_orders_thread_is_for_its_guest_and_landlord(self):
        landlord, guest, third = make_user(self.st, verified=True), make_user(self.st), make_user(self.st)
        hid = make_house(landlord)
        oid = self.booked(guest, landlord, hid)
        self.assertJsonAnswer(self.send(third, "插话", order_id=oid), 200, 4105)
        r = self.send(landlord, "欢迎入住，请告知到达时间", order_id=oid)
        self.assertOk(r)
        conv = r.json["data"]["conversation_id"]
        self.assertEqual(self.send(guest, "下午三点", order_id=oid).json["data"]["conversation_id"], conv)
        orders = guest.get("/api/order/my").json["data"]["orders"]
        self.assertEqual([o["conversation_id"] for o in orders if o["order_id"] == oid], [conv])
        c = guest.get("/api/messages").json["data"]["conversations"][0]
        self.assertEqual((c["order_id"], c["house_id"]), (oid, hid))
        self.assertJsonAnswer(self.send(guest, "x", order_id=2147483647), 200, 4002)
        self.assertJsonAnswer(self.send(guest, "x", conversation_id=2147483647), 200, 4002)
        self.assertJsonAnswer(third.get("/api/messages/thread", {"conversation_id": conv}), 200, 4105)

    def test_house_targets_and_parameters(self):
        landlord, guest = make_user(self.st, verified=True), make_user(self.st)
        hid = make_house(landlord)
        self.assertJsonAnswer(self.send(landlord, "自问", house_id=hid), 200, 4105)
        self.assertJsonAnswer(self.send(guest, "在吗", house_id=2147483647), 200, 4002)
        off = make_house(landlord)
        self.assertOk(landlord.post("/api/house/status", {"house_id": off, "status": "offline"}))
        self.assertJsonAnswer(self.send(guest, "在吗", house_id=off), 200, 4002)
        self.assertJsonAnswer(guest.post("/api/messages", {"text": "无目标"}), 200, 4103)
        self.assertJsonAnswer(guest.post("/api/messages", {"text": "两个", "house_id": hid, "order_id": 1}), 200, 4103)
        self.assertJsonAnswer(guest.post("/api/messages", {"house_id": hid}), 200, 4103)
        self.assertJsonAnswer(guest.post("/api/messages", {"house_id": "abc", "text": "x"}), 200, 4103)
        for path in ("/api/messages", "/api/messages/unread"):
            self.assertJsonAnswer(harness.Client(self.st).get(path), 200, 4101)
        self.assertJsonAnswer(guest.get("/api/messages/thread"), 200, 4103)
        self.assertJsonAnswer(guest.get("/api/messages/thread", {"conversation_id": 1, "before": "x"}), 200, 4103)
        self.assertJsonAnswer(guest.get("/api/messages", {"p": 0}), 200, 4103)
        # CSRF like every POST.
        r = guest.post("/api/messages", {"house_id": hid, "text": "x"}, headers={"X-XSRFToken": "wrong"})
        self.assertJsonAnswer(r, 403, 4201)

    def test_hostile_text_is_refused_or_returned_exactly_as_text(self):
        landlord, guest = make_user(self.st, verified=True), make_user(self.st)
        hid = make_house(landlord)
        for bad in ("", "   ", "a\u0000b", "行1\u0007", "x\u001b[31m", "好" * 1001):
            self.assertJsonAnswer(self.send(guest, bad, house_id=hid), 200, 4103, repr(bad[:20]))
        hostile = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"'&<>\\/", "好" * 1000,
                   "😀 emoji", "  trimmed  "]
        conv = None
        for text in hostile:
            r = self.send(guest, text, house_id=hid)
            self.assertOk(r)
            conv = r.json["data"]["conversation_id"]
        r = landlord.get("/api/messages/thread", {"conversation_id": conv})
        self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")
        got = [m["text"] for m in r.json["data"]["messages"]]
        self.assertEqual(got, hostile[:-1] + ["trimmed"])

    def test_threads_page_by_before_and_reading_marks_read(self):
        landlord, guest = make_user(self.st, verified=True), make_user(self.st)
        hid = make_house(landlord)
        ids = []
        for i in range(25):
            ids.append(self.send(guest, "m%d" % i, house_id=hid).json["data"]["message_id"])
        for i in range(25, 28):
            ids.append(self.send(guest, "m%d" % i, house_id=hid).json["data"]["message_id"])
        conv = guest.get("/api/messages").json["data"]["conversations"][0]["conversation_id"]
        self.assertEqual(landlord.get("/api/messages/unread").json["data"]["unread"], 28)
        # 28 messages: one page of all (at most 50), oldest first.
        t = landlord.get("/api/messages/thread", {"conversation_id": conv}).json["data"]
        self.assertEqual([m["message_id"] for m in t["messages"]], ids)
        self.assertFalse(t["has_more"])
        self.assertEqual(landlord.get("/api/messages/unread").json["data"]["unread"], 0)
        self.assertEqual(landlord.get("/api/messages").json["data"]["conversations"][0]["unread"], 0)
        t = landlord.get("/api/messages/thread", {"conversation_id": conv, "before": ids[10]}).json["data"]
        self.assertEqual([m["message_id"] for m in t["messages"]], ids[:10])
        self.assertFalse(t["has_more"])
        # Write more than a page in the database (the limit allows 30 per 10 minutes).
        for i in range(60):
            self.st.db_execute("INSERT INTO messages (conversation_id, from_guest, text) VALUES (?, 1, ?)",
                               (conv, "bulk%d" % i))
        t = landlord.get("/api/messages/thread", {"conversation_id": conv}).json["data"]
        self.assertEqual(len(t["messages"]), 50)
        self.assertTrue(t["has_more"])
        self.assertEqual(t["messages"][-1]["text"], "bulk59")
        older = landlord.get("/api/messages/thread",
                             {"conversation_id": conv, "before": t["messages"][0]["message_id"]}).json["data"]
        self.assertEqual(len(older["messages"]), 38)
        self.assertFalse(older["has_more"])
        self.assertEqual(older["messages"][0]["message_id"], ids[0])

    def test_the_unread_count_follows_writes_of_every_worker(self):
        landlord, guest = make_user(self.st, verified=True), make_user(self.st)
        hid = make_house(landlord)
        for n in range(1, 6):
            self.assertOk(self.send(guest, "第%d条" % n, house_id=hid))
            # Whatever worker answers, the count is current (its cached value moves with
            # the 'message' generation).
            for _ in range(4):
                self.assertEqual(landlord.get("/api/messages/unread").json["data"]["unread"], n)

    def test_thirty_messages_per_ten_minutes(self):
        landlord, guest = make_user(self.st, verified=True), make_user(self.st)
        hid = make_house(landlord)
        for i in range(30):
            self.assertOk(self.send(guest, "第%d条" % i, house_id=hid))
        r = self.send(guest, "第31条", house_id=hid)
        self.assertJsonAnswer(r, 429, 4201)
        self.assertRetryAfter(r, 600)
        self.assertEqual(self.st.db_query(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.guest_id = ?", (guest.user_id,))[0][0], 30)
        # The landlord's own allowance is untouched.
        conv = guest.get("/api/messages").json["data"]["conversations"][0]["conversation_id"]
        self.assertOk(self.send(landlord, "收到", conversation_id=conv))

    def test_sms_for_booking_accept_reject_and_messages_never_with_their_text(self):
        landlord, guest = make_user(self.st, verified=True), make_user(self.st)
        hid = make_house(landlord, title="通知测试房")
        oid = self.booked(guest, landlord, hid)
        n = self.notices(landlord)
        self.assertEqual(len(n), 1)
        self.assertIn("新的预订申请", n[0])
        self.assertIn("通知测试房", n[0])
        self.assertOk(landlord.post("/api/order/accept", {"order_id": oid}))
        n = self.notices(guest)
        self.assertEqual(len(n), 1)
        self.assertIn("已接受", n[0])
        oid2 = self.booked(guest, landlord, hid)
        self.assertOk(landlord.post("/api/order/reject", {"order_id": oid2, "reject_reason": "已有安排"}))
        n = self.notices(guest)
        self.assertEqual(len(n), 2)
        self.assertIn("未能接受", n[1])
        # Messages: one notice per conversation per 30 minutes, without the text.
        secret = "门锁密码是4321"
        r = self.send(guest, secret, house_id=hid)
        conv = r.json["data"]["conversation_id"]
        self.assertOk(self.send(guest, secret + "，再说一遍", conversation_id=conv))
        n = self.notices(landlord)
        self.assertEqual(len(n), 3)  # booking, booking, one message notice
        self.assertIn(NOTICE, n[-1])
        for body in self.outbox(landlord) + self.outbox(guest):
            self.assertNotIn("4321", body)
        self.assertOk(self.send(landlord, "好的", conversation_id=conv))
        self.assertEqual(sum(NOTICE in b for b in self.notices(guest)), 1)
        # Another conversation (the order's) has its own 30 minutes.
        self.assertOk(self.send(guest, "订单的问题", order_id=oid))
        self.assertEqual(sum(NOTICE in b for b in self.notices(landlord)), 2)
        # 30 minutes later (the last notice moved back in time) a new one goes out.
        self.st.db_execute("UPDATE conversations SET landlord_notified_at = landlord_notified_at - 1800 "
                           "WHERE id = ?", (conv,))
        self.assertOk(self.send(guest, "还在吗", conversation_id=conv))
        self.assertEqual(sum(NOTICE in b for b in self.notices(landlord)), 3)

    def test_the_opt_out(self):
        landlord, guest = make_user(self.st, verified=True), make_user(self.st)
        self.assertIs(landlord.get("/api/profile").json["notify_sms"], True)
        for bad in ({}, {"sms": "maybe"}, {"sms": 2}, {"sms": None}):
            self.assertJsonAnswer(landlord.post("/api/profile/notify", bad), 200, 4103, str(bad))
        self.assertJsonAnswer(harness.Client(self.st).post("/api/profile/notify", {"sms": False}), 200, 4101)
        r = landlord.post("/api/profile/notify", {"sms": False})
        self.assertOk(r)
        self.assertIs(landlord.get("/api/profile").json["notify_sms"], False)
        hid = make_house(landlord)
        self.booked(guest, landlord, hid)
        self.assertOk(self.send(guest, "在吗", house_id=hid))
        self.assertEqual(self.notices(landlord), [])
        self.assertOk(landlord.post("/api/profile/notify", {"sms": "true"}))  # the form's string
        self.assertIs(landlord.get("/api/profile").json["notify_sms"], True)
        self.booked(guest, landlord, hid)
        self.assertEqual(len(self.notices(landlord)), 1)


if __name__ == "__main__":
    unittest.main()
