-- The 2-character keyword index (sql/005_guests.sql) ended each column with
-- U+E000, a character a title or address may hold: a 1-2 character keyword
-- with it found too little (U+E000 alone matched nothing) or too much
-- (三 + U+E000 matched every column ending in 三); found by the fuzz target
-- `keyword`.  Each column now ends with U+001F, a control character, which
-- no keyword, title or address can hold (they refuse control characters):
-- the same windows, with an end no text can reach.  The table is rebuilt
-- (a contentless table forgets rows only when told their old text) and the
-- triggers are the same but for that character.

DROP TRIGGER houses_keywords_insert;
DROP TRIGGER houses_keywords_update;
DROP TRIGGER houses_keywords_delete;
DROP TABLE house_bigrams;

CREATE VIRTUAL TABLE house_bigrams USING fts5 (grams, content = '', detail = none, tokenize = 'ascii');
INSERT INTO house_bigrams (rowid, grams)
  SELECT h.id, (WITH RECURSIVE p(s, n) AS (
                  SELECT lower(h.title) || char(31) || lower(h.address) || char(31) || a.name || char(31), 1
                  UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
                SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(31))
  FROM houses h JOIN areas a ON a.id = h.area_id;

CREATE TRIGGER houses_keywords_insert AFTER INSERT ON houses BEGIN
  INSERT INTO houses_fts (rowid, title, address, area)
    VALUES (new.id, new.title, new.address, (SELECT name FROM areas WHERE id = new.area_id));
  INSERT INTO house_bigrams (rowid, grams) VALUES (new.id,
    (WITH RECURSIVE p(s, n) AS (
       SELECT lower(new.title) || char(31) || lower(new.address) || char(31) ||
              (SELECT name FROM areas WHERE id = new.area_id) || char(31), 1
       UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
     SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(31)));
END;
CREATE TRIGGER houses_keywords_update AFTER UPDATE OF title, address, area_id ON houses BEGIN
  UPDATE houses_fts SET title = new.title, address = new.address,
                        area = (SELECT name FROM areas WHERE id = new.area_id)
    WHERE rowid = new.id;
  -- A contentless table forgets a row by being told its old text again.
  INSERT INTO house_bigrams (house_bigrams, rowid, grams) VALUES ('delete', old.id,
    (WITH RECURSIVE p(s, n) AS (
       SELECT lower(old.title) || char(31) || lower(old.address) || char(31) ||
              (SELECT name FROM areas WHERE id = old.area_id) || char(31), 1
       UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
     SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(31)));
  INSERT INTO house_bigrams (rowid, grams) VALUES (new.id,
    (WITH RECURSIVE p(s, n) AS (
       SELECT lower(new.title) || char(31) || lower(new.address) || char(31) ||
              (SELECT name FROM areas WHERE id = new.area_id) || char(31), 1
       UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
     SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(31)));
END;
CREATE TRIGGER houses_keywords_delete AFTER DELETE ON houses BEGIN
  DELETE FROM houses_fts WHERE rowid = old.id;
  INSERT INTO house_bigrams (house_bigrams, rowid, grams) VALUES ('delete', old.id,
    (WITH RECURSIVE p(s, n) AS (
       SELECT lower(old.title) || char(31) || lower(old.address) || char(31) ||
              (SELECT name FROM areas WHERE id = old.area_id) || char(31), 1
       UNION ALL SELECT s, n + 1 FROM p WHERE n < length(s) - 1)
     SELECT group_concat(hex(substr(s, n, 2)), ' ') FROM p WHERE substr(s, n, 1) <> char(31)));
END;
