-- Sportello schema, version 27, PostgreSQL: a registration whose document is an image copy of a
-- paper original (ConformitaCopieImmagineSuSupportoInformatico, Allegato 5 of the Linee guida)
-- records it, with who attested the conformity of the copy and when: a JSON object
-- {"attested_by", "attested_on"}, both optional, NULL when the document is not an image copy.
-- Fixed once registered: registrations_guard refuses a change of every column it does not list
-- as changing (version 5), this one included.
ALTER TABLE registrations ADD COLUMN image_copy text;
