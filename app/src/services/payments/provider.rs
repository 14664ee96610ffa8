//! The payment provider's contract (verify a signed callback) and the local sandbox provider.

use chrono::{DateTime, Utc};
use domain::Money;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Header carrying the callback's Unix time (seconds).
pub const TIMESTAMP_HEADER: &str = "x-canbao-timestamp";
/// Header carrying hex HMAC-SHA256 over `"{timestamp}.{body}"`.
pub const SIGNATURE_HEADER: &str = "x-canbao-signature";
/// A callback older or newer than this is refused (replay window).
pub const CALLBACK_TOLERANCE_SECONDS: i64 = 300;

/// A payment provider: where the payer goes, and how its callbacks are authenticated.
///
/// The local implementation is [`SandboxProvider`]. A production adapter (WeChat Pay,
/// Alipay, a bank's aggregated payment, the tax bureau's online channel) implements the
/// same two methods: `checkout_url` creates the provider-side order through its API and
/// returns its payment page or QR-code URL; `verify` checks the provider's signature
/// scheme (for WeChat Pay v3: RSA over timestamp, nonce and body with the platform
/// certificate) and maps its body to [`CallbackBody`]. Everything after `verify` is shared.
pub trait PaymentProvider: Send + Sync {
    fn name(&self) -> &'static str;
    fn checkout_url(&self, order_no: &str) -> String;
    fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CallbackBody, Rejection>;
}

/// What a provider tells us about an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallbackBody {
    pub order_no: String,
    pub transaction_id: String,
    pub status: CallbackStatus,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatus {
    Paid,
    Cancelled,
}

/// Why a callback was refused before anything was read from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Unsigned,
    Stale,
    BadSignature,
    Malformed,
}

impl Rejection {
    pub fn code(self) -> &'static str {
        match self {
            Self::Unsigned => "callback_unsigned",
            Self::Stale => "callback_stale",
            Self::BadSignature => "callback_bad_signature",
            Self::Malformed => "callback_malformed",
        }
    }
}

pub(super) type HmacSha256 = Hmac<Sha256>;

/// The local payment provider: its own pay/cancel page, callbacks signed with a shared secret.
pub struct SandboxProvider {
    secret: Vec<u8>,
}

impl SandboxProvider {
    pub fn new(secret: &[u8]) -> SandboxProvider {
        SandboxProvider {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// Hex signature for a body sent at `timestamp` (what the provider puts in the header).
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        hex::encode(self.mac(timestamp, body).finalize().into_bytes())
    }
}

impl PaymentProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn checkout_url(&self, order_no: &str) -> String {
        format!("/sandbox/pay/{order_no}")
    }

    fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CallbackBody, Rejection> {
        let (Some(ts), Some(sig)) = (timestamp, signature) else {
            return Err(Rejection::Unsigned);
        };
        let sig = hex::decode(sig.trim()).map_err(|_| Rejection::BadSignature)?;
        // Constant-time comparison.
        self.mac(ts, body)
            .verify_slice(&sig)
            .map_err(|_| Rejection::BadSignature)?;
        let sent: i64 = ts.trim().parse().map_err(|_| Rejection::Stale)?;
        if (now.timestamp() - sent).abs() > CALLBACK_TOLERANCE_SECONDS {
            return Err(Rejection::Stale);
        }
        serde_json::from_slice(body).map_err(|_| Rejection::Malformed)
    }
}
