-- Two follow-up outcomes the cadres record between "not contacted" and a settled reason:
-- 已联系 (contacted, not yet paid) and 承诺缴费 (promised to pay). Both still count as
-- should-enrol. Keep in step with ../sqlite/0015_ledger_contacted.sql.
ALTER TABLE ledger_reasons DROP CONSTRAINT ledger_reasons_reason_check;
ALTER TABLE ledger_reasons ADD CONSTRAINT ledger_reasons_reason_check CHECK (reason IN ('insured_elsewhere',
    'deceased', 'lost_contact', 'employee_insurance', 'declined', 'ineligible', 'not_contacted', 'contacted',
    'promised'));
