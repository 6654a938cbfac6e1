-- Sportello schema, version 12, SQLite: cursors of the background consumers that keep theirs in
-- the database. See the PostgreSQL file.
CREATE TABLE consumer_cursors (
    name     TEXT    PRIMARY KEY,
    tx       INTEGER NOT NULL,
    position INTEGER NOT NULL
) STRICT;
