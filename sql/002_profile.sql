-- Profile: real-name verification (API.md "Profile").
-- The id card number is never stored in clear: id_card_sealed is the
-- libsodium secretbox (nonce || ciphertext) and id_card_digest a keyed
-- BLAKE2b hash (hex) that enforces one id card per account.
ALTER TABLE users ADD COLUMN real_name TEXT;
ALTER TABLE users ADD COLUMN id_card_sealed BLOB;
ALTER TABLE users ADD COLUMN id_card_digest TEXT;
CREATE UNIQUE INDEX users_id_card_digest ON users (id_card_digest) WHERE id_card_digest IS NOT NULL;
