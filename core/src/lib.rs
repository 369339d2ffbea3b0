//! Foreign User ("Utente Estero") accreditation: domain types, the request workflow, ports,
//! AWS adapters and the services every Lambda function of the project shares.

pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod email;
#[cfg(test)]
mod fakes;
pub mod http;
pub mod i18n;
pub mod ports;
pub mod schema;
pub mod services;
pub mod wire;
pub mod workflow;
