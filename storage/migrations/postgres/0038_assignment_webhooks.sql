-- Sportello schema, version 38, PostgreSQL: webhook events of assignments. The outbox of the
-- portals' case events (webhook_events, version 10) also carries the events of assignment steps
-- for staff clients and users (docs/assignment.md): such an event belongs to a registration
-- instead of a case, exactly one of the two. Deliveries, retries and their log are those of
-- version 10; events of one registration and client are delivered in order, like a case's.
ALTER TABLE webhook_events ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE webhook_events ADD COLUMN registration_id text REFERENCES registrations (id);
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_subject CHECK ((case_id IS NULL) <> (registration_id IS NULL));
CREATE INDEX webhook_events_registration ON webhook_events (registration_id, client_id, seq) WHERE delivered_at IS NULL;
