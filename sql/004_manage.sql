-- Accounts and listings that their owners manage (API.md "purpose",
-- password/reset, profile/password, profile/delete, house/edit, house/status).
--
-- users.session_epoch: every session carries the epoch of its creation and
-- is valid only while it equals this column (src/auth/session.cpp), so
-- "end every session of user X" is one UPDATE that adds 1 — by ihomed or
-- by an operator's script alike.
-- users.closed_at: set when the account was closed (erased); the row stays
-- so that the other party's orders and comments keep their user id.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN closed_at TEXT;

-- A house is online (in search, the index, bookable) or offline.
ALTER TABLE houses ADD COLUMN status TEXT NOT NULL DEFAULT 'online'
  CHECK (status IN ('online', 'offline'));
-- The dated count stays covered by its index with the status beside it.
DROP INDEX houses_area_days;
CREATE INDEX houses_area_days ON houses (area_id, min_days, max_days, status);
