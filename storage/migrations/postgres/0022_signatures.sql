-- Sportello schema, version 22, PostgreSQL: the signatures found on a registration's files.
--
-- The text-extraction job reads every file and, for signed content (a CAdES .p7m), checks each
-- signature and records what it found, as JSON keyed by the file's SHA-256: format, signer,
-- signing time, valid, trusted and the reason when not. NULL until the job has run. Like the
-- text, the report is derived data that a later check may revise: it is not a fact of the
-- registration, so it lives here rather than on the guarded registrations row, and the
-- transparency log does not record it.
ALTER TABLE registration_texts ADD COLUMN signatures text;
