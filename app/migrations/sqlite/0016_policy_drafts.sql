-- Staff-authored policy packs (issue 26). A bureau officer drafts next year's pack (or a
-- correction of a published one); another officer approves or returns it; once published it
-- becomes an immutable version that the registry loads beside the seed packs.
CREATE TABLE policy_drafts (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The pack id the draft will publish as (lishi-2024), and the bureau area that owns it:
    -- the pack's first area code, so officers whose scope covers it see the draft.
    pack_id              TEXT NOT NULL,
    area_code            TEXT NOT NULL,
    -- The published pack it was copied from (for the diff and the side-by-side quotes).
    base_id              TEXT,
    base_version         INTEGER,
    -- The pack as JSON (the engine's own shape); may hold problems until it is submitted.
    body                 TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'draft'
                         CHECK (status IN ('draft', 'submitted', 'returned', 'approved', 'published')),
    -- Why this version exists (required for a correction of a published id).
    reason               TEXT,
    author_account_id    BIGINT NOT NULL REFERENCES accounts (id),
    submitted_at         TIMESTAMP,
    reviewer_account_id  BIGINT REFERENCES accounts (id),
    reviewed_at          TIMESTAMP,
    -- The reviewer's reason when returning it.
    review_note          TEXT,
    published_version    INTEGER,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX policy_drafts_area ON policy_drafts (area_code, status);

-- Published versions: written once, never changed (a correction is the next version).
CREATE TABLE policy_versions (
    pack_id                  TEXT NOT NULL,
    version                  INTEGER NOT NULL,
    body                     TEXT NOT NULL,
    area_code                TEXT NOT NULL,
    -- The day residents are offered it (its collection period's first day unless the
    -- publisher chose an earlier one).
    effective_from           DATE NOT NULL,
    reason                   TEXT,
    draft_id                 BIGINT NOT NULL REFERENCES policy_drafts (id),
    published_by_account_id  BIGINT NOT NULL REFERENCES accounts (id),
    published_at             TIMESTAMP NOT NULL,
    PRIMARY KEY (pack_id, version)
);
CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy_versions is append-only'); END;
CREATE TRIGGER policy_versions_no_delete BEFORE DELETE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy_versions is append-only'); END;

-- The version of the pack an enrolment was priced with (every seed pack is version 1).
ALTER TABLE enrolments ADD COLUMN policy_version INTEGER NOT NULL DEFAULT 1;
