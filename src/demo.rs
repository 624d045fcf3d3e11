//! The demo: a [`TempCluster`] holding the `pgdeck_demo` database (a blog and a shop with the
//! mistakes real schemas carry, from `assets/demo/`) and a background workload that gives the
//! activity view something to show.
//!
//! Owns: loading the demo SQL, the cache of loaded data dirs (`demo-<major>-<hash>` in the user
//! cache dir) and the workload tasks. Must not: touch any server but its own cluster, print
//! anything (the TUI may own the terminal; everything goes to `tracing`), or let a workload error
//! end the demo.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls};

use crate::cluster::{ClusterOptions, PgBin, TempCluster, pid_alive};

/// The demo database's name.
pub const DEMO_DB: &str = "pgdeck_demo";

/// Environment variable that moves the demo cache (default: the user cache dir).
pub const CACHE_DIR_ENV: &str = "PGDECK_CACHE_DIR";

const SCHEMA_SQL: &str = include_str!("../assets/demo/schema.sql");
const DATA_SQL: &str = include_str!("../assets/demo/data.sql");
const AFTER_LOAD_SQL: &str = include_str!("../assets/demo/after_load.sql");
/// Bump when the cache layout or the way it is filled changes.
const CACHE_FORMAT: &str = "pgdeck demo cache 1";
const STAMP_FILE: &str = "pgdeck-cache-stamp";

/// Server settings of the demo cluster, besides [`TempCluster`]'s own. wal_level=minimal lets the
/// tables created and filled in the load transaction skip the WAL (a faster load); the small WAL
/// sizes keep few recycled segments around, so the data dir to cache is ~170 MB, not ~400 MB.
const DEMO_SETTINGS: [(&str, &str); 5] = [
    ("wal_level", "minimal"),
    ("max_wal_senders", "0"),
    ("min_wal_size", "32MB"),
    ("max_wal_size", "64MB"),
    ("track_io_timing", "on"),
];

const SQL_BOUNDS: &str = include_str!("../assets/demo/workload/bounds.sql");
const SQL_FEED: &str = include_str!("../assets/demo/workload/feed.sql");
const SQL_POST_PAGE: &str = include_str!("../assets/demo/workload/post_page.sql");
const SQL_USER_ORDERS: &str = include_str!("../assets/demo/workload/user_orders.sql");
const SQL_REPORT: &str = include_str!("../assets/demo/workload/report.sql");
const SQL_INSERT_LOG: &str = include_str!("../assets/demo/workload/insert_log.sql");
const SQL_BUMP_VIEWS: &str = include_str!("../assets/demo/workload/bump_views.sql");
const SQL_NEW_ORDER: &str = include_str!("../assets/demo/workload/new_order.sql");
const SQL_ADD_ITEM: &str = include_str!("../assets/demo/workload/add_item.sql");
const SQL_HOLD_SETTINGS: &str = include_str!("../assets/demo/workload/hold_settings.sql");
const SQL_RESTOCK: &str = include_str!("../assets/demo/workload/restock.sql");

/// Where a workload session waits before it reconnects after an error.
const RECONNECT_PAUSE: Duration = Duration::from_secs(2);

/// How [`Demo::start_with`] sets up the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where loaded data dirs are cached; `None` loads afresh every time and caches nothing.
    pub cache_dir: Option<PathBuf>,
}

impl Default for DemoOptions {
    /// Cache in `$PGDECK_CACHE_DIR`, else the user cache dir (`~/.cache/pgdeck` on Linux).
    fn default() -> Self {
        let cache_dir = std::env::var_os(CACHE_DIR_ENV)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                directories::ProjectDirs::from("dev", "pgdeck", "pgdeck")
                    .map(|p| p.cache_dir().to_path_buf())
            });
        DemoOptions { cache_dir }
    }
}

/// A running demo: the cluster, the database name, and the workload once started.
#[derive(Debug)]
pub struct Demo {
    /// The throwaway server; dropping the demo stops it and removes its dir.
    pub cluster: TempCluster,
    /// `pgdeck_demo`.
    pub dbname: String,
    workload: Option<Workload>,
    from_cache: bool,
}

