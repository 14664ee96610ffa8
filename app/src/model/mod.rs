//! Data shared by the browser and the server (what server functions return).
//!
//! One file per feature; everything is re-exported here, so `crate::model::X` names any of them.

mod accounts;
mod areas;
mod certification;
mod enrolment;
mod ledger;
mod lists;
mod payments;
mod policies;
mod reports;

pub use accounts::*;
pub use areas::*;
pub use certification::*;
pub use enrolment::*;
pub use ledger::*;
pub use lists::*;
pub use payments::*;
pub use policies::*;
pub use reports::*;
