-- Pre-aggregated counters for the reports (PostgreSQL), so a district's weekly report reads
-- a few thousand counter rows however many people it covers. Keep in step with
-- ../sqlite/0008_report_counts.sql.
--
-- Each counter is the exact sum, over the rows of one table, of +1 at that row's key. Row
-- triggers apply -1 at a row's old key and +1 at its new key on every change, so the
-- counters follow whatever code path writes (including the area triggers of 0006/0007).
-- Keys hold no NULLs (a NULL never matches ON CONFLICT): '' is "no category", and
-- 9999-12-31 "not enrolled".

-- People per area and origin (the register).
CREATE TABLE report_roster (
    report_area TEXT NOT NULL,
    hukou_local BOOLEAN NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (report_area, hukou_local)
);

-- Enrolments paid (or ended) per year, area, origin, subsidised category and payment day;
-- "enrolled by the as-of day" is the sum over days up to it.
CREATE TABLE report_enrolled (
    insurance_year INTEGER NOT NULL,
    report_area    TEXT NOT NULL,
    hukou_local    BOOLEAN NOT NULL,
    category       TEXT NOT NULL,
    paid_on        DATE NOT NULL,
    n              BIGINT NOT NULL,
    PRIMARY KEY (insurance_year, report_area, hukou_local, category, paid_on)
);

-- Ledger reasons per year, area, origin, reason and the day the person's enrolment for that
-- year was paid (9999-12-31 while unpaid): "the unenrolled's reasons on the as-of day" are
-- those with enrolled_on after it.
CREATE TABLE report_reasons (
    insurance_year INTEGER NOT NULL,
    report_area    TEXT NOT NULL,
    hukou_local    BOOLEAN NOT NULL,
    reason         TEXT NOT NULL,
    enrolled_on    DATE NOT NULL,
    n              BIGINT NOT NULL,
    PRIMARY KEY (insurance_year, report_area, hukou_local, reason, enrolled_on)
);

-- The day a person's enrolment for a year counts as enrolled, or 9999-12-31.
CREATE FUNCTION report_enrolled_on(p_person BIGINT, p_year INTEGER) RETURNS DATE LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT e.paid_on FROM enrolments e
        WHERE e.person_id = p_person AND e.insurance_year = p_year
          AND e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL), DATE '9999-12-31')
$$;

INSERT INTO report_roster
SELECT report_area, hukou_local, COUNT(*) FROM people GROUP BY 1, 2;
INSERT INTO report_enrolled
SELECT insurance_year, report_area, hukou_local,
       CASE WHEN subsidy_fen > 0 THEN COALESCE(applied_category, '') ELSE '' END, paid_on, COUNT(*)
FROM enrolments WHERE status IN ('paid', 'ended') AND paid_on IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO report_reasons
SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason,
       report_enrolled_on(r.person_id, r.insurance_year), COUNT(*)
FROM ledger_reasons r GROUP BY 1, 2, 3, 4, 5;

CREATE FUNCTION report_roster_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO report_roster VALUES (OLD.report_area, OLD.hukou_local, -1)
        ON CONFLICT (report_area, hukou_local) DO UPDATE SET n = report_roster.n - 1;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO report_roster VALUES (NEW.report_area, NEW.hukou_local, 1)
        ON CONFLICT (report_area, hukou_local) DO UPDATE SET n = report_roster.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER report_roster_insert AFTER INSERT OR DELETE ON people
FOR EACH ROW EXECUTE FUNCTION report_roster_count();
-- The columns a statement sets, not report_area alone: PostgreSQL fires a column trigger only
-- for columns in the SET list, and 0006's BEFORE trigger derives report_area from these.
CREATE TRIGGER report_roster_update AFTER UPDATE OF area_code, household_id, hukou_local, report_area ON people
FOR EACH ROW WHEN (OLD.report_area IS DISTINCT FROM NEW.report_area OR OLD.hukou_local IS DISTINCT FROM NEW.hukou_local)
EXECUTE FUNCTION report_roster_count();

