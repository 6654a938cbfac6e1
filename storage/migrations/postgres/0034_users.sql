-- Sportello schema, version 34, PostgreSQL: staff users (docs/architecture.md "Identity and
-- access").
--
-- A user is a person behind a client of the same id: the clients row holds the name, roles and
-- offices, and the client's API keys are the person's own; this row holds who the person is
-- (codice fiscale, e-mail) and the identity provider's subject they sign in with (NULL until
-- their first sign-in binds it, domain/signin.go). A user is never deleted, only deactivated,
-- and the tax code never changes: every act a user made keeps naming the same person.
CREATE TABLE users (
    id             text PRIMARY KEY REFERENCES clients (id),
    tax_code       text COLLATE "C" NOT NULL UNIQUE CHECK (length(tax_code) = 16),
    email          text COLLATE "C" NOT NULL UNIQUE,
    oidc_subject   text COLLATE "C" UNIQUE CHECK (oidc_subject <> ''),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    deactivated_at timestamptz
);

CREATE FUNCTION users_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'user %: delete refused, deactivate instead', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF NEW.id <> OLD.id OR NEW.tax_code <> OLD.tax_code OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'user %: id, tax code and creation are immutable', OLD.id USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER users_guard BEFORE UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_guard();
CREATE TRIGGER users_no_truncate BEFORE TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();
