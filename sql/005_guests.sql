-- Guests (API.md house/list `q`, house/calendar, Favourites): the keyword
-- index over houses and the favourites table.  The calendar needs no table:
-- it reads the orders' busy nights through orders_house_busy.

-- Keyword search: a substring index of each house's title, address and
-- area name.  The trigram tokenizer (SQLite >= 3.34) makes every 3-character
-- window a token, so a quoted phrase of >= 3 characters is a substring match
-- that works for Chinese and folds Latin case; shorter keywords scan this
-- table's text instead (src/store/keyword.cpp).  rowid = houses.id.
CREATE VIRTUAL TABLE houses_fts USING fts5 (title, address, area, tokenize = 'trigram');

INSERT INTO houses_fts (rowid, title, address, area)
  SELECT h.id, h.title, h.address, a.name FROM houses h JOIN areas a ON a.id = h.area_id;

-- Triggers keep the index current whoever writes houses (publish, edit, the
-- operators' scripts); bookings touch other columns and do not fire them.
CREATE TRIGGER houses_fts_insert AFTER INSERT ON houses BEGIN
  INSERT INTO houses_fts (rowid, title, address, area)
    VALUES (new.id, new.title, new.address, (SELECT name FROM areas WHERE id = new.area_id));
END;
CREATE TRIGGER houses_fts_update AFTER UPDATE OF title, address, area_id ON houses BEGIN
  UPDATE houses_fts SET title = new.title, address = new.address,
                        area = (SELECT name FROM areas WHERE id = new.area_id)
    WHERE rowid = new.id;
END;
CREATE TRIGGER houses_fts_delete AFTER DELETE ON houses BEGIN
  DELETE FROM houses_fts WHERE rowid = old.id;
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
