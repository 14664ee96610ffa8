-- The payment exceptions queue (支付异常, issue 22): a verified payment that cannot be applied
-- (its order was cancelled, closed by another payment, or its enrolments moved to a newer
-- order; or the amount differs) is kept here, visible to the bureau of its area, until an
-- officer settles it: refunded (with the channel and reference) or applied to the household's
-- current enrolments. One row per provider transaction: a re-sent callback adds nothing.
CREATE TABLE payment_exceptions (
    id                     BIGSERIAL PRIMARY KEY,
    transaction_id         TEXT NOT NULL UNIQUE,
    order_no               TEXT NOT NULL,
    household_id           BIGINT REFERENCES households (id),
    area_code              TEXT,
    amount_fen             BIGINT NOT NULL,
    paid_at                TIMESTAMPTZ NOT NULL,
    reason                 TEXT NOT NULL,
    received_at            TIMESTAMPTZ NOT NULL,
    status                 TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'refunded', 'applied')),
    settled_by_account_id  BIGINT REFERENCES accounts (id),
    settled_at             TIMESTAMPTZ,
    settlement_channel     TEXT,
    settlement_note        TEXT,
    receipt_no             TEXT
);
CREATE INDEX payment_exceptions_area ON payment_exceptions (status, area_code);

-- Refunds and top-ups that a certification's re-pricing created are settled the same way:
-- by whom, when, through which channel (refunded, or the top-up collected).
ALTER TABLE contribution_adjustments ADD COLUMN settled_by_account_id BIGINT REFERENCES accounts (id);
ALTER TABLE contribution_adjustments ADD COLUMN settled_at TIMESTAMPTZ;
ALTER TABLE contribution_adjustments ADD COLUMN settlement_channel TEXT;
ALTER TABLE contribution_adjustments ADD COLUMN settlement_note TEXT;

-- A session also ends after a while without use (ASVS 3.3.2): when it was last used, written
-- at most once a minute. NULL: not used since it was created.
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
