-- Sportello schema, version 14, SQLite: the schema reads on SQLite 3.40, the oldest supported,
-- and refuses what PostgreSQL's refuses.
--
-- Versions 1 to 13 built the guard triggers' messages with expressions, RAISE(ABORT, 'x ' ||
-- OLD.id || ': …'). The SQLite linked into sportello accepts an expression there; 3.40 (Debian
-- 12's sqlite3) requires a string literal and refuses to read the whole schema ("malformed
-- database schema"), so an operator could not open sportello.db with the distribution's shell.
-- Each such trigger is dropped and created again, unchanged but for literal messages: the
-- message no longer names the row (the statement that failed does), and storage/errors.go maps
-- the refusal by its code, not its text. Checked by TestSchemaReadableByOldestSQLite
-- (storage/sqlite340_test.go).
--
-- A document's digest was checked for its length only, where PostgreSQL checks 64 lowercase
-- hexadecimal digits (found by TestSchemaParity, storage/schema_parity_test.go). SQLite cannot add
-- a CHECK to an existing table without rebuilding it, and documents is referenced and guarded;
-- the digest never changes after insert (documents_immutable), so a trigger on insert is the
-- same check.
CREATE TRIGGER documents_sha256_hex BEFORE INSERT ON documents
WHEN NEW.sha256 GLOB '*[^0-9a-f]*'
BEGIN
    SELECT RAISE(ABORT, 'document: sha256 must be 64 lowercase hexadecimal digits');
END;

DROP TRIGGER aoos_immutable;
CREATE TRIGGER aoos_immutable BEFORE UPDATE ON aoos
BEGIN
    SELECT RAISE(ABORT, 'aoo: immutable column code') WHERE NEW.code IS NOT OLD.code;
    SELECT RAISE(ABORT, 'aoo: immutable column ipa_code') WHERE NEW.ipa_code IS NOT OLD.ipa_code;
END;

DROP TRIGGER aoos_no_delete;
CREATE TRIGGER aoos_no_delete BEFORE DELETE ON aoos
BEGIN
    SELECT RAISE(ABORT, 'aoo: delete refused');
END;

DROP TRIGGER aoos_single;
CREATE TRIGGER aoos_single BEFORE INSERT ON aoos
BEGIN
    SELECT RAISE(ABORT, 'aoo: insert refused: an AOO already exists')
    WHERE EXISTS (SELECT 1 FROM aoos);
END;

DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit event: delete refused: the audit trail is append-only');
END;

DROP TRIGGER audit_events_no_reinsert;
CREATE TRIGGER audit_events_no_reinsert BEFORE INSERT ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit event: insert refused: the audit trail is append-only')
    WHERE EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id);
END;

DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit event: update refused: the audit trail is append-only');
END;

DROP TRIGGER classes_immutable;
CREATE TRIGGER classes_immutable BEFORE UPDATE ON classes
BEGIN
    SELECT RAISE(ABORT, 'class: code, parent, level and valid_from cannot change')
        WHERE NEW.code IS NOT OLD.code OR NEW.parent IS NOT OLD.parent OR NEW.level IS NOT OLD.level
            OR NEW.valid_from IS NOT OLD.valid_from;
END;

DROP TRIGGER classes_no_delete;
CREATE TRIGGER classes_no_delete BEFORE DELETE ON classes
BEGIN
    SELECT RAISE(ABORT, 'class: delete refused: a class stays resolvable for the documents that used it');
END;

DROP TRIGGER classes_no_reinsert;
CREATE TRIGGER classes_no_reinsert BEFORE INSERT ON classes
BEGIN
    SELECT RAISE(ABORT, 'class: insert refused: the class exists')
        WHERE EXISTS (SELECT 1 FROM classes WHERE code = NEW.code);
END;

DROP TRIGGER disposal_content_no_delete;
CREATE TRIGGER disposal_content_no_delete BEFORE DELETE ON disposal_content
BEGIN
    SELECT RAISE(ABORT, 'disposal content: delete refused');
END;

