-- One statement that refuses its own writes (PostgreSQL only; SQLite runs the same checks
-- between the statements of a transaction and needs nothing here).
--
-- A payment callback writes the payment, the order, the enrolments and the links in one
-- data-modifying statement. When it finds a precondition broken (the order was paid or
-- closed meanwhile, an enrolment is no longer unpaid) it calls this, and the error undoes
-- everything the statement wrote. The reason is the error's message.
CREATE FUNCTION canbao_abort(reason TEXT) RETURNS BIGINT LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = reason;
END $$;

-- The report counters (0008) are a few rows that every enrolment and payment in a village
-- updates: each update leaves a row version, and an upsert finds its row by walking the
-- versions left on its page until PostgreSQL prunes them, which it does only once the page
-- is short of free space (10 % by default). With most of each page kept free, pruning starts
-- after a few dozen versions instead of a page full: under a stream of payments in one
-- village this was about a sixth of the time per enrolment paid (docs/benchmarks.md). The
-- tables stay small (villages × payment days); a report reads more, mostly empty, pages.
ALTER TABLE report_roster SET (fillfactor = 10);
ALTER TABLE report_enrolled SET (fillfactor = 10);
ALTER TABLE report_reasons SET (fillfactor = 10);
