-- Reports over a whole district read index ranges instead of joining every person to their
-- household and enrolment (PostgreSQL). Keep in step with ../sqlite/0006_report_area.sql.
--
-- people.report_area: where the person counts (their own area, else their household's).
-- enrolments.report_area / hukou_local: the same, copied onto each enrolment so enrolled
-- counts come from one index. Triggers keep both right whatever code path writes.

ALTER TABLE people ADD COLUMN report_area TEXT NOT NULL DEFAULT '';
UPDATE people p SET report_area = COALESCE(p.area_code, (SELECT h.area_code FROM households h WHERE h.id = p.household_id), '');
CREATE INDEX people_report ON people (report_area, hukou_local);

ALTER TABLE enrolments ADD COLUMN report_area TEXT NOT NULL DEFAULT '';
ALTER TABLE enrolments ADD COLUMN hukou_local BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE enrolments e SET report_area = p.report_area, hukou_local = p.hukou_local
FROM people p WHERE p.id = e.person_id;
-- Covering indexes in the order the reports group by: counts per area, origin and
-- category; and enrolled per area and payment day (the weekly trend).
CREATE INDEX enrolments_report ON enrolments
    (insurance_year, report_area, hukou_local, applied_category, subsidy_fen, status, paid_on);
CREATE INDEX enrolments_report_day ON enrolments (insurance_year, report_area, paid_on, status);

CREATE FUNCTION people_report_area() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.report_area := COALESCE(NEW.area_code,
        (SELECT h.area_code FROM households h WHERE h.id = NEW.household_id), '');
    RETURN NEW;
END $$;
CREATE TRIGGER people_report_area BEFORE INSERT OR UPDATE OF area_code, household_id ON people
FOR EACH ROW EXECUTE FUNCTION people_report_area();

CREATE FUNCTION people_report_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enrolments SET report_area = NEW.report_area, hukou_local = NEW.hukou_local
    WHERE person_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER people_report_sync AFTER UPDATE OF area_code, household_id, hukou_local ON people
FOR EACH ROW EXECUTE FUNCTION people_report_sync();

CREATE FUNCTION households_report_area() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE people SET report_area = NEW.area_code WHERE household_id = NEW.id AND area_code IS NULL;
    UPDATE enrolments SET report_area = NEW.area_code
    WHERE person_id IN (SELECT id FROM people WHERE household_id = NEW.id AND area_code IS NULL);
    RETURN NULL;
END $$;
CREATE TRIGGER households_report_area AFTER UPDATE OF area_code ON households
FOR EACH ROW EXECUTE FUNCTION households_report_area();

CREATE FUNCTION enrolments_report_area() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT p.report_area, p.hukou_local INTO NEW.report_area, NEW.hukou_local
    FROM people p WHERE p.id = NEW.person_id;
    RETURN NEW;
END $$;
CREATE TRIGGER enrolments_report_area BEFORE INSERT OR UPDATE OF person_id ON enrolments
FOR EACH ROW EXECUTE FUNCTION enrolments_report_area();
