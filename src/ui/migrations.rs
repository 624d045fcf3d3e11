//! The schema browser's `migrations` node: a table whose name is a migration tool's history table
//! gets one under its schema, opening the applied history (`model::migrations::History::lines`)
//! in the detail area. Reading the history is `db::migrations`' job.

use crate::model::migrations::guess_by_name;

/// The label of the `migrations` node of a table, when its name is a tool's history table's.
pub fn node_label(schema: &str, table: &str) -> Option<String> {
    guess_by_name(schema, table).map(|tools| format!("migrations: {tools}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_history_tables_get_a_node() {
        assert_eq!(
            node_label("public", "_prisma_migrations").as_deref(),
            Some("migrations: Prisma")
        );
        assert_eq!(
            node_label("sqitch", "changes").as_deref(),
            Some("migrations: Sqitch")
        );
        assert_eq!(node_label("public", "changes"), None);
        assert_eq!(node_label("public", "users"), None);
    }
}
