-- Sportello schema, version 37, PostgreSQL: a records officer can change a registration's
-- confidentiality (riservatezza) with a reason, which the registration's history records (an
-- audit event written in the same transaction); the column leaves the guard's immutable set.

CREATE OR REPLACE FUNCTION registrations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    col     text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'registration %: delete refused: a registration is never deleted, only annulled', OLD.id
            USING ERRCODE = 'SP001';
    END IF;
    old_row := to_jsonb(OLD);
    new_row := to_jsonb(NEW);
    FOR col IN SELECT jsonb_object_keys(old_row) LOOP
        CONTINUE WHEN col IN ('class', 'dossiers', 'position', 'status', 'annulled_at', 'annulled_by',
                              'annulled_by_name', 'annulment_reason', 'annulment_authorization',
                              'disposal_id', 'disposed_at', 'confidential');
        IF new_row -> col IS DISTINCT FROM old_row -> col THEN
            RAISE EXCEPTION 'registration %: immutable column %', OLD.id, col USING ERRCODE = 'SP001';
        END IF;
    END LOOP;
    IF NEW.position < OLD.position THEN
        RAISE EXCEPTION 'registration %: position cannot go back from % to %', OLD.id, OLD.position, NEW.position
            USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.status, NEW.annulled_at, NEW.annulled_by, NEW.annulled_by_name, NEW.annulment_reason, NEW.annulment_authorization)
        IS DISTINCT FROM
       (OLD.status, OLD.annulled_at, OLD.annulled_by, OLD.annulled_by_name, OLD.annulment_reason, OLD.annulment_authorization)
    THEN
        IF OLD.status <> 'active' OR NEW.status <> 'annulled' THEN
            RAISE EXCEPTION 'registration %: status % cannot become % and an annulment cannot change', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'SP001';
        END IF;
    END IF;
    IF (NEW.disposal_id, NEW.disposed_at) IS DISTINCT FROM (OLD.disposal_id, OLD.disposed_at)
        AND (OLD.disposal_id IS NOT NULL OR OLD.disposed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'registration %: a disposal cannot change', OLD.id USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
