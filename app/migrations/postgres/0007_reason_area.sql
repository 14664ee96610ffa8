-- The ledger's reasons carry the person's report_area and origin too, so the reports count
-- the unenrolled's reasons without reading the whole register (PostgreSQL). Keep in step
-- with ../sqlite/0007_reason_area.sql.

ALTER TABLE ledger_reasons ADD COLUMN report_area TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_reasons ADD COLUMN hukou_local BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE ledger_reasons r SET report_area = p.report_area, hukou_local = p.hukou_local
FROM people p WHERE p.id = r.person_id;
CREATE INDEX ledger_reasons_report ON ledger_reasons (insurance_year, report_area);

CREATE FUNCTION ledger_reasons_report_area() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT p.report_area, p.hukou_local INTO NEW.report_area, NEW.hukou_local
    FROM people p WHERE p.id = NEW.person_id;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_reasons_report_area BEFORE INSERT OR UPDATE OF person_id ON ledger_reasons
FOR EACH ROW EXECUTE FUNCTION ledger_reasons_report_area();

-- people_report_sync (0006) copies a moved person's area onto their enrolments; this does
-- the same for their ledger reasons.
CREATE FUNCTION people_reason_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_reasons SET report_area = NEW.report_area, hukou_local = NEW.hukou_local
    WHERE person_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER people_reason_sync AFTER UPDATE OF area_code, household_id, hukou_local ON people
FOR EACH ROW EXECUTE FUNCTION people_reason_sync();

CREATE FUNCTION households_reason_area() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_reasons SET report_area = NEW.area_code
    WHERE person_id IN (SELECT id FROM people WHERE household_id = NEW.id AND area_code IS NULL);
    RETURN NULL;
END $$;
CREATE TRIGGER households_reason_area AFTER UPDATE OF area_code ON households
FOR EACH ROW EXECUTE FUNCTION households_reason_area();
