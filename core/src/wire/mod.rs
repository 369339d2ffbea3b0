//! The edge: the JSON bodies of the API read into the services' typed commands. Every reader
//! collects every invalid field at once and tells it in the reader's language; no service reads a
//! JSON body itself.

mod applicant;
mod auth;
mod operator;
mod recovery;
