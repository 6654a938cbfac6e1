-- Sportello schema, version 9, PostgreSQL: the service catalogue and applications (cases).
--
-- A procedure (procedimento) is a service of the catalogue, with its form as JSON Schema. A case
-- (pratica) is one applicant's application to a procedure, submitted by a portal: its incoming
-- registration and its dossier of type procedimento are created in the same transaction as the
-- case row. case_documents lists the registrations the applicant may see (the submission, the
-- messages exchanged, the final act): visibility for portals is decided by it, never by what
-- else is filed in the case's dossier. The references to the submission's registration and
-- dossier are checked at commit: a submission writes the case first and takes the register's
-- and the dossiers' counters last, so that concurrent submissions wait on each other only for
-- the numbered inserts and the commit.

CREATE TABLE procedures (
    code               text COLLATE "C" PRIMARY KEY,
    name               text NOT NULL CHECK (name <> ''),
    audience           text NOT NULL CHECK (audience IN ('citizen', 'business', 'both')),
    description        text NOT NULL,
    required_documents text NOT NULL,
    form_schema        text NOT NULL,
    office             text NOT NULL REFERENCES offices (code),
    class              text NOT NULL REFERENCES classes (code),
    deadline_days      integer NOT NULL CHECK (deadline_days BETWEEN 1 AND 180),
    silence_is_consent boolean NOT NULL,
    steps              text NOT NULL,
    steps_in_order     boolean NOT NULL,
    created_at         timestamptz NOT NULL
);

CREATE TABLE cases (
    seq             bigserial PRIMARY KEY,
    id              text NOT NULL UNIQUE,
    procedure_code  text NOT NULL REFERENCES procedures (code),
    portal_id       text NOT NULL REFERENCES clients (id),
    applicant       text COLLATE "C" NOT NULL,
    status          text NOT NULL CHECK (status IN ('submitted', 'in_progress', 'awaiting_applicant', 'approved', 'rejected', 'withdrawn')),
    form            text NOT NULL,
    office          text NOT NULL REFERENCES offices (code),
    registration_id text NOT NULL REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    dossier_id      text NOT NULL REFERENCES dossiers (id) DEFERRABLE INITIALLY DEFERRED,
    submitted_at    timestamptz NOT NULL,
    silence_is_consent boolean NOT NULL,
    due_date        text COLLATE "C" NOT NULL CHECK (due_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    paused_on       text COLLATE "C" CHECK (paused_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    closed_at       timestamptz,
    final_registration_id text REFERENCES registrations (id),
    position        bigint NOT NULL,
    CHECK ((status = 'awaiting_applicant') = (paused_on IS NOT NULL)),
    CHECK ((status IN ('approved', 'rejected', 'withdrawn')) = (closed_at IS NOT NULL))
);
CREATE INDEX cases_portal ON cases (portal_id, applicant, seq);
CREATE INDEX cases_office ON cases (office, seq);
CREATE INDEX cases_due ON cases (due_date) WHERE closed_at IS NULL;

-- The involved offices of a case, copied from its procedure when it is submitted. In order,
-- only the first step not done is active; in parallel, every step is active from the start.
CREATE TABLE case_steps (
    case_id text NOT NULL REFERENCES cases (id),
    ordinal integer NOT NULL,
    office  text NOT NULL REFERENCES offices (code),
    name    text NOT NULL,
    status  text NOT NULL CHECK (status IN ('waiting', 'active', 'done')),
    PRIMARY KEY (case_id, ordinal)
);
CREATE INDEX case_steps_office ON case_steps (office, status);

CREATE TABLE case_messages (
    seq             bigserial PRIMARY KEY,
    id              text NOT NULL UNIQUE,
    case_id         text NOT NULL REFERENCES cases (id),
    author          text NOT NULL,
    author_name     text NOT NULL,
    from_applicant  boolean NOT NULL,
    internal        boolean NOT NULL,
    text            text NOT NULL,
    registration_id text REFERENCES registrations (id),
    created_at      timestamptz NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, seq);

CREATE TABLE case_documents (
    case_id         text NOT NULL REFERENCES cases (id),
    registration_id text NOT NULL REFERENCES registrations (id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (registration_id, case_id)
);
