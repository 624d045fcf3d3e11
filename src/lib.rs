//! pgdeck: a PostgreSQL workbench for the terminal. The binary in `main.rs` is a thin shell over this
//! library, so integration tests and benchmarks drive the same code a user runs.
//!
//! Layers (see DESIGN.md): `cli`/`run` → `app` → `ui` for the terminal; `db` (async worker) and `conn`
//! (libpq-style connecting) for the server; `model` is pure data and analysis shared by all.

pub mod action;
pub mod app;
pub mod cli;
pub mod clipboard;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod conn;
pub mod db;
pub mod demo;
pub mod event;
pub mod hardware;
pub mod keymap;
pub mod logging;
pub mod model;
pub mod run;
pub mod state;
pub mod theme;
pub mod tui;
pub mod ui;
