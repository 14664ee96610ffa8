-- Two follow-up outcomes the cadres record between "not contacted" and a settled reason:
-- 已联系 (contacted, not yet paid) and 承诺缴费 (promised to pay). Both still count as
-- should-enrol. Keep in step with ../postgres/0017_ledger_contacted.sql.
--
-- SQLite cannot change a CHECK constraint: the table is rebuilt (SQLite's documented
-- procedure) and its index and triggers re-created as 0007 and 0008 made them. The copy
-- goes into a table without triggers, so the report counters are not counted twice.
-- legacy_alter_table keeps the rename from re-checking other tables' triggers, which name
-- ledger_reasons while it does not exist.
PRAGMA legacy_alter_table = ON;

CREATE TABLE ledger_reasons_new (
    person_id          BIGINT NOT NULL REFERENCES people (id),
    insurance_year     INTEGER NOT NULL,
    reason             TEXT NOT NULL CHECK (reason IN ('insured_elsewhere', 'deceased', 'lost_contact',
                           'employee_insurance', 'declined', 'ineligible', 'not_contacted', 'contacted',
                           'promised')),
    note               TEXT,
    updated_by         BIGINT REFERENCES accounts (id),
    updated_at         TIMESTAMP NOT NULL,
    report_area        TEXT NOT NULL DEFAULT '',
    hukou_local        BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (person_id, insurance_year)
);
INSERT INTO ledger_reasons_new (person_id, insurance_year, reason, note, updated_by, updated_at, report_area, hukou_local)
    SELECT person_id, insurance_year, reason, note, updated_by, updated_at, report_area, hukou_local FROM ledger_reasons;
DROP TABLE ledger_reasons;
ALTER TABLE ledger_reasons_new RENAME TO ledger_reasons;
CREATE INDEX ledger_reasons_report ON ledger_reasons (insurance_year, report_area);

CREATE TRIGGER ledger_reasons_report_area AFTER INSERT ON ledger_reasons
BEGIN
    UPDATE ledger_reasons SET
        report_area = (SELECT p.report_area FROM people p WHERE p.id = NEW.person_id),
        hukou_local = (SELECT p.hukou_local FROM people p WHERE p.id = NEW.person_id)
    WHERE person_id = NEW.person_id AND insurance_year = NEW.insurance_year;
END;

CREATE TRIGGER report_reasons_insert AFTER INSERT ON ledger_reasons
BEGIN
    INSERT INTO report_reasons VALUES (NEW.insurance_year, NEW.report_area, NEW.hukou_local, NEW.reason,
        COALESCE((SELECT e.paid_on FROM enrolments e WHERE e.person_id = NEW.person_id AND e.insurance_year = NEW.insurance_year
            AND e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL), '9999-12-31'), 1)
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_reasons_delete AFTER DELETE ON ledger_reasons
BEGIN
    INSERT INTO report_reasons VALUES (OLD.insurance_year, OLD.report_area, OLD.hukou_local, OLD.reason,
        COALESCE((SELECT e.paid_on FROM enrolments e WHERE e.person_id = OLD.person_id AND e.insurance_year = OLD.insurance_year
            AND e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL), '9999-12-31'), -1)
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_reasons_update AFTER UPDATE OF insurance_year, person_id, report_area, hukou_local, reason
    ON ledger_reasons
BEGIN
    INSERT INTO report_reasons VALUES (OLD.insurance_year, OLD.report_area, OLD.hukou_local, OLD.reason,
        COALESCE((SELECT e.paid_on FROM enrolments e WHERE e.person_id = OLD.person_id AND e.insurance_year = OLD.insurance_year
            AND e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL), '9999-12-31'), -1)
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_reasons VALUES (NEW.insurance_year, NEW.report_area, NEW.hukou_local, NEW.reason,
        COALESCE((SELECT e.paid_on FROM enrolments e WHERE e.person_id = NEW.person_id AND e.insurance_year = NEW.insurance_year
            AND e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL), '9999-12-31'), 1)
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
END;

PRAGMA legacy_alter_table = OFF;
