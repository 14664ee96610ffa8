-- The enrolment counters of 0008 per statement for updates (PostgreSQL; SQLite updates its
-- counter rows in place and keeps its row triggers).
--
-- A payment batch (services/batch.rs) marks several enrolments paid in one statement. The row
-- trigger ran two PL/pgSQL calls per enrolment there: an upsert of what is mostly the same
-- counter row (one village, one payment day) and a move of the person's ledger reasons. A
-- statement trigger sums the statement's changes per counter key and upserts each key once.
-- Column lists cannot go with transition tables, so it fires for every UPDATE of enrolments;
-- rows whose counted columns did not change add -1 and +1 at the same key, which cancel, and
-- nothing is written for them.
--
-- Inserts and deletes keep 0008's row trigger, only for rows that count: an enrolment stored
-- unpaid changes no counter (its person-year's reasons stay "not enrolled"), and the row
-- trigger's two PL/pgSQL calls per unpaid enrolment did nothing.

DROP TRIGGER report_enrolled_insert ON enrolments;
DROP TRIGGER report_enrolled_update ON enrolments;

CREATE TRIGGER report_enrolled_insert AFTER INSERT ON enrolments
FOR EACH ROW WHEN (NEW.status IN ('paid', 'ended') AND NEW.paid_on IS NOT NULL)
EXECUTE FUNCTION report_enrolled_count();
CREATE TRIGGER report_enrolled_delete AFTER DELETE ON enrolments
FOR EACH ROW WHEN (OLD.status IN ('paid', 'ended') AND OLD.paid_on IS NOT NULL)
EXECUTE FUNCTION report_enrolled_count();

CREATE FUNCTION report_enrolled_count_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Each updated row leaves its old key (-1) and joins its new one (+1).
    INSERT INTO report_enrolled (insurance_year, report_area, hukou_local, category, paid_on, n)
    SELECT d.insurance_year, d.report_area, d.hukou_local, d.category, d.paid_on, SUM(d.n)
    FROM (
        SELECT o.insurance_year, o.report_area, o.hukou_local,
            CASE WHEN o.subsidy_fen > 0 THEN COALESCE(o.applied_category, '') ELSE '' END AS category,
            o.paid_on, -1 AS n
        FROM old_enrolments o WHERE o.status IN ('paid', 'ended') AND o.paid_on IS NOT NULL
        UNION ALL
        SELECT e.insurance_year, e.report_area, e.hukou_local,
            CASE WHEN e.subsidy_fen > 0 THEN COALESCE(e.applied_category, '') ELSE '' END,
            e.paid_on, 1
        FROM new_enrolments e WHERE e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL
    ) d
    GROUP BY 1, 2, 3, 4, 5
    HAVING SUM(d.n) <> 0
    ON CONFLICT (insurance_year, report_area, hukou_local, category, paid_on)
    DO UPDATE SET n = report_enrolled.n + EXCLUDED.n;

    -- A person-year's ledger reasons count on the day its enrolment counts as enrolled
    -- (9999-12-31: not enrolled). As 0008's report_reasons_move per row: the old row's
    -- person-year moves from its day to "not enrolled", the new row's from "not enrolled" to
    -- its day; for an unchanged person-year the two meet in one move, or cancel.
    INSERT INTO report_reasons (insurance_year, report_area, hukou_local, reason, enrolled_on, n)
    SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason, d.day, SUM(d.n)
    FROM (
        SELECT x.person_id, x.insurance_year, x.day, SUM(x.n) AS n
        FROM (
            SELECT o.person_id, o.insurance_year,
                CASE WHEN o.status IN ('paid', 'ended') AND o.paid_on IS NOT NULL
                     THEN o.paid_on ELSE DATE '9999-12-31' END AS day, -1 AS n
            FROM old_enrolments o
            UNION ALL
            SELECT o.person_id, o.insurance_year, DATE '9999-12-31', 1 FROM old_enrolments o
            UNION ALL
            SELECT e.person_id, e.insurance_year, DATE '9999-12-31', -1 FROM new_enrolments e
            UNION ALL
            SELECT e.person_id, e.insurance_year,
                CASE WHEN e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL
                     THEN e.paid_on ELSE DATE '9999-12-31' END, 1
            FROM new_enrolments e
        ) x
        GROUP BY 1, 2, 3
        HAVING SUM(x.n) <> 0
    ) d
    -- One index probe per person-year that moved (OFFSET 0 keeps the lookup a nested loop):
    -- the plan is cached with the function, and a hash join planned for a large first
    -- statement would read the whole ledger for every later payment.
    CROSS JOIN LATERAL (
        SELECT l.insurance_year, l.report_area, l.hukou_local, l.reason FROM ledger_reasons l
        WHERE l.person_id = d.person_id AND l.insurance_year = d.insurance_year OFFSET 0
    ) r
    GROUP BY 1, 2, 3, 4, 5
    HAVING SUM(d.n) <> 0
    ON CONFLICT (insurance_year, report_area, hukou_local, reason, enrolled_on)
    DO UPDATE SET n = report_reasons.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE TRIGGER report_enrolled_update AFTER UPDATE ON enrolments
REFERENCING OLD TABLE AS old_enrolments NEW TABLE AS new_enrolments
FOR EACH STATEMENT EXECUTE FUNCTION report_enrolled_count_updates();
