-- 0006: a form submitted twice appends once.
--
-- A double click, the back button followed by a resubmit, or a retry after a dropped connection
-- sends the same write again. Every write form carries a key made when the form was drawn; the
-- store records which version each key produced, in the same transaction as the append. A key
-- seen again is answered with that version and nothing is appended.
--
-- The record is history like the versions themselves: a key is never reassigned or forgotten, so
-- this table is append-only by the same means as task_versions.
CREATE TABLE idempotency_keys (
    key         uuid        PRIMARY KEY,
    -- The version the first submission appended. No foreign key, for the reason given on
    -- task_current in 0001 (checking one needs the UPDATE privilege task_versions gave up).
    version_id  uuid        NOT NULL UNIQUE,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION reject_key_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'idempotency_keys is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER idempotency_keys_no_update
    BEFORE UPDATE ON idempotency_keys
    FOR EACH ROW EXECUTE FUNCTION reject_key_mutation();

CREATE TRIGGER idempotency_keys_no_delete
    BEFORE DELETE ON idempotency_keys
    FOR EACH ROW EXECUTE FUNCTION reject_key_mutation();

CREATE TRIGGER idempotency_keys_no_truncate
    BEFORE TRUNCATE ON idempotency_keys
    FOR EACH STATEMENT EXECUTE FUNCTION reject_key_mutation();

REVOKE UPDATE, DELETE, TRUNCATE ON idempotency_keys FROM PUBLIC, CURRENT_USER;
