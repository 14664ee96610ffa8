//! Every server test in one binary: one link instead of twelve, and one copy of the
//! helpers in `common` (spawning the app on port 0 against a fresh SQLite file or a fresh
//! PostgreSQL database, signing in, calling the API). Each file is one area of the server.

#[macro_use]
mod common;

mod access;
mod api;
mod certification;
mod crash;
mod enrolment;
mod ledger;
mod lists;
mod openapi;
mod policies;
mod quote;
mod reports;
mod security;
mod storage;
