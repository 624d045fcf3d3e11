//! Times `TempCluster::start` and `Demo::start` (cold, then from the cache) and prints the phases the demo logs. Run with
//! `cargo run --release --example demo_timing [-- <cache dir>]`; without a cache dir it uses a
//! fresh one under the temp dir and removes it afterwards.

use std::time::Instant;

use pgdeck::cluster::{ClusterOptions, TempCluster};
use pgdeck::demo::{Demo, DemoOptions};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter("pgdeck=info")
        .with_writer(std::io::stderr)
        .init();
    let given = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    let dir = given.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("pgdeck-timing-{}", std::process::id()))
    });
    let opts = DemoOptions {
        cache_dir: Some(dir.clone()),
    };
    for _ in 0..3 {
        let started = Instant::now();
        let mut cluster = TempCluster::start(ClusterOptions::default())?;
        let ready = started.elapsed();
        cluster.create_database("timing")?;
        let created = started.elapsed();
        cluster.stop();
        println!(
            "TempCluster::start: {ready:?}, + create_database: {created:?}, + stop: {:?}",
            started.elapsed()
        );
    }
    for run in ["first", "second"] {
        let started = Instant::now();
        let demo = Demo::start_with(opts.clone()).await?;
        let elapsed = started.elapsed();
        println!(
            "{run} start: {elapsed:?} (from cache: {})",
            demo.from_cache()
        );
        let stopping = Instant::now();
        demo.stop().await;
        println!("{run} stop: {:?}", stopping.elapsed());
    }
    if given.is_none() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
