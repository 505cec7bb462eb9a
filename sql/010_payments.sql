-- Paid stays (API.md "Orders" statuses of the third release, "Payments").
--
-- orders is rebuilt: a CHECK constraint cannot be altered in SQLite.  New:
--   status    WAIT_PAYMENT (accepted, not paid yet), PAID, EXPIRED
--   pay_by    unix seconds: a WAIT_PAYMENT order holds its nights while
--             pay_by is ahead, and is EXPIRED from that second on, whatever
--             the background job has stored (src/store/orders.cpp's
--             effective_status is the one place that reads it so)
--   earned    fen the landlord keeps: the amount of a paid stay (or of one
--             accepted under payment_provider = none), what was paid net of
--             refunds for a cancelled one, 0 otherwise; moved in the same
--             transaction as the payment or refund that changes it
--   canceled_by / cancel_reason
-- payments: one row per attempt to pay an order; refunds: one per refund,
-- with our out_request_no so that a retry never refunds twice;
-- payment_events: an append-only log of every change of either.

CREATE TABLE orders_new (
  id            INTEGER PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users (id),    -- the guest
  house_id      INTEGER NOT NULL REFERENCES houses (id),
  start_date    TEXT    NOT NULL,
  end_date      TEXT    NOT NULL CHECK (end_date > start_date),
  days          INTEGER NOT NULL CHECK (days >= 1),
  price         INTEGER NOT NULL,                          -- fen a night when booked
  amount        INTEGER NOT NULL CHECK (amount >= 0),      -- fen, frozen at booking
  status        TEXT    NOT NULL DEFAULT 'WAIT_ACCEPT'
                CHECK (status IN ('WAIT_ACCEPT', 'WAIT_PAYMENT', 'PAID', 'WAIT_COMMENT', 'COMPLETE',
                                  'REJECTED', 'CANCELED', 'EXPIRED')),
  comment       TEXT,                                      -- the guest's comment, or the reject reason
  created_at    TEXT    NOT NULL DEFAULT (datetime('now', 'localtime')),
  updated_at    TEXT    NOT NULL DEFAULT (datetime('now', 'localtime')),
  pay_by        INTEGER,
  earned        INTEGER NOT NULL DEFAULT 0 CHECK (earned >= 0),
  canceled_by   TEXT    CHECK (canceled_by IN ('guest', 'landlord')),
  cancel_reason TEXT,
  CHECK (status <> 'WAIT_PAYMENT' OR pay_by IS NOT NULL)
);

-- A stay of the second release accepted and still ahead was "WAIT_COMMENT"
-- only because nothing else existed: it is an upcoming paid stay (PAID).
INSERT INTO orders_new (id, user_id, house_id, start_date, end_date, days, price, amount, status,
                        comment, created_at, updated_at, earned)
SELECT id, user_id, house_id, start_date, end_date, days, price, amount,
       CASE WHEN status = 'WAIT_COMMENT' AND end_date > date('now', 'localtime') THEN 'PAID' ELSE status END,
       comment, created_at, updated_at,
       CASE WHEN status IN ('WAIT_COMMENT', 'COMPLETE') THEN amount ELSE 0 END
FROM orders;

DROP TABLE orders;  -- its indexes and triggers go with it; recreated below
ALTER TABLE orders_new RENAME TO orders;

-- Stays that hold their nights (WAIT_PAYMENT only while pay_by is ahead,
-- which every query adds): the overlap check and the search's date filter.
CREATE INDEX orders_house_busy ON orders (house_id, end_date, start_date, pay_by)
  WHERE status IN ('WAIT_ACCEPT', 'WAIT_PAYMENT', 'PAID', 'WAIT_COMMENT', 'COMPLETE');
CREATE INDEX orders_busy_dates ON orders (start_date, end_date, house_id, pay_by)
  WHERE status IN ('WAIT_ACCEPT', 'WAIT_PAYMENT', 'PAID', 'WAIT_COMMENT', 'COMPLETE');
CREATE INDEX orders_user  ON orders (user_id, id);
CREATE INDEX orders_house ON orders (house_id, id);
CREATE INDEX orders_house_comments ON orders (house_id, updated_at) WHERE status = 'COMPLETE';
-- The landlord summary: stays that earned something.
CREATE INDEX orders_house_stays ON orders (house_id, end_date, start_date, earned, days)
  WHERE earned > 0;
