//! The activity monitor's data and the pure logic over it: sessions of pg_stat_activity, parallel
//! workers grouped under their leader, the blocking forest built from `pg_blocking_pids()`, sorting and
//! filtering, server vitals and the rates computed from their counters between two refreshes, and the
//! top statements of pg_stat_statements. No IO here: `db::activity` fills these types, the pane and
//! `pgdeck activity` show them.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde::Serialize;

/// The pid `pg_blocking_pids()` reports for a prepared transaction.
pub const PREPARED_XACT_PID: i32 = 0;

/// What the server reads out for sessions of other roles without `pg_read_all_stats`.
pub const INSUFFICIENT_PRIVILEGE: &str = "<insufficient privilege>";

/// One server process from pg_stat_activity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Session {
    pub pid: i32,
    /// The leader of a parallel worker (`leader_pid`, 13+); `None` for everything else.
    pub leader_pid: Option<i32>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub application: String,
    pub client: Option<String>,
    pub backend_type: String,
    /// `active`, `idle`, `idle in transaction`... `None` for background processes and hidden rows.
    pub state: Option<String>,
    pub wait_event_type: Option<String>,
    pub wait_event: Option<String>,
    /// `backend_start` in microseconds since the epoch: with the pid, the identity of the session
    /// (a signal re-checks both, so a reused pid is never hit). `None` when hidden from this role.
    pub backend_start_us: Option<i64>,
    /// Seconds since the transaction started.
    pub xact_age_s: Option<f64>,
    /// Seconds since the current/last query started.
    pub query_age_s: Option<f64>,
    /// Seconds since the state last changed.
    pub state_age_s: Option<f64>,
    /// `query_id` (14+, when computed).
    pub query_id: Option<i64>,
    /// How many transactions this session holds the xmin horizon back (`age(backend_xmin)`).
    pub xmin_age: Option<i64>,
    /// Pids blocking this session (only asked for sessions waiting on a heavyweight lock).
    pub blocked_by: Vec<i32>,
    /// The lock this session waits for, when it waits for one.
    pub lock: Option<LockWait>,
    /// The query text, or `<insufficient privilege>` as the server says it.
    pub query: String,
    /// One of pgdeck's own connections.
    pub own: bool,
}

/// The ungranted pg_locks row of a waiting session.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LockWait {
    pub locktype: String,
    pub mode: String,
    /// `regclass` text in the current database, the oid elsewhere.
    pub relation: Option<String>,
    /// Seconds since the wait began (`waitstart`, 14+; the state age before).
    pub wait_s: Option<f64>,
}

impl Session {
    /// The server hides this session's details from the connected role.
    pub fn hidden(&self) -> bool {
        self.query == INSUFFICIENT_PRIVILEGE
    }

    /// A parallel worker (grouped under its leader).
    pub fn is_parallel_worker(&self) -> bool {
        self.leader_pid.is_some_and(|l| l != self.pid)
    }

    /// Idle (including the background processes that have no state).
    pub fn is_idle(&self) -> bool {
        matches!(self.state.as_deref(), Some("idle") | None)
    }

    /// Waiting on a heavyweight lock.
    pub fn is_waiting(&self) -> bool {
        self.wait_event_type.as_deref() == Some("Lock") || !self.blocked_by.is_empty()
    }

