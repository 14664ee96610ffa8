-- How each row of the adjustment lists' review queue was settled: who, when, and what
-- they did about it (the rows themselves are kept).
ALTER TABLE adjustment_review ADD COLUMN resolution TEXT;
ALTER TABLE adjustment_review ADD COLUMN resolved_by BIGINT REFERENCES accounts (id);
ALTER TABLE adjustment_review ADD COLUMN resolved_at TIMESTAMP;
CREATE INDEX adjustment_review_open ON adjustment_review (resolved, import_id);
