//! Pure domain core of Canbao: resident ID numbers, money and dates.
//!
//! No IO, no clock, no framework: the same code runs in the browser (WASM) for the live
//! quote and on the server, so a rule gives the same answer in both places.
#![forbid(unsafe_code)]

pub mod dates;
pub mod id_number;
pub mod money;
pub mod policy;
pub mod report;

pub use dates::{DateError, DateRange, InsuranceYear};
pub use id_number::{IdNumber, IdNumberError, Sex};
pub use money::{Money, MoneyError};
/// Re-exported so every crate names the same decimal type.
pub use rust_decimal::Decimal;
