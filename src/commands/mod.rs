//! Headless subcommands: each prints the same analysis a pane shows, as text or JSON, from the same
//! `db` and `model` code. stdout is data only; messages go to stderr. Exit codes: 0 ok, 1 findings
//! at or above `--fail-on`, 2 error.

pub mod activity;
pub mod check;
pub mod conninfo;
pub mod ddl;
pub mod explain;
pub mod migrations;
pub mod query;
pub mod schema;
