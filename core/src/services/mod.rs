//! The use cases, written against the ports.

pub mod acceptance;
pub mod account_admin;
pub mod applicant;
pub mod auth;
pub mod credentials;
pub mod delivery_reports;
pub mod idempotency;
pub mod legacy_import;
pub mod operator;
pub mod passwords;
pub mod postman;
pub mod recovery;
pub mod second_factor;
pub mod sessions;
