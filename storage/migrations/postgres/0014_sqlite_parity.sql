-- Sportello schema, version 14, PostgreSQL: nothing to change.
--
-- On SQLite this version rewrites the guard triggers so that SQLite 3.40 can read the schema
-- (their messages become literals), and checks documents.sha256 as this schema already does.
-- PL/pgSQL's RAISE formats its message with the row's values on every supported PostgreSQL, so
-- the PostgreSQL triggers stay as they are; the version is kept on both engines so that both
-- describe the same schema version.
SELECT 1;
