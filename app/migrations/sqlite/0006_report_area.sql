-- Reports over a whole district read index ranges instead of joining every person to their
-- household and enrolment (SQLite). Keep in step with ../postgres/0006_report_area.sql.
--
-- people.report_area: where the person counts (their own area, else their household's).
-- enrolments.report_area / hukou_local: the same, copied onto each enrolment so enrolled
-- counts come from one index. Triggers keep both right whatever code path writes.

ALTER TABLE people ADD COLUMN report_area TEXT NOT NULL DEFAULT '';
UPDATE people SET report_area = COALESCE(area_code, (SELECT h.area_code FROM households h WHERE h.id = people.household_id), '');
CREATE INDEX people_report ON people (report_area, hukou_local);

ALTER TABLE enrolments ADD COLUMN report_area TEXT NOT NULL DEFAULT '';
ALTER TABLE enrolments ADD COLUMN hukou_local BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE enrolments SET
    report_area = (SELECT p.report_area FROM people p WHERE p.id = enrolments.person_id),
    hukou_local = (SELECT p.hukou_local FROM people p WHERE p.id = enrolments.person_id);
-- Covering indexes in the order the reports group by: counts per area, origin and
-- category; and enrolled per area and payment day (the weekly trend).
CREATE INDEX enrolments_report ON enrolments
    (insurance_year, report_area, hukou_local, applied_category, subsidy_fen, status, paid_on);
CREATE INDEX enrolments_report_day ON enrolments (insurance_year, report_area, paid_on, status);

CREATE TRIGGER people_report_area_insert AFTER INSERT ON people
BEGIN
    UPDATE people SET report_area = COALESCE(NEW.area_code,
        (SELECT h.area_code FROM households h WHERE h.id = NEW.household_id), '')
    WHERE id = NEW.id;
END;

CREATE TRIGGER people_report_area_update AFTER UPDATE OF area_code, household_id, hukou_local ON people
BEGIN
    UPDATE people SET report_area = COALESCE(NEW.area_code,
        (SELECT h.area_code FROM households h WHERE h.id = NEW.household_id), '')
    WHERE id = NEW.id;
    UPDATE enrolments SET
        report_area = (SELECT p.report_area FROM people p WHERE p.id = NEW.id),
        hukou_local = NEW.hukou_local
    WHERE person_id = NEW.id;
END;

CREATE TRIGGER households_report_area AFTER UPDATE OF area_code ON households
BEGIN
    UPDATE people SET report_area = NEW.area_code WHERE household_id = NEW.id AND area_code IS NULL;
    UPDATE enrolments SET report_area = NEW.area_code
    WHERE person_id IN (SELECT id FROM people WHERE household_id = NEW.id AND area_code IS NULL);
END;

CREATE TRIGGER enrolments_report_area AFTER INSERT ON enrolments
BEGIN
    UPDATE enrolments SET
        report_area = (SELECT p.report_area FROM people p WHERE p.id = NEW.person_id),
        hukou_local = (SELECT p.hukou_local FROM people p WHERE p.id = NEW.person_id)
    WHERE id = NEW.id;
END;
