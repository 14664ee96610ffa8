-- Scale (SQLite; keep in step with ../postgres/0010_scale.sql, whose statement-level
-- counter triggers SQLite does not need: it updates a counter row in place).
--
-- People by the moment they were stored: the ledger's month ("new to the roster this month")
-- reads a day range, not every person.
CREATE INDEX people_created ON people (created_at);

-- Work queues oldest first over every status (the bureau's "all"): an index in that order
-- reads one page instead of sorting every certification.
CREATE INDEX certifications_created ON certifications (created_at, id);
