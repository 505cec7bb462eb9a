-- Landlords (API.md "Landlords"): the index of the earnings summary and the
-- secret tokens of the houses' iCal calendars.

-- The summary reads a landlord's accepted stays that touch a year: per house
-- (houses_user), the stays ending after the year's first day, with the
-- nights' dates and price in the index itself.
CREATE INDEX orders_house_stays ON orders (house_id, end_date, start_date, price)
  WHERE status IN ('WAIT_COMMENT', 'COMPLETE');

-- One calendar token per house, made when the owner first asks for the URL;
-- a reset replaces it, so the old URL stops working at once.
CREATE TABLE house_ical_tokens (
  house_id   INTEGER PRIMARY KEY REFERENCES houses (id) ON DELETE CASCADE,
  token      TEXT    NOT NULL,                          -- base64url, 192 random bits
  created_at TEXT    NOT NULL DEFAULT (datetime('now', 'localtime'))
);
