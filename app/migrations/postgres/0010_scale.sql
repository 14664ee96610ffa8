-- Scale (PostgreSQL; keep in step with ../sqlite/0010_scale.sql).
--
-- People by the moment they were stored: the ledger's month ("new to the roster this month")
-- reads a day range, not every person.
CREATE INDEX people_created ON people (created_at);

-- The register's counters (0008) per statement for inserts and deletes.
-- A department's list can add a million people in one transaction; a row trigger would upsert
-- the same counter row a million times there, each upsert leaving a row version the next one
-- has to step over. A statement trigger counts the statement's rows in one upsert per area.
-- Updates keep 0008's row trigger (column triggers cannot have transition tables). SQLite
-- updates counter rows in place and keeps its row triggers.

DROP TRIGGER report_roster_insert ON people;

CREATE FUNCTION report_roster_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO report_roster
        SELECT report_area, hukou_local, COUNT(*) FROM added_people GROUP BY 1, 2
        ON CONFLICT (report_area, hukou_local) DO UPDATE SET n = report_roster.n + EXCLUDED.n;
    ELSE
        INSERT INTO report_roster
        SELECT report_area, hukou_local, -COUNT(*) FROM removed_people GROUP BY 1, 2
        ON CONFLICT (report_area, hukou_local) DO UPDATE SET n = report_roster.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER report_roster_insert AFTER INSERT ON people
REFERENCING NEW TABLE AS added_people
FOR EACH STATEMENT EXECUTE FUNCTION report_roster_count_rows();

CREATE TRIGGER report_roster_delete AFTER DELETE ON people
REFERENCING OLD TABLE AS removed_people
FOR EACH STATEMENT EXECUTE FUNCTION report_roster_count_rows();

-- 0006's BEFORE trigger only when it would change something: a row that carries its own
-- area already has report_area = area_code when the writer set it (bulk inserts do), and
-- a WHEN clause costs nothing where a PL/pgSQL call per row costs about a third of the
-- row's insert.
DROP TRIGGER people_report_area ON people;
CREATE TRIGGER people_report_area BEFORE INSERT OR UPDATE OF area_code, household_id ON people
FOR EACH ROW WHEN (NEW.area_code IS NULL OR NEW.report_area IS DISTINCT FROM NEW.area_code)
EXECUTE FUNCTION people_report_area();

-- Work queues oldest first over every status (the bureau's "all"): an index in that order
-- reads one page instead of sorting every certification.
CREATE INDEX certifications_created ON certifications (created_at, id);