    /// `type:event`, or empty.
    pub fn wait_label(&self) -> String {
        match (&self.wait_event_type, &self.wait_event) {
            (Some(t), Some(e)) => format!("{t}:{e}"),
            (Some(t), None) => t.clone(),
            _ => String::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lock forest

/// A node of the blocking forest: a session and the sessions waiting on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockNode {
    pub pid: i32,
    /// The mode this session waits for (`None` for a root blocker that waits on nothing).
    pub mode: Option<String>,
    /// The kind of lock waited for (`relation`, `transactionid`, `tuple`, `advisory`...).
    pub locktype: Option<String>,
    pub relation: Option<String>,
    pub wait_s: Option<f64>,
    pub query: Option<String>,
    #[serde(skip)]
    pub user: Option<String>,
    #[serde(skip)]
    pub state: Option<String>,
    #[serde(skip)]
    pub xact_age_s: Option<f64>,
    /// A prepared transaction (pid 0), not a session.
    #[serde(skip)]
    pub prepared: bool,
    /// Distinct sessions blocked under this node, at any depth.
    pub blocks_n: usize,
    /// This session waits on several blockers and its subtree is shown under an earlier one: here it
    /// stands alone (`blocked` empty) so one chain does not repeat.
    pub repeated: bool,
    pub blocked: Vec<LockNode>,
}

/// How deep a chain may go before the walk stops (a guard, as in reference §2.4b).
const MAX_DEPTH: usize = 32;

/// The blocking forest: each root blocker (a session that blocks others and waits on nobody) with the
/// sessions it blocks, recursively. A waiter with two blockers appears under both. A deadlock cycle has
/// no root: its sessions are seeded from the smallest pid so the cycle still shows.
pub fn lock_forest(sessions: &[Session]) -> Vec<LockNode> {
    let by_pid: HashMap<i32, &Session> = sessions.iter().map(|s| (s.pid, s)).collect();
    // blocker -> waiters; parallel workers are reported as their leader, so dedupe.
    let mut waiters: BTreeMap<i32, BTreeSet<i32>> = BTreeMap::new();
    let mut waits_on_someone: BTreeSet<i32> = BTreeSet::new();
    for s in sessions {
        for &b in &s.blocked_by {
            if b == s.pid {
                continue;
            }
            waiters.entry(b).or_default().insert(s.pid);
            waits_on_someone.insert(s.pid);
        }
    }
    let mut roots: Vec<i32> = waiters
        .keys()
        .copied()
        .filter(|b| !waits_on_someone.contains(b))
        .collect();
    // Cycles without a root: seed each not yet covered component from its smallest pid.
    let mut covered: BTreeSet<i32> = BTreeSet::new();
    for &r in &roots {
        collect(r, &waiters, &mut covered, 0);
    }
    for &b in waiters.keys() {
        if !covered.contains(&b) {
            roots.push(b);
            collect(b, &waiters, &mut covered, 0);
        }
    }
    let mut expanded = BTreeSet::new();
    let mut forest: Vec<LockNode> = roots
        .into_iter()
        .map(|r| build(r, &by_pid, &waiters, &mut vec![r], &mut expanded))
        .collect();
    // The biggest pile-up first.
    forest.sort_by(|a, b| b.blocks_n.cmp(&a.blocks_n).then(a.pid.cmp(&b.pid)));
    forest
}

fn collect(
    pid: i32,
    waiters: &BTreeMap<i32, BTreeSet<i32>>,
    seen: &mut BTreeSet<i32>,
    depth: usize,
) {
    if !seen.insert(pid) || depth > MAX_DEPTH {
        return;
    }
    if let Some(ws) = waiters.get(&pid) {
        for &w in ws {
            collect(w, waiters, seen, depth + 1);
        }
    }
}

fn build(
    pid: i32,
    by_pid: &HashMap<i32, &Session>,
    waiters: &BTreeMap<i32, BTreeSet<i32>>,
    path: &mut Vec<i32>,
    expanded: &mut BTreeSet<i32>,
) -> LockNode {
    let s = by_pid.get(&pid);
    let mut blocked = Vec::new();
    let repeated = !expanded.insert(pid);
    if !repeated
        && path.len() <= MAX_DEPTH
        && let Some(ws) = waiters.get(&pid)
    {
        for &w in ws {
            if path.contains(&w) {
                continue;
            }
            path.push(w);
            blocked.push(build(w, by_pid, waiters, path, expanded));
            path.pop();
        }
    }
    let mut under = BTreeSet::new();
    collect(pid, waiters, &mut under, 0);
    under.remove(&pid);
    LockNode {
        pid,
        mode: s.and_then(|s| s.lock.as_ref()).map(|l| l.mode.clone()),
        locktype: s.and_then(|s| s.lock.as_ref()).map(|l| l.locktype.clone()),
        relation: s
            .and_then(|s| s.lock.as_ref())
            .and_then(|l| l.relation.clone()),
        wait_s: s.and_then(|s| s.lock.as_ref()).and_then(|l| l.wait_s),
        query: s.map(|s| s.query.clone()),
        user: s.and_then(|s| s.user.clone()),
        state: s.and_then(|s| s.state.clone()),
        xact_age_s: s.and_then(|s| s.xact_age_s),
        prepared: pid == PREPARED_XACT_PID,
        blocks_n: under.len(),
        repeated,
        blocked,
    }
}

/// How many sessions `pid` blocks, directly or through others.
pub fn blocks_count(forest: &[LockNode], pid: i32) -> usize {
    fn find(n: &LockNode, pid: i32) -> Option<usize> {
        if n.pid == pid {
            return Some(n.blocks_n);
        }
        n.blocked.iter().find_map(|b| find(b, pid))
    }
    forest.iter().find_map(|n| find(n, pid)).unwrap_or(0)
}

/// The forest flattened for a tree view: (depth, node) in display order.
pub fn flatten(forest: &[LockNode]) -> Vec<(usize, &LockNode)> {
    fn walk<'a>(n: &'a LockNode, depth: usize, out: &mut Vec<(usize, &'a LockNode)>) {
        out.push((depth, n));
        for b in &n.blocked {
            walk(b, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    for n in forest {
        walk(n, 0, &mut out);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Sorting, filtering, grouping

/// A column to sort the session table by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    Pid,
    User,
    Database,
    Application,
    State,
    Wait,
    #[default]
    XactAge,
    QueryAge,
    StateAge,
    BlockedBy,
    Query,
}

impl SortKey {
    /// Every key, in the order `s` cycles through them.
    pub const ALL: [SortKey; 11] = [
        SortKey::Pid,
        SortKey::User,
        SortKey::Database,
        SortKey::Application,
        SortKey::State,
        SortKey::Wait,
        SortKey::XactAge,
        SortKey::QueryAge,
        SortKey::StateAge,
        SortKey::BlockedBy,
        SortKey::Query,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Pid => "pid",
            SortKey::User => "user",
            SortKey::Database => "database",
            SortKey::Application => "application",
            SortKey::State => "state",
            SortKey::Wait => "wait",
            SortKey::XactAge => "xact age",
            SortKey::QueryAge => "query age",
            SortKey::StateAge => "state age",
            SortKey::BlockedBy => "blocked by",
            SortKey::Query => "query",
        }
    }

    /// The next key in [`SortKey::ALL`].
    pub fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }

    /// Ages and pids read best largest first.
    pub fn natural_descending(self) -> bool {
        matches!(
            self,
            SortKey::XactAge | SortKey::QueryAge | SortKey::StateAge | SortKey::BlockedBy
        )
    }
}

fn cmp_opt_f64(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    // None sorts as the smallest.
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

fn compare(a: &Session, b: &Session, key: SortKey) -> std::cmp::Ordering {
    let o = match key {
        SortKey::Pid => a.pid.cmp(&b.pid),
        SortKey::User => a.user.cmp(&b.user),
        SortKey::Database => a.database.cmp(&b.database),
        SortKey::Application => a.application.cmp(&b.application),
        SortKey::State => a.state.cmp(&b.state),
        SortKey::Wait => a.wait_label().cmp(&b.wait_label()),
        SortKey::XactAge => cmp_opt_f64(a.xact_age_s, b.xact_age_s),
        SortKey::QueryAge => cmp_opt_f64(a.query_age_s, b.query_age_s),
        SortKey::StateAge => cmp_opt_f64(a.state_age_s, b.state_age_s),
        SortKey::BlockedBy => a.blocked_by.len().cmp(&b.blocked_by.len()),
        SortKey::Query => a.query.cmp(&b.query),
    };
    o.then(a.pid.cmp(&b.pid))
}

/// Which sessions the table shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub hide_idle: bool,
    pub only_waiting: bool,
    /// Text typed by the user: words must all match; `db:NAME`, `user:NAME`, `app:NAME` match that
    /// field exactly (case-insensitive), other words any of pid, user, database, application, client,
    /// state, wait event and query as a substring.
    pub text: String,
}

impl Filter {
    /// Whether the filter shows `s`.
    pub fn matches(&self, s: &Session) -> bool {
        if self.hide_idle && s.is_idle() && !s.hidden() {
            return false;
        }
        if self.only_waiting && !s.is_waiting() {
            return false;
        }
        let eq = |v: Option<&str>, want: &str| v.is_some_and(|v| v.eq_ignore_ascii_case(want));
        for word in self.text.split_whitespace() {
            let ok = if let Some(v) = word.strip_prefix("db:") {
                eq(s.database.as_deref(), v)
            } else if let Some(v) = word.strip_prefix("user:") {
                eq(s.user.as_deref(), v)
            } else if let Some(v) = word.strip_prefix("app:") {
                eq(Some(s.application.as_str()), v)
            } else {
                let w = word.to_lowercase();
                let has = |v: &str| v.to_lowercase().contains(&w);
                s.pid.to_string() == word
                    || s.user.as_deref().is_some_and(has)
                    || s.database.as_deref().is_some_and(has)
                    || has(&s.application)
                    || s.client.as_deref().is_some_and(has)
                    || s.state.as_deref().is_some_and(has)
                    || has(&s.wait_label())
                    || has(&s.query)
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// Nothing is filtered out.
    pub fn is_empty(&self) -> bool {
        !self.hide_idle && !self.only_waiting && self.text.trim().is_empty()
    }
}

/// A row of the session table: an index into the session list and whether it is a parallel worker
/// drawn under its leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRef {
    pub index: usize,
    pub worker: bool,
}

/// The table's rows: sessions the filter shows, sorted, each parallel worker right under its leader
/// (workers whose leader is not listed stand alone). A leader shown brings its workers along.
pub fn table_rows(
    sessions: &[Session],
    filter: &Filter,
    key: SortKey,
    descending: bool,
) -> Vec<RowRef> {
    let present: BTreeSet<i32> = sessions.iter().map(|s| s.pid).collect();
    let mut workers: HashMap<i32, Vec<usize>> = HashMap::new();
    let mut tops: Vec<usize> = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        match s.leader_pid {
            Some(l) if l != s.pid && present.contains(&l) => workers.entry(l).or_default().push(i),
            _ => tops.push(i),
        }
    }
    tops.retain(|&i| filter.matches(&sessions[i]));
    tops.sort_by(|&a, &b| {
        let o = compare(&sessions[a], &sessions[b], key);
        if descending { o.reverse() } else { o }
    });
    let mut out = Vec::with_capacity(sessions.len());
    for i in tops {
        out.push(RowRef {
            index: i,
            worker: false,
        });
        if let Some(ws) = workers.get_mut(&sessions[i].pid) {
            ws.sort_by_key(|&w| sessions[w].pid);
            out.extend(ws.iter().map(|&w| RowRef {
                index: w,
                worker: true,
            }));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Vitals

/// Cumulative counters summed over pg_stat_database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DbCounters {
    pub xact_commit: i64,
    pub xact_rollback: i64,
    pub tup_returned: i64,
    pub tup_fetched: i64,
    pub tup_inserted: i64,
    pub tup_updated: i64,
    pub tup_deleted: i64,
    pub blks_read: i64,
    pub blks_hit: i64,
    pub deadlocks: i64,
    pub temp_files: i64,
    pub temp_bytes: i64,
}

/// What holds the xmin horizon back the most.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct XminHolder {
    /// `backend`, `replication slot` or `prepared transaction`.
    pub kind: String,
    /// The pid, slot name or gid.
    pub name: String,
    /// Transactions behind (`age(xmin)`).
    pub age: i64,
}

/// A standby as the primary sees it (pg_stat_replication).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standby {
    pub name: String,
    pub client: Option<String>,
    pub state: Option<String>,
    pub write_lag_s: Option<f64>,
    pub flush_lag_s: Option<f64>,
    pub replay_lag_s: Option<f64>,
}

/// This server's lag when it is a standby.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandbyLag {
    /// WAL received but not yet replayed, in bytes.
    pub receive_replay_bytes: Option<i64>,
    /// Seconds since the last replayed transaction's commit time.
    pub replay_lag_s: Option<f64>,
}

/// A replication slot and the WAL it retains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slot {
    pub name: String,
    pub kind: String,
    pub active: bool,
    pub retained_bytes: Option<i64>,
}

/// A running maintenance command from pg_stat_progress_*.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub pid: i32,
    /// VACUUM, ANALYZE, CREATE INDEX, CLUSTER, COPY, BASE BACKUP.
    pub command: String,
    pub phase: Option<String>,
    pub relation: Option<String>,
    pub done: Option<i64>,
    pub total: Option<i64>,
}

impl Progress {
    /// Fraction done, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        match (self.done, self.total) {
            (Some(d), Some(t)) if t > 0 => Some((d as f64 / t as f64).clamp(0.0, 1.0)),
            _ => None,
        }
    }
}

