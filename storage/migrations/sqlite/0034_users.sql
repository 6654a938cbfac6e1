-- Sportello schema, version 34, SQLite: staff users (docs/architecture.md "Identity and access").
--
-- A user is a person behind a client of the same id: the clients row holds the name, roles and
-- offices, and the client's API keys are the person's own; this row holds who the person is
-- (codice fiscale, e-mail) and the identity provider's subject they sign in with (NULL until
-- their first sign-in binds it, domain/signin.go). A user is never deleted, only deactivated,
-- and the tax code never changes: every act a user made keeps naming the same person.
CREATE TABLE users (
    id             TEXT PRIMARY KEY REFERENCES clients (id),
    tax_code       TEXT NOT NULL UNIQUE CHECK (length(tax_code) = 16),
    email          TEXT NOT NULL UNIQUE,
    oidc_subject   TEXT UNIQUE CHECK (oidc_subject <> ''),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deactivated_at TEXT
) STRICT;

CREATE TRIGGER users_no_delete BEFORE DELETE ON users
BEGIN
    SELECT RAISE(ABORT, 'user: delete refused, deactivate instead');
END;

CREATE TRIGGER users_tax_code_immutable BEFORE UPDATE ON users
    WHEN NEW.id <> OLD.id OR NEW.tax_code <> OLD.tax_code OR NEW.created_at <> OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'user: id, tax code and creation are immutable');
END;

-- INSERT OR REPLACE would delete the user it collides with (id, tax code, e-mail or subject)
-- without firing users_no_delete.
CREATE TRIGGER users_no_replace BEFORE INSERT ON users
    WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.id OR tax_code = NEW.tax_code OR email = NEW.email
        OR oidc_subject = NEW.oidc_subject)
BEGIN
    SELECT RAISE(ABORT, 'user: the insert would replace an existing user');
END;
