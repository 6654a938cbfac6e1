-- Sportello schema, version 20, PostgreSQL: the date a paper document reached the office, when
-- it differs from the protocol date (art. 53). Optional, never after the protocol date, and
-- fixed once registered: registrations_guard refuses a change of every column it does not list
-- as changing (version 5), this one included.
ALTER TABLE registrations ADD COLUMN received_on text COLLATE "C"
    CHECK (received_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND received_on <= reg_date);
