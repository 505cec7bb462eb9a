-- Guests (API.md house/list `q`, house/calendar, Favourites): the keyword
-- indexes over houses and the favourites table.  The calendar needs no table:
-- it reads the orders' busy nights through orders_house_busy.

-- Keyword search: substring indexes of each house's title, address and
-- area name (ASCII letters folded), kept current by triggers on houses
-- whoever writes them (publish, edit, the operators' scripts); bookings
-- touch other columns and fire nothing.  rowid = houses.id in both.
--
-- houses_fts, trigram tokenizer (SQLite >= 3.34): every 3-character window
-- is a token, so a quoted phrase of >= 3 characters is a substring match.
-- A trigram index cannot find 1-2 characters (常见: 朝阳, 地铁), so
-- house_bigrams indexes every 2-character window of the text as one token,
-- spelled in hex (hex() of its UTF-8) so that no tokenizer rule can split
-- or drop a character: a 2-character keyword is one token, a 1-character
-- one a token prefix (UTF-8 is prefix-free).  U+E000 ends each column, so
-- no window crosses two columns and a column's last character still starts
-- one.  Contentless, no positions: a few MB at 100k houses.
CREATE VIRTUAL TABLE houses_fts USING fts5 (title, address, area, tokenize = 'trigram');
CREATE VIRTUAL TABLE house_bigrams USING fts5 (grams, content = '', detail = none, tokenize = 'ascii');

INSERT INTO houses_fts (rowid, title, address, area)
  SELECT h.id, h.title, h.address, a.name FROM houses h JOIN areas a ON a.id = h.area_id;
INSERT INTO house_bigrams (rowid, grams)
  SELECT h.id, (WITH RECURSIVE p(s, n) AS (
                  SELECT lower(h.title) || char(57344) || lower(h.address) || char(57344) || a.name || char(57344), 1
                  UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
                SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(57344))
  FROM houses h JOIN areas a ON a.id = h.area_id;

CREATE TRIGGER houses_keywords_insert AFTER INSERT ON houses BEGIN
  INSERT INTO houses_fts (rowid, title, address, area)
    VALUES (new.id, new.title, new.address, (SELECT name FROM areas WHERE id = new.area_id));
  INSERT INTO house_bigrams (rowid, grams) VALUES (new.id,
    (WITH RECURSIVE p(s, n) AS (
       SELECT lower(new.title) || char(57344) || lower(new.address) || char(57344) ||
              (SELECT name FROM areas WHERE id = new.area_id) || char(57344), 1
       UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
     SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(57344)));
END;
CREATE TRIGGER houses_keywords_update AFTER UPDATE OF title, address, area_id ON houses BEGIN
  UPDATE houses_fts SET title = new.title, address = new.address,
                        area = (SELECT name FROM areas WHERE id = new.area_id)
    WHERE rowid = new.id;
  -- A contentless table forgets a row by being told its old text again.
  INSERT INTO house_bigrams (house_bigrams, rowid, grams) VALUES ('delete', old.id,
    (WITH RECURSIVE p(s, n) AS (
       SELECT lower(old.title) || char(57344) || lower(old.address) || char(57344) ||
              (SELECT name FROM areas WHERE id = old.area_id) || char(57344), 1
       UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
     SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(57344)));
  INSERT INTO house_bigrams (rowid, grams) VALUES (new.id,
    (WITH RECURSIVE p(s, n) AS (
       SELECT lower(new.title) || char(57344) || lower(new.address) || char(57344) ||
              (SELECT name FROM areas WHERE id = new.area_id) || char(57344), 1
       UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
     SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(57344)));
END;
CREATE TRIGGER houses_keywords_delete AFTER DELETE ON houses BEGIN
  DELETE FROM houses_fts WHERE rowid = old.id;
  INSERT INTO house_bigrams (house_bigrams, rowid, grams) VALUES ('delete', old.id,
    (WITH RECURSIVE p(s, n) AS (
       SELECT lower(old.title) || char(57344) || lower(old.address) || char(57344) ||
              (SELECT name FROM areas WHERE id = old.area_id) || char(57344), 1
       UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
     SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(57344)));
END;

-- Favourites: one row per (user, house); adding twice is a no-op.  The list
-- walks favorites_user_new backwards (newest first, house_id breaks ties:
-- the primary key is part of every index of a WITHOUT ROWID table);
-- favorites_house counts a house's savers for house/info's favorite_count.
CREATE TABLE favorites (
  user_id    INTEGER NOT NULL REFERENCES users (id),
  house_id   INTEGER NOT NULL REFERENCES houses (id),
  created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime')),
  PRIMARY KEY (user_id, house_id)
) WITHOUT ROWID;
CREATE INDEX favorites_user_new ON favorites (user_id, created_at);
CREATE INDEX favorites_house ON favorites (house_id);