impl Demo {
    /// Start a cluster and load the demo database, or copy it from the cache when a valid copy
    /// for these binaries and assets exists (a fresh load fills the cache).
    pub async fn start() -> Result<Demo> {
        Demo::start_with(DemoOptions::default()).await
    }

    /// [`Demo::start`] with explicit options.
    pub async fn start_with(opts: DemoOptions) -> Result<Demo> {
        let started = Instant::now();
        let bin = blocking(PgBin::find).await?;
        let cache = opts.cache_dir.map(|root| DemoCache::new(root, &bin));
        if let Some(cache) = &cache
            && let Some(template) = cache.valid_template()
        {
            match Demo::from_template(bin.clone(), template).await {
                Ok(demo) => {
                    tracing::info!(
                        "demo restored from {} in {:?}",
                        cache.dir.display(),
                        started.elapsed()
                    );
                    return Ok(demo);
                }
                Err(e) => {
                    tracing::warn!(
                        "demo cache {} is unusable, loading afresh: {e:#}",
                        cache.dir.display()
                    );
                    cache.discard();
                }
            }
        }
        let mut cluster = blocking(move || {
            let cluster = TempCluster::start(demo_options(bin))?;
            cluster.create_database(DEMO_DB)?;
            Ok(cluster)
        })
        .await?;
        let cluster_ready = started.elapsed();
        load(&cluster.conninfo(DEMO_DB)).await?;
        let loaded = started.elapsed();
        if let Some(cache) = cache {
            cluster = blocking(move || {
                cluster.stop_server()?;
                // A failed save costs the next demo a fresh load, nothing more.
                if let Err(e) = cache.save(cluster.data_dir()) {
                    tracing::warn!("saving the demo cache in {}: {e:#}", cache.dir.display());
                }
                cluster.start_server()?;
                Ok(cluster)
            })
            .await?;
        }
        tracing::info!(
            "demo loaded: cluster and database after {cluster_ready:?}, data after {loaded:?}, \
             ready (cache saved) after {:?}",
            started.elapsed()
        );
        Ok(Demo {
            cluster,
            dbname: DEMO_DB.to_string(),
            workload: None,
            from_cache: false,
        })
    }

    /// Whether the data came from the cache rather than a fresh load.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    /// The conninfo of the demo database.
    pub fn conninfo(&self) -> String {
        self.cluster.conninfo(&self.dbname)
    }

    /// Start the background workload: tokio tasks, each with its own connection named
    /// `demo-<role>`. Readers and writers run short queries every 0.2–2 s, `demo-idle` stays idle
    /// in transaction holding a row lock, and every ~20 s `demo-waiter` waits ~5 s for a row
    /// `demo-locker` holds. Errors are logged and the session reconnects after a pause; nothing
    /// here ends the demo. Needs a tokio runtime; a second call does nothing.
    pub fn start_workload(&mut self) -> Result<()> {
        if self.workload.is_some() {
            return Ok(());
        }
        let runtime = tokio::runtime::Handle::try_current()
            .context("Demo::start_workload must be called inside a tokio runtime")?;
        let conninfo = self.conninfo();
        let roles = [
            ("demo-reader-1", Role::Reader),
            ("demo-reader-2", Role::Reader),
            ("demo-writer", Role::Writer),
            ("demo-shop", Role::Shopper),
            ("demo-idle", Role::IdleInTransaction),
            ("demo-locks", Role::LockWait),
        ];
        let tasks = roles
            .into_iter()
            .enumerate()
            .map(|(i, (name, role))| {
                runtime.spawn(run_role(
                    conninfo.clone(),
                    name,
                    role,
                    Rng::seeded(i as u64),
                ))
            })
            .collect();
        self.workload = Some(Workload { tasks });
        Ok(())
    }

