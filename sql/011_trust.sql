-- Trust between strangers (API.md "Orders": rating, reply, house/comments;
-- "Messages"; "Notifications").
--
-- Ratings: the guest's 1-5 stars on the comment; the house keeps the sum
-- and the count, changed in the comment's own transaction, so the average
-- (sum / count) is exact whatever runs at the same time.  The search sorts
-- by it: best first, unrated last, ties by count then newest.
ALTER TABLE orders ADD COLUMN rating INTEGER CHECK (rating BETWEEN 1 AND 5);
ALTER TABLE orders ADD COLUMN reply TEXT;      -- the landlord's answer to the comment
ALTER TABLE orders ADD COLUMN reply_at TEXT;
ALTER TABLE houses ADD COLUMN rating_sum   INTEGER NOT NULL DEFAULT 0 CHECK (rating_sum >= 0);
ALTER TABLE houses ADD COLUMN rating_count INTEGER NOT NULL DEFAULT 0 CHECK (rating_count >= 0);
CREATE INDEX houses_rating ON houses (rating_count = 0, CAST(rating_sum AS REAL) / rating_count DESC,
                                      rating_count DESC, id DESC);

-- Notifications by SMS (API.md "Notifications"): on unless the user turns them off.
ALTER TABLE users ADD COLUMN notify_sms INTEGER NOT NULL DEFAULT 1 CHECK (notify_sms IN (0, 1));

-- Conversations: exactly two members, the guest and the house's landlord,
-- about one house; a pre-booking question (order_id NULL, one per house and
-- guest) or one order's thread (one per order).  The member ids stay when
-- an account is closed (the other member keeps the conversation and sees
-- 已注销用户), like an order's user_id.
-- Per member: the last message id read, the unread count (kept with every
-- write, so the header badge is one indexed sum) and when an SMS last told
-- them of a new message here (unix seconds, NULL: never; at most one per
-- 30 minutes).
CREATE TABLE conversations (
  id                   INTEGER PRIMARY KEY,
  house_id             INTEGER NOT NULL REFERENCES houses (id),
  guest_id             INTEGER NOT NULL REFERENCES users (id),
  landlord_id          INTEGER NOT NULL REFERENCES users (id),
  order_id             INTEGER UNIQUE REFERENCES orders (id),
  created_at           TEXT    NOT NULL DEFAULT (datetime('now', 'localtime')),
  last_message_id      INTEGER NOT NULL DEFAULT 0,
  guest_read_id        INTEGER NOT NULL DEFAULT 0,
  landlord_read_id     INTEGER NOT NULL DEFAULT 0,
  guest_unread         INTEGER NOT NULL DEFAULT 0 CHECK (guest_unread >= 0),
  landlord_unread      INTEGER NOT NULL DEFAULT 0 CHECK (landlord_unread >= 0),
  guest_notified_at    INTEGER,
  landlord_notified_at INTEGER,
  CHECK (guest_id <> landlord_id)
);
CREATE UNIQUE INDEX conversations_question ON conversations (house_id, guest_id) WHERE order_id IS NULL;
CREATE INDEX conversations_guest    ON conversations (guest_id, last_message_id);
CREATE INDEX conversations_landlord ON conversations (landlord_id, last_message_id);
CREATE INDEX conversations_guest_unread    ON conversations (guest_id, guest_unread) WHERE guest_unread > 0;
CREATE INDEX conversations_landlord_unread ON conversations (landlord_id, landlord_unread) WHERE landlord_unread > 0;

-- A message names its author by side (guest or landlord), not by user id:
-- the conversation says who that is.
CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id),
  from_guest      INTEGER NOT NULL CHECK (from_guest IN (0, 1)),
  text            TEXT    NOT NULL,
  created_at      TEXT    NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

-- The read path (sql/008_read_path.sql): generation 'message' moves with
-- every message and read mark, so a worker keeps a user's unread count
-- (GET /api/messages/unread) while it holds.
INSERT INTO generations (kind, gen) VALUES ('message', 1);
CREATE TRIGGER gen_messages_insert AFTER INSERT ON messages
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'message'; END;
CREATE TRIGGER gen_messages_delete AFTER DELETE ON messages
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'message'; END;
CREATE TRIGGER gen_conversations_insert AFTER INSERT ON conversations
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'message'; END;
CREATE TRIGGER gen_conversations_update AFTER UPDATE ON conversations
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'message'; END;
CREATE TRIGGER gen_conversations_delete AFTER DELETE ON conversations
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'message'; END;
