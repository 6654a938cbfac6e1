-- Sportello schema, version 12, PostgreSQL: cursors of the background consumers that keep
-- theirs in the database.
--
-- The first is the text dispatcher (storage/texts.go, DispatchTexts): it follows the change feed
-- and enqueues the text extraction of each new registration, moving its cursor in the same
-- transaction, instead of the registration's own transaction doing it, which kept the job
-- queue's insert inside the counter-locked part of every registration.
CREATE TABLE consumer_cursors (
    name     text   PRIMARY KEY,
    tx       bigint NOT NULL,
    position bigint NOT NULL
);