    /// Stop the workload tasks, then the cluster (its dir is removed).
    pub async fn stop(self) {
        let Demo {
            mut cluster,
            workload,
            ..
        } = self;
        if let Some(workload) = workload {
            workload.stop().await;
        }
        if let Err(e) = tokio::task::spawn_blocking(move || cluster.stop()).await {
            tracing::warn!("stopping the demo cluster: {e}");
        }
    }

    async fn from_template(bin: PgBin, template: PathBuf) -> Result<Demo> {
        let cluster =
            blocking(move || TempCluster::start(demo_options(bin).template(template))).await?;
        let (client, _conn) = connect(&cluster.conninfo(DEMO_DB), "pgdeck demo loader").await?;
        // A cheap proof that the copy holds the loaded database, not just a data dir.
        let users: i64 = client
            .query_one("SELECT count(*) FROM public.users", &[])
            .await
            .context("counting the demo users")?
            .get(0);
        if users == 0 {
            bail!("the cached demo database has no users");
        }
        Ok(Demo {
            cluster,
            dbname: DEMO_DB.to_string(),
            workload: None,
            from_cache: true,
        })
    }
}

fn demo_options(bin: PgBin) -> ClusterOptions {
    DEMO_SETTINGS
        .iter()
        .fold(ClusterOptions::default().bin(bin), |opts, (k, v)| {
            opts.setting(*k, *v)
        })
}

/// Run blocking cluster work off the async threads.
async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .context("a blocking demo task panicked")?
}

/// Schema and data in one transaction (see [`DEMO_SETTINGS`]), then the churn in its own.
async fn load(conninfo: &str) -> Result<()> {
    let (client, _conn) = connect(conninfo, "pgdeck demo loader").await?;
    client
        .batch_execute("BEGIN")
        .await
        .context("starting the load transaction")?;
    client
        .batch_execute(SCHEMA_SQL)
        .await
        .context("loading assets/demo/schema.sql")?;
    client
        .batch_execute(DATA_SQL)
        .await
        .context("loading assets/demo/data.sql")?;
    client
        .batch_execute("COMMIT")
        .await
        .context("committing the demo load")?;
    client
        .batch_execute(AFTER_LOAD_SQL)
        .await
        .context("loading assets/demo/after_load.sql")?;
    Ok(())
}

/// A connection task that is aborted when dropped, so a cancelled workload leaves no task behind.
struct ConnTask(JoinHandle<()>);

impl ConnTask {
    /// Resolves when the server closes the connection (or it fails).
    async fn closed(&mut self) {
        let _ = (&mut self.0).await;
    }
}

impl Drop for ConnTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn connect(conninfo: &str, application_name: &str) -> Result<(Client, ConnTask)> {
    let mut config: tokio_postgres::Config = conninfo
        .parse()
        .with_context(|| format!("parsing conninfo {conninfo}"))?;
    config.application_name(application_name);
    let (client, connection) = config
        .connect(NoTls)
        .await
        .with_context(|| format!("connecting to {conninfo} as {application_name}"))?;
    let name = application_name.to_string();
    let task = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("{name}: connection closed: {e}");
        }
    });
    Ok((client, ConnTask(task)))
}

// ------------------------------------------------------------------------------------------------
// Cache

/// A cached, cleanly shut down data dir holding the loaded demo database:
/// `<root>/demo-<major>-<key>/{data, pgdeck-cache-stamp}`.
#[derive(Debug)]
struct DemoCache {
    root: PathBuf,
    dir: PathBuf,
    key: String,
}

impl DemoCache {
    fn new(root: PathBuf, bin: &PgBin) -> DemoCache {
        let key = cache_key(bin, &current_month());
        let dir = root.join(format!("demo-{}-{key}", bin.major));
        DemoCache { root, dir, key }
    }

    /// The cached data dir, if its stamp carries our key and it still holds the files the stamp
    /// counted. A cache that fails the check is removed, so the next save can replace it.
    fn valid_template(&self) -> Option<PathBuf> {
        if !self.dir.exists() {
            return None;
        }
        let data = self.dir.join("data");
        let wanted = std::fs::read_to_string(self.dir.join(STAMP_FILE))
            .ok()
            .and_then(|text| Stamp::parse(&text));
        let found = Stamp::of(&self.key, &data).ok();
        if wanted.is_some() && wanted == found {
            return Some(data);
        }
        tracing::warn!(
            "demo cache {} does not match its stamp; removing it",
            self.dir.display()
        );
        self.discard();
        None
    }

