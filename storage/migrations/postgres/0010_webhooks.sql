-- Sportello schema, version 10, PostgreSQL: webhooks that tell portals about their cases.
--
-- A portal registers one endpoint and gets a secret to check the HMAC signature of every
-- delivery. webhook_events is an outbox: each event of a case is written in the transaction
-- that changes the case, so no event is lost and none is sent for a change that rolled back.
-- The delivery worker sends them in seq order per case (an event waits until the previous one
-- of its case was delivered), retrying with exponential backoff; webhook_deliveries logs every
-- attempt for the portal to read.

CREATE TABLE webhooks (
    client_id  text PRIMARY KEY REFERENCES clients (id),
    url        text NOT NULL CHECK (url ~ '^https?://'),
    secret     text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE webhook_events (
    seq             bigserial PRIMARY KEY,
    id              text NOT NULL UNIQUE,
    client_id       text NOT NULL REFERENCES clients (id),
    case_id         text NOT NULL REFERENCES cases (id),
    kind            text NOT NULL,
    payload         text NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    delivered_at    timestamptz,
    last_error      text
);
CREATE INDEX webhook_events_pending ON webhook_events (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX webhook_events_case ON webhook_events (case_id, client_id, seq) WHERE delivered_at IS NULL;

CREATE TABLE webhook_deliveries (
    seq          bigserial PRIMARY KEY,
    event_id     text NOT NULL REFERENCES webhook_events (id),
    client_id    text NOT NULL REFERENCES clients (id),
    attempt      integer NOT NULL,
    attempted_at timestamptz NOT NULL,
    status_code  integer NOT NULL,
    error        text NOT NULL,
    delivered    boolean NOT NULL
);
CREATE INDEX webhook_deliveries_client ON webhook_deliveries (client_id, seq);
