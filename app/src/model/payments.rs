//! Payment orders, receipts, payment exceptions and reconciliation.

use chrono::{DateTime, Utc};
use domain::Money;
use serde::{Deserialize, Serialize};

/// A verified payment that could not be applied (支付异常): kept until a bureau officer
/// refunds it or applies it to the household's current enrolments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PaymentExceptionView {
    pub id: i64,
    /// The provider's transaction id.
    pub transaction_id: String,
    pub order_no: String,
    pub household_id: Option<i64>,
    pub area_code: Option<String>,
    /// The household's head (name, masked ID number), for the officer who refunds.
    pub payer_name: Option<String>,
    pub payer_id_masked: Option<String>,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    /// `amount_mismatch`, `order_superseded` (its enrolments moved to a newer order) or
    /// `order_closed` (cancelled, paid by another transaction, or paid another way).
    pub reason: String,
    pub received_at: DateTime<Utc>,
    /// `open`, `refunded` or `applied`.
    pub status: String,
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_by: Option<String>,
    pub settlement_channel: Option<String>,
    pub settlement_note: Option<String>,
    /// The receipt of the payment it became (`applied`).
    pub receipt_no: Option<String>,
}

/// A refund or top-up waiting for a bureau officer, with whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PendingAdjustment {
    pub id: i64,
    /// "refund" or "top_up".
    pub kind: String,
    pub amount: Money,
    pub enrolment_id: i64,
    pub name: String,
    pub id_number_masked: String,
    pub created_at: DateTime<Utc>,
}

/// The payment exceptions queue, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PaymentExceptionList {
    pub exceptions: Vec<PaymentExceptionView>,
    /// Refunds and top-ups from re-pricing still to settle in the same area.
    #[serde(default)]
    pub adjustments: Vec<PendingAdjustment>,
}

/// How an officer settles a payment exception or a refund / top-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SettleRequest {
    /// Payment exceptions: `refunded` or `applied`. Adjustments: optional (a refund is
    /// refunded, a top-up collected).
    #[serde(default)]
    pub outcome: Option<String>,
    /// Through which channel the money went back or came in (原路退回, 银行转账, 现金 …).
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A payment received (any channel), as a receipt shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ReceiptView {
    pub receipt_no: String,
    pub transaction_id: String,
    pub channel: String,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub collected_by: Option<String>,
    pub lines: Vec<ReceiptLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ReceiptLine {
    pub name: String,
    pub id_number_masked: String,
    pub insurance_year: i32,
    pub amount: Money,
    /// The price's assumptions (see `EnrolmentView::assumptions`).
    #[serde(default)]
    pub assumptions: Vec<std::sync::Arc<str>>,
    #[serde(default)]
    pub assumptions_en: Vec<std::sync::Arc<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptBrief {
    pub receipt_no: String,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub channel: String,
}

/// What a reconciliation import did, for the bureau's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationOutcome {
    pub rows_total: usize,
    pub applied: usize,
    pub duplicates: usize,
    /// (line, masked ID number, reason code, Chinese message)
    pub exceptions: Vec<(usize, String, String, String)>,
}
