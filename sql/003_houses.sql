-- Houses, their facilities and images, and orders (API.md "Houses", "Orders").
-- Money is integer fen.  Dates are 'YYYY-MM-DD'; a stay occupies the nights
-- [start_date, end_date).  Every list and search of API.md has an index.

CREATE TABLE areas (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE facilities (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE houses (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users (id),
  area_id     INTEGER NOT NULL REFERENCES areas (id),
  title       TEXT    NOT NULL,
  price       INTEGER NOT NULL CHECK (price > 0),       -- fen a night
  address     TEXT    NOT NULL,
  room_count  INTEGER NOT NULL CHECK (room_count >= 1),
  acreage     INTEGER NOT NULL CHECK (acreage >= 1),    -- square metres
  unit        TEXT    NOT NULL DEFAULT '',              -- e.g. 两室一厅
  capacity    INTEGER NOT NULL CHECK (capacity >= 1),   -- guests
  beds        TEXT    NOT NULL DEFAULT '',              -- e.g. 双人床2张
  deposit     INTEGER NOT NULL DEFAULT 0 CHECK (deposit >= 0),  -- fen
  min_days    INTEGER NOT NULL DEFAULT 1 CHECK (min_days >= 1),
  max_days    INTEGER NOT NULL DEFAULT 0 CHECK (max_days = 0 OR max_days >= min_days),
  order_count INTEGER NOT NULL DEFAULT 0,               -- completed stays
  index_image TEXT,                                     -- media file name of the first image
  created_at  TEXT    NOT NULL DEFAULT (datetime('now', 'localtime')),
  updated_at  TEXT    NOT NULL DEFAULT (datetime('now', 'localtime'))
);
-- "new" is id order (ids grow with time); each sort has an index, alone and per area.
CREATE INDEX houses_user          ON houses (user_id, id);
CREATE INDEX houses_area_new      ON houses (area_id, id);
CREATE INDEX houses_booking       ON houses (order_count, id);
CREATE INDEX houses_area_booking  ON houses (area_id, order_count, id);
CREATE INDEX houses_price         ON houses (price, id);
CREATE INDEX houses_area_price    ON houses (area_id, price, id);
-- Covers the count of a dated search in one area (stay length vs min/max days).
CREATE INDEX houses_area_days     ON houses (area_id, min_days, max_days);

CREATE TABLE house_facilities (
  house_id    INTEGER NOT NULL REFERENCES houses (id) ON DELETE CASCADE,
  facility_id INTEGER NOT NULL REFERENCES facilities (id),
  PRIMARY KEY (house_id, facility_id)
) WITHOUT ROWID;

CREATE TABLE house_images (
  id         INTEGER PRIMARY KEY,
  house_id   INTEGER NOT NULL REFERENCES houses (id) ON DELETE CASCADE,
  file       TEXT    NOT NULL,                          -- media file name
  created_at TEXT    NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX house_images_house ON house_images (house_id, id);

CREATE TABLE orders (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id),    -- the guest
  house_id   INTEGER NOT NULL REFERENCES houses (id),
  start_date TEXT    NOT NULL,
  end_date   TEXT    NOT NULL CHECK (end_date > start_date),
  days       INTEGER NOT NULL CHECK (days >= 1),
  price      INTEGER NOT NULL,                          -- fen a night when booked
  amount     INTEGER NOT NULL,                          -- fen: days * price
  status     TEXT    NOT NULL DEFAULT 'WAIT_ACCEPT'
             CHECK (status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE', 'REJECTED', 'CANCELED')),
  comment    TEXT,                                      -- the guest's comment, or the reject reason
  created_at TEXT    NOT NULL DEFAULT (datetime('now', 'localtime')),
  updated_at TEXT    NOT NULL DEFAULT (datetime('now', 'localtime'))
);
-- Stays that hold their nights: the overlap check and the search's date
-- filter.  end_date leads: most stays are in the past, and "ends after the
-- check-in day" skips them all in one seek.
CREATE INDEX orders_house_busy ON orders (house_id, end_date, start_date)
  WHERE status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE');
CREATE INDEX orders_busy_dates ON orders (start_date, end_date, house_id)
  WHERE status IN ('WAIT_ACCEPT', 'WAIT_COMMENT', 'COMPLETE');
CREATE INDEX orders_user  ON orders (user_id, id);
CREATE INDEX orders_house ON orders (house_id, id);
CREATE INDEX orders_house_comments ON orders (house_id, updated_at) WHERE status = 'COMPLETE';

-- Beijing's 16 districts.
INSERT INTO areas (id, name) VALUES
  (1, '东城区'), (2, '西城区'), (3, '朝阳区'), (4, '海淀区'), (5, '丰台区'), (6, '石景山区'),
  (7, '门头沟区'), (8, '房山区'), (9, '通州区'), (10, '顺义区'), (11, '昌平区'), (12, '大兴区'),
  (13, '怀柔区'), (14, '平谷区'), (15, '密云区'), (16, '延庆区');

INSERT INTO facilities (id, name) VALUES
  (1, '无线网络'), (2, '热水淋浴'), (3, '空调'), (4, '暖气'), (5, '允许吸烟'), (6, '饮水设备'),
  (7, '牙具'), (8, '香皂'), (9, '拖鞋'), (10, '手纸'), (11, '毛巾'), (12, '沐浴露、洗发露'),
  (13, '冰箱'), (14, '洗衣机'), (15, '电梯'), (16, '允许做饭'), (17, '允许带宠物'), (18, '允许聚会'),
  (19, '门禁系统'), (20, '停车位'), (21, '有线网络'), (22, '电视'), (23, '浴缸'), (24, '吹风机');
