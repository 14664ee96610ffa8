-- Staff work (PostgreSQL): the certification chain, documents, refunds/top-ups after a
-- certification, department lists, and a scoped, append-only audit log.
-- Keep in step with ../sqlite/0003_staff.sql.

-- Certification requests walk submitted → accepted → confirmed → flagged; the columns
-- below say for which pack and area (queues filter on them) and who asked.
ALTER TABLE certifications ADD COLUMN policy_id TEXT;
ALTER TABLE certifications ADD COLUMN area_code TEXT;
ALTER TABLE certifications ADD COLUMN submitted_by_account_id BIGINT REFERENCES accounts (id);
ALTER TABLE certifications ADD COLUMN submitter_role TEXT;
ALTER TABLE certifications ADD COLUMN source TEXT NOT NULL DEFAULT 'request';
ALTER TABLE certifications ADD COLUMN updated_at TIMESTAMPTZ;
CREATE INDEX certifications_queue ON certifications (status, area_code, created_at);

-- Every step: who, when, from which status to which, and their comment.
CREATE TABLE certification_events (
    id                 BIGSERIAL PRIMARY KEY,
    certification_id   BIGINT NOT NULL REFERENCES certifications (id),
    action             TEXT NOT NULL,
    from_status        TEXT,
    to_status          TEXT NOT NULL,
    actor_account_id   BIGINT REFERENCES accounts (id),
    comment            TEXT,
    at                 TIMESTAMPTZ NOT NULL
);
CREATE INDEX certification_events_cert ON certification_events (certification_id, at);

-- Supporting documents, kept as blobs so they share the database's backups and access
-- checks; served only through the scoped endpoint.
CREATE TABLE certification_documents (
    id                 BIGSERIAL PRIMARY KEY,
    certification_id   BIGINT NOT NULL REFERENCES certifications (id),
    file_name          TEXT NOT NULL,
    content_type       TEXT NOT NULL,
    size_bytes         BIGINT NOT NULL,
    sha256             TEXT NOT NULL,
    body               BYTEA NOT NULL,
    uploaded_by        BIGINT REFERENCES accounts (id),
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX certification_documents_cert ON certification_documents (certification_id);

-- A certification flagged after the person paid changes what they owed: the difference
-- is a refund (paid too much) or a top-up (owes more), shown to the person.
CREATE TABLE contribution_adjustments (
    id                 BIGSERIAL PRIMARY KEY,
    enrolment_id       BIGINT NOT NULL REFERENCES enrolments (id),
    person_id          BIGINT NOT NULL REFERENCES people (id),
    certification_id   BIGINT REFERENCES certifications (id),
    kind               TEXT NOT NULL CHECK (kind IN ('refund', 'top_up')),
    amount_fen         BIGINT NOT NULL CHECK (amount_fen > 0),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'settled')),
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX contribution_adjustments_person ON contribution_adjustments (person_id);

-- Departments' dynamic adjustment lists (动态调整名单): the file as uploaded (so applying
-- re-reads exactly what was previewed) and, once applied, the rows that need a person to
-- look at them (invalid, duplicate or conflicting).
CREATE TABLE adjustment_imports (
    id                 BIGSERIAL PRIMARY KEY,
    file_name          TEXT NOT NULL,
    file_kind          TEXT NOT NULL CHECK (file_kind IN ('csv', 'xlsx')),
    sha256             TEXT NOT NULL,
    body               BYTEA NOT NULL,
    uploaded_by        BIGINT NOT NULL REFERENCES accounts (id),
    department         TEXT,
    area_code          TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('previewed', 'applied')),
    rows_total         BIGINT NOT NULL,
    rows_valid         BIGINT NOT NULL,
    rows_problem       BIGINT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    applied_at         TIMESTAMPTZ,
    -- The applied report (counts and first problems), as JSON.
    report_json        TEXT
);

CREATE TABLE adjustment_review (
    id                 BIGSERIAL PRIMARY KEY,
    import_id          BIGINT NOT NULL REFERENCES adjustment_imports (id),
    line               BIGINT NOT NULL,
    id_number_masked   TEXT,
    category           TEXT,
    kind               TEXT,
    outcome            TEXT NOT NULL CHECK (outcome IN ('invalid', 'duplicate', 'conflict')),
    column_name        TEXT,
    message            TEXT NOT NULL,
    resolved           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX adjustment_review_import ON adjustment_review (import_id, line);

-- The area an audited action concerned, so bureau officers see their own area's entries.
ALTER TABLE audit_log ADD COLUMN area_code TEXT;
CREATE INDEX audit_log_area ON audit_log (area_code, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
