//! The use cases, written against the ports.

pub mod applicant;
pub mod idempotency;
pub mod postman;
