-- Sportello schema, version 22, SQLite: the signatures found on a registration's files. See the
-- PostgreSQL file for the design.
ALTER TABLE registration_texts ADD COLUMN signatures TEXT;
