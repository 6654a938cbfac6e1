-- Sportello schema, version 7, SQLite: unregistered documents, their filing into dossiers, the
-- digest index of stored content, and the deletion state of disposed content. The same logical
-- schema as postgres/0007_documents.sql, which explains it.

CREATE TABLE documents (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    subject         TEXT    NOT NULL CHECK (subject <> ''),
    description     TEXT    NOT NULL DEFAULT '',
    class           TEXT    NOT NULL REFERENCES classes (code),
    offices         TEXT    NOT NULL,
    confidential    INTEGER NOT NULL CHECK (confidential IN (0, 1)),
    filename        TEXT    NOT NULL,
    media_type      TEXT    NOT NULL,
    size            INTEGER NOT NULL CHECK (size >= 0),
    sha256          TEXT    NOT NULL CHECK (length(sha256) = 64),
    created_at      TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    registration_id TEXT    UNIQUE REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    disposal_id     TEXT    REFERENCES disposals (id),
    disposed_at     TEXT,
    CHECK ((disposal_id IS NULL) = (disposed_at IS NULL))
) STRICT;

CREATE TRIGGER documents_no_reinsert BEFORE INSERT ON documents
BEGIN
    SELECT RAISE(ABORT, 'document ' || NEW.id || ': insert refused: it would replace an existing document')
    WHERE EXISTS (SELECT 1 FROM documents WHERE seq = NEW.seq OR id = NEW.id);
END;

CREATE TRIGGER documents_immutable BEFORE UPDATE ON documents
BEGIN
    SELECT RAISE(ABORT, 'document ' || OLD.id || ': immutable column')
    WHERE NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.subject IS NOT OLD.subject
       OR NEW.description IS NOT OLD.description OR NEW.class IS NOT OLD.class OR NEW.offices IS NOT OLD.offices
       OR NEW.confidential IS NOT OLD.confidential OR NEW.filename IS NOT OLD.filename
       OR NEW.media_type IS NOT OLD.media_type OR NEW.size IS NOT OLD.size OR NEW.sha256 IS NOT OLD.sha256
       OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by;
    SELECT RAISE(ABORT, 'document ' || OLD.id || ': already registered')
    WHERE OLD.registration_id IS NOT NULL AND NEW.registration_id IS NOT OLD.registration_id;
    SELECT RAISE(ABORT, 'document ' || OLD.id || ': a disposal cannot change')
    WHERE OLD.disposal_id IS NOT NULL AND (NEW.disposal_id IS NOT OLD.disposal_id OR NEW.disposed_at IS NOT OLD.disposed_at);
    SELECT RAISE(ABORT, 'document ' || OLD.id || ': position cannot go back')
    WHERE NEW.position < OLD.position;
END;

CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN
    SELECT RAISE(ABORT, 'document ' || OLD.id || ': delete refused: a document is never deleted');
END;

CREATE TABLE dossier_documents (
    dossier_id  TEXT NOT NULL REFERENCES dossiers (id),
    document_id TEXT NOT NULL REFERENCES documents (id),
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    PRIMARY KEY (dossier_id, document_id)
) STRICT;
CREATE INDEX dossier_documents_document ON dossier_documents (document_id);

CREATE TRIGGER dossier_documents_insert BEFORE INSERT ON dossier_documents
BEGIN
    SELECT RAISE(ABORT, 'dossier ' || d.identifier || ' is closed: a closed dossier accepts no new items and loses none')
    FROM dossiers d WHERE d.id = NEW.dossier_id AND d.status = 'closed';
    SELECT RAISE(ABORT, 'dossier document: insert refused: the document is already filed in this dossier')
    WHERE EXISTS (SELECT 1 FROM dossier_documents WHERE dossier_id = NEW.dossier_id AND document_id = NEW.document_id);
END;

CREATE TRIGGER dossier_documents_no_update BEFORE UPDATE ON dossier_documents
BEGIN
    SELECT RAISE(ABORT, 'dossier document: update refused');
END;

CREATE TRIGGER dossier_documents_no_delete BEFORE DELETE ON dossier_documents
BEGIN
    SELECT RAISE(ABORT, 'dossier document: delete refused');
END;

CREATE TABLE content_refs (
    sha256     TEXT NOT NULL,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('registration', 'document')),
    owner_id   TEXT NOT NULL,
    PRIMARY KEY (sha256, owner_kind, owner_id)
) STRICT;
INSERT OR IGNORE INTO content_refs (sha256, owner_kind, owner_id)
    SELECT json_extract(r.document, '$.sha256'), 'registration', r.id FROM registrations r
    WHERE json_extract(r.document, '$.sha256') IS NOT NULL;
INSERT OR IGNORE INTO content_refs (sha256, owner_kind, owner_id)
    SELECT json_extract(a.value, '$.sha256'), 'registration', r.id FROM registrations r, json_each(r.attachments) a
    WHERE json_extract(a.value, '$.sha256') IS NOT NULL;
CREATE INDEX journals_json_sha256 ON journals (json_sha256);
CREATE INDEX journals_pdf_sha256 ON journals (pdf_sha256);

CREATE TABLE disposal_content (
    disposal_id TEXT NOT NULL REFERENCES disposals (id),
    sha256      TEXT NOT NULL,
    deleted_at  TEXT,
    PRIMARY KEY (disposal_id, sha256)
) STRICT;
CREATE INDEX disposal_content_pending ON disposal_content (disposal_id) WHERE deleted_at IS NULL;

CREATE TRIGGER disposal_content_once BEFORE UPDATE ON disposal_content
BEGIN
    SELECT RAISE(ABORT, 'disposal content ' || OLD.sha256 || ': only its deletion time is set, once')
    WHERE OLD.deleted_at IS NOT NULL OR NEW.disposal_id IS NOT OLD.disposal_id OR NEW.sha256 IS NOT OLD.sha256;
END;

CREATE TRIGGER disposal_content_no_delete BEFORE DELETE ON disposal_content
BEGIN
    SELECT RAISE(ABORT, 'disposal content ' || OLD.sha256 || ': delete refused');
END;