/// The server's state at one refresh: the header over the session table.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Vitals {
    /// Server clock at the refresh, seconds since the epoch (for rates).
    pub at_s: f64,
    pub max_connections: i64,
    /// `superuser_reserved_connections` (+ `reserved_connections`, 16+).
    pub reserved_connections: i64,
    /// Client backends by state (`active`, `idle`, `idle in transaction`...).
    pub by_state: Vec<(String, i64)>,
    /// Client backends in all.
    pub connections: i64,
    pub counters: DbCounters,
    /// The longest open transaction: (pid, seconds).
    pub longest_xact: Option<(i32, f64)>,
    pub oldest_xmin: Option<XminHolder>,
    /// The database with the oldest datfrozenxid and its age.
    pub oldest_frozen: Option<(String, i64)>,
    pub in_recovery: bool,
    pub standbys: Vec<Standby>,
    pub standby_lag: Option<StandbyLag>,
    pub slots: Vec<Slot>,
    pub progress: Vec<Progress>,
}

/// The XID age at which the server stops assigning XIDs (2^31 minus the safety margin, rounded).
pub const WRAPAROUND_LIMIT: i64 = 2_147_483_647;

impl Vitals {
    /// Connections a non-superuser may still open: `max_connections` minus the reserved ones.
    pub fn usable_connections(&self) -> i64 {
        (self.max_connections - self.reserved_connections).max(1)
    }

