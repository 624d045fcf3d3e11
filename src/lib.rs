//! pgdeck: a PostgreSQL workbench for the terminal. The binary in `main.rs` is a thin shell over this library,
//! so integration tests and benchmarks drive the same code a user runs.

pub mod action;
pub mod cluster;
pub mod config;
pub mod conn;
pub mod demo;
pub mod keymap;
pub mod theme;
pub mod model;
