-- A hash chain over the audit log (issue 22). Each seal covers one audit row and the seal
-- before it: hash = SHA-256(previous hash, the row's fields). Seals are written in sequence
-- by the server (services/audit.rs, every minute and before a verification), so the chain
-- follows the order rows were sealed, not the order their ids were handed out (a lower id
-- can commit later). `seq` as the primary key makes two sealers racing for the same place
-- fail instead of forking the chain. Append-only like the log.
CREATE TABLE audit_seals (
    seq        BIGINT PRIMARY KEY,
    audit_id   BIGINT NOT NULL UNIQUE REFERENCES audit_log (id),
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    sealed_at  TIMESTAMPTZ NOT NULL
);
CREATE FUNCTION audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_seals is append-only';
END;
$$;
CREATE TRIGGER audit_seals_no_change BEFORE UPDATE OR DELETE ON audit_seals
FOR EACH ROW EXECUTE FUNCTION audit_seals_append_only();
