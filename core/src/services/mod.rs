//! The use cases, written against the ports.

pub mod acceptance;
pub mod account_admin;
pub mod applicant;
pub mod auth;
pub mod clients;
pub mod credentials;
pub mod delivery_reports;
pub mod id_tokens;
pub mod idempotency;
pub mod legacy_import;
pub mod limits;
pub mod operator;
pub mod passwords;
pub mod policy;
pub mod postman;
pub mod provider;
pub mod recovery;
pub mod retention;
pub mod second_factor;
pub mod sessions;
