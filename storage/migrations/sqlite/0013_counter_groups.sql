-- Sportello schema, version 13, SQLite: nothing changes.
--
-- On PostgreSQL this version lets a counter move by several numbers in one update, checked at
-- commit against the registrations that took them, for groups of registrations written in one
-- transaction. SQLite has no deferred triggers, and needs no such update: its single writer
-- numbers each registration of a group with its own statement, in process, so its guard of
-- version 1 (one step per update) stays.
SELECT 1;