DROP TRIGGER disposal_content_once;
CREATE TRIGGER disposal_content_once BEFORE UPDATE ON disposal_content
BEGIN
    SELECT RAISE(ABORT, 'disposal content: only its deletion time is set, once')
    WHERE OLD.deleted_at IS NOT NULL OR NEW.disposal_id IS NOT OLD.disposal_id OR NEW.sha256 IS NOT OLD.sha256;
END;

DROP TRIGGER disposals_no_delete;
CREATE TRIGGER disposals_no_delete BEFORE DELETE ON disposals
BEGIN
    SELECT RAISE(ABORT, 'disposal: a disposal record is never changed or deleted');
END;

DROP TRIGGER disposals_no_reinsert;
CREATE TRIGGER disposals_no_reinsert BEFORE INSERT ON disposals
BEGIN
    SELECT RAISE(ABORT, 'disposal: insert refused: it would replace an existing record')
    WHERE EXISTS (SELECT 1 FROM disposals WHERE seq = NEW.seq OR id = NEW.id);
END;

DROP TRIGGER disposals_no_update;
CREATE TRIGGER disposals_no_update BEFORE UPDATE ON disposals
BEGIN
    SELECT RAISE(ABORT, 'disposal: a disposal record is never changed or deleted');
END;

DROP TRIGGER documents_immutable;
CREATE TRIGGER documents_immutable BEFORE UPDATE ON documents
BEGIN
    SELECT RAISE(ABORT, 'document: immutable column')
    WHERE NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.subject IS NOT OLD.subject
       OR NEW.description IS NOT OLD.description OR NEW.class IS NOT OLD.class OR NEW.offices IS NOT OLD.offices
       OR NEW.confidential IS NOT OLD.confidential OR NEW.filename IS NOT OLD.filename
       OR NEW.media_type IS NOT OLD.media_type OR NEW.size IS NOT OLD.size OR NEW.sha256 IS NOT OLD.sha256
       OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by;
    SELECT RAISE(ABORT, 'document: already registered')
    WHERE OLD.registration_id IS NOT NULL AND NEW.registration_id IS NOT OLD.registration_id;
    SELECT RAISE(ABORT, 'document: a disposal cannot change')
    WHERE OLD.disposal_id IS NOT NULL AND (NEW.disposal_id IS NOT OLD.disposal_id OR NEW.disposed_at IS NOT OLD.disposed_at);
    SELECT RAISE(ABORT, 'document: position cannot go back')
    WHERE NEW.position < OLD.position;
END;

DROP TRIGGER documents_no_delete;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN
    SELECT RAISE(ABORT, 'document: delete refused: a document is never deleted');
END;

DROP TRIGGER documents_no_reinsert;
CREATE TRIGGER documents_no_reinsert BEFORE INSERT ON documents
BEGIN
    SELECT RAISE(ABORT, 'document: insert refused: it would replace an existing document')
    WHERE EXISTS (SELECT 1 FROM documents WHERE seq = NEW.seq OR id = NEW.id);
END;

DROP TRIGGER dossier_counters_next;
CREATE TRIGGER dossier_counters_next BEFORE UPDATE ON dossier_counters
BEGIN
    SELECT RAISE(ABORT, 'dossier counter: class and year cannot change')
    WHERE NEW.class IS NOT OLD.class OR NEW.year IS NOT OLD.year;
    SELECT RAISE(ABORT, 'dossier counter: last_number may only go up by one')
    WHERE NEW.last_number IS NOT OLD.last_number + 1;
END;

DROP TRIGGER dossier_counters_no_delete;
CREATE TRIGGER dossier_counters_no_delete BEFORE DELETE ON dossier_counters
BEGIN
    SELECT RAISE(ABORT, 'dossier counter: delete refused');
END;

DROP TRIGGER dossier_counters_no_reinsert;
CREATE TRIGGER dossier_counters_no_reinsert BEFORE INSERT ON dossier_counters
BEGIN
    SELECT RAISE(ABORT, 'dossier counter: insert refused: the counter exists')
    WHERE EXISTS (SELECT 1 FROM dossier_counters WHERE class = NEW.class AND year = NEW.year);
