-- Reports (PostgreSQL). Keep in step with ../sqlite/0005_reports.sql.

-- Targets: who last set one by hand (the seed never overwrites those), and whether the
-- figure is a demo assumption rather than a notice's (Rugao's per-village split).
ALTER TABLE area_targets ADD COLUMN assumed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE area_targets ADD COLUMN updated_by BIGINT REFERENCES accounts (id);
ALTER TABLE area_targets ADD COLUMN updated_at TIMESTAMPTZ;

-- The trend and the fund request read enrolments by year and payment day.
CREATE INDEX enrolments_year_paid ON enrolments (insurance_year, paid_on);
