-- Prices like a landlord sets them (API.md "Pricing"): a weekend price, a
-- cleaning fee, weekly and monthly discounts on the house, and date prices
-- kept as ranges — one row per run of nights of one price, [start_date,
-- end_date), never a row per night — which house/prices splits and merges.
-- An order keeps the quote it was booked at (`quote`, JSON: nights,
-- nights_total, cleaning_fee, discount, total; `amount` is its total), so a
-- later price change never changes an existing order.

ALTER TABLE houses ADD COLUMN weekend_price INTEGER CHECK (weekend_price IS NULL OR weekend_price > 0);  -- fen; NULL: price
ALTER TABLE houses ADD COLUMN cleaning_fee INTEGER NOT NULL DEFAULT 0 CHECK (cleaning_fee >= 0);          -- fen a stay
ALTER TABLE houses ADD COLUMN weekly_discount INTEGER NOT NULL DEFAULT 0
  CHECK (weekly_discount BETWEEN 0 AND 50);    -- percent, stays of >= 7 nights
ALTER TABLE houses ADD COLUMN monthly_discount INTEGER NOT NULL DEFAULT 0
  CHECK (monthly_discount BETWEEN 0 AND 70);   -- percent, stays of >= 28 nights (replaces weekly)

CREATE TABLE house_prices (
  house_id   INTEGER NOT NULL REFERENCES houses (id) ON DELETE CASCADE,
  start_date TEXT    NOT NULL,
  end_date   TEXT    NOT NULL CHECK (end_date > start_date),
  price      INTEGER NOT NULL CHECK (price > 0),   -- fen a night
  PRIMARY KEY (house_id, start_date)
) WITHOUT ROWID;

ALTER TABLE orders ADD COLUMN quote TEXT;  -- JSON breakdown at booking (NULL: booked before pricing)

-- A house's date prices are part of what the search sorts and filters on
-- and what the calendar shows (sql/008_read_path.sql).
CREATE TRIGGER gen_house_prices_insert AFTER INSERT ON house_prices
BEGIN
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house';
  INSERT INTO search_changes (house_id) VALUES (NEW.house_id);
END;
CREATE TRIGGER gen_house_prices_update AFTER UPDATE ON house_prices
BEGIN
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house';
  INSERT INTO search_changes (house_id) VALUES (NEW.house_id);
  INSERT INTO search_changes (house_id) SELECT OLD.house_id WHERE OLD.house_id <> NEW.house_id;
END;
CREATE TRIGGER gen_house_prices_delete AFTER DELETE ON house_prices
BEGIN
  UPDATE generations SET gen = max(gen + 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) WHERE kind = 'house';
  INSERT INTO search_changes (house_id) VALUES (OLD.house_id);
END;
