//! Command tags (the text of CommandComplete: `UPDATE 3`, `INSERT 0 1`, `CREATE TABLE`) read into
//! the command and its row count. Pure text handling; it must not guess anything the tag does not
//! say.

/// A command tag split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandTag<'a> {
    /// The command words, e.g. `UPDATE`, `CREATE TABLE`, `INSERT`.
    pub command: &'a str,
    /// The number of rows the command processed, for the commands whose tag carries one
    /// (SELECT, INSERT, UPDATE, DELETE, MERGE, FETCH, MOVE, COPY; CREATE TABLE AS reports SELECT).
    pub rows: Option<u64>,
}

/// Splits a tag: the command is everything before the first number, the row count the last
/// number (`INSERT oid rows` carries an oid, always 0 since PostgreSQL 12, before the count).
pub fn parse_tag(tag: &str) -> CommandTag<'_> {
    let tag = tag.trim_end();
    let is_number = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
    let first_number = tag
        .split(' ')
        .scan(0usize, |at, word| {
            let start = *at;
            *at += word.len() + 1;
            Some((start, word))
        })
        .find(|&(start, word)| start > 0 && is_number(word))
        .map(|(start, _)| start);
    match first_number {
        Some(start) => {
            let last = tag.rsplit(' ').next().unwrap_or_default();
            CommandTag {
                command: tag[..start].trim_end(),
                rows: last.parse().ok(),
            }
        }
        None => CommandTag {
            command: tag,
            rows: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tags_of_the_commands_that_count_rows() {
        let t = |s| parse_tag(s);
        assert_eq!(t("SELECT 5").rows, Some(5));
        assert_eq!(t("SELECT 5").command, "SELECT");
        assert_eq!(t("INSERT 0 3").rows, Some(3));
        assert_eq!(t("INSERT 0 3").command, "INSERT");
        assert_eq!(t("UPDATE 0").rows, Some(0));
        assert_eq!(t("DELETE 18446744073709551615").rows, Some(u64::MAX));
        assert_eq!(t("MERGE 2").rows, Some(2));
        assert_eq!(t("COPY 1000000").rows, Some(1_000_000));
        assert_eq!(t("FETCH 10").rows, Some(10));
        assert_eq!(t("MOVE 1").rows, Some(1));
    }

    #[test]
    fn tags_without_counts() {
        for tag in [
            "CREATE TABLE",
            "BEGIN",
            "ROLLBACK",
            "SET",
            "DO",
            "DROP INDEX",
            "",
        ] {
            assert_eq!(
                parse_tag(tag),
                CommandTag {
                    command: tag,
                    rows: None
                }
            );
        }
        // A count too large for u64 is no count, not a panic.
        assert_eq!(parse_tag("SELECT 99999999999999999999999").rows, None);
        // A number as the first word is part of the command.
        assert_eq!(parse_tag("42").rows, None);
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>()) {
            let t = parse_tag(&s);
            prop_assert!(s.starts_with(t.command));
        }

        #[test]
        fn counts_round_trip(cmd in "[A-Z]{1,8}( [A-Z]{1,8})?", n in any::<u64>(), oid in any::<bool>()) {
            let tag = if oid { format!("{cmd} 0 {n}") } else { format!("{cmd} {n}") };
            let t = parse_tag(&tag);
            prop_assert_eq!(t.rows, Some(n));
            prop_assert_eq!(t.command, cmd.as_str());
        }
    }
}
