//! Sending text messages.
//!
//! Production would add an adapter for the province's SMS gateway: an HTTPS POST of
//! `{phone, template_id, params}` signed with the gateway's app key, retried with
//! back-off, writing the gateway's message id back to `sms_outbox`. Here the only
//! implementation is [`OutboxSms`], which records the message in the `sms_outbox`
//! table and the log, so the demo and the tests can read what would have been sent.

use std::future::Future;
use std::pin::Pin;

use crate::error::AppError;
use crate::model::mask_phone;
use crate::services::auth::otp;
use crate::store::Db;

pub struct SmsMessage<'a> {
    pub phone: &'a str,
    /// Machine purpose, e.g. `sign_in_code`.
    pub purpose: &'a str,
    pub body: String,
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + 'a>>;

pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, msg: &'a SmsMessage<'a>) -> SendFuture<'a>;
    fn name(&self) -> &'static str;
}

/// The local sender: the outbox table plus a log line (phone masked, body not logged).
pub struct OutboxSms {
    db: Db,
}

impl OutboxSms {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

impl SmsSender for OutboxSms {
    fn send<'a>(&'a self, msg: &'a SmsMessage<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            otp::insert_sms(
                &self.db,
                msg.phone,
                msg.purpose,
                &msg.body,
                self.name(),
                chrono::Utc::now(),
            )
            .await?;
            tracing::info!(phone = %mask_phone(msg.phone), purpose = msg.purpose, "sms written to outbox");
            Ok(())
        })
    }

    fn name(&self) -> &'static str {
        "outbox"
    }
}
