-- Sportello schema, version 24, PostgreSQL: dispatches of outgoing registrations by PEC or
-- e-mail, and the receipts that follow them.
--
-- A dispatch sends one message per recipient. The dispatch, its recipients and one River job
-- per recipient are written in one transaction; the job sends the message and moves the
-- recipient from queued to sent, and does nothing for a recipient past queued, so a message
-- is sent once however often the job runs. message_id is the Message-ID the message carries,
-- derived from the dispatch and the recipient, so that a message sent again after a crash is
-- the same message: the provider's receipts (daticert msgid) find the recipient by it.
-- Receipts (the provider's, and the recipient AOO's protocol messages) are kept byte-exact in
-- the blob store and linked here, once per recipient and content.

CREATE TABLE dispatches (
    seq             bigserial PRIMARY KEY,
    id              text NOT NULL UNIQUE,
    registration_id text NOT NULL REFERENCES registrations (id),
    segnatura       text CHECK (segnatura ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL
);
CREATE INDEX dispatches_registration ON dispatches (registration_id, seq);

CREATE TABLE dispatch_recipients (
    dispatch_id         text NOT NULL REFERENCES dispatches (id),
    n                   integer NOT NULL CHECK (n > 0),
    address             text NOT NULL,
    name                text NOT NULL,
    administration      boolean NOT NULL,
    message_id          text NOT NULL UNIQUE,
    state               text NOT NULL CHECK (state IN ('queued', 'sent', 'accepted', 'delivered', 'confirmed', 'failed', 'exception')),
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text NOT NULL DEFAULT '',
    sent_at             timestamptz,
    protocol_kind       text,
    protocol_identifier text,
    protocol_reason     text,
    PRIMARY KEY (dispatch_id, n)
);

CREATE TABLE dispatch_receipts (
    seq         bigserial PRIMARY KEY,
    id          text NOT NULL UNIQUE,
    dispatch_id text NOT NULL,
    n           integer NOT NULL,
    kind        text NOT NULL,
    at          timestamptz NOT NULL,
    provider_id text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        bigint NOT NULL CHECK (size >= 0),
    linked_at   timestamptz NOT NULL,
    FOREIGN KEY (dispatch_id, n) REFERENCES dispatch_recipients (dispatch_id, n),
    UNIQUE (dispatch_id, n, sha256)
);
