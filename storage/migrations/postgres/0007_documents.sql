-- Sportello schema, version 7, PostgreSQL: unregistered documents, their filing into dossiers,
-- the digest index of stored content, and the deletion state of disposed content.
--
-- A document is a file kept before (or without) registration: an internal document, the draft
-- of an outgoing act. Its content, subject, class, offices and confidentiality never change;
-- registration_id goes once from null to the registration that took its content (a document is
-- registered at most once), disposal_id and disposed_at once from null to a disposal. A
-- document is never deleted. The reference to the registration is checked at commit, so that the
-- document can be marked before the registration row, which is inserted last (numbering).
CREATE TABLE documents (
    seq          bigserial PRIMARY KEY,
    id           text        NOT NULL UNIQUE,
    subject      text        NOT NULL CHECK (subject <> ''),
    description  text        NOT NULL DEFAULT '',
    class        text COLLATE "C" NOT NULL REFERENCES classes (code),
    offices      text        NOT NULL,
    confidential boolean     NOT NULL,
    filename     text        NOT NULL,
    media_type   text        NOT NULL,
    size         bigint      NOT NULL CHECK (size >= 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL,
    created_by   text        NOT NULL,
    position     bigint      NOT NULL,
    registration_id text     UNIQUE REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    disposal_id  text        REFERENCES disposals (id),
    disposed_at  timestamptz,
    CHECK ((disposal_id IS NULL) = (disposed_at IS NULL))
);

CREATE FUNCTION documents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'document %: delete refused: a document is never deleted', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.seq, NEW.id, NEW.subject, NEW.description, NEW.class, NEW.offices, NEW.confidential, NEW.filename,
        NEW.media_type, NEW.size, NEW.sha256, NEW.created_at, NEW.created_by)
        IS DISTINCT FROM (OLD.seq, OLD.id, OLD.subject, OLD.description, OLD.class, OLD.offices, OLD.confidential,
        OLD.filename, OLD.media_type, OLD.size, OLD.sha256, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'document %: immutable column', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF OLD.registration_id IS NOT NULL AND NEW.registration_id IS DISTINCT FROM OLD.registration_id THEN
        RAISE EXCEPTION 'document %: already registered', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF OLD.disposal_id IS NOT NULL AND (NEW.disposal_id, NEW.disposed_at) IS DISTINCT FROM (OLD.disposal_id, OLD.disposed_at) THEN
        RAISE EXCEPTION 'document %: a disposal cannot change', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF NEW.position < OLD.position THEN
        RAISE EXCEPTION 'document %: position cannot go back', OLD.id USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER documents_guard BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_guard();
CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- Documents filed into dossiers, beside dossier_items (registrations). A document may be in
-- several dossiers; a closed dossier's index is final, as for registrations.
CREATE TABLE dossier_documents (
    dossier_id  text        NOT NULL REFERENCES dossiers (id),
    document_id text        NOT NULL REFERENCES documents (id),
    added_at    timestamptz NOT NULL,
    added_by    text        NOT NULL,
    PRIMARY KEY (dossier_id, document_id)
);
CREATE INDEX dossier_documents_document ON dossier_documents (document_id);

CREATE FUNCTION dossier_documents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'dossier document: % refused', lower(TG_OP) USING ERRCODE = 'SP001';
    END IF;
    SELECT identifier, status INTO d FROM dossiers WHERE id = NEW.dossier_id;
    IF d.status = 'closed' THEN
        RAISE EXCEPTION 'dossier % is closed: a closed dossier accepts no new items and loses none', d.identifier
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER dossier_documents_guard BEFORE INSERT OR UPDATE OR DELETE ON dossier_documents
    FOR EACH ROW EXECUTE FUNCTION dossier_documents_guard();
CREATE TRIGGER dossier_documents_no_truncate BEFORE TRUNCATE ON dossier_documents
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- Which registration or document references which content, written in the same transaction as
-- its owner, so that "is this content still used by something not disposed of" is an index
-- lookup instead of a scan of the registrations' JSON.
CREATE TABLE content_refs (
    sha256     text COLLATE "C" NOT NULL,
    owner_kind text NOT NULL CHECK (owner_kind IN ('registration', 'document')),
    owner_id   text NOT NULL,
    PRIMARY KEY (sha256, owner_kind, owner_id)
);
INSERT INTO content_refs (sha256, owner_kind, owner_id)
    SELECT DISTINCT f.sha256, 'registration'::text, r.id FROM registrations r,
        LATERAL (SELECT r.document::jsonb ->> 'sha256' AS sha256
                 UNION ALL SELECT a ->> 'sha256' FROM jsonb_array_elements(r.attachments::jsonb) a) f
    WHERE f.sha256 IS NOT NULL;
CREATE INDEX journals_json_sha256 ON journals (json_sha256);
CREATE INDEX journals_pdf_sha256 ON journals (pdf_sha256);

-- The content a disposal destroys, and when its deletion was done. Rows are written with the
-- disposal; deleted_at is set once after the blob is gone (or found still in use), so that a
-- crash between the commit and the deletion is finished by the sweep at start-up.
CREATE TABLE disposal_content (
    disposal_id text        NOT NULL REFERENCES disposals (id),
    sha256      text        NOT NULL,
    deleted_at  timestamptz,
    PRIMARY KEY (disposal_id, sha256)
);
CREATE INDEX disposal_content_pending ON disposal_content (disposal_id) WHERE deleted_at IS NULL;

CREATE FUNCTION disposal_content_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.deleted_at IS NOT NULL
        OR (NEW.disposal_id, NEW.sha256) IS DISTINCT FROM (OLD.disposal_id, OLD.sha256) THEN
        RAISE EXCEPTION 'disposal content %: only its deletion time is set, once', OLD.sha256 USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER disposal_content_guard BEFORE UPDATE OR DELETE ON disposal_content
    FOR EACH ROW EXECUTE FUNCTION disposal_content_guard();
