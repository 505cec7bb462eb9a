-- A random token made once, when this database is created (or upgraded to
-- this version), never changed: what a file derived from the database — the
-- saved search index (src/search/index_file.cpp) — checks that it was made
-- from this database and not from another one at the same path (a new data
-- set, a copy of another site).  A backup carries it: a restored backup is
-- the same database, at an older change-log position.
CREATE TABLE database_identity (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  token BLOB    NOT NULL CHECK (length(token) = 16)
);
INSERT INTO database_identity (id, token) VALUES (1, randomblob(16));
