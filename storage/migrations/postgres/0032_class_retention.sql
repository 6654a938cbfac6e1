-- Sportello schema, version 32, PostgreSQL: a class's retention can be "not set yet", as distinct
-- from permanent (docs/compliance.md C4). Until now a NULL retention_years meant permanent; a class
-- now has a retention period in years, is permanent (retention_permanent), or has neither: its
-- retention is not set, nothing under it is ever due for disposal, and it is on the disposal
-- worklist of classes without retention until a records officer sets it.
--
-- Every existing class with a NULL retention_years keeps its meaning: it becomes permanent.
ALTER TABLE classes ADD COLUMN retention_permanent boolean NOT NULL DEFAULT false;
UPDATE classes SET retention_permanent = true WHERE retention_years IS NULL;
ALTER TABLE classes ADD CONSTRAINT classes_retention_one CHECK (NOT retention_permanent OR retention_years IS NULL);
