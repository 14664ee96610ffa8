-- The ledger's reasons carry the person's report_area and origin too, so the reports count
-- the unenrolled's reasons without reading the whole register (SQLite). Keep in step with
-- ../postgres/0007_reason_area.sql.

ALTER TABLE ledger_reasons ADD COLUMN report_area TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_reasons ADD COLUMN hukou_local BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE ledger_reasons SET
    report_area = (SELECT p.report_area FROM people p WHERE p.id = ledger_reasons.person_id),
    hukou_local = (SELECT p.hukou_local FROM people p WHERE p.id = ledger_reasons.person_id);
CREATE INDEX ledger_reasons_report ON ledger_reasons (insurance_year, report_area);

CREATE TRIGGER ledger_reasons_report_area AFTER INSERT ON ledger_reasons
BEGIN
    UPDATE ledger_reasons SET
        report_area = (SELECT p.report_area FROM people p WHERE p.id = NEW.person_id),
        hukou_local = (SELECT p.hukou_local FROM people p WHERE p.id = NEW.person_id)
    WHERE person_id = NEW.person_id AND insurance_year = NEW.insurance_year;
END;

CREATE TRIGGER people_reason_area AFTER UPDATE OF area_code, household_id, hukou_local ON people
BEGIN
    -- Computed here, not read from people.report_area: SQLite gives no order among the
    -- triggers of one event, so 0006's may not have run yet.
    UPDATE ledger_reasons SET
        report_area = COALESCE(NEW.area_code,
            (SELECT h.area_code FROM households h WHERE h.id = NEW.household_id), ''),
        hukou_local = NEW.hukou_local
    WHERE person_id = NEW.id;
END;

CREATE TRIGGER households_reason_area AFTER UPDATE OF area_code ON households
BEGIN
    UPDATE ledger_reasons SET report_area = NEW.area_code
    WHERE person_id IN (SELECT id FROM people WHERE household_id = NEW.id AND area_code IS NULL);
END;