    /// Copy `data_dir` (of a stopped server) into the cache; the stamp is written last and the
    /// dir renamed into place, so a crash mid-way leaves no dir that looks valid.
    fn save(&self, data_dir: &Path) -> Result<()> {
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("creating {}", self.root.display()))?;
        self.remove_leftovers();
        let tmp = self
            .root
            .join(format!(".demo-tmp-{}-{}", std::process::id(), self.key));
        let result = self.fill(&tmp, data_dir);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }

    fn fill(&self, tmp: &Path, data_dir: &Path) -> Result<()> {
        std::fs::create_dir(tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let copy = tmp.join("data");
        let out = std::process::Command::new("cp")
            .arg("-a")
            .arg(data_dir)
            .arg(&copy)
            .output()
            .context("running cp -a")?;
        if !out.status.success() {
            bail!(
                "cp -a {} {} failed: {}",
                data_dir.display(),
                copy.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let stamp = Stamp::of(&self.key, &copy)?;
        let stamp_path = tmp.join(STAMP_FILE);
        std::fs::write(&stamp_path, stamp.render())
            .with_context(|| format!("writing {}", stamp_path.display()))?;
        match std::fs::rename(tmp, &self.dir) {
            Ok(()) => Ok(()),
            // Another demo filled it meanwhile: keep theirs.
            Err(_) if self.dir.exists() => {
                std::fs::remove_dir_all(tmp).with_context(|| format!("removing {}", tmp.display()))
            }
            Err(e) => Err(e)
                .with_context(|| format!("renaming {} to {}", tmp.display(), self.dir.display())),
        }
    }

    /// Older demo caches (other keys) and the half-written copies of dead processes.
    fn remove_leftovers(&self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = if let Some(rest) = name.strip_prefix(".demo-tmp-") {
                let pid = rest.split('-').next().and_then(|p| p.parse::<i32>().ok());
                pid.is_some_and(|p| !pid_alive(p))
            } else {
                name.starts_with("demo-") && entry.path() != self.dir
            };
            if stale && let Err(e) = std::fs::remove_dir_all(entry.path()) {
                tracing::warn!("removing old demo cache {}: {e}", entry.path().display());
            }
        }
    }

    fn discard(&self) {
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!("removing demo cache {}: {e}", self.dir.display());
        }
    }
}

/// What the cache stamp records: the key and the number and total size of the files copied.
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    key: String,
    files: u64,
    bytes: u64,
}

impl Stamp {
    fn of(key: &str, dir: &Path) -> Result<Stamp> {
        let mut stamp = Stamp {
            key: key.to_string(),
            files: 0,
            bytes: 0,
        };
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in
                std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))?
            {
                let entry = entry.with_context(|| format!("listing {}", d.display()))?;
                let meta = entry
                    .metadata()
                    .with_context(|| format!("reading {}", entry.path().display()))?;
                if meta.is_dir() {
                    pending.push(entry.path());
                } else {
                    stamp.files += 1;
                    stamp.bytes += meta.len();
                }
            }
        }
        Ok(stamp)
    }

    fn render(&self) -> String {
        format!(
            "key={}\nfiles={}\nbytes={}\n",
            self.key, self.files, self.bytes
        )
    }

    fn parse(text: &str) -> Option<Stamp> {
        let mut fields = text.lines().filter_map(|l| l.split_once('='));
        let mut next = |name: &str| fields.next().filter(|(k, _)| *k == name).map(|(_, v)| v);
        Some(Stamp {
            key: next("key")?.to_string(),
            files: next("files")?.parse().ok()?,
            bytes: next("bytes")?.parse().ok()?,
        })
    }
}

