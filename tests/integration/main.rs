//! Integration tests against a real PostgreSQL server started by the tests themselves (one TempCluster
//! for this test binary, a fresh database per test). No binaries found is a failure that says how to
//! install them, never a skip.

mod activity;
mod advisor;
mod cli;
mod common;
mod health;
mod hostile;
mod migrations;
mod plan;
mod pooler;
mod query;
mod schema;
mod settings;
mod standby;
mod switch;
mod tui;
mod wire;
mod worker;