-- The background job's moves: payments running out, stays ending.
CREATE INDEX orders_pay_by ON orders (pay_by) WHERE status = 'WAIT_PAYMENT';
CREATE INDEX orders_paid_end ON orders (end_date) WHERE status = 'PAID';

-- 008_read_path.sql's triggers on orders, as they were.
CREATE TRIGGER gen_orders_insert AFTER INSERT ON orders
BEGIN
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'order';
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house' AND NEW.status = 'COMPLETE';
  INSERT INTO search_changes (house_id) VALUES (NEW.house_id);
END;
CREATE TRIGGER gen_orders_update AFTER UPDATE ON orders
BEGIN
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'order';
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
   WHERE kind = 'house' AND (NEW.status = 'COMPLETE' OR OLD.status = 'COMPLETE');
  INSERT INTO search_changes (house_id) VALUES (NEW.house_id);
  INSERT INTO search_changes (house_id) SELECT OLD.house_id WHERE OLD.house_id <> NEW.house_id;
END;
CREATE TRIGGER gen_orders_delete AFTER DELETE ON orders
BEGIN
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'order';
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house' AND OLD.status = 'COMPLETE';
  INSERT INTO search_changes (house_id) VALUES (OLD.house_id);
END;
UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'order';

CREATE TABLE payments (
  id           INTEGER PRIMARY KEY,
  order_id     INTEGER NOT NULL REFERENCES orders (id),
  provider     TEXT    NOT NULL CHECK (provider IN ('sandbox', 'alipay')),
  out_trade_no TEXT    NOT NULL UNIQUE,                  -- ours, sent to the provider
  trade_no     TEXT,                                     -- the provider's, once paid
  amount       INTEGER NOT NULL CHECK (amount > 0),      -- fen
  -- OPEN: waiting for the payer; PAID: the provider confirmed the money;
  -- CLOSED: given up (order cancelled or expired, nothing paid)
  status       TEXT    NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'PAID', 'CLOSED')),
  created_at   INTEGER NOT NULL,                         -- unix seconds, like every time below
  expires_at   INTEGER NOT NULL,                         -- the order's pay_by
  paid_at      INTEGER,
  next_query_at INTEGER,                                 -- reconciliation of a silent payment
  queries      INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL
);
-- One open payment per order: order/pay hands it back instead of a second.
CREATE UNIQUE INDEX payments_one_open ON payments (order_id) WHERE status = 'OPEN';
CREATE INDEX payments_order ON payments (order_id);
CREATE INDEX payments_open ON payments (next_query_at) WHERE status = 'OPEN';

CREATE TABLE refunds (
  id             INTEGER PRIMARY KEY,
  payment_id     INTEGER NOT NULL REFERENCES payments (id),
  order_id       INTEGER NOT NULL REFERENCES orders (id),
  out_request_no TEXT    NOT NULL UNIQUE,
  amount         INTEGER NOT NULL CHECK (amount > 0),    -- fen
  reason         TEXT    NOT NULL,
  -- PENDING: owed, asked of the provider until it says done; DONE
  status         TEXT    NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DONE')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error     TEXT,
  created_at     INTEGER NOT NULL,
  done_at        INTEGER
);
CREATE INDEX refunds_payment ON refunds (payment_id);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_pending ON refunds (next_attempt_at) WHERE status = 'PENDING';

CREATE TABLE payment_events (
  id         INTEGER PRIMARY KEY,
  payment_id INTEGER NOT NULL REFERENCES payments (id),
  refund_id  INTEGER REFERENCES refunds (id),
  event      TEXT    NOT NULL,   -- created, paid, paid_late, duplicate, closed, refund_asked, refunded, refund_failed
  detail     TEXT    NOT NULL DEFAULT '',
  at         INTEGER NOT NULL
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, id);
CREATE TRIGGER payment_events_append_only_update BEFORE UPDATE ON payment_events
BEGIN SELECT RAISE(ABORT, 'payment_events is append-only'); END;
CREATE TRIGGER payment_events_append_only_delete BEFORE DELETE ON payment_events
BEGIN SELECT RAISE(ABORT, 'payment_events is append-only'); END;
