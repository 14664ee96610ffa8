-- A department list's additions carry where they came from (which list, which line, the
-- list's adjustment date) on the certification itself; the history shows this as the
-- 'list_add' step instead of one event row per addition. List additions leave
-- submitted_by_account_id NULL: the import records who uploaded it.
ALTER TABLE certifications ADD COLUMN import_id INTEGER;
ALTER TABLE certifications ADD COLUMN import_line INTEGER;
ALTER TABLE certifications ADD COLUMN listed_on DATE;
