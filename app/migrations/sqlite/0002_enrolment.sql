-- Enrolment, hospitals, payments (SQLite). Keep in step with ../postgres/0002_enrolment.sql.
-- Money is stored as integer fen (exact on both engines; the app converts to Money).

ALTER TABLE people ADD COLUMN student BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE people ADD COLUMN months_resident INTEGER;
CREATE INDEX people_name ON people (name);

-- Designated medical institutions (定点医疗机构) per jurisdiction.
CREATE TABLE hospitals (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    level         TEXT NOT NULL,
    address       TEXT NOT NULL,
    -- The township (or district) it sits in; its jurisdiction is a prefix of this code.
    area_code     TEXT NOT NULL REFERENCES areas (code)
);
CREATE INDEX hospitals_area ON hospitals (area_code);

-- Approved identities that decide subsidies. The certification chain (submitted →
-- accepted → confirmed → flagged) fills this table; only 'flagged' rows price quotes.
CREATE TABLE certifications (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id      BIGINT NOT NULL REFERENCES people (id),
    category       TEXT NOT NULL,
    department     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'returned', 'confirmed', 'rejected', 'flagged', 'withdrawn', 'revoked')),
    effective_on   DATE,
    valid_until    DATE,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX certifications_person ON certifications (person_id, status);

CREATE TABLE payment_orders (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no               TEXT NOT NULL UNIQUE,
    household_id           BIGINT REFERENCES households (id),
    amount_fen             BIGINT NOT NULL CHECK (amount_fen > 0),
    status                 TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled', 'expired')),
    provider               TEXT NOT NULL,
    created_by_account_id  BIGINT REFERENCES accounts (id),
    created_at             TIMESTAMP NOT NULL,
    expires_at             TIMESTAMP NOT NULL,
    closed_at              TIMESTAMP
);

CREATE TABLE enrolments (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id              BIGINT NOT NULL REFERENCES people (id),
    household_id           BIGINT REFERENCES households (id),
    insurance_year         INTEGER NOT NULL,
    policy_id              TEXT NOT NULL,
    tier                   TEXT,
    benefit_tier           TEXT,
    add_ons                TEXT NOT NULL DEFAULT '',
    applied_category       TEXT,
    standard_fen           BIGINT NOT NULL,
    subsidy_fen            BIGINT NOT NULL,
    surcharge_fen          BIGINT NOT NULL,
    add_ons_fen            BIGINT NOT NULL,
    due_fen                BIGINT NOT NULL CHECK (due_fen >= 0),
    status                 TEXT NOT NULL CHECK (status IN ('unpaid', 'paid', 'ended')),
    -- The engine's answer when submitted ("if paid today") and, once paid, with the payment date.
    quote_json             TEXT NOT NULL,
    -- The engine's input (JSON), so payment can re-date the quote without looking anything up.
    quote_request          TEXT,
    order_id               BIGINT REFERENCES payment_orders (id),
    paid_fen               BIGINT NOT NULL DEFAULT 0,
    paid_on                DATE,
    benefit_start          DATE,
    benefit_end            DATE,
    start_rule             TEXT,
    created_by_account_id  BIGINT REFERENCES accounts (id),
    created_at             TIMESTAMP NOT NULL,
    UNIQUE (person_id, insurance_year)
);
CREATE INDEX enrolments_household ON enrolments (household_id, insurance_year);
CREATE INDEX enrolments_order ON enrolments (order_id);

-- Money received, whatever the channel. One row per transaction; the transaction id
-- makes every channel idempotent.
CREATE TABLE payments (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id           TEXT NOT NULL UNIQUE,
    channel                  TEXT NOT NULL CHECK (channel IN ('sandbox_online', 'cadre_cash', 'tax_reconciliation')),
    order_id                 BIGINT REFERENCES payment_orders (id),
    amount_fen               BIGINT NOT NULL CHECK (amount_fen > 0),
    paid_at                  TIMESTAMP NOT NULL,
    receipt_no               TEXT NOT NULL UNIQUE,
    collected_by_account_id  BIGINT REFERENCES accounts (id),
    recorded_at              TIMESTAMP NOT NULL
);
CREATE INDEX payments_collector ON payments (collected_by_account_id, recorded_at);

CREATE TABLE payment_enrolments (
    payment_id    BIGINT NOT NULL REFERENCES payments (id),
    enrolment_id  BIGINT NOT NULL REFERENCES enrolments (id),
    amount_fen    BIGINT NOT NULL,
    PRIMARY KEY (payment_id, enrolment_id)
);
CREATE INDEX payment_enrolments_enrolment ON payment_enrolments (enrolment_id);

-- The designated institutions each enrolment has chosen now (the pack says how many) …
CREATE TABLE enrolment_hospitals (
    enrolment_id   BIGINT NOT NULL REFERENCES enrolments (id),
    hospital_code  TEXT NOT NULL REFERENCES hospitals (code),
    PRIMARY KEY (enrolment_id, hospital_code)
);

-- … and every choice and change, for the changes-per-year rule and the record.
CREATE TABLE hospital_choices (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    enrolment_id          BIGINT NOT NULL REFERENCES enrolments (id),
    hospital_codes        TEXT NOT NULL,
    previous_codes        TEXT,
    chosen_by_account_id  BIGINT REFERENCES accounts (id),
    chosen_at             TIMESTAMP NOT NULL
);
CREATE INDEX hospital_choices_enrolment ON hospital_choices (enrolment_id);

-- REST Idempotency-Key: the same key and body give the stored answer.
CREATE TABLE idempotency_keys (
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    response       TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);

-- Payment callbacks as received (accepted, duplicate or rejected), for the record.
CREATE TABLE payment_callbacks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at  TIMESTAMP NOT NULL,
    outcome      TEXT NOT NULL,
    order_no     TEXT,
    body         TEXT NOT NULL
);

-- Tax-bureau reconciliation files and the rows that could not be applied.
CREATE TABLE reconciliation_imports (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name              TEXT NOT NULL,
    uploaded_by_account_id BIGINT REFERENCES accounts (id),
    uploaded_at            TIMESTAMP NOT NULL,
    rows_total             INTEGER NOT NULL,
    rows_applied           INTEGER NOT NULL,
    rows_duplicate         INTEGER NOT NULL,
    rows_exception         INTEGER NOT NULL
);

CREATE TABLE reconciliation_exceptions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id       BIGINT NOT NULL REFERENCES reconciliation_imports (id),
    line_no         INTEGER NOT NULL,
    id_number       TEXT NOT NULL,
    insurance_year  INTEGER,
    amount          TEXT NOT NULL,
    transaction_id  TEXT NOT NULL,
    reason          TEXT NOT NULL,
    message         TEXT NOT NULL,
    resolved_at     TIMESTAMP
);
