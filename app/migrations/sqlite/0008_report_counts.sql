-- Pre-aggregated counters for the reports (SQLite), so a district's weekly report reads a
-- few thousand counter rows however many people it covers. Keep in step with
-- ../postgres/0008_report_counts.sql, which explains the tables.
--
-- Every change to a row applies -1 at its old key and +1 at its new key, computed from OLD
-- and NEW only: SQLite gives no order among the triggers of one event, and the area
-- triggers of 0006/0007 update the rows after they are inserted (those updates move the
-- counts in turn). Upserts add signed amounts, so a -1 may arrive before its +1.

CREATE TABLE report_roster (
    report_area TEXT NOT NULL,
    hukou_local BOOLEAN NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (report_area, hukou_local)
);

CREATE TABLE report_enrolled (
    insurance_year INTEGER NOT NULL,
    report_area    TEXT NOT NULL,
    hukou_local    BOOLEAN NOT NULL,
    category       TEXT NOT NULL,
    paid_on        DATE NOT NULL,
    n              BIGINT NOT NULL,
    PRIMARY KEY (insurance_year, report_area, hukou_local, category, paid_on)
);

CREATE TABLE report_reasons (
    insurance_year INTEGER NOT NULL,
    report_area    TEXT NOT NULL,
    hukou_local    BOOLEAN NOT NULL,
    reason         TEXT NOT NULL,
    enrolled_on    DATE NOT NULL,
    n              BIGINT NOT NULL,
    PRIMARY KEY (insurance_year, report_area, hukou_local, reason, enrolled_on)
);

INSERT INTO report_roster
SELECT report_area, hukou_local, COUNT(*) FROM people GROUP BY 1, 2;
INSERT INTO report_enrolled
SELECT insurance_year, report_area, hukou_local,
       CASE WHEN subsidy_fen > 0 THEN COALESCE(applied_category, '') ELSE '' END, paid_on, COUNT(*)
FROM enrolments WHERE status IN ('paid', 'ended') AND paid_on IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO report_reasons
SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason,
       COALESCE((SELECT e.paid_on FROM enrolments e WHERE e.person_id = r.person_id AND e.insurance_year = r.insurance_year
           AND e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL), '9999-12-31'), COUNT(*)
FROM ledger_reasons r GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER report_roster_insert AFTER INSERT ON people
BEGIN
    INSERT INTO report_roster VALUES (NEW.report_area, NEW.hukou_local, 1)
    ON CONFLICT (report_area, hukou_local) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_roster_delete AFTER DELETE ON people
BEGIN
    INSERT INTO report_roster VALUES (OLD.report_area, OLD.hukou_local, -1)
    ON CONFLICT (report_area, hukou_local) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_roster_update AFTER UPDATE OF report_area, hukou_local ON people
WHEN OLD.report_area IS NOT NEW.report_area OR OLD.hukou_local IS NOT NEW.hukou_local
BEGIN
    INSERT INTO report_roster VALUES (OLD.report_area, OLD.hukou_local, -1)
    ON CONFLICT (report_area, hukou_local) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_roster VALUES (NEW.report_area, NEW.hukou_local, 1)
    ON CONFLICT (report_area, hukou_local) DO UPDATE SET n = n + excluded.n;
END;

