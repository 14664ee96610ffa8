//! The policy engine: cited policy packs and the quote.

pub mod pack;
pub mod quote;
mod validate;

pub use pack::*;
pub use quote::*;
pub use validate::Problem;
