-- Accounts and the SMS outbox (the passport part of API.md).
-- Timestamps are local time 'YYYY-MM-DD HH:MM:SS' as API.md shows them.

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  mobile        TEXT    NOT NULL UNIQUE CHECK (length(mobile) = 11),
  name          TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  avatar        TEXT,
  disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at    TEXT    NOT NULL DEFAULT (datetime('now', 'localtime')),
  updated_at    TEXT    NOT NULL DEFAULT (datetime('now', 'localtime'))
);

-- Messages of the `outbox` SMS provider, for the operator's script.
-- status: 'pending' until something sends it ('sent', 'failed').
CREATE TABLE sms_outbox (
  id         INTEGER PRIMARY KEY,
  mobile     TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
  status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed'))
);
CREATE INDEX sms_outbox_mobile ON sms_outbox (mobile, id);
CREATE INDEX sms_outbox_status ON sms_outbox (status, id);