-- Moves one person-year's ledger reasons from one enrolled-on day to another.
CREATE FUNCTION report_reasons_move(p_person BIGINT, p_year INTEGER, p_from DATE, p_to DATE)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_from = p_to THEN
        RETURN;
    END IF;
    INSERT INTO report_reasons
    SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, p_from, -1
    FROM ledger_reasons r WHERE r.person_id = p_person AND r.insurance_year = p_year
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on)
    DO UPDATE SET n = report_reasons.n - 1;
    INSERT INTO report_reasons
    SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, p_to, 1
    FROM ledger_reasons r WHERE r.person_id = p_person AND r.insurance_year = p_year
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on)
    DO UPDATE SET n = report_reasons.n + 1;
END $$;

CREATE FUNCTION report_enrolled_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_day DATE := DATE '9999-12-31';
    new_day DATE := DATE '9999-12-31';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL THEN
        old_day := OLD.paid_on;
        INSERT INTO report_enrolled VALUES (OLD.insurance_year, OLD.report_area, OLD.hukou_local,
            CASE WHEN OLD.subsidy_fen > 0 THEN COALESCE(OLD.applied_category, '') ELSE '' END, OLD.paid_on, -1)
        ON CONFLICT (insurance_year, report_area, hukou_local, category, paid_on)
        DO UPDATE SET n = report_enrolled.n - 1;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL THEN
        new_day := NEW.paid_on;
        INSERT INTO report_enrolled VALUES (NEW.insurance_year, NEW.report_area, NEW.hukou_local,
            CASE WHEN NEW.subsidy_fen > 0 THEN COALESCE(NEW.applied_category, '') ELSE '' END, NEW.paid_on, 1)
        ON CONFLICT (insurance_year, report_area, hukou_local, category, paid_on)
        DO UPDATE SET n = report_enrolled.n + 1;
    END IF;
    IF TG_OP = 'UPDATE' AND (OLD.person_id <> NEW.person_id OR OLD.insurance_year <> NEW.insurance_year) THEN
        PERFORM report_reasons_move(OLD.person_id, OLD.insurance_year, old_day, DATE '9999-12-31');
        PERFORM report_reasons_move(NEW.person_id, NEW.insurance_year, DATE '9999-12-31', new_day);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM report_reasons_move(OLD.person_id, OLD.insurance_year, old_day, new_day);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM report_reasons_move(NEW.person_id, NEW.insurance_year, old_day, new_day);
    ELSIF old_day <> new_day THEN
        PERFORM report_reasons_move(NEW.person_id, NEW.insurance_year, old_day, new_day);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER report_enrolled_insert AFTER INSERT OR DELETE ON enrolments
FOR EACH ROW EXECUTE FUNCTION report_enrolled_count();
CREATE TRIGGER report_enrolled_update AFTER UPDATE OF insurance_year, person_id, report_area, hukou_local,
    applied_category, subsidy_fen, status, paid_on ON enrolments
FOR EACH ROW EXECUTE FUNCTION report_enrolled_count();

CREATE FUNCTION report_reasons_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO report_reasons VALUES (OLD.insurance_year, OLD.report_area, OLD.hukou_local, OLD.reason,
            report_enrolled_on(OLD.person_id, OLD.insurance_year), -1)
        ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on)
        DO UPDATE SET n = report_reasons.n - 1;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO report_reasons VALUES (NEW.insurance_year, NEW.report_area, NEW.hukou_local, NEW.reason,
            report_enrolled_on(NEW.person_id, NEW.insurance_year), 1)
        ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on)
        DO UPDATE SET n = report_reasons.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER report_reasons_insert AFTER INSERT OR DELETE ON ledger_reasons
FOR EACH ROW EXECUTE FUNCTION report_reasons_count();
CREATE TRIGGER report_reasons_update AFTER UPDATE OF insurance_year, person_id, report_area, hukou_local, reason
    ON ledger_reasons
FOR EACH ROW EXECUTE FUNCTION report_reasons_count();