/// A hash of everything the cached data depends on: the server build, the assets, the settings
/// and the month (the monthly log partitions and the timestamps are relative to the load date).
fn cache_key(bin: &PgBin, month: &str) -> String {
    let mut hash = Fnv64::new();
    for part in [
        CACHE_FORMAT,
        &bin.version,
        month,
        SCHEMA_SQL,
        DATA_SQL,
        AFTER_LOAD_SQL,
    ] {
        hash.write(part.as_bytes());
        hash.write(&[0]);
    }
    for (k, v) in DEMO_SETTINGS {
        hash.write(k.as_bytes());
        hash.write(v.as_bytes());
    }
    format!("{:016x}", hash.0)
}

/// FNV-1a, 64 bit: stable across Rust releases (unlike `DefaultHasher`), which a key stored on
/// disk needs. Not for security.
struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Fnv64 {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// `YYYY-MM` of now, in UTC.
fn current_month() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (year, month) = year_month(secs);
    format!("{year:04}-{month:02}")
}

/// The UTC year and month of a Unix time (Howard Hinnant's civil_from_days).
fn year_month(unix_secs: u64) -> (i64, u32) {
    let days = (unix_secs / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month)
}

// ------------------------------------------------------------------------------------------------
// Workload

/// The running workload tasks; dropping it aborts them.
#[derive(Debug)]
struct Workload {
    tasks: Vec<JoinHandle<()>>,
}

