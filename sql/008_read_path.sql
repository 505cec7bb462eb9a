-- The read path's coherence (ARCHITECTURE.md "The read path"): every writer
-- goes through SQLite — workers, ihome-admin, a restore — so SQLite itself
-- says what changed, through triggers that run inside the writing
-- transaction.  No writer needs to know about the caches.
--
-- generations: one counter per kind of public data, moved to
-- max(gen + 1, now in milliseconds) so that a value is never reused, not
-- even after a restore of an older copy (memcached keys carry them); a worker's in-process
-- cache keeps a fragment while the generations it was built from hold.
--   catalog  areas, facilities
--   house    what house/info, house/index and house/list show of a house
--            (its row and status, images, facilities, owner's name and
--            avatar, completed stays' comments)
--   order    which nights are taken (house/list with dates, house/calendar)
--   favorite how many users saved a house (house/info's favorite_count)
-- search_changes: the ids of houses whose searchable state changed (row or
-- nights), by sequence number; each worker's availability index applies
-- the entries after the last it saw, and rebuilds when the ones it needs
-- were pruned (only the newest 50000 are kept).

CREATE TABLE generations (
  kind TEXT PRIMARY KEY,
  gen  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO generations (kind, gen) VALUES ('catalog', 1), ('house', 1), ('order', 1), ('favorite', 1);

CREATE TABLE search_changes (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  house_id INTEGER NOT NULL
);
INSERT INTO search_changes (house_id) VALUES (0);  -- seq starts at 1: "nothing seen" is 0

CREATE TRIGGER search_changes_prune AFTER INSERT ON search_changes
WHEN NEW.seq % 1000 = 0
BEGIN
  DELETE FROM search_changes WHERE seq <= NEW.seq - 50000;
END;

-- catalog
CREATE TRIGGER gen_areas_insert AFTER INSERT ON areas
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'catalog'; END;
CREATE TRIGGER gen_areas_update AFTER UPDATE ON areas
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind IN ('catalog', 'house'); END;
CREATE TRIGGER gen_areas_delete AFTER DELETE ON areas
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind IN ('catalog', 'house'); END;
CREATE TRIGGER gen_facilities_insert AFTER INSERT ON facilities
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'catalog'; END;
CREATE TRIGGER gen_facilities_update AFTER UPDATE ON facilities
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'catalog'; END;
CREATE TRIGGER gen_facilities_delete AFTER DELETE ON facilities
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'catalog'; END;

-- houses: any column (AFTER UPDATE without a column list covers columns
-- later migrations add, e.g. a status)
CREATE TRIGGER gen_houses_insert AFTER INSERT ON houses
BEGIN
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house';
  INSERT INTO search_changes (house_id) VALUES (NEW.id);
END;
CREATE TRIGGER gen_houses_update AFTER UPDATE ON houses
BEGIN
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house';
  INSERT INTO search_changes (house_id) VALUES (NEW.id);
  INSERT INTO search_changes (house_id) SELECT OLD.id WHERE OLD.id <> NEW.id;
END;
CREATE TRIGGER gen_houses_delete AFTER DELETE ON houses
BEGIN
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind IN ('house', 'order');
  INSERT INTO search_changes (house_id) VALUES (OLD.id);
END;

CREATE TRIGGER gen_house_images_insert AFTER INSERT ON house_images
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house'; END;
CREATE TRIGGER gen_house_images_update AFTER UPDATE ON house_images
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house'; END;
CREATE TRIGGER gen_house_images_delete AFTER DELETE ON house_images
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house'; END;
CREATE TRIGGER gen_house_facilities_insert AFTER INSERT ON house_facilities
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house'; END;
CREATE TRIGGER gen_house_facilities_update AFTER UPDATE ON house_facilities
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house'; END;
CREATE TRIGGER gen_house_facilities_delete AFTER DELETE ON house_facilities
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house'; END;

-- users: their name and avatar show on houses and comments, and a closed
-- account's name shows as 已注销用户 (004_manage.sql)
CREATE TRIGGER gen_users_update AFTER UPDATE ON users
WHEN OLD.name IS NOT NEW.name OR OLD.avatar IS NOT NEW.avatar OR OLD.closed_at IS NOT NEW.closed_at
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house'; END;
CREATE TRIGGER gen_users_delete AFTER DELETE ON users
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house'; END;

-- orders: nights (search, calendar); a completed stay's comment shows in house/info
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

-- favourites (005_guests.sql): house/info's favorite_count
CREATE TRIGGER gen_favorites_insert AFTER INSERT ON favorites
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'favorite'; END;
CREATE TRIGGER gen_favorites_update AFTER UPDATE ON favorites
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'favorite'; END;
CREATE TRIGGER gen_favorites_delete AFTER DELETE ON favorites
BEGIN UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'favorite'; END;