END;

DROP TRIGGER dossier_documents_insert;
CREATE TRIGGER dossier_documents_insert BEFORE INSERT ON dossier_documents
BEGIN
    SELECT RAISE(ABORT, 'dossier is closed: a closed dossier accepts no new items and loses none')
    FROM dossiers d WHERE d.id = NEW.dossier_id AND d.status = 'closed';
    SELECT RAISE(ABORT, 'dossier document: insert refused: the document is already filed in this dossier')
    WHERE EXISTS (SELECT 1 FROM dossier_documents WHERE dossier_id = NEW.dossier_id AND document_id = NEW.document_id);
END;

DROP TRIGGER dossier_items_delete;
CREATE TRIGGER dossier_items_delete BEFORE DELETE ON dossier_items
BEGIN
    SELECT RAISE(ABORT, 'dossier is closed: a closed dossier accepts no new items and loses none')
    FROM dossiers d WHERE d.id = OLD.dossier_id AND d.status = 'closed';
END;

DROP TRIGGER dossier_items_insert;
CREATE TRIGGER dossier_items_insert BEFORE INSERT ON dossier_items
BEGIN
    SELECT RAISE(ABORT, 'dossier is closed: a closed dossier accepts no new items and loses none')
    FROM dossiers d WHERE d.id = NEW.dossier_id AND d.status = 'closed';
    SELECT RAISE(ABORT, 'dossier item: insert refused: the registration is already filed in this dossier')
    WHERE EXISTS (SELECT 1 FROM dossier_items WHERE dossier_id = NEW.dossier_id AND registration_id = NEW.registration_id);
END;

DROP TRIGGER dossiers_disposal;
CREATE TRIGGER dossiers_disposal BEFORE UPDATE ON dossiers
BEGIN
    SELECT RAISE(ABORT, 'dossier: disposed, it cannot change')
    WHERE OLD.disposal_id IS NOT NULL AND (NEW.disposal_id IS NOT OLD.disposal_id
        OR NEW.status IS NOT OLD.status OR NEW.closed_at IS NOT OLD.closed_at);
END;

DROP TRIGGER dossiers_immutable;
CREATE TRIGGER dossiers_immutable BEFORE UPDATE ON dossiers
BEGIN
    SELECT RAISE(ABORT, 'dossier: id, identifier, year, class, number, opened_at and created_by cannot change')
    WHERE NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.identifier IS NOT OLD.identifier
       OR NEW.year IS NOT OLD.year OR NEW.class IS NOT OLD.class OR NEW.number IS NOT OLD.number
       OR NEW.opened_at IS NOT OLD.opened_at OR NEW.created_by IS NOT OLD.created_by;
    SELECT RAISE(ABORT, 'dossier: position cannot go back')
    WHERE NEW.position < OLD.position;
END;

DROP TRIGGER dossiers_no_delete;
CREATE TRIGGER dossiers_no_delete BEFORE DELETE ON dossiers
BEGIN
    SELECT RAISE(ABORT, 'dossier: delete refused: a dossier is never deleted, only closed');
END;

DROP TRIGGER dossiers_no_reinsert;
CREATE TRIGGER dossiers_no_reinsert BEFORE INSERT ON dossiers
BEGIN
    SELECT RAISE(ABORT, 'dossier: insert refused: it would replace an existing dossier')
    WHERE EXISTS (SELECT 1 FROM dossiers WHERE seq = NEW.seq OR id = NEW.id OR identifier = NEW.identifier
                     OR (class = NEW.class AND year = NEW.year AND number = NEW.number));
END;

DROP TRIGGER holds_no_delete;
CREATE TRIGGER holds_no_delete BEFORE DELETE ON holds
BEGIN
    SELECT RAISE(ABORT, 'hold: delete refused: a hold is released, never deleted');
END;

DROP TRIGGER holds_no_reinsert;
CREATE TRIGGER holds_no_reinsert BEFORE INSERT ON holds
BEGIN
    SELECT RAISE(ABORT, 'hold: insert refused: it would replace an existing hold')
    WHERE EXISTS (SELECT 1 FROM holds WHERE seq = NEW.seq OR id = NEW.id);