impl Workload {
    async fn stop(mut self) {
        let tasks = std::mem::take(&mut self.tasks);
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Role {
    Reader,
    Writer,
    Shopper,
    IdleInTransaction,
    LockWait,
}

/// One workload session forever: run it, log its error, pause, reconnect.
async fn run_role(conninfo: String, name: &'static str, role: Role, mut rng: Rng) {
    loop {
        let result = match role {
            Role::Reader => reader(&conninfo, name, &mut rng).await,
            Role::Writer => writer(&conninfo, name, &mut rng).await,
            Role::Shopper => shopper(&conninfo, name, &mut rng).await,
            Role::IdleInTransaction => idle_in_transaction(&conninfo, name).await,
            Role::LockWait => lock_wait(&conninfo, &mut rng).await,
        };
        // The sessions loop forever, so they only ever come back with an error.
        let Err(e) = result;
        tracing::warn!("demo workload {name}: {e:#}; reconnecting");
        tokio::time::sleep(RECONNECT_PAUSE).await;
    }
}

/// Id ranges to draw from, read once per session.
struct Bounds {
    user: i64,
    post: i64,
    product: i64,
    tag: i32,
}

async fn bounds(client: &Client) -> Result<Bounds> {
    let row = client
        .query_one(SQL_BOUNDS, &[])
        .await
        .context("reading id ranges")?;
    let get = |i| -> Result<i64> {
        row.try_get::<_, Option<i64>>(i)?
            .filter(|v| *v > 0)
            .ok_or_else(|| anyhow!("empty demo table"))
    };
    let tag: Option<i32> = row.try_get(3)?;
    Ok(Bounds {
        user: get(0)?,
        post: get(1)?,
        product: get(2)?,
        tag: tag
            .filter(|v| *v > 0)
            .ok_or_else(|| anyhow!("no demo tags"))?,
    })
}

async fn pause(rng: &mut Rng, min_ms: u64, max_ms: u64) {
    tokio::time::sleep(Duration::from_millis(rng.between(min_ms, max_ms))).await;
}

async fn reader(conninfo: &str, name: &str, rng: &mut Rng) -> Result<Infallible> {
    let (client, _conn) = connect(conninfo, name).await?;
    let b = bounds(&client).await?;
    let feed = client
        .prepare(SQL_FEED)
        .await
        .context("preparing feed.sql")?;
    let post = client
        .prepare(SQL_POST_PAGE)
        .await
        .context("preparing post_page.sql")?;
    let orders = client
        .prepare(SQL_USER_ORDERS)
        .await
        .context("preparing user_orders.sql")?;
    let report = client
        .prepare(SQL_REPORT)
        .await
        .context("preparing report.sql")?;
    loop {
        pause(rng, 200, 2000).await;
        match rng.between(0, 20) {
            0 => client.query(&report, &[]).await.context("report.sql")?,
            1..=7 => {
                let tag = rng.between(1, b.tag as u64) as i32;
                client.query(&feed, &[&tag]).await.context("feed.sql")?
            }
            8..=14 => {
                let id = rng.id(b.post);
                client.query(&post, &[&id]).await.context("post_page.sql")?
            }
            _ => {
                let id = rng.id(b.user);
                client
                    .query(&orders, &[&id])
                    .await
                    .context("user_orders.sql")?
            }
        };
    }
}

async fn writer(conninfo: &str, name: &str, rng: &mut Rng) -> Result<Infallible> {
    let (client, _conn) = connect(conninfo, name).await?;
    let b = bounds(&client).await?;
    let log = client
        .prepare(SQL_INSERT_LOG)
        .await
        .context("preparing insert_log.sql")?;
    let views = client
        .prepare(SQL_BUMP_VIEWS)
        .await
        .context("preparing bump_views.sql")?;
    const LEVELS: [&str; 6] = ["info", "info", "info", "info", "warn", "error"];
    const SOURCES: [&str; 4] = ["api", "worker", "auth", "search"];
    const MESSAGES: [&str; 4] = [
        "request completed",
        "cache refreshed",
        "slow query",
        "upstream timed out",
    ];
    loop {
        pause(rng, 200, 2000).await;
        let level = *rng.choose(&LEVELS);
        let source = *rng.choose(&SOURCES);
        let message = *rng.choose(&MESSAGES);
        let duration = rng.between(1, 800) as i32;
        client
            .execute(&log, &[&level, &source, &message, &duration])
            .await
            .context("insert_log.sql")?;
        let post = rng.id(b.post);
        client
            .execute(&views, &[&post])
            .await
            .context("bump_views.sql")?;
    }
}

async fn shopper(conninfo: &str, name: &str, rng: &mut Rng) -> Result<Infallible> {
    let (mut client, _conn) = connect(conninfo, name).await?;
    let b = bounds(&client).await?;
    let order = client
        .prepare(SQL_NEW_ORDER)
        .await
        .context("preparing new_order.sql")?;
    let item = client
        .prepare(SQL_ADD_ITEM)
        .await
        .context("preparing add_item.sql")?;
    loop {
        pause(rng, 500, 2000).await;
        let tx = client.transaction().await.context("BEGIN")?;
        let user = rng.id(b.user);
        let order_id: i64 = tx
            .query_one(&order, &[&user])
            .await
            .context("new_order.sql")?
            .get(0);
        // The same product may come up twice in one order: odd, not wrong.
        for _ in 0..rng.between(1, 3) {
            let product = rng.id(b.product);
            let quantity = rng.between(1, 3) as i32;
            tx.execute(&item, &[&order_id, &product, &quantity])
                .await
                .context("add_item.sql")?;
        }
        tx.commit().await.context("COMMIT")?;
    }
}

/// BEGIN, lock a row, then do nothing until the server ends the connection (for instance when a
/// pgdeck user terminates the session); then the caller reconnects and does it again.
async fn idle_in_transaction(conninfo: &str, name: &str) -> Result<Infallible> {
    let (client, mut conn) = connect(conninfo, name).await?;
    client.batch_execute("BEGIN").await.context("BEGIN")?;
    client
        .query(SQL_HOLD_SETTINGS, &[])
        .await
        .context("hold_settings.sql")?;
    conn.closed().await;
    bail!("the server closed the idle-in-transaction session")
}

/// Every ~20 s (the first time after 2 s): demo-locker updates a row and holds it for 5 s while
/// demo-waiter's update of the same row waits for it.
async fn lock_wait(conninfo: &str, rng: &mut Rng) -> Result<Infallible> {
    let (mut locker, _locker_conn) = connect(conninfo, "demo-locker").await?;
    let (waiter, _waiter_conn) = connect(conninfo, "demo-waiter").await?;
    // Should anything else hold the row for long, the waiter gives up instead of piling up.
    waiter
        .batch_execute("SET lock_timeout = '30s'")
        .await
        .context("SET lock_timeout")?;
    let restock = waiter
        .prepare(SQL_RESTOCK)
        .await
        .context("preparing restock.sql")?;
    let mut wait = Duration::from_secs(2);
    loop {
        tokio::time::sleep(wait).await;
        wait = Duration::from_millis(rng.between(17_000, 23_000));
        let tx = locker.transaction().await.context("BEGIN")?;
        tx.execute(SQL_RESTOCK, &[&-1i32])
            .await
            .context("restock.sql (locker)")?;
        let blocked = waiter.execute(&restock, &[&1i32]);
        let hold = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            tx.commit().await
        };
        let (blocked, held) = tokio::join!(blocked, hold);
        held.context("COMMIT (locker)")?;
        blocked.context("restock.sql (waiter)")?;
    }
}

/// xorshift64*: enough randomness for pacing and ids, without a dependency.
struct Rng(u64);

impl Rng {
    fn seeded(stream: u64) -> Rng {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let seed = (nanos as u64) ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.next() % (hi - lo + 1)
        }
    }

