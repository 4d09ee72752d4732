//! What the app's and the server's tests share: a fresh, migrated database per test on SQLite
//! or PostgreSQL (`TestDb`), valid values to write (`fields`, `by`, ...), and a raw HTTP/1.1
//! client for the server on a real socket (`raw_http`). Only ever a dev-dependency: nothing here
//! may reach a build that ships.

mod db;
mod fixtures;
pub mod raw_http;

pub use db::{Backend, TestDb};
pub use fixtures::{by, by_with_note, fields, fields_with, unknown_id};
