//! Integration tests against the local AWS emulator: each module is one area of behaviour.

mod documents;
mod events;
mod infra;
mod local_stack;
mod outbox;
mod status;
mod submission;
