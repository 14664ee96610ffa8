-- Foundation schema (PostgreSQL). Keep in step with ../sqlite/0001_foundation.sql.
CREATE TABLE areas (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('country', 'city', 'district', 'township', 'village')),
    parent_code   TEXT REFERENCES areas (code),
    kind          TEXT,
    code_assumed  BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX areas_parent ON areas (parent_code);

CREATE TABLE area_targets (
    area_code       TEXT NOT NULL REFERENCES areas (code),
    insurance_year  INTEGER NOT NULL,
    target_count    BIGINT NOT NULL CHECK (target_count >= 0),
    notice          TEXT NOT NULL,
    clause          TEXT NOT NULL,
    PRIMARY KEY (area_code, insurance_year)
);

CREATE TABLE households (
    id             BIGSERIAL PRIMARY KEY,
    -- The head is a member (people.household_id); no FK here to avoid a cycle.
    head_person_id BIGINT,
    area_code      TEXT NOT NULL REFERENCES areas (code),
    address        TEXT,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE people (
    id             BIGSERIAL PRIMARY KEY,
    id_number      TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    birth_date     DATE NOT NULL,
    sex            TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    phone          TEXT,
    area_code      TEXT REFERENCES areas (code),
    hukou_local    BOOLEAN NOT NULL DEFAULT TRUE,
    household_id   BIGINT REFERENCES households (id),
    relationship   TEXT,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX people_household ON people (household_id);
CREATE INDEX people_area ON people (area_code);

CREATE TABLE accounts (
    id              BIGSERIAL PRIMARY KEY,
    role            TEXT NOT NULL CHECK (role IN ('resident', 'cadre', 'township_officer', 'department_officer', 'bureau_officer', 'admin')),
    username        TEXT UNIQUE,
    phone           TEXT UNIQUE,
    password_hash   TEXT,
    display_name    TEXT NOT NULL,
    area_code       TEXT REFERENCES areas (code),
    department      TEXT,
    person_id       BIGINT REFERENCES people (id),
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL,
    CHECK (role = 'resident' OR area_code IS NOT NULL),
    CHECK (role = 'resident' OR (username IS NOT NULL AND password_hash IS NOT NULL)),
    CHECK (role <> 'resident' OR phone IS NOT NULL),
    CHECK ((role = 'department_officer') = (department IS NOT NULL))
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE otp_codes (
    id           BIGSERIAL PRIMARY KEY,
    phone        TEXT NOT NULL,
    code_hash    TEXT NOT NULL,
    client_ip    TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    consumed_at  TIMESTAMPTZ
);
CREATE INDEX otp_codes_phone ON otp_codes (phone, created_at);
CREATE INDEX otp_codes_ip ON otp_codes (client_ip, created_at);

CREATE TABLE sms_outbox (
    id          BIGSERIAL PRIMARY KEY,
    phone       TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    body        TEXT NOT NULL,
    provider    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sms_outbox_phone ON sms_outbox (phone, created_at);

CREATE TABLE audit_log (
    id                BIGSERIAL PRIMARY KEY,
    at                TIMESTAMPTZ NOT NULL,
    actor_account_id  BIGINT REFERENCES accounts (id),
    action            TEXT NOT NULL,
    subject           TEXT,
    detail            TEXT,
    client_ip         TEXT
);
CREATE INDEX audit_log_action ON audit_log (action, client_ip, at);