    /// An id in `1..=max`.
    fn id(&mut self, max: i64) -> i64 {
        self.between(1, max.max(1) as u64) as i64
    }

    fn choose<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.between(0, items.len() as u64 - 1) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_months() {
        assert_eq!(year_month(0), (1970, 1));
        assert_eq!(year_month(951_782_400), (2000, 2)); // 2000-02-29
        assert_eq!(year_month(1_700_000_000), (2023, 11)); // 2023-11-14
        assert_eq!(year_month(1_704_067_199), (2023, 12)); // 2023-12-31 23:59:59
        assert_eq!(year_month(1_704_067_200), (2024, 1));
    }

    #[test]
    fn cache_key_depends_on_inputs() {
        let bin = PgBin {
            dir: PathBuf::from("/x"),
            major: 15,
            version: "15.18".into(),
        };
        let other = PgBin {
            version: "15.19".into(),
            ..bin.clone()
        };
        assert_eq!(cache_key(&bin, "2026-11"), cache_key(&bin, "2026-11"));
        assert_ne!(cache_key(&bin, "2026-11"), cache_key(&bin, "2026-12"));
        assert_ne!(cache_key(&bin, "2026-11"), cache_key(&other, "2026-11"));
        assert_eq!(cache_key(&bin, "2026-11").len(), 16);
    }

    #[test]
    fn fnv_reference_values() {
        let mut h = Fnv64::new();
        h.write(b"");
        assert_eq!(h.0, 0xcbf2_9ce4_8422_2325);
        let mut h = Fnv64::new();
        h.write(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn stamps_round_trip() {
        let stamp = Stamp {
            key: "abc".into(),
            files: 12,
            bytes: 3456,
        };
        assert_eq!(Stamp::parse(&stamp.render()), Some(stamp));
        assert_eq!(Stamp::parse("key=abc\nbytes=1\nfiles=2\n"), None);
        assert_eq!(Stamp::parse("key=abc\nfiles=x\nbytes=1\n"), None);
        assert_eq!(Stamp::parse(""), None);
    }

    #[test]
    fn stamp_counts_files() {
        let dir = std::env::temp_dir().join(format!("pgdeck-stamp-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a"), b"12345").unwrap();
        std::fs::write(dir.join("sub/b"), b"678").unwrap();
        let stamp = Stamp::of("k", &dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            stamp,
            Stamp {
                key: "k".into(),
                files: 2,
                bytes: 8
            }
        );
    }

    #[test]
    fn rng_stays_in_range() {
        let mut rng = Rng::seeded(7);
        for _ in 0..1000 {
            let v = rng.between(200, 2000);
            assert!((200..=2000).contains(&v));
            assert!((1..=5).contains(&rng.id(5)));
        }
        assert_eq!(rng.between(3, 3), 3);
        assert_eq!(rng.id(0), 1);
    }
}
