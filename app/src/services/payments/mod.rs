//! Payments: the provider that verifies callbacks, recording a verified payment (the general
//! transaction and the PostgreSQL batch side by side), the sandbox's pay page, cash a cadre
//! collects, receipts, the tax bureau's reconciliation file, and payments that could not be
//! applied (exceptions). Money is never lost: every verified payment ends in an enrolment or
//! an exception someone settles.

mod callback;
mod cash;
pub mod exceptions;
mod provider;
mod reconciliation;
mod record;
mod sandbox;
pub mod store;

pub use callback::*;
pub use cash::*;
pub use provider::*;
pub use reconciliation::*;
pub use record::*;
pub use sandbox::*;
