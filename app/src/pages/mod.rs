pub mod account;
pub mod areas;
pub mod home;
pub mod login;
pub mod not_found;
pub mod quote;
pub mod work;