    /// Fraction of the usable connections in use.
    pub fn connection_ratio(&self) -> f64 {
        (self.connections as f64 / self.usable_connections() as f64).clamp(0.0, 1.0)
    }

    /// Count of client backends in `state`.
    pub fn in_state(&self, state: &str) -> i64 {
        self.by_state
            .iter()
            .filter(|(s, _)| s == state)
            .map(|(_, n)| *n)
            .sum()
    }
}

/// Fill the session-derived vitals from the session list (one pg_stat_activity scan per refresh):
/// client backends by state, the longest transaction, and the backend holding the xmin horizon when it
/// holds it further back than the slot or prepared transaction already found.
pub fn complete_vitals(v: &mut Vitals, sessions: &[Session]) {
    let mut by_state: BTreeMap<String, i64> = BTreeMap::new();
    let mut connections = 0;
    for s in sessions
        .iter()
        .filter(|s| s.backend_type == "client backend")
    {
        connections += 1;
        *by_state
            .entry(s.state.clone().unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
    }
    v.connections = connections;
    v.by_state = by_state.into_iter().collect();
    v.longest_xact = sessions
        .iter()
        .filter(|s| s.backend_type == "client backend")
        .filter_map(|s| s.xact_age_s.map(|a| (s.pid, a)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some(b) = sessions
        .iter()
        .filter_map(|s| s.xmin_age.map(|a| (s.pid, a)))
        .max_by_key(|(_, a)| *a)
        && v.oldest_xmin.as_ref().is_none_or(|x| x.age < b.1)
    {
        v.oldest_xmin = Some(XminHolder {
            kind: "backend".into(),
            name: b.0.to_string(),
            age: b.1,
        });
    }
}

/// Whether a pg_stat_progress_* view can have a row: an autovacuum worker, a WAL sender (base
/// backup), or an active client backend whose statement is (or may be, when hidden) a VACUUM, ANALYZE,
/// CREATE INDEX, REINDEX, CLUSTER, COPY or a statement that runs one (ALTER TABLE, REFRESH). The
/// progress query scans every backend once per view, so it runs only then.
pub fn may_have_progress(sessions: &[Session]) -> bool {
    const VERBS: [&str; 8] = [
        "vacuum", "analyze", "analyse", "create", "reindex", "cluster", "copy", "alter",
    ];
    sessions.iter().any(|s| match s.backend_type.as_str() {
        "autovacuum worker" | "walsender" => true,
        "client backend" if s.hidden() => true,
        "client backend" if s.state.as_deref() == Some("active") => {
            let q = s.query.trim_start().to_ascii_lowercase();
            let q = skip_comments(&q);
            VERBS.iter().any(|v| q.starts_with(v)) || q.starts_with("refresh")
        }
        _ => false,
    })
}

fn skip_comments(mut q: &str) -> &str {
    loop {
        q = q.trim_start();
        if let Some(r) = q.strip_prefix("--") {
            q = r.find('\n').map_or("", |i| &r[i + 1..]);
        } else if let Some(r) = q.strip_prefix("/*") {
            q = r.find("*/").map_or("", |i| &r[i + 2..]);
        } else {
            return q;
        }
    }
}

/// Per-second rates between two refreshes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rates {
    pub tps: f64,
    pub commits_s: f64,
    pub rollbacks_s: f64,
    /// Tuples returned + fetched per second.
    pub reads_s: f64,
    /// Tuples inserted + updated + deleted per second.
    pub writes_s: f64,
    /// Shared-buffer hit ratio of the blocks read in the interval; `None` when nothing was read.
    pub hit_ratio: Option<f64>,
    pub deadlocks: i64,
    pub temp_files: i64,
    pub temp_bytes: i64,
}

/// Rates from two samples `(at_s, counters)`. `None` when no time passed or a counter went
/// backwards (statistics reset): a reset must not draw a negative spike.
pub fn rates(prev: (f64, &DbCounters), cur: (f64, &DbCounters)) -> Option<Rates> {
    let dt = cur.0 - prev.0;
    if dt <= 0.0 {
        return None;
    }
    let (p, c) = (prev.1, cur.1);
    let d = |a: i64, b: i64| -> Option<i64> { (b >= a).then_some(b - a) };
    let commits = d(p.xact_commit, c.xact_commit)?;
    let rollbacks = d(p.xact_rollback, c.xact_rollback)?;
    let reads = d(p.tup_returned, c.tup_returned)? + d(p.tup_fetched, c.tup_fetched)?;
    let writes = d(p.tup_inserted, c.tup_inserted)?
        + d(p.tup_updated, c.tup_updated)?
        + d(p.tup_deleted, c.tup_deleted)?;
    let hit = d(p.blks_hit, c.blks_hit)?;
    let read = d(p.blks_read, c.blks_read)?;
    Some(Rates {
        tps: (commits + rollbacks) as f64 / dt,
        commits_s: commits as f64 / dt,
        rollbacks_s: rollbacks as f64 / dt,
        reads_s: reads as f64 / dt,
        writes_s: writes as f64 / dt,
        hit_ratio: (hit + read > 0).then(|| hit as f64 / (hit + read) as f64),
        deadlocks: d(p.deadlocks, c.deadlocks)?,
        temp_files: d(p.temp_files, c.temp_files)?,
        temp_bytes: d(p.temp_bytes, c.temp_bytes)?,
    })
}

/// The last rates, for sparklines: a bounded ring fed once per refresh.
#[derive(Debug, Clone, Default)]
pub struct History {
    last: Option<(f64, DbCounters)>,
    pub samples: VecDeque<Rates>,
    cap: usize,
}

impl History {
    /// Keeps `cap` samples (e.g. 5 minutes at 2 s = 150).
    pub fn new(cap: usize) -> History {
        History {
            last: None,
            samples: VecDeque::with_capacity(cap),
            cap: cap.max(1),
        }
    }

    /// Add the counters of a refresh; returns the new rates if there was an earlier sample.
    pub fn push(&mut self, at_s: f64, counters: DbCounters) -> Option<Rates> {
        let r = self
            .last
            .as_ref()
            .and_then(|(t, c)| rates((*t, c), (at_s, &counters)));
        self.last = Some((at_s, counters));
        if let Some(r) = r {
            if self.samples.len() == self.cap {
                self.samples.pop_front();
            }
            self.samples.push_back(r);
        }
        r
    }

    /// The latest rates.
    pub fn latest(&self) -> Option<&Rates> {
        self.samples.back()
    }

    /// One series scaled to u64 for a sparkline (`scale` multiplies before rounding).
    pub fn series(&self, f: impl Fn(&Rates) -> f64, scale: f64) -> Vec<u64> {
        self.samples
            .iter()
            .map(|r| (f(r) * scale).max(0.0).round() as u64)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshot, top statements, signals

/// One refresh of the monitor: sessions (with their lock waits) and the vitals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    pub sessions: Vec<Session>,
    pub vitals: Vitals,
}

/// A row of pg_stat_statements.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TopStatement {
    pub queryid: Option<i64>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub query: String,
    pub calls: i64,
    /// Planning + execution time in ms (execution only before 1.8).
    pub total_ms: f64,
    pub mean_ms: f64,
    pub rows: i64,
    pub hit_ratio: Option<f64>,
    pub temp_blks: i64,
}

/// The order of the top statements view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatementOrder {
    #[default]
    TotalTime,
    MeanTime,
    Calls,
    Rows,
    /// Worst hit ratio first.
    HitRatio,
    TempBlocks,
}

impl StatementOrder {
    pub const ALL: [StatementOrder; 6] = [
        StatementOrder::TotalTime,
        StatementOrder::MeanTime,
        StatementOrder::Calls,
        StatementOrder::Rows,
        StatementOrder::HitRatio,
        StatementOrder::TempBlocks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StatementOrder::TotalTime => "total time",
            StatementOrder::MeanTime => "mean time",
            StatementOrder::Calls => "calls",
            StatementOrder::Rows => "rows",
            StatementOrder::HitRatio => "hit ratio",
            StatementOrder::TempBlocks => "temp blocks",
        }
    }

    pub fn next(self) -> StatementOrder {
        let i = Self::ALL.iter().position(|k| *k == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

/// Sort top statements in place.
pub fn sort_statements(list: &mut [TopStatement], order: StatementOrder) {
    list.sort_by(|a, b| match order {
        StatementOrder::TotalTime => b.total_ms.total_cmp(&a.total_ms),
        StatementOrder::MeanTime => b.mean_ms.total_cmp(&a.mean_ms),
        StatementOrder::Calls => b.calls.cmp(&a.calls),
        StatementOrder::Rows => b.rows.cmp(&a.rows),
        StatementOrder::HitRatio => a
            .hit_ratio
            .unwrap_or(1.0)
            .total_cmp(&b.hit_ratio.unwrap_or(1.0)),
        StatementOrder::TempBlocks => b.temp_blks.cmp(&a.temp_blks),
    });
}

/// Parse an extension version such as `1.10` into (major, minor).
pub fn ext_version(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|p| p.trim().parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Cancel (the statement) or terminate (the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Signal {
    Cancel,
    Terminate,
}

impl Signal {
    pub fn verb(self) -> &'static str {
        match self {
            Signal::Cancel => "cancel",
            Signal::Terminate => "terminate",
        }
    }
}

/// What came of a signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SignalOutcome {
    Signalled,
    /// The role may not signal that session (the server's message).
    NotPermitted(String),
    /// No session with that pid and start time any more (ended, or the pid was reused).
    AlreadyGone,
    /// pgdeck refused before asking the server (its own connection, a prepared transaction, a
    /// session whose start time is hidden).
    Refused(String),
}

impl SignalOutcome {
    /// A sentence for the status bar and stderr.
    pub fn describe(&self, signal: Signal, pid: i32) -> String {
        match self {
            SignalOutcome::Signalled => match signal {
                Signal::Cancel => format!("pid {pid}: cancel signalled"),
                Signal::Terminate => format!("pid {pid}: terminate signalled"),
            },
            SignalOutcome::NotPermitted(m) => format!("pid {pid}: not permitted: {m}"),
            SignalOutcome::AlreadyGone => {
                format!("pid {pid}: already gone (the session ended or its pid was reused)")
            }
            SignalOutcome::Refused(m) => format!("pid {pid}: refused: {m}"),
        }
    }
}

/// Why pgdeck will not signal `s` itself, before asking the server.
pub fn refuse_reason(s: &Session, own_pids: &[i32]) -> Option<String> {
    if s.pid == PREPARED_XACT_PID {
        return Some(
            "a prepared transaction is no session: end it with COMMIT PREPARED or ROLLBACK PREPARED"
                .into(),
        );
    }
    if s.own || own_pids.contains(&s.pid) {
        return Some("that is one of pgdeck's own connections".into());
    }
    if s.backend_start_us.is_none() {
        return Some(
            "its start time is hidden from this role, so the session cannot be identified safely"
                .into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(pid: i32, blocked_by: &[i32]) -> Session {
        Session {
            pid,
            user: Some("app".into()),
            database: Some("shop".into()),
            state: Some(if blocked_by.is_empty() {
                "idle in transaction".into()
            } else {
                "active".into()
            }),
            wait_event_type: (!blocked_by.is_empty()).then(|| "Lock".into()),
            wait_event: (!blocked_by.is_empty()).then(|| "relation".into()),
            blocked_by: blocked_by.to_vec(),
            lock: (!blocked_by.is_empty()).then(|| LockWait {
                locktype: "relation".into(),
                mode: "AccessExclusiveLock".into(),
                relation: Some("orders".into()),
                wait_s: Some(1.5),
            }),
            backend_start_us: Some(1),
            query: format!("q{pid}"),
            ..Session::default()
        }
    }

    #[test]
    fn chain_of_three_levels_has_one_root_and_counts() {
        // 10 blocks 11; 11 blocks 12 and 13; 13 also waits on 10 (DAG).
        let ss = vec![
            s(10, &[]),
            s(11, &[10]),
            s(12, &[11]),
            s(13, &[11, 10]),
            s(14, &[]),
        ];
        let f = lock_forest(&ss);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pid, 10);
        assert_eq!(f[0].blocks_n, 3);
        assert_eq!(f[0].mode, None);
        let pids: Vec<(usize, i32)> = flatten(&f).iter().map(|(d, n)| (*d, n.pid)).collect();
        assert_eq!(pids, vec![(0, 10), (1, 11), (2, 12), (2, 13), (1, 13)]);
        assert_eq!(blocks_count(&f, 11), 2);
        assert_eq!(blocks_count(&f, 14), 0);
        let n11 = &f[0].blocked[0];
        assert_eq!(n11.mode.as_deref(), Some("AccessExclusiveLock"));
        assert_eq!(n11.relation.as_deref(), Some("orders"));
    }

    #[test]
    fn prepared_transaction_blocker_is_pid_zero() {
        let ss = vec![s(20, &[0]), s(21, &[0])];
        let f = lock_forest(&ss);
        assert_eq!(f.len(), 1);
        assert!(f[0].prepared);
        assert_eq!(f[0].query, None);
        assert_eq!(f[0].blocks_n, 2);
    }

    #[test]
    fn deadlock_cycle_without_root_still_shows() {
        let ss = vec![s(30, &[31]), s(31, &[30])];
        let f = lock_forest(&ss);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pid, 30);
        assert_eq!(f[0].blocked[0].pid, 31);
        assert!(f[0].blocked[0].blocked.is_empty());
    }

    #[test]
    fn two_roots_biggest_first_and_duplicate_leader_pids_dedupe() {
        let ss = vec![s(1, &[]), s(2, &[1]), s(5, &[]), s(6, &[5, 5]), s(7, &[5])];
        let f = lock_forest(&ss);
        assert_eq!(f.iter().map(|n| n.pid).collect::<Vec<_>>(), vec![5, 1]);
        assert_eq!(f[0].blocked.len(), 2);
    }

    #[test]
    fn workers_follow_leader_and_filters_apply() {
        let mut leader = s(100, &[]);
        leader.state = Some("active".into());
        leader.xact_age_s = Some(5.0);
        let mut w1 = s(102, &[]);
        w1.leader_pid = Some(100);
        w1.backend_type = "parallel worker".into();
        let mut w2 = s(101, &[]);
        w2.leader_pid = Some(100);
        let mut idle = s(50, &[]);
        idle.state = Some("idle".into());
        idle.xact_age_s = None;
        let mut old = s(60, &[]);
        old.xact_age_s = Some(50.0);
        let ss = vec![w1, idle, leader, old, w2];
        let rows = table_rows(&ss, &Filter::default(), SortKey::XactAge, true);
        let pids: Vec<(i32, bool)> = rows.iter().map(|r| (ss[r.index].pid, r.worker)).collect();
        assert_eq!(
            pids,
            vec![
                (60, false),
                (100, false),
                (101, true),
                (102, true),
                (50, false)
            ]
        );
        let f = Filter {
            hide_idle: true,
            ..Filter::default()
        };
        let rows = table_rows(&ss, &f, SortKey::Pid, false);
        let pids: Vec<i32> = rows.iter().map(|r| ss[r.index].pid).collect();
        assert_eq!(pids, vec![60, 100, 101, 102]);
    }

    #[test]
    fn text_filter_fields_and_words() {
        let mut a = s(1, &[]);
        a.application = "billing".into();
        let mut b = s(2, &[9]);
        b.database = Some("other".into());
        let f = |t: &str| Filter {
            text: t.into(),
            ..Filter::default()
        };
        assert!(f("app:Billing").matches(&a));
        assert!(!f("app:billing").matches(&b));
        assert!(f("db:other q2").matches(&b));
        assert!(!f("db:other q1").matches(&b));
        assert!(f("2").matches(&b));
        let w = Filter {
            only_waiting: true,
            ..Filter::default()
        };
        assert!(w.matches(&b) && !w.matches(&a));
        // hidden rows survive hide-idle: their state is unknown, not idle
        let mut h = s(3, &[]);
        h.state = None;
        h.query = INSUFFICIENT_PRIVILEGE.into();
        assert!(
            Filter {
                hide_idle: true,
                ..Filter::default()
            }
            .matches(&h)
        );
    }

    #[test]
    fn rates_between_samples_and_reset() {
        let a = DbCounters {
            xact_commit: 100,
            xact_rollback: 10,
            blks_hit: 900,
            blks_read: 100,
            tup_inserted: 5,
            ..DbCounters::default()
        };
        let b = DbCounters {
            xact_commit: 300,
            xact_rollback: 30,
            blks_hit: 1890,
            blks_read: 110,
            tup_inserted: 25,
            ..DbCounters::default()
        };
        let r = rates((10.0, &a), (12.0, &b)).expect("rates");
        assert_eq!(r.tps, 110.0);
        assert_eq!(r.commits_s, 100.0);
        assert_eq!(r.writes_s, 10.0);
        assert_eq!(r.hit_ratio, Some(0.99));
        assert!(rates((12.0, &b), (14.0, &a)).is_none(), "reset");
        assert!(rates((12.0, &a), (12.0, &a)).is_none(), "no time");
        let mut h = History::new(2);
        assert!(h.push(0.0, a).is_none());
        h.push(2.0, b);
        h.push(4.0, b);
        h.push(6.0, b);
        assert_eq!(h.samples.len(), 2);
        assert_eq!(h.series(|r| r.tps, 1.0), vec![0, 0]);
    }

    #[test]
    fn vitals_from_sessions() {
        let mut a = s(1, &[]);
        a.backend_type = "client backend".into();
        a.xact_age_s = Some(9.0);
        a.xmin_age = Some(500);
        let mut b = s(2, &[1]);
        b.backend_type = "client backend".into();
        b.xact_age_s = Some(3.0);
        let mut bg = s(3, &[]);
        bg.backend_type = "autovacuum launcher".into();
        bg.state = None;
        bg.xact_age_s = Some(99.0);
        let mut v = Vitals {
            oldest_xmin: Some(XminHolder {
                kind: "replication slot".into(),
                name: "s".into(),
                age: 100,
            }),
            ..Vitals::default()
        };
        complete_vitals(&mut v, &[a, b, bg]);
        assert_eq!(v.connections, 2);
        assert_eq!(v.in_state("active"), 1);
        assert_eq!(v.in_state("idle in transaction"), 1);
        assert_eq!(v.longest_xact, Some((1, 9.0)));
        assert_eq!(v.oldest_xmin.as_ref().map(|x| x.name.as_str()), Some("1"));
    }

    #[test]
    fn progress_only_when_something_can_report_it() {
        let mut a = s(1, &[]);
        a.backend_type = "client backend".into();
        a.state = Some("active".into());
        a.query = "select 1".into();
        assert!(!may_have_progress(std::slice::from_ref(&a)));
        a.query = "/* app */ -- x\n CREATE INDEX CONCURRENTLY i ON t (a)".into();
        assert!(may_have_progress(std::slice::from_ref(&a)));
        a.query = INSUFFICIENT_PRIVILEGE.into();
        assert!(may_have_progress(std::slice::from_ref(&a)));
        let mut av = s(2, &[]);
        av.backend_type = "autovacuum worker".into();
        assert!(may_have_progress(&[av]));
    }

    #[test]
    fn vitals_usable_connections() {
        let v = Vitals {
            max_connections: 100,
            reserved_connections: 3,
            connections: 97,
            by_state: vec![("active".into(), 2), ("idle".into(), 95)],
            ..Vitals::default()
        };
        assert_eq!(v.usable_connections(), 97);
        assert_eq!(v.connection_ratio(), 1.0);
        assert_eq!(v.in_state("idle"), 95);
    }

    #[test]
    fn refusals_and_versions() {
        let mut me = s(5, &[]);
        me.own = true;
        assert!(refuse_reason(&me, &[]).is_some());
        assert!(refuse_reason(&s(6, &[]), &[6]).is_some());
        assert!(refuse_reason(&s(0, &[]), &[]).is_some());
        let mut hidden = s(7, &[]);
        hidden.backend_start_us = None;
        assert!(refuse_reason(&hidden, &[]).is_some());
        assert!(refuse_reason(&s(8, &[]), &[1, 2]).is_none());
        assert_eq!(ext_version("1.10"), (1, 10));
        assert_eq!(ext_version("1.8"), (1, 8));
        assert!(ext_version("1.10") > ext_version("1.8"));
    }

    #[test]
    fn statements_sort() {
        let mk = |q: &str, total: f64, hit: Option<f64>| TopStatement {
            query: q.into(),
            total_ms: total,
            hit_ratio: hit,
            ..TopStatement::default()
        };
        let mut l = vec![
            mk("a", 1.0, Some(0.5)),
            mk("b", 9.0, None),
            mk("c", 5.0, Some(0.9)),
        ];
        sort_statements(&mut l, StatementOrder::TotalTime);
        assert_eq!(l[0].query, "b");
        sort_statements(&mut l, StatementOrder::HitRatio);
        assert_eq!(l[0].query, "a");
    }
}
