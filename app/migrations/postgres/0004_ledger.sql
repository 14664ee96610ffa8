-- The unenrolled ledger (未参保台账) (PostgreSQL). Keep in step with ../sqlite/0004_ledger.sql.
-- The roster is everyone the system knows in an area; the ledger is the roster minus the
-- enrolled, each with why (a reason code) and the cadres' follow-up visits.

-- The current reason per person and insurance year ...
CREATE TABLE ledger_reasons (
    person_id          BIGINT NOT NULL REFERENCES people (id),
    insurance_year     INTEGER NOT NULL,
    reason             TEXT NOT NULL CHECK (reason IN ('insured_elsewhere', 'deceased', 'lost_contact',
                           'employee_insurance', 'declined', 'ineligible', 'not_contacted')),
    note               TEXT,
    updated_by         BIGINT REFERENCES accounts (id),
    updated_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, insurance_year)
);

-- ... and every change, for the monthly comparison.
CREATE TABLE ledger_reason_history (
    id                 BIGSERIAL PRIMARY KEY,
    person_id          BIGINT NOT NULL REFERENCES people (id),
    insurance_year     INTEGER NOT NULL,
    reason             TEXT NOT NULL,
    previous           TEXT,
    changed_by         BIGINT REFERENCES accounts (id),
    changed_at         TIMESTAMPTZ NOT NULL,
    -- The day in Asia/Shanghai by the service clock (the demo pins it), for monthly counts.
    changed_on         DATE NOT NULL
);
CREATE INDEX ledger_reason_history_on ON ledger_reason_history (changed_on);

CREATE TABLE followup_visits (
    id                 BIGSERIAL PRIMARY KEY,
    person_id          BIGINT NOT NULL REFERENCES people (id),
    insurance_year     INTEGER NOT NULL,
    visited_on         DATE NOT NULL,
    outcome            TEXT NOT NULL,
    note               TEXT,
    account_id         BIGINT REFERENCES accounts (id),
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX followup_visits_person ON followup_visits (person_id, insurance_year);
CREATE INDEX enrolments_year_person ON enrolments (insurance_year, person_id);
