//! Integration tests against a real PostgreSQL server started by the tests themselves (one TempCluster
//! for this test binary, a fresh database per test). No binaries found is a failure that says how to
//! install them, never a skip.

mod cli;
mod common;
mod health;
mod query;
mod schema;
mod tui;
mod wire;
mod worker;
