//! Pure data and analysis: parsing, data types, no IO. Never imports ratatui, crossterm or tokio-postgres,
//! so everything here is unit-tested on fixtures.

pub mod activity;
pub mod catalog;
pub mod completion;
pub mod ddl;
pub mod export;
pub mod health;
pub mod ident;
pub mod migrations;
pub mod plan;
pub mod psql_meta;
pub mod result_set;
pub mod safety;
pub mod server;
pub mod settings;
pub mod sql_keywords;
pub mod sql_lex;
pub mod sql_split;
pub mod table;
pub mod table_detail;
pub mod text;
pub mod tune;
pub mod txn;
