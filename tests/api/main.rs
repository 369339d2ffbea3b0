//! Integration tests against the local AWS emulator: each module is one area of behaviour.

// Helpers of the tests too: a failed unwrap is a failed test, reported with its place.
#![allow(clippy::unwrap_used)]

mod admin;
mod authorizer;
mod bounces;
mod documents;
mod events;
mod faults;
mod infra;
mod journey;
mod legacy;
mod limits;
mod local_stack;
mod login;
mod logs;
mod oidc;
mod openapi;
mod operator;
mod outbox;
mod recovery;
mod retention;
mod second_factor;
mod secrets;
mod sessions;
mod status;
mod submission;