END;

DROP TRIGGER holds_release_only;
CREATE TRIGGER holds_release_only BEFORE UPDATE ON holds
BEGIN
    SELECT RAISE(ABORT, 'hold: only an active hold can change, and only by its release')
    WHERE NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.dossier_id IS NOT OLD.dossier_id
       OR NEW.class IS NOT OLD.class OR NEW.reason IS NOT OLD.reason OR NEW.reference IS NOT OLD.reference
       OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by
       OR OLD.released_at IS NOT NULL;
END;

DROP TRIGGER register_counters_next;
CREATE TRIGGER register_counters_next BEFORE UPDATE ON register_counters
BEGIN
    SELECT RAISE(ABORT, 'register counter: register and year cannot change')
    WHERE NEW.register_code IS NOT OLD.register_code OR NEW.year IS NOT OLD.year;
    SELECT RAISE(ABORT, 'register counter: last_number may only go up by one')
    WHERE NEW.last_number IS NOT OLD.last_number + 1;
END;

DROP TRIGGER register_counters_no_delete;
CREATE TRIGGER register_counters_no_delete BEFORE DELETE ON register_counters
BEGIN
    SELECT RAISE(ABORT, 'register counter: delete refused');
END;

DROP TRIGGER register_counters_no_reinsert;
CREATE TRIGGER register_counters_no_reinsert BEFORE INSERT ON register_counters
BEGIN
    SELECT RAISE(ABORT, 'register counter: insert refused: the counter exists')
    WHERE EXISTS (SELECT 1 FROM register_counters WHERE register_code = NEW.register_code AND year = NEW.year);
END;

DROP TRIGGER register_counters_taken;
CREATE TRIGGER register_counters_taken AFTER UPDATE OF last_number ON register_counters
WHEN NOT EXISTS (SELECT 1 FROM registrations
                 WHERE register_code = NEW.register_code AND year = NEW.year AND number = NEW.last_number)
BEGIN
    SELECT RAISE(ABORT, 'register counter: last_number may only go to the numbers registrations took');
END;

DROP TRIGGER register_counters_taken_new;
CREATE TRIGGER register_counters_taken_new AFTER INSERT ON register_counters
WHEN (SELECT count(*) FROM registrations
      WHERE register_code = NEW.register_code AND year = NEW.year AND number BETWEEN 1 AND NEW.last_number)
     <> NEW.last_number
BEGIN
    SELECT RAISE(ABORT, 'register counter: last_number may only go from 0 to the numbers registrations took');
END;

DROP TRIGGER registrations_disposal;
CREATE TRIGGER registrations_disposal BEFORE UPDATE ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration: a disposal cannot change')
    WHERE (NEW.disposal_id IS NOT OLD.disposal_id OR NEW.disposed_at IS NOT OLD.disposed_at)
      AND (OLD.disposal_id IS NOT NULL OR OLD.disposed_at IS NOT NULL);
    SELECT RAISE(ABORT, 'registration: disposal_id and disposed_at are set together')
    WHERE (NEW.disposal_id IS NULL) <> (NEW.disposed_at IS NULL);
END;

