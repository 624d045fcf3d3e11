//! EXPLAIN of a user statement on the work connection: builds the statement with
//! [`crate::model::plan::statement`], runs it, and under ANALYZE wraps a statement that writes in
//! BEGIN … ROLLBACK (a savepoint inside an open transaction), so nothing it changes stays. Returns
//! the JSON text; parsing and analysis are the model's. Must not leave a transaction open.
//!
//! Every EXPLAIN ANALYZE runs inside BEGIN … ROLLBACK, not only those the statement text says
//! write: a query can call a function that writes. Inside the user's open transaction every
//! EXPLAIN (with or without ANALYZE) runs under a savepoint, so that a failing statement leaves
//! the transaction usable instead of aborted.

use super::DbError;
use super::wire::WireConn;
use crate::model::plan::K;
use crate::model::plan::advice::IndexInfo;
use crate::model::plan::statement::{self, ExplainOptions};

const PLAN_INDEXES: &str = include_str!("sql/plan_indexes.sql");
use crate::model::txn::TxStatus;

/// What an EXPLAIN returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    /// The statement explained (as the user wrote it).
    pub statement: String,
    /// The EXPLAIN sent.
    pub explain_sql: String,
    /// EXPLAIN (FORMAT JSON) output.
    pub json: String,
    /// The statement wrote and was rolled back.
    pub rolled_back: bool,
    /// The indexes of the tables the plan reads, to check index suggestions against; `None` when
    /// they could not be read.
    pub indexes: Option<Vec<IndexInfo>>,
}

/// Run EXPLAIN of `sql` with `opts` on `conn`.
pub async fn explain(
    conn: &mut WireConn,
    sql: &str,
    opts: ExplainOptions,
    version_num: u32,
) -> Result<Explained, DbError> {
    let built = statement::build(sql, opts, version_num).map_err(DbError::Refused)?;
    let in_tx = conn.tx_status() != TxStatus::Idle;
    if conn.tx_status() == TxStatus::Failed {
        return Err(DbError::Refused(
            "the transaction has failed: ROLLBACK first, then explain".into(),
        ));
    }
    let wrap = in_tx || opts.analyze;
    if wrap {
        let open = if in_tx {
            "SAVEPOINT pgdeck_explain"
        } else {
            "BEGIN"
        };
        conn.batch_execute(open).await?;
    }
    let result = conn.first_value(&built.sql).await;
    // Inside the same transaction or savepoint, so a failure here cannot hurt the user's.
    let indexes = match &result {
        Ok(Some(json)) => plan_indexes(conn, json).await,
        _ => None,
    };
    if wrap {
        let close = if in_tx {
            "ROLLBACK TO SAVEPOINT pgdeck_explain; RELEASE SAVEPOINT pgdeck_explain"
        } else {
            "ROLLBACK"
        };
        conn.batch_execute(close).await?;
    }
    let json = result?.ok_or_else(|| DbError::Other("EXPLAIN returned no plan".into()))?;
    Ok(Explained {
        statement: sql.trim().to_string(),
        explain_sql: built.sql,
        json,
        rolled_back: built.rollback,
        indexes,
    })
}

/// The indexes of the tables `plan_json` reads (`None`: none named, or the lookup failed).
async fn plan_indexes(conn: &mut WireConn, plan_json: &str) -> Option<Vec<IndexInfo>> {
    let plan = crate::model::plan::parse(plan_json).ok()?;
    let mut rels: Vec<(Option<&str>, &str)> = Vec::new();
    for n in &plan.nodes {
        if let Some(r) = n.str(K::RelationName) {
            let key = (n.str(K::Schema), r);
            if !rels.contains(&key) {
                rels.push(key);
            }
        }
    }
    if rels.is_empty() {
        return Some(Vec::new());
    }
    let list = serde_json::to_string(&rels).ok()?;
    const TAG: &str = "$pgdeck_rels$";
    if list.contains(TAG) {
        return None;
    }
    let sql = PLAN_INDEXES.replace(":rels", &format!("{TAG}{list}{TAG}"));
    match conn.first_value(&sql).await {
        Ok(Some(v)) => serde_json::from_str(&v).ok(),
        Ok(None) => Some(Vec::new()),
        Err(e) => {
            tracing::debug!("plan indexes: {e}");
            None
        }
    }
}