-- Enrolments: the enrolled counts, and the day the person's ledger reasons count as enrolled.
CREATE TRIGGER report_enrolled_insert AFTER INSERT ON enrolments
BEGIN
    INSERT INTO report_enrolled SELECT NEW.insurance_year, NEW.report_area, NEW.hukou_local, CASE WHEN NEW.subsidy_fen > 0 THEN COALESCE(NEW.applied_category, '') ELSE '' END, NEW.paid_on, 1
    WHERE NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL
    ON CONFLICT (insurance_year, report_area, hukou_local, category, paid_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_reasons SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, '9999-12-31', -1
    FROM ledger_reasons r WHERE r.person_id = NEW.person_id AND r.insurance_year = NEW.insurance_year AND (CASE WHEN NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL THEN NEW.paid_on ELSE '9999-12-31' END) <> '9999-12-31'
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_reasons SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, CASE WHEN NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL THEN NEW.paid_on ELSE '9999-12-31' END, 1
    FROM ledger_reasons r WHERE r.person_id = NEW.person_id AND r.insurance_year = NEW.insurance_year AND (CASE WHEN NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL THEN NEW.paid_on ELSE '9999-12-31' END) <> '9999-12-31'
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_enrolled_delete AFTER DELETE ON enrolments
BEGIN
    INSERT INTO report_enrolled SELECT OLD.insurance_year, OLD.report_area, OLD.hukou_local, CASE WHEN OLD.subsidy_fen > 0 THEN COALESCE(OLD.applied_category, '') ELSE '' END, OLD.paid_on, -1
    WHERE OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL
    ON CONFLICT (insurance_year, report_area, hukou_local, category, paid_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_reasons SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, CASE WHEN OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL THEN OLD.paid_on ELSE '9999-12-31' END, -1
    FROM ledger_reasons r WHERE r.person_id = OLD.person_id AND r.insurance_year = OLD.insurance_year AND (CASE WHEN OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL THEN OLD.paid_on ELSE '9999-12-31' END) <> '9999-12-31'
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_reasons SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, '9999-12-31', 1
    FROM ledger_reasons r WHERE r.person_id = OLD.person_id AND r.insurance_year = OLD.insurance_year AND (CASE WHEN OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL THEN OLD.paid_on ELSE '9999-12-31' END) <> '9999-12-31'
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER report_enrolled_update AFTER UPDATE OF insurance_year, person_id, report_area, hukou_local,
    applied_category, subsidy_fen, status, paid_on ON enrolments
BEGIN
    INSERT INTO report_enrolled SELECT OLD.insurance_year, OLD.report_area, OLD.hukou_local, CASE WHEN OLD.subsidy_fen > 0 THEN COALESCE(OLD.applied_category, '') ELSE '' END, OLD.paid_on, -1
    WHERE OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL
    ON CONFLICT (insurance_year, report_area, hukou_local, category, paid_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_enrolled SELECT NEW.insurance_year, NEW.report_area, NEW.hukou_local, CASE WHEN NEW.subsidy_fen > 0 THEN COALESCE(NEW.applied_category, '') ELSE '' END, NEW.paid_on, 1
    WHERE NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL
    ON CONFLICT (insurance_year, report_area, hukou_local, category, paid_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_reasons SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, CASE WHEN OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL THEN OLD.paid_on ELSE '9999-12-31' END, -1
    FROM ledger_reasons r WHERE r.person_id = OLD.person_id AND r.insurance_year = OLD.insurance_year AND ((CASE WHEN OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL THEN OLD.paid_on ELSE '9999-12-31' END) <> (CASE WHEN NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL THEN NEW.paid_on ELSE '9999-12-31' END) OR OLD.person_id <> NEW.person_id OR OLD.insurance_year <> NEW.insurance_year)
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_reasons SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, '9999-12-31', 1
    FROM ledger_reasons r WHERE r.person_id = OLD.person_id AND r.insurance_year = OLD.insurance_year AND ((CASE WHEN OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL THEN OLD.paid_on ELSE '9999-12-31' END) <> (CASE WHEN NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL THEN NEW.paid_on ELSE '9999-12-31' END) OR OLD.person_id <> NEW.person_id OR OLD.insurance_year <> NEW.insurance_year)
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_reasons SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, '9999-12-31', -1
    FROM ledger_reasons r WHERE r.person_id = NEW.person_id AND r.insurance_year = NEW.insurance_year AND ((CASE WHEN OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL THEN OLD.paid_on ELSE '9999-12-31' END) <> (CASE WHEN NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL THEN NEW.paid_on ELSE '9999-12-31' END) OR OLD.person_id <> NEW.person_id OR OLD.insurance_year <> NEW.insurance_year)
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
    INSERT INTO report_reasons SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, CASE WHEN NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL THEN NEW.paid_on ELSE '9999-12-31' END, 1
    FROM ledger_reasons r WHERE r.person_id = NEW.person_id AND r.insurance_year = NEW.insurance_year AND ((CASE WHEN OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL THEN OLD.paid_on ELSE '9999-12-31' END) <> (CASE WHEN NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL THEN NEW.paid_on ELSE '9999-12-31' END) OR OLD.person_id <> NEW.person_id OR OLD.insurance_year <> NEW.insurance_year)
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on) DO UPDATE SET n = n + excluded.n;
END;

-- Ledger reasons, keyed by the day the person's enrolment for the year was paid.
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