DROP TRIGGER registrations_immutable;
CREATE TRIGGER registrations_immutable BEFORE UPDATE ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration: immutable column seq') WHERE NEW.seq IS NOT OLD.seq;
    SELECT RAISE(ABORT, 'registration: immutable column id') WHERE NEW.id IS NOT OLD.id;
    SELECT RAISE(ABORT, 'registration: immutable column register_code') WHERE NEW.register_code IS NOT OLD.register_code;
    SELECT RAISE(ABORT, 'registration: immutable column year') WHERE NEW.year IS NOT OLD.year;
    SELECT RAISE(ABORT, 'registration: immutable column number') WHERE NEW.number IS NOT OLD.number;
    SELECT RAISE(ABORT, 'registration: immutable column identifier') WHERE NEW.identifier IS NOT OLD.identifier;
    SELECT RAISE(ABORT, 'registration: immutable column registered_at') WHERE NEW.registered_at IS NOT OLD.registered_at;
    SELECT RAISE(ABORT, 'registration: immutable column reg_date') WHERE NEW.reg_date IS NOT OLD.reg_date;
    SELECT RAISE(ABORT, 'registration: immutable column direction') WHERE NEW.direction IS NOT OLD.direction;
    SELECT RAISE(ABORT, 'registration: immutable column channel') WHERE NEW.channel IS NOT OLD.channel;
    SELECT RAISE(ABORT, 'registration: immutable column subject') WHERE NEW.subject IS NOT OLD.subject;
    SELECT RAISE(ABORT, 'registration: immutable column correspondents') WHERE NEW.correspondents IS NOT OLD.correspondents;
    SELECT RAISE(ABORT, 'registration: immutable column sender_reference') WHERE NEW.sender_reference IS NOT OLD.sender_reference;
    SELECT RAISE(ABORT, 'registration: immutable column document') WHERE NEW.document IS NOT OLD.document;
    SELECT RAISE(ABORT, 'registration: immutable column attachments') WHERE NEW.attachments IS NOT OLD.attachments;
    SELECT RAISE(ABORT, 'registration: immutable column confidential') WHERE NEW.confidential IS NOT OLD.confidential;
    SELECT RAISE(ABORT, 'registration: immutable column created_by') WHERE NEW.created_by IS NOT OLD.created_by;
    SELECT RAISE(ABORT, 'registration: position cannot go back')
    WHERE NEW.position < OLD.position;
    SELECT RAISE(ABORT, 'registration: status may only go from active to annulled, once, and an annulment cannot change')
    WHERE (NEW.status IS NOT OLD.status OR NEW.annulled_at IS NOT OLD.annulled_at OR NEW.annulled_by IS NOT OLD.annulled_by
           OR NEW.annulled_by_name IS NOT OLD.annulled_by_name OR NEW.annulment_reason IS NOT OLD.annulment_reason
           OR NEW.annulment_authorization IS NOT OLD.annulment_authorization)
      AND NOT (OLD.status = 'active' AND NEW.status = 'annulled');
END;

DROP TRIGGER registrations_no_delete;
CREATE TRIGGER registrations_no_delete BEFORE DELETE ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration: delete refused: a registration is never deleted, only annulled');
END;

DROP TRIGGER registrations_no_reinsert;
CREATE TRIGGER registrations_no_reinsert BEFORE INSERT ON registrations
BEGIN
    SELECT RAISE(ABORT, 'registration: insert refused: it would replace an existing registration')
    WHERE EXISTS (SELECT 1 FROM registrations
                  WHERE seq = NEW.seq OR id = NEW.id OR identifier = NEW.identifier
                     OR (register_code = NEW.register_code AND year = NEW.year AND number = NEW.number));
END;

DROP TRIGGER tlog_checkpoints_no_delete;
CREATE TRIGGER tlog_checkpoints_no_delete BEFORE DELETE ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog checkpoint: delete refused');
END;

DROP TRIGGER tlog_checkpoints_no_reinsert;
CREATE TRIGGER tlog_checkpoints_no_reinsert BEFORE INSERT ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog checkpoint: insert refused: the checkpoint exists')
    WHERE EXISTS (SELECT 1 FROM tlog_checkpoints WHERE size = NEW.size);
END;

DROP TRIGGER tlog_checkpoints_token_only;
CREATE TRIGGER tlog_checkpoints_token_only BEFORE UPDATE ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog checkpoint: update refused: only a missing time-stamp token may be added')
    WHERE NEW.size IS NOT OLD.size OR NEW.origin IS NOT OLD.origin OR NEW.root_hash IS NOT OLD.root_hash
       OR NEW.signed_at IS NOT OLD.signed_at OR NEW.signature IS NOT OLD.signature
       OR NEW.key_fingerprint IS NOT OLD.key_fingerprint OR OLD.tst IS NOT NULL OR NEW.tst IS NULL;
END;

